"""Learners fixtures: switching the signed-in user within one test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def sign_in(client: Any, login_as: Callable[..., Any]) -> Callable[..., Any]:
    """Like login_as, but signs any current user out first (one test, two partners)."""

    def switch(role: str, partner: Any = None, **fields: Any) -> Any:
        client.post("/sign-out")
        return login_as(role, partner, **fields)

    return switch
