"""Voucher pages: stock, issuing to a resident, a voucher's life, and the admin's schemes."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from inclusion import audit, sms
from inclusion.access import Rule, access
from inclusion.exceptions import ConflictError, DomainError
from inclusion.extensions import db, limiter
from inclusion.forms import add_form_error, choices
from inclusion.main.panels import Panel, QuickAction, register
from inclusion.residents.models import Resident
from inclusion.residents.services import search_query
from inclusion.sms import Purpose, register_purpose, register_status_listener
from inclusion.tenancy import Partner, current_partner_id, get_scoped_or_404, scoped
from vouchers import bp, forms, importers, services
from vouchers.models import (
    ISSUE_PURPOSE,
    CodeBatch,
    CodeStatus,
    SchemeKind,
    Voucher,
    VoucherCode,
    VoucherScheme,
)

REVEAL_KEY = "vouchers.reveal"
# Voucher lists show each voucher's resident and scheme: load them with the list.
LIST_LOADS = (selectinload(Voucher.resident), selectinload(Voucher.scheme))


def _panels(partner_id: int) -> list[Panel]:
    out = []
    low = services.low_stock_count(partner_id)
    if low:
        out.append(Panel("Voucher stock low", low, "vouchers.index",
                         hint="Schemes below your warning level", warning=True))
    due = db.session.scalar(select(func.count()).select_from(
        services.follow_ups_due(partner_id).subquery())) or 0
    if due:
        out.append(Panel("Voucher follow-ups due", due, "vouchers.follow_ups",
                         hint="Issued a month or more ago"))
    return out


register(bp, actions=[QuickAction("Issue a voucher", "vouchers.issue_start", order=20)],
         panels=_panels)
register_purpose(bp, Purpose(
    ISSUE_PURPOSE, frozenset({"code", "scheme", "gives", "expires"}),
    "Your {scheme} voucher code is {code}. It gives you {gives}. Use it by {expires}.",
    "A voucher code texted to a resident when it is issued or resent",
    secret=True,
))
register_status_listener(bp, services.RELATED, services.on_message_status)


def _commit_or_error(form: Any, exc: DomainError) -> int:
    db.session.rollback()
    add_form_error(form, exc.field, exc.message)
    return 409 if isinstance(exc, ConflictError) else 200


# -- staff: stock, issuing, vouchers -------------------------------------------------------

@bp.route("/")
@access(Rule.STAFF)
def index() -> str:
    partner_id = current_partner_id()
    recent = db.session.scalars(
        scoped(Voucher).options(*LIST_LOADS, selectinload(Voucher.code))
        .order_by(Voucher.issued_at.desc(), Voucher.id.desc()).limit(20)).all()
    return render_template("vouchers/index.html", stock=services.stock_for(partner_id),
                           recent=recent)


@bp.route("/issue")
@access(Rule.STAFF)
def issue_start() -> str:
    query = (request.args.get("q") or "").strip()[:100]
    results = db.session.scalars(search_query(query).limit(50)).all() if query else []
    return render_template("vouchers/issue_start.html", query=query, results=results)


@bp.route("/issue/<int:resident_id>", methods=["GET", "POST"])
@access(Rule.STAFF)
def issue(resident_id: int) -> Any:
    resident = get_scoped_or_404(Resident, resident_id)
    partner_id = current_partner_id()
    scheme_id = request.args.get("scheme", type=int)
    scheme = db.session.get(VoucherScheme, scheme_id) if scheme_id else None
    # A POST goes straight on to the service, which counts the stock as it reserves a code:
    # a request that lost a race gets the service's clear "no codes left" answer.
    stock = services.issuable_schemes(partner_id) if request.method == "GET" or (
        scheme is None or not scheme.active) else []
    in_stock = request.method == "POST" or any(s.scheme.id == scheme_id for s in stock)
    if scheme is None or not scheme.active or not in_stock:
        choose = forms.ChooseSchemeForm(request.args, meta={"csrf": False})
        choose.scheme.choices = choices(
            (str(s.scheme.id), f"{s.scheme.name}: {s.scheme.gives} ({s.available} left)")
            for s in stock)
        if "scheme" in request.args:
            choose.validate()
            if not choose.errors:
                add_form_error(choose, "scheme", "Choose a voucher scheme")
        return render_template("vouchers/issue_choose.html", form=choose, resident=resident,
                               stock=stock)
    form = forms.IssueForm()
    form.criteria.choices = choices((c, c) for c in scheme.criteria)
    status = 200
    if form.validate_on_submit():
        try:
            voucher, message = services.issue_voucher(
                partner_id=partner_id, resident=resident, scheme_id=scheme.id,
                criteria=form.criteria.data, consent_confirmed=form.consent.data,
                user_id=current_user.id)
        except DomainError as exc:
            status = _commit_or_error(form, exc)
        else:
            db.session.commit()
            session[REVEAL_KEY] = voucher.id
            flash("Voucher issued. " + ("The code is on its way by text." if message else
                  "No text will be sent: give the resident the code shown below."), "success")
            return redirect(url_for("vouchers.voucher_detail", voucher_id=voucher.id))
    return render_template("vouchers/issue.html", form=form, resident=resident,
                           scheme=scheme, texts=sms.can_text(resident)), status


def _voucher_or_404(voucher_id: int) -> Voucher:
    return get_scoped_or_404(Voucher, voucher_id)


@bp.route("/<int:voucher_id>")
@access(Rule.STAFF)
def voucher_detail(voucher_id: int) -> str:
    voucher = _voucher_or_404(voucher_id)
    reveal = session.pop(REVEAL_KEY, None) == voucher.id
    return render_template(
        "vouchers/voucher_detail.html", voucher=voucher, reveal=reveal,
        message=services.delivery_of(voucher), resend_form=forms.ResendForm(),
        can_text=voucher.resident is not None and sms.can_text(voucher.resident),
    )


@bp.route("/<int:voucher_id>/resend", methods=["POST"])
@access(Rule.STAFF)
@limiter.limit("20/hour")
def resend(voucher_id: int) -> Response:
    voucher = _voucher_or_404(voucher_id)
    form = forms.ResendForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.resend(voucher=voucher, user_id=current_user.id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("The code will be texted again.", "success")
    return redirect(url_for("vouchers.voucher_detail", voucher_id=voucher_id))


@bp.route("/<int:voucher_id>/revoke", methods=["GET", "POST"])
@access(Rule.STAFF)
def revoke(voucher_id: int) -> Any:
    voucher = _voucher_or_404(voucher_id)
    form = forms.RevokeForm()
    status = 200
    if form.validate_on_submit():
        try:
            new = services.revoke(voucher=voucher, reason=form.reason.data,
                                  reissue=form.reissue.data == "yes", user_id=current_user.id)
        except DomainError as exc:
            status = _commit_or_error(form, exc)
        else:
            db.session.commit()
            if new is not None:
                session[REVEAL_KEY] = new.id
                flash("Voucher revoked and a new code issued.", "success")
                return redirect(url_for("vouchers.voucher_detail", voucher_id=new.id))
            flash("Voucher revoked. Its code will never be issued again.", "success")
            return redirect(url_for("vouchers.voucher_detail", voucher_id=voucher.id))
    return render_template("vouchers/revoke.html", form=form, voucher=voucher), status


@bp.route("/<int:voucher_id>/redeemed", methods=["GET", "POST"])
@access(Rule.STAFF)
def redeem(voucher_id: int) -> Any:
    voucher = _voucher_or_404(voucher_id)
    form = forms.RedeemForm()
    status = 200
    if form.validate_on_submit() and form.redeemed_on.data is not None:
        try:
            services.mark_redeemed(voucher=voucher, on=form.redeemed_on.data,
                                   user_id=current_user.id)
        except DomainError as exc:
            status = _commit_or_error(form, exc)
        else:
            db.session.commit()
            flash("Voucher marked as redeemed.", "success")
            return redirect(url_for("vouchers.voucher_detail", voucher_id=voucher.id))
    return render_template("vouchers/redeem.html", form=form, voucher=voucher), status


@bp.route("/<int:voucher_id>/follow-up", methods=["GET", "POST"])
@access(Rule.STAFF)
def follow_up(voucher_id: int) -> Any:
    voucher = _voucher_or_404(voucher_id)
    form = forms.FollowUpForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.record_follow_up(
                voucher=voucher, still_connected=form.still_connected.data == "yes",
                social_tariff=form.social_tariff.data == "yes", note=form.note.data or "",
                user_id=current_user.id)
        except DomainError as exc:
            status = _commit_or_error(form, exc)
        else:
            db.session.commit()
            flash("Follow-up saved.", "success")
            return redirect(url_for("vouchers.voucher_detail", voucher_id=voucher.id))
    return render_template("vouchers/follow_up.html", form=form, voucher=voucher), status


@bp.route("/follow-ups")
@access(Rule.STAFF)
def follow_ups() -> str:
    due = db.session.scalars(services.follow_ups_due(current_partner_id())
                             .options(*LIST_LOADS).order_by(Voucher.issued_at).limit(200)).all()
    return render_template("vouchers/follow_ups.html", vouchers=due)


@bp.route("/resident/<int:resident_id>")
@access(Rule.STAFF)
def resident_vouchers(resident_id: int) -> Response:
    """An old address: a resident's vouchers are on their page's timeline now."""
    resident = get_scoped_or_404(Resident, resident_id)
    return redirect(url_for("residents.detail", resident_id=resident.id))


# -- partner admin: stock settings, transfers, redemptions -----------------------------------

@bp.route("/stock/warning", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN)
def threshold() -> Any:
    partner_id = current_partner_id()
    stock = services.stock_for(partner_id)
    form = forms.ThresholdForm()
    form.scheme.choices = choices(((str(s.scheme.id), s.scheme.name) for s in stock),
                                  blank="Choose a scheme")
    if form.validate_on_submit():
        scheme = next(s.scheme for s in stock if str(s.scheme.id) == form.scheme.data)
        services.set_threshold(partner_id=partner_id, scheme=scheme,
                               threshold=form.threshold.data, user_id=current_user.id)
        db.session.commit()
        flash("Warning level saved.", "success")
        return redirect(url_for("vouchers.index"))
    return render_template("vouchers/threshold.html", form=form, stock=stock)


@bp.route("/stock/transfer", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN)
def transfer() -> Any:
    partner_id = current_partner_id()
    stock = services.stock_for(partner_id)
    partners = db.session.scalars(select(Partner).where(Partner.active, Partner.id != partner_id)
                                  .order_by(Partner.name)).all()
    form = forms.TransferForm()
    form.scheme.choices = choices(((str(s.scheme.id), f"{s.scheme.name} ({s.available} usable)")
                                   for s in stock), blank="Choose a scheme")
    form.to_partner.choices = choices(((str(p.id), p.name) for p in partners),
                                      blank="Choose a partner")
    status = 200
    if form.validate_on_submit():
        scheme = next(s.scheme for s in stock if str(s.scheme.id) == form.scheme.data)
        to_partner = next(p for p in partners if str(p.id) == form.to_partner.data)
        try:
            services.transfer(scheme=scheme, from_partner_id=partner_id, to_partner=to_partner,
                              quantity=form.quantity.data, user_id=current_user.id)
        except DomainError as exc:
            status = _commit_or_error(form, exc)
        else:
            db.session.commit()
            flash(f"{form.quantity.data} codes transferred to {to_partner.name}.", "success")
            return redirect(url_for("vouchers.index"))
    return render_template("vouchers/transfer.html", form=form), status


@bp.route("/redemptions", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN, Rule.ADMIN)
def redemptions_import() -> Any:
    form = forms.RedemptionImportForm()
    problems: importers.ImportProblems | None = None
    if form.validate_on_submit():
        partner_id = None if current_user.is_system_admin else current_partner_id()
        try:
            result = services.import_redemptions(data=form.file.data.read(),
                                                 partner_id=partner_id,
                                                 user_id=current_user.id)
        except importers.ImportProblems as exc:
            db.session.rollback()
            problems = exc
            add_form_error(form, "file", f"The file has {exc.total} problem(s); nothing was "
                                         "saved")
        else:
            db.session.commit()
            flash(f"{result.redeemed} voucher(s) marked redeemed; {result.already} were "
                  "already recorded.", "success")
            return redirect(url_for("vouchers.redemptions_import"))
    return render_template("vouchers/redemptions_import.html", form=form, problems=problems)


# -- system admin: schemes, batches, allocation ---------------------------------------------

@bp.route("/schemes")
@access(Rule.ADMIN)
def schemes() -> str:
    rows = db.session.execute(
        select(VoucherScheme,
               select(func.count()).where(VoucherCode.scheme_id == VoucherScheme.id,
                                          VoucherCode.partner_id.is_(None),
                                          VoucherCode.status == CodeStatus.AVAILABLE)
               .scalar_subquery())
        .order_by(VoucherScheme.name)).all()
    return render_template("vouchers/schemes.html", rows=rows)


@bp.route("/schemes/new", methods=["GET", "POST"])
@bp.route("/schemes/<int:scheme_id>/edit", methods=["GET", "POST"])
@access(Rule.ADMIN)
def scheme_edit(scheme_id: int | None = None) -> Any:
    scheme = db.session.get(VoucherScheme, scheme_id) if scheme_id is not None else None
    if scheme_id is not None and scheme is None:
        abort(404)
    form = forms.SchemeForm(obj=scheme)
    if request.method == "GET" and scheme is not None:
        form.criteria.data = "\n".join(scheme.criteria)
        form.kind.data = scheme.kind.value
    if form.validate_on_submit():
        try:
            saved = services.save_scheme(
                scheme=scheme, name=form.name.data, provider=form.provider.data,
                kind=SchemeKind(form.kind.data), gives=form.gives.data,
                criteria=form.criteria.data.splitlines(), validity_days=form.validity_days.data,
                active=form.active.data, user_id=current_user.id)
        except DomainError as exc:
            _commit_or_error(form, exc)
        else:
            db.session.commit()
            flash("Scheme saved.", "success")
            return redirect(url_for("vouchers.scheme_detail", scheme_id=saved.id))
    return render_template("vouchers/scheme_edit.html", form=form, scheme=scheme)


@bp.route("/schemes/<int:scheme_id>")
@access(Rule.ADMIN)
def scheme_detail(scheme_id: int) -> str:
    scheme = db.get_or_404(VoucherScheme, scheme_id)
    batches = db.session.execute(
        select(CodeBatch,
               select(func.count()).where(VoucherCode.batch_id == CodeBatch.id,
                                          VoucherCode.partner_id.is_(None),
                                          VoucherCode.status == CodeStatus.AVAILABLE)
               .scalar_subquery())
        .where(CodeBatch.scheme_id == scheme.id).order_by(CodeBatch.id.desc())).all()
    return render_template("vouchers/scheme_detail.html", scheme=scheme, batches=batches)


@bp.route("/schemes/<int:scheme_id>/import", methods=["GET", "POST"])
@access(Rule.ADMIN)
def batch_import(scheme_id: int) -> Any:
    scheme = db.get_or_404(VoucherScheme, scheme_id)
    form = forms.CodeImportForm()
    problems: importers.ImportProblems | None = None
    if form.validate_on_submit():
        try:
            batch = services.import_batch(scheme=scheme, data=form.file.data.read(),
                                          reference=form.reference.data,
                                          expires_on=form.expires_on.data,
                                          user_id=current_user.id)
        except importers.ImportProblems as exc:
            db.session.rollback()
            problems = exc
            add_form_error(form, "file", f"The file has {exc.total} problem(s); nothing was "
                                         "saved")
        else:
            db.session.commit()
            flash(f"{batch.size} codes imported.", "success")
            return redirect(url_for("vouchers.batch_detail", batch_id=batch.id))
    return render_template("vouchers/batch_import.html", form=form, scheme=scheme,
                           problems=problems, max_rows=importers.MAX_ROWS)


@bp.route("/schemes/<int:scheme_id>/generate", methods=["GET", "POST"])
@access(Rule.ADMIN)
def batch_generate(scheme_id: int) -> Any:
    scheme = db.get_or_404(VoucherScheme, scheme_id)
    form = forms.CodeGenerateForm()
    if form.validate_on_submit():
        try:
            batch = services.generate_batch(
                scheme=scheme, count=form.count.data, length=form.length.data,
                prefix=form.prefix.data or "", reference=form.reference.data,
                expires_on=form.expires_on.data, user_id=current_user.id)
        except DomainError as exc:
            _commit_or_error(form, exc)
        else:
            db.session.commit()
            flash(f"{batch.size} codes generated.", "success")
            return redirect(url_for("vouchers.batch_detail", batch_id=batch.id))
    return render_template("vouchers/batch_generate.html", form=form, scheme=scheme)


@bp.route("/batches/<int:batch_id>", methods=["GET", "POST"])
@access(Rule.ADMIN)
def batch_detail(batch_id: int) -> Any:
    batch = db.get_or_404(CodeBatch, batch_id)
    partners = db.session.scalars(select(Partner).where(Partner.active)
                                  .order_by(Partner.name)).all()
    form = forms.AllocateForm()
    form.partner.choices = choices(((str(p.id), p.name) for p in partners),
                                   blank="Choose a partner")
    status = 200
    if form.validate_on_submit():
        partner = next(p for p in partners if str(p.id) == form.partner.data)
        try:
            services.allocate(batch=batch, partner=partner, quantity=form.quantity.data,
                              user_id=current_user.id)
        except DomainError as exc:
            status = _commit_or_error(form, exc)
        else:
            db.session.commit()
            flash(f"{form.quantity.data} codes allocated to {partner.name}.", "success")
            return redirect(url_for("vouchers.batch_detail", batch_id=batch.id))
    reveal = request.args.get("reveal") == "1"
    if reveal:
        audit.record("voucher codes revealed", entity_type="voucher batch", entity_id=batch.id)
        db.session.commit()
    codes = db.session.scalars(select(VoucherCode).where(VoucherCode.batch_id == batch.id)
                               .order_by(VoucherCode.id).limit(200)).all()
    holders = dict(db.session.execute(select(Partner.id, Partner.name)).all())
    return render_template("vouchers/batch_detail.html", batch=batch, form=form, codes=codes,
                           reveal=reveal, holders=holders), status
