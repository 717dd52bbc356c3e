"""Making an invitation (shared by the admin pages) and accepting one (the invitee)."""

from __future__ import annotations

from flask import (
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion import audit
from inclusion.access import Rule, access
from inclusion.auth import sessions
from inclusion.auth.forms import SetPasswordForm
from inclusion.auth.models import User
from inclusion.exceptions import ConflictError, DomainError
from inclusion.extensions import db, limiter
from inclusion.forms import add_form_error
from partners import bp, services
from partners.forms import ConfirmForm, InviteForm
from partners.models import Invitation, InvitationRole, Partner


def invite_page(form: InviteForm, *, partner: Partner | None, back: str
                ) -> str | Response | tuple[str, int]:
    """The invitation form: on success, the page that shows the link once (and emails it)."""
    page = "partners/invite.html"
    if form.validate_on_submit():
        try:
            new = services.invite(
                email=form.email.data or "",
                role=InvitationRole(form.role.data),
                partner=partner,
                invited_by=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field or "email", exc.message)
            status = 409 if isinstance(exc, ConflictError) else 200
            return render_template(page, form=form, partner=partner, back=back), status
        db.session.commit()
        link = _invitation_link(new.token)
        emailed = services.send_invitation_email(
            invitation=new.invitation, link=link,
            service_name=current_app.config["SERVICE_NAME"],
        )
        # The token exists only here: it is shown once (this page is never cached) and only its
        # hash is kept, so the admin copies it now or makes a new invitation.
        return render_template(
            "partners/invitation_created.html",
            invitation=new.invitation, link=link, emailed=emailed, back=back,
        )
    return render_template(page, form=form, partner=partner, back=back)


def _invitation_link(token: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("partners.accept_invitation", token=token)
    return url_for("partners.accept_invitation", token=token, _external=True)


@bp.route("/join/<token>", methods=["GET", "POST"])
@access(Rule.PUBLIC)
@limiter.limit("30 per minute", methods=["POST"])
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    after_this_request(_no_store)
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationUnusableError as exc:
        return render_template(
            "partners/invitation_unusable.html", message=exc.message
        ), 410 if exc.known else 404
    existing = services.auth_services.find_user(invitation.email)
    signed_in_as_other = current_user.is_authenticated and current_user.email != invitation.email
    if signed_in_as_other:
        return render_template("partners/invitation_other_account.html", invitation=invitation)
    if existing is not None:
        return _accept_existing(token, invitation, existing)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_as_new_user(
                token=token, name=form.name.data or "", password=form.password.data or ""
            )
        except services.InvitationUnusableError as exc:
            db.session.rollback()
            return render_template("partners/invitation_unusable.html", message=exc.message), 410
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
            return render_template(
                "partners/accept_invitation.html", form=form, invitation=invitation
            )
        sessions.start_session(user)
        audit.record("signed in", user_id=user.id, entity_type="user", entity_id=user.id)
        db.session.commit()
        _act_for(invitation)
        flash("Your account is ready. Welcome.", "success")
        return redirect(url_for("main.home"))
    return render_template("partners/accept_invitation.html", form=form, invitation=invitation)


def _no_store(response: Response) -> Response:
    # The page names the invitee and sits under a secret URL: keep it out of every cache,
    # signed in or not.
    response.headers["Cache-Control"] = "no-store"
    return response


def _accept_existing(token: str, invitation: Invitation, user: User
                     ) -> str | Response | tuple[str, int]:
    """The email already has an account: its owner signs in, then accepts with one button."""
    if not current_user.is_authenticated:
        return render_template(
            "partners/invitation_sign_in.html", invitation=invitation,
            sign_in_url=url_for("auth.sign_in", next=request.path),
        )
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.accept_as_existing_user(token=token, user=current_user)
        except services.InvitationUnusableError as exc:
            db.session.rollback()
            return render_template("partners/invitation_unusable.html", message=exc.message), 410
        except DomainError as exc:
            db.session.rollback()
            return render_template(
                "partners/invitation_confirm.html", form=form, invitation=invitation,
                problem=exc.message,
            ), 409
        db.session.commit()
        _act_for(invitation)
        flash("Invitation accepted.", "success")
        return redirect(url_for("main.home"))
    return render_template("partners/invitation_confirm.html", form=form, invitation=invitation)


def _act_for(invitation: Invitation) -> None:
    if invitation.partner_id is not None:
        session["partner_id"] = invitation.partner_id
