"""A small Twilio-compatible HTTP server for tests and benchmarks, and Twilio's signing.

It answers the Messages create call of the 2010-04-01 API with Basic auth, like Twilio: a
message resource with an "SM..." sid, or an error body with Twilio's codes (21211 invalid
number, 21610 opted out, 20429 too many requests, 20500 internal error). Behaviour is set per
test: numbers that are invalid or opted out, a queue of one-off failures, or a standing mode
("500", "429", "slow", "hang"). Nothing here is mocked inside the client: the app's real
`twilio` client talks HTTP to it.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-zA-Z]+)/Messages\.json$")

ERRORS = {
    "21211": (400, 21211, "The 'To' number {to} is not a valid phone number."),
    "21610": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "429": (429, 20429, "Too Many Requests"),
    "500": (500, 20500, "Internal Server Error"),
    "503": (503, 20503, "Service Unavailable"),
}


def sign(url: str, params: dict[str, Any], auth_token: str) -> str:
    """X-Twilio-Signature exactly as Twilio computes it for a POST to `url`."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


@dataclass
class SentMessage:
    sid: str
    to: str
    body: str
    sender: str
    status_callback: str | None


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    invalid_numbers: set[str] = field(default_factory=set)
    opted_out_numbers: set[str] = field(default_factory=set)
    mode: str | None = None  # standing behaviour for every request: "500", "429", "slow", "hang"
    delay: float = 2.0  # seconds, for "slow" and "hang"
    on_request: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.sent: list[SentMessage] = []
        self.requests = 0
        self._queue: deque[str] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------
    def fail_next(self, *kinds: str) -> None:
        """One-off behaviours for the next requests, in order (then back to `mode`)."""
        with self._lock:
            self._queue.extend(kinds)

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(_Handler):
            twilio = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def app_config(self, public_base_url: str = "https://inclusion.example.org") -> dict[str, Any]:
        """Settings that point the app's Twilio provider at this server."""
        return {
            "SMS_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32,
            "TWILIO_API_BASE_URL": self.base_url,
            "PUBLIC_BASE_URL": public_base_url,
        }

    def sent_to(self, number: str) -> list[SentMessage]:
        with self._lock:
            return [m for m in self.sent if m.to == number]

    # -- behaviour -----------------------------------------------------------------------
    def _next_behaviour(self, to: str) -> str | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if to in self.invalid_numbers:
            return "21211"
        if to in self.opted_out_numbers:
            return "21610"
        return self.mode

    def _accept(self, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        sender = form.get("From") or form.get("MessagingServiceSid", "")
        with self._lock:
            self.sent.append(SentMessage(sid, form["To"], form["Body"], sender,
                                         form.get("StatusCallback")))
        now = formatdate(usegmt=True)
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "subresource_uris": {},
            "to": form["To"],
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


class _Handler(BaseHTTPRequestHandler):
    twilio: FakeTwilio
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: int, message: str) -> None:
        self._reply(status, {"code": code, "message": message,
                             "more_info": f"https://www.twilio.com/docs/errors/{code}",
                             "status": status})

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        fake = self.twilio
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        with fake._lock:
            fake.requests += 1
        if fake.on_request is not None:
            fake.on_request()
        match = MESSAGES_PATH.match(self.path.split("?")[0])
        if not match:
            self._error(404, 20404, "The requested resource was not found")
            return
        expected = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
        if match.group(1) != fake.account_sid or self.headers.get("Authorization") != (
            f"Basic {expected}"
        ):
            self._error(401, 20003, "Authenticate")
            return
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        if not form.get("To") or not form.get("Body"):
            self._error(400, 21604, "A 'To' phone number and a 'Body' are required.")
            return
        if not (form.get("From") or form.get("MessagingServiceSid")):
            self._error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
            return
        behaviour = fake._next_behaviour(form["To"])
        if behaviour == "hang":
            # Holds the line, then drops it without taking the message (the client times out).
            time.sleep(fake.delay)
            self.close_connection = True
            return
        if behaviour == "slow":
            time.sleep(fake.delay)
        elif behaviour in ERRORS:
            status, code, text = ERRORS[behaviour]
            self._error(status, code, text.format(to=form["To"]))
            return
        self._reply(201, fake._accept(form))


def main() -> None:
    """Serve on its own (for benchmarks): prints the base URL, account SID and token."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--account-sid", default="AC" + "b" * 32)
    parser.add_argument("--auth-token", default="benchmark-token")
    args = parser.parse_args()
    fake = FakeTwilio(account_sid=args.account_sid, auth_token=args.auth_token).start()
    print(fake.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
