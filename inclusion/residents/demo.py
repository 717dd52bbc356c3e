"""Demo residents with varied assessments (filled in with the residents feature)."""

from __future__ import annotations

import random

from inclusion.tenancy import Partner


def seed_residents(*, partners: list[Partner], count: int, rng: random.Random) -> None:
    """Register `count` demo residents across the partners, each with a first assessment."""
    return None
