"""Lending pages: find the resident, lend or give, loans and overdue lists, return, gift."""

from __future__ import annotations

import secrets
from datetime import date

from flask import flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from devices import bp, services
from devices.forms import GiftForm, LendForm, ReturnForm
from devices.models import AgreementKind, Device, DeviceStatus, Loan, LoanKind, normalise_tag
from devices.views.common import conflict, user_id, wants_json
from inclusion.access import Rule, access
from inclusion.exceptions import ConflictError, DomainError
from inclusion.extensions import db
from inclusion.forms import add_form_error
from inclusion.pagination import keyset_page
from inclusion.residents.models import Resident
from inclusion.residents.services import search_query
from inclusion.tenancy import get_scoped_or_404

PAGE_SIZE = 50


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return None


@bp.route("/lend")
@access(Rule.STAFF)
def lend() -> str:
    query = (request.args.get("q") or "").strip()[:100]
    tag = normalise_tag(request.args.get("device", ""))[:20]
    results = db.session.scalars(search_query(query).limit(50)).all() if query else []
    return render_template("devices/lend.html", query=query, results=results, tag=tag)


def _lend_page(form: LendForm, resident: Resident, status: int = 200
               ) -> tuple[str, int]:
    partner = g.partner
    return render_template(
        "devices/lend_to.html", form=form, resident=resident,
        loan_agreement=services.current_agreement(partner_id=partner.id, kind=AgreementKind.LOAN),
        gift_agreement=services.current_agreement(partner_id=partner.id, kind=AgreementKind.GIFT),
        default_weeks=partner.default_loan_weeks,
        ready=db.session.scalars(
            services.device_query(partner.id).where(Device.status == DeviceStatus.READY)
            .order_by(Device.kind, Device.asset_tag).limit(20)
        ).all(),
    ), status


@bp.route("/lend/<int:resident_id>", methods=["GET", "POST"])
@access(Rule.STAFF)
def lend_to(resident_id: int) -> Response | tuple[str | Response, int]:
    resident = get_scoped_or_404(Resident, resident_id)
    partner = g.partner
    form = LendForm()
    today = date.today()
    if request.method == "GET":
        loan_agreement = services.current_agreement(partner_id=partner.id,
                                                    kind=AgreementKind.LOAN)
        gift_agreement = services.current_agreement(partner_id=partner.id,
                                                    kind=AgreementKind.GIFT)
        form.asset_tag.data = normalise_tag(request.args.get("device", ""))[:20] or None
        form.due_on.data = services.default_due_date(partner, today)
        form.agreement_id.data = loan_agreement.id if loan_agreement else ""
        form.gift_agreement_id.data = gift_agreement.id if gift_agreement else ""
        form.request_token.data = secrets.token_urlsafe(24)
        return _lend_page(form, resident)
    if not form.validate_on_submit():
        if wants_json():
            return jsonify({"error": "invalid", "errors": form.errors}), 400
        return _lend_page(form, resident)
    kind = LoanKind(form.kind.data)
    agreement_id = _int_or_none(form.agreement_id.data if kind is LoanKind.LOAN
                                else form.gift_agreement_id.data)
    try:
        loan = services.lend_device(
            partner=partner, resident=resident, asset_tag=form.asset_tag.data, kind=kind,
            due_on=form.due_on.data, accessories=form.accessories.data,
            condition_out=form.condition_out.data, agreement_id=agreement_id,
            user_id=user_id(), today=today,
            request_token=(form.request_token.data or "")[:64] or None,
        )
    except ConflictError as exc:
        add_form_error(form, exc.field, exc.message)
        db.session.rollback()
        if wants_json():
            return jsonify({"error": "conflict", "message": exc.message}), 409
        return _lend_page(form, resident, 409)
    except DomainError as exc:
        db.session.rollback()
        if wants_json():
            return jsonify({"error": "invalid", "message": exc.message}), 400
        add_form_error(form, exc.field, exc.message)
        return _lend_page(form, resident)
    tag = loan.device.asset_tag
    loan_id = loan.id
    db.session.commit()
    if wants_json():
        return jsonify({"loan_id": loan_id, "asset_tag": tag}), 201
    flash(f"{tag} {'lent' if kind is LoanKind.LOAN else 'given'}. Hand it over with the "
          "agreement.", "success")
    return redirect(url_for("devices.loan_detail", loan_id=loan_id))


@bp.route("/loans")
@access(Rule.STAFF)
def loans() -> str:
    # Due soonest first, paged by (due date, id) rather than offset, so a partner with
    # thousands of devices out pays for one page, not for every loan before it. Open loans
    # always have a due date (lend_device refuses one without), so the key is never null.
    page = keyset_page(services.open_loans_query(g.partner.id), (Loan.due_on, Loan.id),
                       size=PAGE_SIZE)
    return render_template("devices/loans.html", page=page, loans=page.items,
                           today=date.today())


# A list longer than this is work for weeks: show the longest overdue first, and say how many.
OVERDUE_SHOWN = 200


@bp.route("/loans/overdue")
@access(Rule.STAFF)
def overdue() -> str:
    today = date.today()
    return render_template(
        "devices/overdue.html", today=today, shown=OVERDUE_SHOWN,
        loans=services.overdue_loans(partner_id=g.partner.id, today=today, limit=OVERDUE_SHOWN),
        total=services.count_overdue(partner_id=g.partner.id, today=today))


@bp.route("/loans/<int:loan_id>")
@access(Rule.STAFF)
def loan_detail(loan_id: int) -> str:
    loan = get_scoped_or_404(Loan, loan_id)
    return render_template("devices/loan_detail.html", loan=loan, today=date.today())


@bp.route("/loans/<int:loan_id>/return", methods=["GET", "POST"])
@access(Rule.STAFF)
def loan_return(loan_id: int) -> str | Response | tuple[str | Response, int]:
    loan = get_scoped_or_404(Loan, loan_id)
    form = ReturnForm()
    if request.method == "GET":
        form.returned_on.data = date.today()
    if form.validate_on_submit():
        assert form.returned_on.data is not None  # InputRequired
        try:
            services.record_return(loan=loan, returned_on=form.returned_on.data,
                                   condition_in=form.condition_in.data,
                                   accessories_back=form.accessories_back.data,
                                   data_removed=bool(form.data_removed.data), user_id=user_id(),
                                   today=date.today())
        except ConflictError as exc:
            add_form_error(form, exc.field, exc.message)
            return conflict(exc.message, "devices/loan_return.html", form=form,
                            loan=get_scoped_or_404(Loan, loan_id))
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"{loan.device.asset_tag} returned. Record a data wipe before lending it "
                  "again.", "success")
            return redirect(url_for("devices.loan_detail", loan_id=loan.id))
    return render_template("devices/loan_return.html", form=form, loan=loan)


@bp.route("/loans/<int:loan_id>/gift", methods=["GET", "POST"])
@access(Rule.STAFF)
def loan_gift(loan_id: int) -> str | Response | tuple[str | Response, int]:
    loan = get_scoped_or_404(Loan, loan_id)
    agreement = services.current_agreement(partner_id=loan.partner_id, kind=AgreementKind.GIFT)
    form = GiftForm()
    if request.method == "GET":
        form.agreement_id.data = agreement.id if agreement else ""
    if form.validate_on_submit():
        try:
            services.convert_to_gift(loan=loan, agreement_id=_int_or_none(form.agreement_id.data),
                                     user_id=user_id(), today=date.today())
        except ConflictError as exc:
            add_form_error(form, exc.field, exc.message)
            return conflict(exc.message, "devices/loan_gift.html", form=form,
                            loan=get_scoped_or_404(Loan, loan_id), agreement=agreement)
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"{loan.device.asset_tag} now belongs to the resident.", "success")
            return redirect(url_for("devices.loan_detail", loan_id=loan.id))
    return render_template("devices/loan_gift.html", form=form, loan=loan, agreement=agreement)

