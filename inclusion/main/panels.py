"""Panels on the staff home page, registered by the domain packages (the core knows none)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app


@dataclass(frozen=True)
class QuickAction:
    text: str
    endpoint: str
    order: int = 50


@dataclass
class Panel:
    """Open work a partner should see: a title, a count and a link to the list."""

    title: str
    count: int
    endpoint: str
    hint: str = ""
    warning: bool = False
    url_values: dict[str, Any] = field(default_factory=dict)


PanelSource = Callable[[int], list[Panel]]


def register(bp: Blueprint, *, actions: Sequence[QuickAction] = (),
             panels: PanelSource | None = None) -> None:
    """Called by a domain package: add quick actions and an open-work source to staff homes."""

    def _record(state: Any) -> None:
        app: Flask = state.app
        home = app.extensions.setdefault("inclusion.home", {"actions": [], "panels": []})
        home["actions"].extend(actions)
        if panels is not None:
            home["panels"].append(panels)

    bp.record_once(_record)


def actions() -> list[QuickAction]:
    home = current_app.extensions.get("inclusion.home", {"actions": []})
    return sorted(home["actions"], key=lambda a: (a.order, a.text))


def panels_for(partner_id: int) -> list[Panel]:
    home = current_app.extensions.get("inclusion.home", {"panels": []})
    out: list[Panel] = []
    for source in home["panels"]:
        out.extend(source(partner_id))
    return out
