"""Helpers shared by the voucher services."""

from __future__ import annotations

from datetime import date

from inclusion.extensions import db, utcnow


def current_date() -> date:
    return utcnow().date()


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"
