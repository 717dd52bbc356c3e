"""Access rules: every route declares who may use it, and one check enforces it for all.

A view without a declared rule is refused (fail closed), and a test walks the URL map so
such a view never ships.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion.tenancy import Partner, PartnerRole

F = TypeVar("F", bound=Callable[..., Any])


class Rule(enum.Enum):
    PUBLIC = "anyone, signed in or not"
    WEBHOOK = "a provider's signed callback (checked by the view)"
    SIGNED_IN = "any signed-in user"
    STAFF = "staff or partner admin of the acting partner"
    PARTNER_ADMIN = "partner admin of the acting partner"
    LEAD = "coalition lead"
    ADMIN = "system admin"


def access(*rules: Rule) -> Callable[[F], F]:
    """Declare who may use a view; any one of the rules is enough."""
    if not rules:
        raise ValueError("declare at least one access rule")

    def decorate(view: F) -> F:
        view.access_rules = frozenset(rules)  # type: ignore[attr-defined]
        return view

    return decorate


def rules_for(endpoint: str, app: Flask) -> frozenset[Rule] | None:
    if endpoint == "static":
        return frozenset({Rule.PUBLIC})
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rules", None)


def _satisfies(rule: Rule) -> bool:
    if rule in (Rule.PUBLIC, Rule.WEBHOOK):
        return True
    if not current_user.is_authenticated:
        return False
    if rule is Rule.SIGNED_IN:
        return True
    if rule is Rule.LEAD:
        return bool(current_user.is_coalition_lead)
    if rule is Rule.ADMIN:
        return bool(current_user.is_system_admin)
    partner = g.get("partner")
    if partner is None:
        return False
    role = current_user.role_at(partner.id)
    if rule is Rule.STAFF:
        return role is not None
    return role is PartnerRole.PARTNER_ADMIN


def acting_role() -> PartnerRole | None:
    partner = g.get("partner")
    if partner is None or not current_user.is_authenticated:
        return None
    return current_user.role_at(partner.id)


def _load_acting_partner() -> None:
    g.partner = None
    if not current_user.is_authenticated:
        return
    partners: list[Partner] = current_user.partners
    if not partners:
        return
    wanted = session.get("partner_id")
    chosen = next((p for p in partners if p.id == wanted), partners[0])
    if wanted != chosen.id:
        # Only on a change: writing the session on every request re-signs and re-sends the
        # cookie with every response.
        session["partner_id"] = chosen.id
    g.partner = chosen


def _two_factor_redirect(endpoint: str) -> Response | None:
    """A signed-in user who owes the second step (or must enrol first) reaches nothing else."""
    if g.get("session_expired") and not current_user.is_authenticated:
        from flask import flash

        flash("You were signed out because your session ended. Sign in again.", "info")
    if not current_user.is_authenticated:
        return None
    from inclusion.auth import mfa

    if endpoint in mfa.ALLOWED_BEFORE_MFA or not mfa.second_step_owed(current_user):
        return None
    target = "auth.two_factor" if current_user.has_two_factor else "auth.enrol"
    if request.method == "GET":
        return redirect(url_for(target))
    abort(403)


def enforce_access() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no such route: Flask answers 404
    from flask import current_app

    rules = rules_for(endpoint, current_app)
    if rules is None:
        current_app.logger.error("route %s declares no access rule; refusing", endpoint)
        abort(404)
    _load_acting_partner()
    owed = _two_factor_redirect(endpoint)
    if owed is not None:
        return owed
    if any(_satisfies(rule) for rule in rules):
        return None
    if not current_user.is_authenticated:
        if request.method == "GET":
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        abort(401)
    from inclusion import audit

    audit.record_now("access refused", detail=f"{request.method} {endpoint}"[:200])
    abort(403)


def init_app(app: Flask) -> None:
    from inclusion.auth import sessions

    sessions.init_app(app)
    app.before_request(enforce_access)

    @app.context_processor
    def _access_context() -> dict[str, Any]:
        return {"acting_partner": g.get("partner"), "acting_role": acting_role(), "Rule": Rule}
