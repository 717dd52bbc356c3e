"""Resident pages: search, register, view, edit, consents and assessments."""

from __future__ import annotations

from collections.abc import Iterable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from inclusion import audit
from inclusion.access import Rule, access
from inclusion.exceptions import ConflictError, ValidationError
from inclusion.extensions import db
from inclusion.forms import add_form_error
from inclusion.main import panels
from inclusion.pagination import keyset_page
from inclusion.reference import BENEFITS, DISABILITY, EMPLOYMENT_STATUSES, ETHNIC_GROUPS, GENDERS
from inclusion.residents import services, timeline
from inclusion.residents.forms import (
    AssessmentCreateForm,
    ConsentGiveForm,
    ConsentWithdrawForm,
    ResidentEditForm,
    ResidentRegisterForm,
)
from inclusion.residents.models import (
    CONSENT_SLUGS,
    CONSENT_TITLES,
    CONSENT_WORDING,
    CONSENT_WORDING_VERSION,
    FOUNDATION_TASKS,
    AssessmentKind,
    ConsentKind,
    Resident,
    consent_slug,
)
from inclusion.tenancy import get_scoped_or_404

bp = Blueprint("residents", __name__)

EQUALITY_LABELS = {
    "gender": dict(GENDERS),
    "ethnic_group": dict(ETHNIC_GROUPS),
    "disability": dict(DISABILITY),
    "employment_status": dict(EMPLOYMENT_STATUSES),
    "receives_benefits": dict(BENEFITS),
}

panels.register(
    bp,
    actions=[
        panels.QuickAction("Register a resident", "residents.register", order=10),
        panels.QuickAction("Find a resident", "residents.search", order=11),
    ],
)


def _own_entries(resident: Resident) -> Iterable[timeline.TimelineEntry]:
    """What the residents package itself adds to the timeline: assessments and consents."""
    href = url_for("residents.detail", resident_id=resident.id)
    for assessment in resident.assessments:
        what = "Registered and assessed" if assessment.kind is AssessmentKind.REGISTRATION else (
            f"Assessment ({assessment.kind.value})"
        )
        yield timeline.TimelineEntry(
            assessment.assessed_on, f"{what}: {assessment.classification.value}",
            f"{href}#assessment-{assessment.id}",
        )
    for consent in resident.consents:
        title = CONSENT_TITLES[consent.kind].lower()
        yield timeline.TimelineEntry(
            services.local_date(consent.recorded_at), f"Gave consent: {title}"
        )
        if consent.withdrawn_at is not None:
            yield timeline.TimelineEntry(
                services.local_date(consent.withdrawn_at), f"Withdrew consent: {title}"
            )


timeline.register(bp, _own_entries)


def _consent_kind(slug: str) -> ConsentKind:
    kind = CONSENT_SLUGS.get(slug)
    if kind is None:
        abort(404)
    return kind


@bp.route("/")
@access(Rule.STAFF)
def search() -> str:
    query = (request.args.get("q") or "").strip()[:100]
    page = None
    total = 0
    if query:
        statement = services.search_query(query)
        total = db.session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())) or 0
        # Paged by (name, id), not by offset: a broad search at a partner with tens of
        # thousands of residents costs the same on its last page as on its first.
        page = keyset_page(statement, (Resident.name_search, Resident.id),
                           narrow=services.search_reads_ids_first(query))
    pages = max(1, -(-total // current_app.config["PAGE_SIZE"]))
    return render_template(
        "residents/search.html", query=query, page=page,
        results=page.items if page else [], total=total, pages=pages,
    )


@bp.route("/new", methods=["GET", "POST"])
@access(Rule.STAFF)
def register() -> str | Response | tuple[str, int]:
    form = ResidentRegisterForm()
    duplicates: list[Resident] = []
    if form.validate_on_submit():
        consents = set()
        if form.sms_consent.data:
            consents.add(ConsentKind.SMS_CONTACT)
        if form.sharing_consent.data:
            consents.add(ConsentKind.REFERRAL_SHARING)
        try:
            resident = services.register_resident(
                partner_id=g.partner.id,
                user_id=current_user.id,
                details=form.details(),
                consents=consents,
                answers=form.answers(),
                allow_duplicate=bool(form.confirm_different.data),
            )
        except services.DuplicateResidentError as exc:
            duplicates = exc.matches
        except ValidationError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            current_app.logger.info("resident %s registered", resident.id)
            flash(f"{resident.name} is registered.", "success")
            return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template(
        "residents/register.html", form=form, duplicates=duplicates,
        sms_wording=CONSENT_WORDING[ConsentKind.SMS_CONTACT],
        sharing_wording=CONSENT_WORDING[ConsentKind.REFERRAL_SHARING],
        wording_version=CONSENT_WORDING_VERSION,
    )


@bp.route("/<int:resident_id>")
@access(Rule.STAFF)
def detail(resident_id: int) -> str:
    resident = get_scoped_or_404(Resident, resident_id)
    # Reads are audited too: who opened whose record, and when.
    audit.record("resident viewed", entity_type="resident", entity_id=resident.id)
    consents = {
        kind: [c for c in resident.consents if c.kind is kind] for kind in ConsentKind
    }
    page = render_template(
        "residents/detail.html",
        resident=resident,
        consents=consents,
        titles=CONSENT_TITLES,
        slug=consent_slug,
        entries=timeline.entries_for(resident),
        labels=EQUALITY_LABELS,
        task_count=len(FOUNDATION_TASKS),
    )
    # Committed after rendering, not before: a commit expires every loaded row (the user, their
    # memberships, the resident), and the page would load them all again. Nothing is sent
    # until the audit entry is committed.
    db.session.commit()
    return page


@bp.route("/<int:resident_id>/edit", methods=["GET", "POST"])
@access(Rule.STAFF)
def edit(resident_id: int) -> str | Response:
    resident = get_scoped_or_404(Resident, resident_id)
    form = ResidentEditForm()
    if request.method == "GET":
        form.fill_from(resident)
    elif form.validate_on_submit():
        try:
            changed = services.update_resident(
                resident=resident, details=form.details(), user_id=current_user.id
            )
        except ValidationError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash("Changes saved." if changed else "Nothing was changed.", "success")
            return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template("residents/edit.html", form=form, resident=resident)


@bp.route("/<int:resident_id>/consents/<kind>/withdraw", methods=["GET", "POST"])
@access(Rule.STAFF)
def withdraw_consent(resident_id: int, kind: str) -> str | Response | tuple[str, int]:
    resident = get_scoped_or_404(Resident, resident_id)
    consent_kind = _consent_kind(kind)
    form = ConsentWithdrawForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.withdraw_consent(
                resident=resident, kind=consent_kind, user_id=current_user.id,
                note=form.note.data,
            )
        except ConflictError as exc:
            db.session.rollback()
            add_form_error(form, "note", exc.message)
            status = 409
        else:
            db.session.commit()
            flash(f"Consent withdrawn: {CONSENT_TITLES[consent_kind].lower()}.", "success")
            return redirect(url_for("residents.detail", resident_id=resident.id))
    elif request.method == "GET" and not resident.has_consent(consent_kind):
        flash("They have not given this consent, so there is nothing to withdraw.", "info")
        return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template(
        "residents/withdraw_consent.html", form=form, resident=resident,
        title=CONSENT_TITLES[consent_kind], wording=CONSENT_WORDING[consent_kind],
    ), status


@bp.route("/<int:resident_id>/consents/<kind>/give", methods=["GET", "POST"])
@access(Rule.STAFF)
def give_consent(resident_id: int, kind: str) -> str | Response | tuple[str, int]:
    resident = get_scoped_or_404(Resident, resident_id)
    consent_kind = _consent_kind(kind)
    form = ConsentGiveForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.give_consent(resident=resident, kind=consent_kind, user_id=current_user.id)
        except ConflictError as exc:
            db.session.rollback()
            add_form_error(form, "agreed", exc.message)
            status = 409
        else:
            db.session.commit()
            flash(f"Consent recorded: {CONSENT_TITLES[consent_kind].lower()}.", "success")
            return redirect(url_for("residents.detail", resident_id=resident.id))
    elif request.method == "GET" and resident.has_consent(consent_kind):
        flash("They have already given this consent.", "info")
        return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template(
        "residents/give_consent.html", form=form, resident=resident,
        title=CONSENT_TITLES[consent_kind], wording=CONSENT_WORDING[consent_kind],
        wording_version=CONSENT_WORDING_VERSION,
    ), status


@bp.route("/<int:resident_id>/assessments/new", methods=["GET", "POST"])
@access(Rule.STAFF)
def add_assessment(resident_id: int) -> str | Response:
    resident = get_scoped_or_404(Resident, resident_id)
    form = AssessmentCreateForm()
    if form.validate_on_submit():
        try:
            assessment = services.add_assessment(
                resident=resident,
                kind=AssessmentKind(form.kind.data),
                answers=form.answers(),
                user_id=current_user.id,
                assessed_on=form.assessed_on.data,
            )
        except ValidationError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"Assessment saved: {assessment.classification.value}.", "success")
            return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template("residents/add_assessment.html", form=form, resident=resident)
