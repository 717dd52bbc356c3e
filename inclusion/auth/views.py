"""Sign in and sign out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from inclusion.access import Rule, access
from inclusion.auth import mfa, services
from inclusion.auth.forms import (
    ChangePasswordForm,
    EnrolForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignInForm,
    TwoFactorForm,
)
from inclusion.exceptions import ValidationError
from inclusion.extensions import db
from inclusion.forms import add_form_error
from inclusion.security import rate_limited

bp = Blueprint("auth", __name__)
AFTER_MFA = "after_mfa"


def _safe_next(target: str | None) -> str:
    # Only ever redirect within this site.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.home")


@bp.route("/sign-in", methods=["GET", "POST"])
@access(Rule.PUBLIC)
@rate_limited("RATE_LIMIT_SIGN_IN")
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
        target = _safe_next(request.args.get("next"))
        if mfa.second_step_owed(current_user):
            session[AFTER_MFA] = target
            return redirect(
                url_for("auth.two_factor" if current_user.has_two_factor else "auth.enrol")
            )
        return redirect(target)
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@access(Rule.SIGNED_IN)
def sign_out() -> Response:
    services.sign_out()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/two-factor", methods=["GET", "POST"])
@access(Rule.SIGNED_IN)
@rate_limited("RATE_LIMIT_TWO_FACTOR")
def two_factor() -> str | Response | tuple[str, int]:
    """The second step of signing in: a code from the app, or a recovery code."""
    if not current_user.has_two_factor:
        return redirect(url_for("auth.enrol"))
    if session.get(mfa.SESSION_FLAG):
        return redirect(url_for("main.home"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        ok = services.pass_two_factor(user=current_user, code=form.code.data or "")
        db.session.commit()
        if ok:
            return redirect(_safe_next(session.pop(AFTER_MFA, None)))
        add_form_error(
            form,
            "code",
            "That code is not right, or has been used already. Enter the code your app shows "
            "now, or an unused recovery code",
        )
    return render_template("auth/two_factor.html", form=form)


@bp.route("/two-factor/set-up", methods=["GET", "POST"])
@access(Rule.SIGNED_IN)
@rate_limited("RATE_LIMIT_TWO_FACTOR")
def enrol() -> str | Response:
    """Add the account to an authenticator app and confirm it with a code."""
    user = current_user
    if user.has_two_factor:
        flash("Two-factor sign-in is already on for your account.", "info")
        return redirect(url_for("auth.account"))
    form = EnrolForm()
    secret = mfa.pending_secret(user)
    if secret is None:
        secret = mfa.begin_enrolment(user=user)
        db.session.commit()
    elif form.validate_on_submit():
        codes = mfa.confirm_enrolment(user=user, code=form.code.data or "")
        if codes is not None:
            mfa.mark_passed()
            from inclusion import audit

            audit.record("two-factor turned on", entity_type="user", entity_id=user.id)
            db.session.commit()
            return render_template(
                "auth/recovery_codes.html",
                codes=codes,
                next_url=_safe_next(session.pop(AFTER_MFA, None)),
            )
        db.session.commit()
        add_form_error(
            form, "code", "That code is not right. Enter the 6-digit code your app shows now"
        )
    uri = mfa.provisioning_uri(user, secret)
    return render_template(
        "auth/enrol.html",
        form=form,
        secret=secret,
        # segno writes the SVG from the URI's bits alone (no user text in the markup).
        qr=Markup(mfa.qr_svg(uri)),  # noqa: S704
        required=mfa.required_for(user),
    )


@bp.route("/account")
@access(Rule.SIGNED_IN)
def account() -> str:
    return render_template(
        "auth/account.html",
        required=mfa.required_for(current_user),
        codes_left=mfa.recovery_codes_left(current_user),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@access(Rule.SIGNED_IN)
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                user=current_user,
                current_password=form.current_password.data or "",
                new_password=form.password.data or "",
            )
        except ValidationError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash("Password changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset-password", methods=["GET", "POST"])
@access(Rule.PUBLIC)
@rate_limited("RATE_LIMIT_PASSWORD_RESET")
def request_reset() -> str:
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(
            email=form.email.data or "",
            link_for=lambda token: _public_url("auth.reset_password", token=token),
        )
        db.session.commit()
        return render_template("auth/reset_requested.html")
    return render_template("auth/request_reset.html", form=form)


def _public_url(endpoint: str, **values: Any) -> str:
    from flask import current_app

    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@access(Rule.PUBLIC)
@rate_limited("RATE_LIMIT_PASSWORD_RESET")
def reset_password(token: str) -> str | Response | tuple[str, int]:
    if len(token) > 100 or services.reset_for_token(token) is None:
        return render_template("auth/reset_unusable.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token=token, password=form.password.data or "")
        except ValidationError as exc:
            db.session.rollback()
            add_form_error(form, exc.field or "password", exc.message)
        else:
            if current_user.is_authenticated:
                services.sign_out()
            db.session.commit()
            flash("Your password has been changed. Sign in with your new password.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form)


def issue_reset_link(user_id: int) -> str:
    """For an admin page: issue a reset link for this user (commits); returns the full URL."""
    from inclusion.auth.models import User

    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    token = services.issue_password_reset(user=user, issued_by=current_user)
    db.session.commit()
    return _public_url("auth.reset_password", token=token)
