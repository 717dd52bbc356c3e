"""`flask outcomes ...`: the PDF impact report, the open-data export and the roadmap targets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from inclusion.exceptions import DomainError
from inclusion.extensions import db

outcomes_cli = AppGroup("outcomes", help="Outcome reports, open data and targets.")


def _selection(start: str | None, end: str | None, authority: str | None,
               partner: str | None):  # type: ignore[no-untyped-def]
    from inclusion.outcomes import dashboard

    args = {}
    if start or end:
        args.update({"period": "custom", "from": start or "", "to": end or ""})
    if authority:
        args["authority"] = authority
    if partner:
        args["partner"] = partner
    selection = dashboard.parse_selection(args, today=date.today())
    if selection.errors:
        cli_messages = {
            "authority": f"--authority {authority!r} is not a local authority code here; give "
                         "one of E08000025 to E08000031, or OUTSIDE",
            "partner": f"--partner {partner!r} is not the id of any partner",
        }
        names = {"from": "--from", "to": "--to", "period": "--from/--to"}
        problems = [cli_messages.get(field) or f"{names.get(field, field)}: {message}"
                    for field, message in selection.errors]
        raise click.UsageError("; ".join(dict.fromkeys(problems)))
    return selection


_common = [
    click.option("--from", "start", help="First day, YYYY-MM-DD (default: this financial year)."),
    click.option("--to", "end", help="Last day, YYYY-MM-DD."),
    click.option("--authority", help="A local authority's ONS code, like E08000025."),
    click.option("--partner", help="A partner's id: the report covers that partner only."),
]


def _with_common(f):  # type: ignore[no-untyped-def]
    for option in reversed(_common):
        f = option(f)
    return f


@outcomes_cli.command("report")
@_with_common
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the PDF.")
def report_command(start: str | None, end: str | None, authority: str | None,
                   partner: str | None, out: str) -> None:
    """Write the PDF impact report for a period and area."""
    from inclusion.outcomes import query, report

    selection = _selection(start, end, authority, partner)
    partner_id = selection.filters.partner_id
    name = None if partner_id is None else query.partner_names().get(partner_id)
    with current_app.test_request_context():
        built = report.build_report(selection, today=date.today(), partner_name=name)
        Path(out).write_bytes(report.render_pdf(built))
    click.echo(f"Wrote the impact report for {built.period} to {out}.")


@outcomes_cli.command("export")
@_with_common
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Directory for the CSV files and datapackage.json.")
def export_command(start: str | None, end: str | None, authority: str | None,
                   partner: str | None, out: str) -> None:
    """Write the disclosure-controlled tables as CSV with a Frictionless datapackage.json."""
    from inclusion.outcomes import opendata

    selection = _selection(start, end, authority, partner)
    written = opendata.write_directory(selection, Path(out))
    click.echo(f"Wrote {len(written)} files to {out}.")


@outcomes_cli.command("seed-targets")
@click.option("--adult-population", type=click.IntRange(min=1), required=True,
              help="Adults in the region, for the non-use target (22% to 15%).")
@click.option("--first-year", type=click.IntRange(2000, 2100), default=2025, show_default=True,
              help="Financial year the plan starts (April of this year).")
@click.option("--years", type=click.IntRange(1, 20), default=5, show_default=True)
def seed_targets_command(adult_population: int, first_year: int, years: int) -> None:
    """Set the roadmap's targets (skipping any already set)."""
    from inclusion.outcomes.targets import seed_roadmap_targets

    try:
        made = seed_roadmap_targets(adult_population=adult_population, first_year=first_year,
                                    years=years)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Set {len(made)} targets.")


@outcomes_cli.command("rollup")
@click.option("--batch", type=click.IntRange(min=1), default=200_000, show_default=True,
              help="Facts per transaction.")
def rollup_command(batch: int) -> None:
    """Add new outcome facts into the monthly roll-up (run it every few minutes from cron;
    counts are exact either way, this keeps them fast)."""
    from inclusion.outcomes import rollup

    moved = 0
    # One transaction per batch, so a large backlog never holds its locks for long.
    while added := rollup.refresh(db.session, batch=batch):
        db.session.commit()
        moved += added
    db.session.rollback()
    click.echo(f"Rolled up {moved:,} outcome facts.")
