"""Plain-text email through SMTP, only when SMTP_HOST is configured (otherwise nothing is sent)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def is_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def send(*, to: str, subject: str, body: str) -> bool:
    """Send one message; True when the SMTP server accepted it.

    Call this after the commit: a slow or broken mail server must never hold a transaction open
    or undo the change the message describes. Failures are logged (with no address) and
    reported as False so the caller can tell the user to pass the information on by hand.
    """
    cfg = current_app.config
    host = cfg.get("SMTP_HOST")
    if not host:
        return False
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(host, int(cfg.get("SMTP_PORT") or 25), timeout=10) as smtp:
            if cfg.get("SMTP_STARTTLS"):
                smtp.starttls()
            if cfg.get("SMTP_USERNAME"):
                smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("email not sent: %s", type(exc).__name__)
        return False
    return True
