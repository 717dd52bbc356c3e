"""Outcome pages: the dashboard, its PDF report and open-data download, and targets.

Coalition leads (and system admins) see coalition-wide figures; partner staff and admins see
the same pages for their own partner only. Every figure is disclosure-controlled.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion import audit
from inclusion.access import Rule, access
from inclusion.exceptions import ValidationError
from inclusion.extensions import db
from inclusion.forms import add_form_error
from inclusion.outcomes import dashboard, query, rollup, targets
from inclusion.outcomes.forms import TargetForm
from inclusion.outcomes.measures import MEASURE_BY_KEY, MEASURES
from inclusion.outcomes.models import Target
from inclusion.reference import AUTHORITY_CHOICES

bp = Blueprint("outcomes", __name__)


def _own_partner_id() -> int | None:
    """None for coalition-wide viewers; the acting partner's id for partner staff."""
    if current_user.is_coalition_lead or current_user.is_system_admin:
        return None
    return g.partner.id


def _selection() -> dashboard.Selection:
    return dashboard.parse_selection(request.args, today=date.today(),
                                     own_partner_id=_own_partner_id())


def _partner_choices() -> list[tuple[str, str]]:
    if _own_partner_id() is not None:
        return []
    return [(str(i), name) for i, name in sorted(query.partner_names().items(),
                                                  key=lambda p: p[1])]


@bp.route("/")
@access(Rule.LEAD, Rule.ADMIN, Rule.STAFF)
def dashboard_page() -> str:
    _catch_up()
    selection = _selection()
    board = None if selection.errors else dashboard.build_dashboard(selection,
                                                                    today=date.today())
    return render_template(
        "outcomes/dashboard_page.html",
        selection=selection,
        board=board,
        errors=selection.errors,
        period_choices=dashboard.period_choices(date.today()),
        authority_options=[(a.code, a.name) for a in AUTHORITY_CHOICES],
        partners=_partner_choices(),
        dimension_options=[(d.key, d.label) for d in query.DIMENSIONS],
        measure_options=[(m.key, m.label) for m in MEASURES],
        measures=MEASURES,
        measure=MEASURE_BY_KEY[selection.measure],
        partner_view=_own_partner_id() is not None,
        period_label=dashboard.period_label(selection.filters),
        query_string=request.query_string.decode("ascii", "replace"),
    )


def _catch_up() -> None:
    """Keep counting fast when the roll-up has fallen far behind (no cron job yet)."""
    if rollup.catch_up(db.session, current_app.config["OUTCOMES_ROLLUP_CATCH_UP"]):
        db.session.commit()


def _partner_name(partner_id: int | None) -> str | None:
    if partner_id is None:
        return None
    return query.partner_names().get(partner_id)


@bp.route("/report.pdf")
@access(Rule.LEAD, Rule.ADMIN, Rule.STAFF)
def report() -> Response | tuple[str, int]:
    from inclusion.outcomes import report as pdf

    selection = _selection()
    if selection.errors:
        return _bad_filters(selection)
    _catch_up()
    built = pdf.build_report(selection, today=date.today(),
                             partner_name=_partner_name(selection.filters.partner_id))
    body = pdf.render_pdf(built)
    audit.record("impact report downloaded", partner_id=selection.filters.partner_id)
    db.session.commit()
    name = f"impact-report-{selection.filters.start}-to-{selection.filters.end}.pdf"
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/open-data.zip")
@access(Rule.LEAD, Rule.ADMIN, Rule.STAFF)
def open_data() -> Response | tuple[str, int]:
    from inclusion.outcomes import opendata

    selection = _selection()
    if selection.errors:
        return _bad_filters(selection)
    body = opendata.zip_bytes(selection)
    audit.record("open data downloaded", partner_id=selection.filters.partner_id)
    db.session.commit()
    name = f"outcomes-{selection.filters.start}-to-{selection.filters.end}.zip"
    return Response(body, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _bad_filters(selection: dashboard.Selection) -> tuple[str, int]:
    return render_template("outcomes/bad_filters.html", errors=selection.errors), 400


@bp.route("/targets")
@access(Rule.ADMIN, Rule.LEAD)
def list_targets() -> str:
    return render_template("outcomes/list_targets.html", targets=targets.all_targets(),
                           measures=MEASURE_BY_KEY, area_name=targets.area_name)


def _save(form: TargetForm, target: Target | None) -> Target:
    value = form.value.data
    note = form.note.data or None
    if value is None:
        if form.measure.data != "moved_out_of_non_use" or not form.adult_population.data:
            raise ValidationError("Enter the target", field="value")
        years = form.years.data or 5
        value = targets.non_use_target_per_year(adult_population=form.adult_population.data,
                                                years=years)
        note = note or (f"22% to 15% of {form.adult_population.data:,} adults over "
                        f"{years} years")
    fields = dict(measure=form.measure.data, area=form.area.data,
                  period_start=form.period_start.data, period_end=form.period_end.data,
                  value=value, baseline=form.baseline.data, note=note)
    if target is None:
        return targets.create_target(**fields)
    return targets.update_target(target=target, **fields)


@bp.route("/targets/new", methods=["GET", "POST"])
@access(Rule.ADMIN)
def new_target() -> str | Response:
    form = TargetForm()
    if form.validate_on_submit():
        try:
            target = _save(form, None)
        except ValidationError as exc:
            add_form_error(form, exc.field, exc.message)
        else:
            audit.record("target set", entity_type="target", entity_id=target.id,
                         fields=["measure", "area", "period", "value", "baseline"])
            db.session.commit()
            flash("Target saved.", "success")
            return redirect(url_for("outcomes.list_targets"))
    return render_template("outcomes/target_form.html", form=form, target=None)


def _target_or_404(target_id: int) -> Target:
    return db.get_or_404(Target, target_id)


@bp.route("/targets/<int:target_id>/edit", methods=["GET", "POST"])
@access(Rule.ADMIN)
def edit_target(target_id: int) -> str | Response:
    target = _target_or_404(target_id)
    form = TargetForm(obj=target)
    if form.validate_on_submit():
        try:
            _save(form, target)
        except ValidationError as exc:
            add_form_error(form, exc.field, exc.message)
        else:
            audit.record("target changed", entity_type="target", entity_id=target.id,
                         fields=["measure", "area", "period", "value", "baseline"])
            db.session.commit()
            flash("Target saved.", "success")
            return redirect(url_for("outcomes.list_targets"))
    return render_template("outcomes/target_form.html", form=form, target=target)


@bp.route("/targets/<int:target_id>/delete", methods=["POST"])
@access(Rule.ADMIN)
def delete_target(target_id: int) -> Response:
    from flask_wtf import FlaskForm

    target = _target_or_404(target_id)
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("outcomes.list_targets"))
    targets.delete_target(target=target)
    audit.record("target removed", entity_type="target", entity_id=target_id)
    db.session.commit()
    flash("Target removed.", "success")
    return redirect(url_for("outcomes.list_targets"))
