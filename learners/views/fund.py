"""Retraining-fund pages: rounds and grants (admins), grant delivery, cohorts and learners."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from inclusion.access import Rule, access
from inclusion.exceptions import ConflictError, DomainError
from inclusion.extensions import db
from inclusion.forms import add_form_error, choices
from inclusion.outcomes.disclosure import method_note
from inclusion.residents import services as resident_services
from inclusion.residents.models import Resident
from inclusion.tenancy import Partner, PartnerKind, get_scoped_or_404
from learners import bp
from learners.forms import (
    CohortForm,
    EnrolForm,
    EnrolmentMoveForm,
    GrantForm,
    OutcomeForm,
    RoundForm,
    WithdrawLearnerForm,
)
from learners.models import (
    Cohort,
    Enrolment,
    FundRound,
    Grant,
    OutcomeKind,
    Referral,
    ReferralStatus,
    WithdrawalReason,
)
from learners.services import fund as services

MOVE_TITLES = {
    "start": "Record the start milestone",
    "complete": "Record completion",
    "withdraw": "Record that the learner left",
    "outcome-3": "Record the outcome at 3 months",
    "outcome-6": "Record the outcome at 6 months",
}


def _required(value: date | None) -> date:
    # The form's InputRequired validator has already refused a missing date.
    if value is None:
        abort(400)
    return value


def _sees_all() -> bool:
    return bool(current_user.is_coalition_lead or current_user.is_system_admin)


@bp.route("/fund")
@access(Rule.STAFF, Rule.LEAD, Rule.ADMIN)
def fund() -> str:
    rounds = db.session.scalars(select(FundRound).order_by(FundRound.opens_on.desc())).all()
    if _sees_all():
        grants = db.session.scalars(select(Grant).order_by(Grant.round_id, Grant.id)).all()
        years = services.retrained_by_year()
    else:
        grants = db.session.scalars(
            select(Grant).where(Grant.partner_id == g.partner.id).order_by(Grant.id)).all()
        years = []
    return render_template("learners/fund.html", rounds=rounds, grants=grants, years=years,
                           sees_all=_sees_all(), disclosure_note=method_note())


def _round_or_404(round_id: int) -> FundRound:
    fund_round = db.session.get(FundRound, round_id)
    if fund_round is None:
        abort(404)
    return fund_round


@bp.route("/fund/rounds/new", methods=["GET", "POST"])
@bp.route("/fund/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@access(Rule.ADMIN)
def round_form(round_id: int | None = None) -> str | Response:
    fund_round = _round_or_404(round_id) if round_id is not None else None
    form = RoundForm(obj=fund_round)
    if fund_round is not None and request.method == "GET":
        form.priority_groups.data = list(fund_round.priority_groups or [])
    if form.validate_on_submit():
        try:
            saved = services.save_round(fund_round=fund_round, values=form.values())
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"Fund round {saved.name} saved.", "success")
            return redirect(url_for("learners.fund"))
    return render_template("learners/round_form.html", form=form, fund_round=fund_round)


def _provider_choices(form: GrantForm) -> None:
    partners = db.session.scalars(
        select(Partner).where(Partner.active.is_(True)).order_by(Partner.name)).all()
    preferred = (PartnerKind.TRAINING_PROVIDER, PartnerKind.COLLEGE)
    ordered = sorted(partners, key=lambda p: (p.kind not in preferred, p.name))
    form.partner_id.choices = choices(((str(p.id), p.name) for p in ordered),
                                      blank="Choose a provider")


@bp.route("/fund/rounds/<int:round_id>/grants/new", methods=["GET", "POST"])
@bp.route("/fund/grants/<int:grant_id>/edit", methods=["GET", "POST"])
@access(Rule.ADMIN)
def grant_form(round_id: int | None = None, grant_id: int | None = None) -> str | Response:
    grant = db.session.get(Grant, grant_id) if grant_id is not None else None
    if grant_id is not None and grant is None:
        abort(404)
    fund_round = grant.round if grant is not None else _round_or_404(round_id or 0)
    form = GrantForm(obj=grant)
    _provider_choices(form)
    if grant is not None and request.method == "GET":
        form.partner_id.data = str(grant.partner_id)
    if form.validate_on_submit():
        try:
            saved = services.save_grant(grant=grant, fund_round=fund_round, values=form.values())
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"Grant {saved.reference} saved.", "success")
            return redirect(url_for("learners.grant_detail", grant_id=saved.id))
    return render_template("learners/grant_form.html", form=form, grant=grant,
                           fund_round=fund_round)


def _grant_for_viewer(grant_id: int) -> tuple[Grant, bool]:
    """The grant and whether the viewer is its provider; 404 for other partners."""
    grant = db.session.get(Grant, grant_id)
    if grant is None:
        abort(404)
    partner = g.get("partner")
    provider = partner is not None and partner.id == grant.partner_id
    if not provider and not _sees_all():
        abort(404)
    return grant, provider


@bp.route("/fund/grants/<int:grant_id>")
@access(Rule.STAFF, Rule.LEAD, Rule.ADMIN)
def grant_detail(grant_id: int) -> str:
    grant, provider = _grant_for_viewer(grant_id)
    # Counts of people leave the provider only through the disclosure rule; payments are
    # money and stay exact.
    controlled = not provider and bool(current_user.is_coalition_lead)
    return render_template("learners/grant_detail.html", grant=grant, provider=provider,
                           delivery=services.grant_delivery(grant),
                           is_admin=current_user.is_system_admin,
                           people=services.people_count if controlled else str,
                           controlled=controlled, disclosure_note=method_note())


@bp.route("/fund/grants/<int:grant_id>/cohorts/new", methods=["GET", "POST"])
@access(Rule.STAFF)
def cohort_new(grant_id: int) -> str | Response:
    grant = get_scoped_or_404(Grant, grant_id)
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = services.save_cohort(cohort=None, grant=grant, values=form.values())
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash("Cohort added.", "success")
            return redirect(url_for("learners.cohort_detail", cohort_id=cohort.id))
    return render_template("learners/cohort_form.html", form=form, grant=grant)


@bp.route("/fund/cohorts/<int:cohort_id>")
@access(Rule.STAFF)
def cohort_detail(cohort_id: int) -> str:
    cohort = get_scoped_or_404(Cohort, cohort_id)
    return render_template("learners/cohort_detail.html", cohort=cohort, moves=MOVE_TITLES)


def _learner_choices(form: EnrolForm, cohort: Cohort, query: str) -> None:
    referrals = db.session.scalars(
        select(Referral).where(Referral.to_partner_id == cohort.partner_id,
                               Referral.status == ReferralStatus.ACCEPTED)
        .order_by(Referral.sent_at.desc()).limit(100)
    ).all()
    options = []
    for referral in referrals:
        shared = dict(referral.shared_values())
        who = shared.get("Name", "details no longer shared")
        options.append((f"referral:{referral.id}",
                        f"Referral {referral.id} from {referral.from_partner.name}: {who}"))
    if query:
        residents = db.session.scalars(resident_services.search_query(query).limit(50)).all()
        options += [(f"resident:{r.id}", f"{r.name}, {r.postcode or 'no postcode'}")
                    for r in residents]
    form.learner.choices = choices(options)


@bp.route("/fund/cohorts/<int:cohort_id>/enrol", methods=["GET", "POST"])
@access(Rule.STAFF)
def enrol(cohort_id: int) -> str | Response:
    cohort = get_scoped_or_404(Cohort, cohort_id)
    query = (request.values.get("q") or "").strip()[:100]
    form = EnrolForm()
    _learner_choices(form, cohort, query)
    if request.method == "GET":
        form.enrolled_on.data = date.today()
    if request.method == "POST" and form.validate():
        kind, _, key = (form.learner.data or "").partition(":")
        resident = get_scoped_or_404(Resident, key) if kind == "resident" else None
        referral = db.session.get(Referral, int(key)) if kind == "referral" else None
        try:
            services.enrol(cohort=cohort, on=_required(form.enrolled_on.data),
                           user_id=current_user.id,
                           resident=resident, referral=referral)
        except DomainError as exc:
            db.session.rollback()
            cohort = get_scoped_or_404(Cohort, cohort_id)
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash("Learner enrolled.", "success")
            return redirect(url_for("learners.cohort_detail", cohort_id=cohort.id))
    return render_template("learners/enrol.html", form=form, cohort=cohort, query=query)


@bp.route("/fund/enrolments/<int:enrolment_id>/<any(start, complete, withdraw, 'outcome-3', "
          "'outcome-6'):move>", methods=["GET", "POST"])
@access(Rule.STAFF)
def enrolment_move(enrolment_id: int, move: str) -> str | Response | tuple[str, int]:
    enrolment = get_scoped_or_404(Enrolment, enrolment_id)
    form_class = {"withdraw": WithdrawLearnerForm, "outcome-3": OutcomeForm,
                  "outcome-6": OutcomeForm}.get(move, EnrolmentMoveForm)
    form = form_class()
    if request.method == "GET":
        form.on.data = date.today()
    status = 200
    if form.validate_on_submit():
        reason = (WithdrawalReason(form.reason.data)
                  if isinstance(form, WithdrawLearnerForm) else None)
        outcome = OutcomeKind(form.outcome.data) if isinstance(form, OutcomeForm) else None
        try:
            services.move_enrolment(enrolment=enrolment, move=move, on=_required(form.on.data),
                                    user_id=current_user.id, reason=reason, outcome=outcome)
        except DomainError as exc:
            db.session.rollback()
            enrolment = get_scoped_or_404(Enrolment, enrolment_id)
            add_form_error(form, exc.field, exc.message)
            status = 409 if isinstance(exc, ConflictError) else 200
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("learners.cohort_detail", cohort_id=enrolment.cohort_id))
    return render_template("learners/enrolment_move.html", form=form, enrolment=enrolment,
                           title=MOVE_TITLES[move]), status
