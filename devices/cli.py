"""`flask devices send-reminders`: queue today's loan reminders (run daily by a scheduler)."""

from __future__ import annotations

from datetime import date

import click
from flask import Blueprint

from inclusion.extensions import db


def register(bp: Blueprint) -> None:
    bp.cli.short_help = "Device bank commands."

    @bp.cli.command("send-reminders")
    @click.option("--today", help="Run as if today were this date (YYYY-MM-DD).")
    def send_reminders_command(today: str | None) -> None:
        """Queue SMS reminders for loans due soon or overdue, once each."""
        from devices.services import send_reminders

        try:
            run_day = date.fromisoformat(today) if today else date.today()
        except ValueError as exc:
            raise click.BadParameter("use the form YYYY-MM-DD, like 2026-03-31",
                                     param_hint="--today") from exc
        run = send_reminders(today=run_day)
        db.session.commit()
        click.echo(f"{run.sent} reminders queued; {run.no_consent} not sent (no SMS consent or "
                   f"phone); {run.loans} open loans checked for {run_day.isoformat()}.")
