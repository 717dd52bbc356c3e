"""Command-line commands: users and demo data (each domain adds its own groups)."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from inclusion.exceptions import DomainError
from inclusion.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying the platform (never in production).")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="System admin", show_default=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 12 characters; asked for when not given.",
)
def create_admin(email: str, name: str, password: str) -> None:
    """Create a system admin account."""
    from inclusion.auth import services

    try:
        user = services.create_user(email=email, name=name, password=password)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    user.is_system_admin = True
    db.session.commit()
    click.echo(f"Created system admin {user.email} (user {user.id}).")


@demo_cli.command("region")
@click.option("--residents", default=10_000, show_default=True, type=click.IntRange(1, 5_000_000),
              help="How many residents to generate.")
@click.option("--seed", "random_seed", default=2026, show_default=True, type=int)
@click.option("--password", help="One password for every generated account (random if not given).")
def demo_region(residents: int, random_seed: int, password: str | None) -> None:
    """Fill an empty database with a large generated region, in bulk (for load and benchmarks)."""
    import time

    from inclusion.auth.models import User
    from inclusion.auth.passwords import password_problem
    from inclusion.demo_region import generate, new_password_hash, random_password

    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("Demo data is refused in a production configuration.")
    if db.session.scalar(select(func.count()).select_from(User)):
        raise click.ClickException("The database already has users; a region needs an empty one.")
    db.session.rollback()
    password = password or random_password()
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    started = time.perf_counter()
    with click.progressbar(length=residents, label="Generating residents") as bar:
        counts = generate(residents=residents, seed=random_seed,
                          password_hash=new_password_hash(password), progress=bar.update)
    click.echo(f"Generated in {time.perf_counter() - started:.1f} s:")
    for table, n in sorted(counts.items()):
        click.echo(f"  {table:28} {n:>12,}")
    click.echo(f"Accounts: admin@example.org, lead@example.org, adminN@ and staffN@example.org "
               f"(N = partner number); password: {password}")


@demo_cli.command("seed")
@click.option("--password", help="One password for every demo account (random if not given).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option("--residents", default=300, show_default=True, help="How many residents to make.")
@click.option("--seed", "random_seed", default=2026, show_default=True)
def demo_seed(password: str | None, if_empty: bool, residents: int, random_seed: int) -> None:
    """Fill an empty database with a demo coalition and print its accounts."""
    from inclusion.auth.models import User
    from inclusion.auth.passwords import password_problem
    from inclusion.demo import seed

    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("Demo data is refused in a production configuration.")
    if db.session.scalar(select(func.count()).select_from(User)):
        if if_empty:
            click.echo("The database already has users; no demo data added.")
            return
        raise click.ClickException("The database already has users; demo data needs an empty one.")
    if password is None:
        password = "-".join(secrets.token_urlsafe(4) for _ in range(4))
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    accounts = seed(password=password, residents=residents, random_seed=random_seed)
    db.session.commit()
    from inclusion.outcomes import rollup

    while rollup.refresh(db.session):
        db.session.commit()
    width = max(len(a[0]) for a in accounts)
    lines = ["", "Demo accounts (all share one password):", f"  password: {password}"]
    lines += [f"  {email.ljust(width)}  {role}" for email, role in accounts]
    table = "\n".join([*lines, ""])
    click.echo(table)
    # Kept beside the demo database so `make run` can show the logins again next time.
    instance = Path(current_app.instance_path)
    if instance.is_dir():
        target = instance / "demo-accounts.txt"
        target.write_text(table + "\n")
        target.chmod(0o600)


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    from inclusion.outcomes.cli import outcomes_cli

    app.cli.add_command(outcomes_cli)
    from inclusion.sms.cli import sms_cli

    app.cli.add_command(sms_cli)
