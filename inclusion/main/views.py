"""Home pages by role, partner switching and the health check."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import text
from werkzeug.wrappers import Response

from inclusion import __version__, audit
from inclusion.access import Rule, access
from inclusion.extensions import db
from inclusion.main import panels

bp = Blueprint("main", __name__)


@bp.route("/")
@access(Rule.SIGNED_IN)
def home() -> str | Response:
    if g.get("partner") is not None:
        return render_template(
            "main/home.html",
            actions=panels.actions(),
            open_work=panels.panels_for(g.partner.id),
            switch_form=FlaskForm(),
        )
    if current_user.is_coalition_lead:
        # A coalition lead's home is the outcomes dashboard: counts only, never a person.
        return redirect(url_for("outcomes.dashboard_page"))
    if current_user.is_system_admin:
        return redirect(url_for("partners.list_partners"))
    return render_template("main/no_role.html")


@bp.route("/partner/<int:partner_id>/act", methods=["POST"])
@access(Rule.SIGNED_IN)
def switch_partner(partner_id: int) -> Response:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    partner = next((p for p in current_user.partners if p.id == partner_id), None)
    if partner is None:
        abort(404)
    session["partner_id"] = partner.id
    audit.record("switched partner", partner_id=partner.id)
    db.session.commit()
    flash(f"You are now acting for {partner.name}.", "success")
    return redirect(url_for("main.home"))


@bp.route("/healthz")
@access(Rule.PUBLIC)
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
        database = True
    except Exception:  # noqa: BLE001 - any failure means the database does not answer
        db.session.rollback()
        database = False
    body = {"status": "ok" if database else "degraded", "version": __version__,
            "database": database}
    return jsonify(body), 200 if database else 503


@bp.route("/accessibility")
@access(Rule.PUBLIC)
def accessibility() -> str:
    return render_template("main/accessibility.html")


@bp.route("/privacy")
@access(Rule.PUBLIC)
def privacy() -> str:
    return render_template("main/privacy.html")
