"""Browser fixtures: the app served on a free local port, Debian's Chromium driven by
Playwright, and an axe-core check that every page a test visits must pass.

Without Chromium, Playwright or axe-core these tests skip with the reason; with
REQUIRE_BROWSER=1 (CI) they fail instead, so a missing browser can never pass silently.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, got_request_exception
from werkzeug.serving import BaseWSGIServer, make_server

from inclusion.extensions import db
from tests import factories
from tests.conftest import AXE, TIMEOUT_MS, _upgrade


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Browser tests run on SQLite only: the pages are the same on PostgreSQL, and the
    backend-specific behaviour is proved by the rest of the suite on both."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'browser.sqlite'}"
    _upgrade(url)
    yield url


@dataclass
class LiveServer:
    app: Flask
    url: str
    errors: list[BaseException] = field(default_factory=list)

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def live_server(make_app: Callable[..., Flask]) -> Iterator[LiveServer]:
    """The app as users get it (CSRF on) on 127.0.0.1 at a free port, in a background thread."""
    app = make_app(WTF_CSRF_ENABLED=True)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(app=app, url=f"http://127.0.0.1:{server.port}")

    def remember(sender: Flask, exception: BaseException, **extra: Any) -> None:
        live.errors.append(exception)

    got_request_exception.connect(remember, app)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(remember, app)
    assert not live.errors, f"the server raised while serving the test: {live.errors!r}"


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    partner_name: str | None


@pytest.fixture
def person(live_server: LiveServer) -> Callable[..., Person]:
    """Make a user with a role (staff and partner admins at a new partner) the server can see."""

    def make(role: str, partner_name: str | None = None) -> Person:
        with live_server.app.app_context():
            partner = None
            if role in ("staff", "partner_admin"):
                partner = factories.make_partner(name=partner_name)
            user = factories.user_with_role(role, partner=partner)
            db.session.commit()
            made = Person(user.email, user.name, partner.name if partner else None)
            db.session.remove()
            return made

    return make


class AxeChecked:
    """A Playwright page that remembers each document it loads, so a test that forgets to
    check one with axe fails."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.loaded: list[str] = []
        self.checked: set[int] = set()
        self.console_errors: list[str] = []
        page.on("framenavigated", self._navigated)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console_errors.append(f"page error: {exc}"))
        page.on("response", self._response)

    def _navigated(self, frame: Any) -> None:
        if frame == self.page.main_frame and frame.url != "about:blank":
            self.loaded.append(frame.url)

    def _console(self, message: Any) -> None:
        # A CSP refusal or a script error shows up here. Failed loads are judged in _response,
        # where an error page's own status (404, 403) can be told from a missing asset.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.console_errors.append(f"{response.status} for {response.url}")

    def unchecked(self) -> list[str]:
        return [url for index, url in enumerate(self.loaded) if index not in self.checked]


def _format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"]:
            lines.append(f"    target {node['target']}: {node['html'][:200]}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary}))
  }));
}"""


def check_page(checked: AxeChecked) -> None:
    """Assert the page now showing has no axe-core violations and no console errors."""
    page = checked.page
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, so the app's CSP (no inline scripts) stays on.
        page.evaluate(_axe_source())
    violations = page.evaluate(_AXE_RUN)
    assert not violations, _format_violations(page.url, violations)
    assert not checked.console_errors, (
        f"the browser reported errors by {page.url}: {checked.console_errors}"
    )
    if checked.loaded:
        checked.checked.add(len(checked.loaded) - 1)


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


_CALL_PASSED = pytest.StashKey[bool]()


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest
             ) -> Iterator[Callable[..., AxeChecked]]:
    """Open pages in fresh browser contexts (optionally sized); each must be axe-checked."""
    contexts: list[Any] = []
    pages: list[AxeChecked] = []

    def open_page(width: int = 1024, height: int = 768) -> AxeChecked:
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=live_server.url
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        checked = AxeChecked(context.new_page())
        pages.append(checked)
        return checked

    yield open_page
    for context in contexts:
        context.close()
    if not request.node.stash.get(_CALL_PASSED, False):
        return  # the test's own failure says what went wrong
    forgotten = [url for checked in pages for url in checked.unchecked()]
    assert not forgotten, f"pages visited but never checked with axe: {forgotten}"


@pytest.fixture
def page(new_page: Callable[..., AxeChecked]) -> AxeChecked:
    return new_page()


def expect(locator: Any) -> Any:
    """Playwright's retrying assertions, imported late so a missing Playwright skips (or fails
    under REQUIRE_BROWSER=1) in the fixtures instead of breaking collection."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sign_in(checked: AxeChecked, email: str, password: str = factories.PASSWORD) -> None:
    """Sign in through the form (checking the sign-in page on the way)."""
    page = checked.page
    page.goto("/sign-in")
    check_page(checked)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
