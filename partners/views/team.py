"""A partner's team (its partner admins, or a system admin): roles, removal, invitations."""

from __future__ import annotations

from typing import TypeVar

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from inclusion.access import Rule, access
from inclusion.auth.models import User
from inclusion.exceptions import DomainError
from inclusion.extensions import db
from inclusion.forms import add_form_error
from inclusion.tenancy import get_scoped_or_404
from partners import bp, services
from partners.forms import ConfirmForm, InviteForm, RoleForm
from partners.models import Invitation, Membership, PartnerRole
from partners.views.invitations import invite_page

T = TypeVar("T", Membership, Invitation)


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
    return invite_page(InviteForm(), partner=g.partner, back=url_for("partners.team"))


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
