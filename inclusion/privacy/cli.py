"""`flask retention ...`: show and set retention periods, and run retention."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from inclusion.exceptions import DomainError
from inclusion.extensions import db, utcnow
from inclusion.privacy import retention
from inclusion.privacy.models import PeriodUnit

retention_cli = AppGroup(
    "retention", help="Data retention: periods, and erasing what is past them."
)


@retention_cli.command("show")
def show() -> None:
    """List each record type and how long it is kept."""
    for record_type, period in retention.describe():
        click.echo(f"{record_type.key:<16} {str(period):<12} {record_type.measured_from}")


@retention_cli.command("set")
@click.argument("record_type")
@click.argument("period", type=int)
@click.argument("unit", type=click.Choice([u.value for u in PeriodUnit]))
def set_period(record_type: str, period: int, unit: str) -> None:
    """Set how long RECORD_TYPE is kept, e.g. `retention set messages 90 days`."""
    known = [t.key for t in retention.record_types()]
    if record_type not in known:
        raise click.BadParameter(
            f"unknown record type {record_type!r}; choose one of: {', '.join(known)} "
            "(quote names with spaces)",
            param_hint="RECORD_TYPE",
        )
    try:
        changed = retention.set_periods(
            values={record_type: retention.Period(period, PeriodUnit(unit))}, by_id=None
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"{record_type}: kept for {period} {unit}" + ("" if changed else " (unchanged)"))


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Change nothing; list what would go.")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Apply the periods as if today were this date (YYYY-MM-DD, not in the future).",
)
def run(dry_run: bool, as_of: datetime | None) -> None:
    """Erase or anonymise everything past its retention period, and report what was done.

    Outcome facts are kept. Running it twice changes nothing the second time.
    """
    now = utcnow()
    if as_of is not None:
        now = as_of.replace(tzinfo=UTC)
        if now > utcnow():
            raise click.BadParameter("the date must not be in the future", param_hint="--as-of")
    try:
        report = retention.run(now=now, dry_run=dry_run)
    except Exception as exc:
        db.session.rollback()
        # Ids only in the message: a handler's error could otherwise carry personal data.
        raise click.ClickException(
            f"Retention run failed ({type(exc).__name__}); nothing was changed."
        ) from exc
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    click.echo(report.text())


def init_app(app: Flask) -> None:
    app.cli.add_command(retention_cli)
