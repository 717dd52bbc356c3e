"""SMS providers behind one small interface: `log` (nothing leaves the machine) and `twilio`."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from flask import Flask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    """The provider took the message; `delivered` when it is already known to be delivered."""

    provider_id: str
    delivered: bool = False


class SendError(Exception):
    """The provider did not take the message."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message[:200]
        self.code = code


class TemporaryError(SendError):
    """Try again later: the provider could not be reached, was busy, or failed inside."""


class PermanentError(SendError):
    """Never retry: the provider refused this message (for example an invalid number)."""


class OptedOutError(PermanentError):
    """The recipient replied STOP to the provider: withdraw consent, never retry."""


class Provider(Protocol):
    name: str

    def send(self, *, to: str, body: str, message_id: int) -> Accepted:
        """Hand one message to the provider; raises a SendError subclass when it does not."""
        ...


class LogProvider:
    """The embedded default: messages stay in the database for the admin message log."""

    name = "log"

    def send(self, *, to: str, body: str, message_id: int) -> Accepted:
        log.info("sms %s kept in the message log (log provider)", message_id)
        return Accepted(provider_id=f"LOG{secrets.token_hex(16)}", delivered=True)


class TwilioProvider:
    """Twilio's Messages API through the official client."""

    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        messaging_service_sid: str | None,
        from_number: str | None,
        status_callback: str | None,
        timeout: float,
        api_base_url: str | None = None,
    ) -> None:
        from twilio.rest import Client

        self.messaging_service_sid = messaging_service_sid
        self.from_number = from_number
        self.status_callback = status_callback
        self.client = Client(
            account_sid, auth_token, http_client=_http_client(timeout, api_base_url)
        )

    def send(self, *, to: str, body: str, message_id: int) -> Accepted:
        import requests
        from twilio.base.exceptions import TwilioException, TwilioRestException

        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        if self.status_callback:
            # Our id rides in the (signed) callback URL, so a receipt that overtakes the
            # worker's own record of the send still finds its message.
            kwargs["status_callback"] = f"{self.status_callback}?message={message_id}"
        try:
            created = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = str(exc.code) if exc.code is not None else None
            text = f"Twilio {exc.status}: {_scrub(str(exc.msg))}"
            if code == "21610":
                raise OptedOutError(text, code=code) from exc
            if exc.status == 429 or exc.status >= 500:
                raise TemporaryError(text, code=code or str(exc.status)) from exc
            raise PermanentError(text, code=code or str(exc.status)) from exc
        except requests.Timeout as exc:
            raise TemporaryError("Twilio did not answer in time", code="timeout") from exc
        except requests.RequestException as exc:
            raise TemporaryError(
                f"Twilio could not be reached ({type(exc).__name__})", code="network"
            ) from exc
        except TwilioException as exc:
            raise TemporaryError(f"Twilio client error ({type(exc).__name__})") from exc
        if not created.sid:
            raise TemporaryError("Twilio answered without a message id")
        return Accepted(provider_id=created.sid)


def _scrub(text: str) -> str:
    # Twilio's messages can quote the phone number ("The 'To' number +44... is not valid").
    return re.sub(r"\+?\d[\d ()-]{5,}\d", "[number]", text)


def _http_client(timeout: float, api_base_url: str | None) -> Any:
    from twilio.http.http_client import TwilioHttpClient

    class _Client(TwilioHttpClient):
        """Twilio's own HTTP client, optionally sending every *.twilio.com call elsewhere.

        Region and edge settings change the hostname (api.dublin.ie1.twilio.com), so any
        twilio.com host is redirected, not just api.twilio.com. Used for a local
        Twilio-compatible server in tests and development.
        """

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if api_base_url:
                url = _rebase(url, api_base_url)
            return super().request(method, url, *args, **kwargs)

    return _Client(timeout=timeout)


def _rebase(url: str, base: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host != "twilio.com" and not host.endswith(".twilio.com"):
        return url
    target = urlsplit(base)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))


def status_callback_url(app: Flask) -> str | None:
    base = app.config.get("PUBLIC_BASE_URL")
    return f"{base.rstrip('/')}/sms/status" if base else None


def provider_for(app: Flask) -> Provider:
    """The provider the configuration names (SMS_PROVIDER: log or twilio)."""
    name = app.config.get("SMS_PROVIDER", "log")
    if name == "log":
        return LogProvider()
    if name == "twilio":
        cfg = app.config
        return TwilioProvider(
            account_sid=cfg["TWILIO_ACCOUNT_SID"],
            auth_token=cfg["TWILIO_AUTH_TOKEN"],
            messaging_service_sid=cfg.get("TWILIO_MESSAGING_SERVICE_SID"),
            from_number=cfg.get("TWILIO_FROM_NUMBER"),
            status_callback=status_callback_url(app),
            timeout=float(cfg.get("SMS_PROVIDER_TIMEOUT", 10)),
            api_base_url=cfg.get("TWILIO_API_BASE_URL"),
        )
    raise ValueError(f"unknown SMS_PROVIDER {name!r}")
