"""Privacy pages: erase a resident, answer a subject access request, set retention periods."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import Response as FlaskResponse
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion.access import Rule, access
from inclusion.exceptions import ConflictError, DomainError
from inclusion.extensions import db
from inclusion.forms import add_form_error
from inclusion.privacy import export, retention, services
from inclusion.privacy import models as _models  # noqa: F401 - the tables belong to the schema
from inclusion.privacy.dates import response_due
from inclusion.privacy.forms import AccessRequestForm, ErasureForm, retention_form
from inclusion.privacy.models import Erasure, ErasureReason, SubjectAccessRequest
from inclusion.residents.models import Resident
from inclusion.tenancy import get_scoped_or_404
from inclusion.web import LONDON

bp = Blueprint("privacy", __name__)


def _today() -> date:
    from inclusion.extensions import utcnow

    return utcnow().astimezone(LONDON).date()


@bp.route("/residents/<int:resident_id>")
@access(Rule.PARTNER_ADMIN)
def resident(resident_id: int) -> str:
    person = get_scoped_or_404(Resident, resident_id)
    requests = db.session.scalars(
        db.select(SubjectAccessRequest)
        .where(SubjectAccessRequest.resident_id == person.id)
        .order_by(SubjectAccessRequest.received_on.desc(), SubjectAccessRequest.id.desc())
    ).all()
    return render_template("privacy/resident.html", resident=person,
                           erasure=services.erasure_of(person.id), requests=requests)


@bp.route("/residents/<int:resident_id>/erase", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN)
def erase(resident_id: int) -> str | Response | tuple[str, int]:
    person = get_scoped_or_404(Resident, resident_id)
    done = services.erasure_of(person.id)
    if done is not None:
        return redirect(url_for("privacy.erasure", erasure_id=done.id))
    form = ErasureForm()
    if form.validate_on_submit():
        try:
            erasure = services.erase_resident(
                resident=person, reason=ErasureReason(form.reason.data), by=current_user.id
            )
        except ConflictError as exc:
            db.session.rollback()
            add_form_error(form, None, exc.message)
            return render_template("privacy/erase.html", resident=person, form=form), 409
        db.session.commit()
        flash("The resident's personal data has been erased.", "success")
        return redirect(url_for("privacy.erasure", erasure_id=erasure.id))
    return render_template("privacy/erase.html", resident=person, form=form)


@bp.route("/erasures/<int:erasure_id>")
@access(Rule.PARTNER_ADMIN)
def erasure(erasure_id: int) -> str:
    record = get_scoped_or_404(Erasure, erasure_id)
    return render_template("privacy/erasure.html", erasure=record,
                           partners=services.partners_to_tell(record))


@bp.route("/residents/<int:resident_id>/subject-access", methods=["GET", "POST"])
@access(Rule.PARTNER_ADMIN)
def subject_access(resident_id: int) -> str | Response | tuple[str, int]:
    person = get_scoped_or_404(Resident, resident_id)
    erasure = services.erasure_of(person.id)
    form = AccessRequestForm()
    if request.method == "GET":
        form.received_on.data = _today()
    if erasure is None and form.validate_on_submit():
        try:
            received_on = form.received_on.data
            assert received_on is not None  # InputRequired
            sar = services.record_access_request(
                resident=person, received_on=received_on, today=_today(),
                by=current_user.id,
            )
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"Request recorded. The answer is due by {sar.due_on.day} "
                  f"{sar.due_on:%B %Y}.", "success")
            return redirect(url_for("privacy.access_request", request_id=sar.id))
    return render_template("privacy/subject_access.html", resident=person, form=form,
                           erasure=erasure, due_if_today=response_due(_today()))


@bp.route("/requests/<int:request_id>")
@access(Rule.PARTNER_ADMIN)
def access_request(request_id: int) -> str:
    sar = get_scoped_or_404(SubjectAccessRequest, request_id)
    person = db.session.get(Resident, sar.resident_id)
    return render_template("privacy/access_request.html", sar=sar, resident=person,
                           erasure=services.erasure_of(sar.resident_id))


def _export(request_id: int, file_format: str) -> Response:
    sar = get_scoped_or_404(SubjectAccessRequest, request_id)
    if services.erasure_of(sar.resident_id) is not None:
        flash("This resident's data has been erased; there is nothing to export.", "important")
        return redirect(url_for("privacy.access_request", request_id=sar.id))
    person = db.session.get(Resident, sar.resident_id)
    assert person is not None
    data = services.build_export(resident=person)
    context = {
        "request_received_on": sar.received_on.isoformat(),
        "response_due_on": sar.due_on.isoformat(),
    }
    if file_format == "pdf":
        body = export.render_pdf(export=data, context={"sar": sar, "resident": person,
                                                       "generated_on": _today()})
        mimetype = "application/pdf"
    else:
        body = export.render_json(export=data, context=context)
        mimetype = "application/json"
    services.record_export(request=sar, file_format=file_format, by=current_user.id)
    db.session.commit()
    filename = f"subject-access-{sar.resident_id}-{sar.received_on.isoformat()}.{file_format}"
    return FlaskResponse(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


@bp.route("/requests/<int:request_id>/export.pdf")
@access(Rule.PARTNER_ADMIN)
def export_pdf(request_id: int) -> Response:
    return _export(request_id, "pdf")


@bp.route("/requests/<int:request_id>/export.json")
@access(Rule.PARTNER_ADMIN)
def export_json(request_id: int) -> Response:
    return _export(request_id, "json")


@bp.route("/retention", methods=["GET", "POST"])
@access(Rule.ADMIN)
def retention_periods() -> str | Response:
    types = retention.record_types()
    current = retention.load_periods()
    form = retention_form(types, current,
                          formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            changed = retention.set_periods(values=form.periods(), by_id=current_user.id)
        except DomainError as exc:
            db.session.rollback()
            add_form_error(form, exc.field, exc.message)
        else:
            db.session.commit()
            flash(f"Retention periods saved ({len(changed)} changed).", "success")
            return redirect(url_for("privacy.retention_periods"))
    return render_template("privacy/retention_periods.html", form=form, record_types=types,
                           slug=lambda key: key.replace(" ", "_"))
