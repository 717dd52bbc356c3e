"""`flask sms ...`: the outbox worker, one pass for cron, and timing out old messages."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from inclusion.extensions import db

sms_cli = AppGroup("sms", help="Send text messages from the outbox.")


@sms_cli.command("worker")
def worker() -> None:
    """Send messages until stopped (Ctrl-C or SIGTERM finishes the message in hand first)."""
    from inclusion.sms.worker import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # The twilio client logs every request's headers at INFO; ids in our own lines suffice.
    logging.getLogger("twilio").setLevel(logging.WARNING)
    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        click.echo("Stopping after the message in hand.")
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"SMS worker running with the {app.config['SMS_PROVIDER']} provider.")
    run_forever(app, stop=stop)


@sms_cli.command("send-pending")
@click.option("--max", "max_messages", type=click.IntRange(min=1), default=None,
              help="Stop after this many messages.")
def send_pending(max_messages: int | None) -> None:
    """One pass: send every message due now, then stop (for cron)."""
    from inclusion.sms.worker import run_pass

    result = run_pass(max_messages=max_messages)
    click.echo(
        f"Sent {result.sent}, retrying later {result.retrying}, failed {result.failed}; "
        f"released {result.released} lapsed claim(s); {result.timed_out} timed out."
    )


@sms_cli.command("expire-receipts")
def expire_receipts() -> None:
    """Mark messages with no final receipt after SMS_UNKNOWN_AFTER_HOURS as unknown."""
    from inclusion.sms.delivery import mark_unknown

    count = mark_unknown()
    db.session.commit()
    click.echo(f"{count} message(s) marked unknown.")
