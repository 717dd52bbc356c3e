"""Every user's account (system admins): roles, disabling and enabling, coalition invitations."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from inclusion.access import Rule, access
from inclusion.auth.models import User
from inclusion.exceptions import DomainError
from inclusion.extensions import db
from partners import bp, services
from partners.forms import CoalitionInviteForm, ConfirmForm
from partners.views.invitations import invite_page


@bp.route("/users")
@access(Rule.ADMIN)
def list_users() -> str:
    users = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template(
        "partners/list_users.html",
        users=users,
        invitations=services.pending_invitations(partner_id=None),
        confirm_form=ConfirmForm(),
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@access(Rule.ADMIN)
def invite_coalition_user() -> str | Response | tuple[str, int]:
    return invite_page(CoalitionInviteForm(), partner=None, back=url_for("partners.list_users"))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>")
@access(Rule.ADMIN)
def user_detail(user_id: int) -> str:
    user = _user_or_404(user_id)
    return render_template("partners/user_detail.html", user=user, confirm_form=ConfirmForm())


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@access(Rule.ADMIN)
def disable_user(user_id: int) -> Response:
    return _set_user_active(user_id, active=False)


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@access(Rule.ADMIN)
def enable_user(user_id: int) -> Response:
    return _set_user_active(user_id, active=True)


def _set_user_active(user_id: int, *, active: bool) -> Response:
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_user_active(user=user, active=active, by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(
            "Account enabled." if active else "Account disabled. Every session it had has ended.",
            "success",
        )
    return redirect(url_for("partners.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@access(Rule.ADMIN)
def issue_reset_link(user_id: int) -> str:
    """Issue a single-use password reset link to pass on by hand (when email is not set up)."""
    from inclusion.auth.views import issue_reset_link as issue

    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    link = issue(user.id)
    return render_template("partners/reset_link.html", user=user, link=link)


@bp.route("/users/<int:user_id>/two-factor/off", methods=["POST"])
@access(Rule.ADMIN)
def turn_off_two_factor(user_id: int) -> Response:
    """For someone who lost their phone and recovery codes: they set it up again next time."""
    from inclusion.auth import mfa

    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit() or user.id == current_user.id:
        abort(400)
    mfa.turn_off(user=user)
    db.session.commit()
    flash("Two-factor sign-in turned off. They will set it up again when they next sign in.",
          "success")
    return redirect(url_for("partners.user_detail", user_id=user.id))
