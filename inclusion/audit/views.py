"""The audit log: partner admins see their partner's entries, system admins everyone's."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from inclusion.access import Rule, access
from inclusion.audit.models import AuditEntry
from inclusion.extensions import db

bp = Blueprint("audit", __name__)


@bp.route("/")
@access(Rule.PARTNER_ADMIN, Rule.ADMIN)
def log() -> str:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    size = 50
    query = select(AuditEntry)
    acting = g.get("partner")
    # System admins see everyone's entries; one who also acts for a partner can narrow to it.
    everyone = current_user.is_system_admin and (
        acting is None or request.args.get("scope") != "partner"
    )
    if not everyone:
        query = query.where(AuditEntry.partner_id == acting.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = db.session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return render_template(
        "audit/log.html", entries=entries, page=page, pages=max(1, -(-total // size)),
        everyone=everyone,
    )
