"""Loan and gift agreements (versioned, printable in large print) and lending settings."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from devices import bp, services
from devices.forms import AgreementForm, SettingsForm
from devices.models import Agreement, AgreementKind
from devices.pdf import agreement_pdf
from devices.views.common import user_id
from inclusion.access import Rule, access
from inclusion.exceptions import DomainError
from inclusion.extensions import db
from inclusion.forms import add_form_error
from inclusion.tenancy import get_scoped_or_404, scoped


@bp.route("/agreements")
@access(Rule.STAFF)
def agreements() -> str:
    rows = db.session.scalars(
        scoped(Agreement).order_by(Agreement.kind, Agreement.version.desc())
    ).all()
    current = {kind: services.current_agreement(partner_id=g.partner.id, kind=kind)
               for kind in AgreementKind}
    return render_template("devices/agreements.html", agreements=rows, current=current)


@bp.route("/agreements/new", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN)
def agreement_new() -> str | Response:
    form = AgreementForm()
    if request.method == "GET":
        kind = request.args.get("kind", AgreementKind.LOAN.value)
        if kind in {k.value for k in AgreementKind}:
            form.kind.data = kind
            latest = services.current_agreement(partner_id=g.partner.id, kind=AgreementKind(kind))
            if latest is not None:
                form.title.data, form.body.data = latest.title, latest.body
    if form.validate_on_submit():
        try:
            agreement = services.new_agreement_version(
                partner_id=g.partner.id, kind=AgreementKind(form.kind.data),
                title=form.title.data, body=form.body.data, user_id=user_id())
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"{agreement.label} published. New loans use it from now on.", "success")
            return redirect(url_for("devices.agreement_detail", agreement_id=agreement.id))
    return render_template("devices/agreement_new.html", form=form)


@bp.route("/agreements/<int:agreement_id>")
@access(Rule.STAFF)
def agreement_detail(agreement_id: int) -> str:
    agreement = get_scoped_or_404(Agreement, agreement_id)
    paragraphs = [p.strip() for p in agreement.body.split("\n\n") if p.strip()]
    return render_template("devices/agreement_detail.html", agreement=agreement,
                           paragraphs=paragraphs)


@bp.route("/agreements/<int:agreement_id>.pdf")
@access(Rule.STAFF)
def agreement_print(agreement_id: int) -> Response:
    agreement = get_scoped_or_404(Agreement, agreement_id)
    content = agreement_pdf(agreement, partner_name=g.partner.name)
    response = current_app.response_class(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{agreement.kind.value}-agreement-v{agreement.version}.pdf"')
    return response


@bp.route("/settings", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN)
def settings() -> str | Response:
    partner = g.partner
    form = SettingsForm()
    if request.method == "GET":
        form.default_loan_weeks.data = partner.default_loan_weeks
        form.reminder_offsets.data = ", ".join(
            str(o) for o in services.reminder_offsets(partner.id))
    if form.validate_on_submit():
        try:
            offsets = services.parse_offsets(form.reminder_offsets.data)
            services.update_settings(partner=partner,
                                     default_loan_weeks=form.default_loan_weeks.data,
                                     offsets=offsets)
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash("Lending settings saved.", "success")
            return redirect(url_for("devices.settings"))
    return render_template("devices/settings.html", form=form)


