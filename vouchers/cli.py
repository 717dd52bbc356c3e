"""`flask vouchers ...`: daily housekeeping for cron."""

from __future__ import annotations

import click

from inclusion.extensions import db
from vouchers import bp, services


@bp.cli.command("expire")
def expire() -> None:
    """Mark issued vouchers past their end date as expired (run daily)."""
    count = services.expire_vouchers()
    db.session.commit()
    click.echo(f"{count} voucher(s) expired.")


