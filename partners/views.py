"""Partner pages: organisations and users (system admins), a partner's team (partner admins),
accepting an invitation (the invitee), and choosing the acting partner."""

from __future__ import annotations

from typing import TypeVar

from flask import (
    abort,
    after_this_request,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from inclusion import audit
from inclusion.access import Rule, access
from inclusion.auth import sessions
from inclusion.auth.forms import SetPasswordForm
from inclusion.auth.models import User
from inclusion.exceptions import ConflictError, DomainError
from inclusion.extensions import db, limiter
from inclusion.forms import add_form_error
from inclusion.tenancy import get_scoped_or_404
from partners import bp, services
from partners.forms import CoalitionInviteForm, ConfirmForm, InviteForm, PartnerForm, RoleForm
from partners.models import (
    Invitation,
    InvitationRole,
    Membership,
    Partner,
    PartnerKind,
    PartnerRole,
)

T = TypeVar("T", Membership, Invitation)

# Choosing the acting partner ------------------------------------------------------------------


@bp.route("/choose")
@access(Rule.SIGNED_IN)
def choose() -> str:
    return render_template("partners/choose.html", partners=current_user.partners, form=None,
                           switch_form=FlaskForm())


# Partner organisations (system admins) --------------------------------------------------------


@bp.route("/")
@access(Rule.ADMIN)
def list_partners() -> str:
    partners = db.session.scalars(select(Partner).order_by(Partner.name)).all()
    return render_template("partners/list_partners.html", partners=partners)


def _details(form: PartnerForm) -> services.PartnerDetails:
    return services.PartnerDetails(
        name=form.name.data or "",
        kind=PartnerKind(form.kind.data),
        authorities=list(form.authorities.data or []),
        contact_name=form.contact_name.data,
        contact_email=form.contact_email.data,
        contact_phone=form.contact_phone.data,
        address=form.address.data,
        active=bool(form.active.data),
        agreement_version=form.agreement_version.data,
        agreement_signed_on=form.agreement_signed_on.data,
        default_loan_weeks=int(form.default_loan_weeks.data or 0),
    )


@bp.route("/new", methods=["GET", "POST"])
@access(Rule.ADMIN)
def new_partner() -> str | Response | tuple[str, int]:
    form = PartnerForm()
    if form.validate_on_submit():
        try:
            partner = services.create_partner(details=_details(form))
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
            status = 409 if isinstance(exc, ConflictError) else 200
            return render_template("partners/new_partner.html", form=form), status
        db.session.commit()
        flash(f"{partner.name} added. Invite their first partner admin.", "success")
        return redirect(url_for("partners.partner_detail", partner_id=partner.id))
    return render_template("partners/new_partner.html", form=form)


def _partner_or_404(partner_id: int) -> Partner:
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        abort(404)
    return partner


@bp.route("/<int:partner_id>")
@access(Rule.ADMIN)
def partner_detail(partner_id: int) -> str:
    partner = _partner_or_404(partner_id)
    memberships = db.session.scalars(
        select(Membership).join(User).where(Membership.partner_id == partner.id)
        .order_by(User.name)
    ).all()
    return render_template(
        "partners/partner_detail.html",
        partner=partner,
        memberships=memberships,
        invitations=services.pending_invitations(partner_id=partner.id),
        confirm_form=ConfirmForm(),
    )


@bp.route("/<int:partner_id>/edit", methods=["GET", "POST"])
@access(Rule.ADMIN)
def edit_partner(partner_id: int) -> str | Response | tuple[str, int]:
    partner = _partner_or_404(partner_id)
    form = PartnerForm(obj=partner)
    if request.method == "GET":
        form.kind.data = partner.kind.value
    if form.validate_on_submit():
        try:
            changed = services.update_partner(partner=partner, details=_details(form))
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
            status = 409 if isinstance(exc, ConflictError) else 200
            return render_template(
                "partners/edit_partner.html", form=form, partner=partner
            ), status
        db.session.commit()
        flash("Partner details saved." if changed else "Nothing was changed.", "success")
        return redirect(url_for("partners.partner_detail", partner_id=partner.id))
    return render_template("partners/edit_partner.html", form=form, partner=partner)


@bp.route("/<int:partner_id>/deactivate", methods=["POST"])
@access(Rule.ADMIN)
def deactivate_partner(partner_id: int) -> Response:
    return _set_partner_active(partner_id, active=False)


@bp.route("/<int:partner_id>/reactivate", methods=["POST"])
@access(Rule.ADMIN)
def reactivate_partner(partner_id: int) -> Response:
    return _set_partner_active(partner_id, active=True)


def _set_partner_active(partner_id: int, *, active: bool) -> Response:
    partner = _partner_or_404(partner_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_partner_active(partner=partner, active=active)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(
            f"{partner.name} is active again." if active else
            f"{partner.name} is deactivated. Its people can no longer act for it.",
            "success",
        )
    return redirect(url_for("partners.partner_detail", partner_id=partner.id))


@bp.route("/<int:partner_id>/invite", methods=["GET", "POST"])
@access(Rule.ADMIN)
def invite_to_partner(partner_id: int) -> str | Response | tuple[str, int]:
    partner = _partner_or_404(partner_id)
    return _invite(InviteForm(), partner=partner,
                   back=url_for("partners.partner_detail", partner_id=partner.id))


# Users (system admins) ------------------------------------------------------------------------


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
    return _invite(CoalitionInviteForm(), partner=None, back=url_for("partners.list_users"))


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


# The acting partner's team (partner admins) ---------------------------------------------------


@bp.route("/team")
@access(Rule.PARTNER_ADMIN)
def team() -> str:
    memberships = db.session.scalars(
        select(Membership)
        .join(User)
        .where(Membership.partner_id == g.partner.id)
        .order_by(User.name)
    ).all()
    return render_template(
        "partners/team.html",
        memberships=memberships,
        invitations=services.pending_invitations(partner_id=g.partner.id),
        confirm_form=ConfirmForm(),
    )


@bp.route("/team/invite", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN)
def invite() -> str | Response | tuple[str, int]:
    return _invite(InviteForm(), partner=g.partner, back=url_for("partners.team"))


def _invite(form: InviteForm, *, partner: Partner | None, back: str
            ) -> str | Response | tuple[str, int]:
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


def _team_record(model: type[T], record_id: int) -> T:
    """A membership or invitation: any partner's for system admins, otherwise only the acting
    partner's (anyone else's answers 404)."""
    if current_user.is_system_admin:
        record = db.session.get(model, record_id)
        if record is None:
            abort(404)
        return record
    return get_scoped_or_404(model, record_id)


def _back_to_team(partner_id: int | None) -> str:
    acting = g.get("partner")
    if acting is not None and acting.id == partner_id and current_user.role_at(
        partner_id
    ) is PartnerRole.PARTNER_ADMIN:
        return url_for("partners.team")
    if current_user.is_system_admin:
        if partner_id is None:
            return url_for("partners.list_users")
        return url_for("partners.partner_detail", partner_id=partner_id)
    return url_for("main.home")


@bp.route("/team/members/<int:membership_id>/role", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN, Rule.ADMIN)
def change_role(membership_id: int) -> str | Response:
    membership = _team_record(Membership, membership_id)
    form = RoleForm(data={"role": membership.role.value} if request.method == "GET" else None)
    back = _back_to_team(membership.partner_id)
    if form.validate_on_submit():
        try:
            changed = services.change_role(
                membership=membership, role=PartnerRole(form.role.data), by=current_user
            )
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field or "role", exc.message)
            return render_template(
                "partners/change_role.html", form=form, membership=membership, back=back
            )
        db.session.commit()
        flash(
            f"{membership.user.name} is now {membership.role.value}." if changed
            else "Nothing was changed.",
            "success",
        )
        return redirect(_back_to_team(membership.partner_id))
    return render_template(
        "partners/change_role.html", form=form, membership=membership, back=back
    )


@bp.route("/team/members/<int:membership_id>/remove", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN, Rule.ADMIN)
def remove_member(membership_id: int) -> str | Response | tuple[str, int]:
    membership = _team_record(Membership, membership_id)
    form = ConfirmForm()
    back = _back_to_team(membership.partner_id)
    if form.validate_on_submit():
        partner_id = membership.partner_id
        name = membership.user.name
        try:
            services.remove_member(membership=membership, by=current_user)
        except DomainError as exc:
            db.session.rollback()
            return render_template(
                "partners/remove_member.html", form=form, membership=membership, back=back,
                problem=exc.message,
            ), 409
        db.session.commit()
        flash(f"{name} no longer acts for this partner.", "success")
        return redirect(_back_to_team(partner_id))
    return render_template(
        "partners/remove_member.html", form=form, membership=membership, back=back
    )


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@access(Rule.PARTNER_ADMIN, Rule.ADMIN)
def revoke_invitation(invitation_id: int) -> Response:
    invitation = _team_record(Invitation, invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.revoke_invitation(invitation=invitation)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"Invitation to {invitation.email} withdrawn. Its link no longer works.", "success")
    return redirect(_back_to_team(invitation.partner_id))


# Accepting an invitation (the invitee, signed in or not) --------------------------------------


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
