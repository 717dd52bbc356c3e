"""Partner organisations (system admins), and choosing the partner you act for."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from inclusion.access import Rule, access
from inclusion.auth.models import User
from inclusion.exceptions import ConflictError, DomainError
from inclusion.extensions import db
from inclusion.forms import add_form_error
from partners import bp, services
from partners.forms import ConfirmForm, InviteForm, PartnerForm
from partners.models import Membership, Partner, PartnerKind
from partners.views.invitations import invite_page


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
    return invite_page(InviteForm(), partner=partner,
                       back=url_for("partners.partner_detail", partner_id=partner.id))
