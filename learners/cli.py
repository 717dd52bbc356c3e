"""Learners commands: the weekly digest of stale referrals."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from learners import bp
from learners.services import referrals as services

bp.cli.short_help = "Learners: referrals and the retraining fund."


@bp.cli.command("stale-digest")
@click.option("--now", "now_text", help="Pretend it is this UTC date (YYYY-MM-DD), for testing.")
def stale_digest(now_text: str | None) -> None:
    """List stale referrals (no answer within the offer's committed time) per partner."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text).replace(tzinfo=UTC)
        except ValueError as exc:
            raise click.BadParameter("use the form YYYY-MM-DD", param_hint="--now") from exc
    entries = services.stale_digest(now=now)
    if not entries:
        click.echo("No stale referrals.")
        return
    today = (now or datetime.now(UTC)).date()
    for entry in entries:
        click.echo(f"{entry.partner.name} (partner {entry.partner.id})")
        if entry.to_answer:
            click.echo(f"  To answer ({len(entry.to_answer)}):")
            for r in entry.to_answer:
                click.echo(f"    referral {r.id}: {r.offer.title}, from {r.from_partner.name}, "
                           f"{services.days_overdue(r, today)} days overdue")
        if entry.awaiting:
            click.echo(f"  Waiting on others ({len(entry.awaiting)}):")
            for r in entry.awaiting:
                click.echo(f"    referral {r.id}: {r.offer.title} at {r.to_partner.name}, "
                           f"{services.days_overdue(r, today)} days overdue")
