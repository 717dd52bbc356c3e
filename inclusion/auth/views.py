"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion.access import Rule, access
from inclusion.auth import services
from inclusion.auth.forms import SignInForm
from inclusion.exceptions import ValidationError
from inclusion.extensions import limiter
from inclusion.forms import add_form_error

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only ever redirect within this site.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.home")


@bp.route("/sign-in", methods=["GET", "POST"])
@access(Rule.PUBLIC)
@limiter.limit("30 per minute", methods=["POST"])
def sign_in() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            services.sign_in(email=form.email.data or "", password=form.password.data or "")
        except services.ThrottledError as exc:
            minutes = max(1, round(exc.seconds / 60))
            add_form_error(
                form,
                "email",
                "Too many attempts to sign in. Wait "
                + (f"{minutes} minutes" if minutes > 1 else "a minute")
                + " and try again",
            )
            return render_template("auth/sign_in.html", form=form), 429
        except ValidationError as exc:
            add_form_error(form, "email", exc.message)
            return render_template("auth/sign_in.html", form=form), 200
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@access(Rule.SIGNED_IN)
def sign_out() -> Response:
    services.sign_out()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
