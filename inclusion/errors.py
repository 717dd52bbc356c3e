"""Error pages: a clear message for every failure, never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("There is a problem with that request", "Check the link or go back and try again."),
    401: ("Sign in to continue", "You need to sign in to use this page."),
    403: ("You do not have access to this page", "Ask your partner admin if you need it."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("That action is not available here", "Go back and try again."),
    409: ("That record has changed", "Someone else changed it first. Reload and try again."),
    413: ("The file is too large", "Upload a smaller file (the limit is shown on the page)."),
    429: (
        "Too many attempts",
        "You have tried this too many times in a short while. Wait a minute, then try again.",
    ),
    500: ("Sorry, there is a problem with the service", "Try again later."),
}


def _page(status: int, detail: str | None = None) -> tuple[str, int]:
    title, text = MESSAGES.get(status, MESSAGES[400])
    return render_template("errors/error.html", title=title, text=detail or text), status


def _too_large_text() -> str:
    from flask import current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return MESSAGES[413][1]
    size = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return (
        f"The most you can send at once is {size}. Nothing was saved. Go back and choose a "
        "smaller file, or split a spreadsheet into parts and upload them one at a time."
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        return _page(
            400, "The form had expired or was sent twice. Go back, reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        if request.path == "/healthz":
            return error
        if error.code == 413:
            return _page(413, _too_large_text())
        return _page(error.code, error.description if error.code == 409 else None)

    if app.testing:
        return  # in tests an unexpected error surfaces as the exception itself

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        from inclusion.extensions import db

        db.session.rollback()
        app.logger.exception("unexpected error on %s %s", request.method, request.endpoint)
        return _page(500)
