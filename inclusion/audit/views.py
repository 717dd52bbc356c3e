"""The audit log: partner admins see their partner's entries, system admins everyone's."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from inclusion.access import Rule, access
from inclusion.audit.models import AuditEntry
from inclusion.pagination import keyset_page

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50


@bp.route("/")
@access(Rule.PARTNER_ADMIN, Rule.ADMIN)
def log() -> str:
    # Who and which partner, loaded with the page rather than once per entry.
    query = select(AuditEntry).options(selectinload(AuditEntry.user),
                                       selectinload(AuditEntry.partner))
    acting = g.get("partner")
    # System admins see everyone's entries; one who also acts for a partner can narrow to it.
    everyone = current_user.is_system_admin and (
        acting is None or request.args.get("scope") != "partner"
    )
    if not everyone:
        query = query.where(AuditEntry.partner_id == acting.id)
    # Newest first, paged by (time, id): at millions of entries an offset, or a count of
    # them all, would cost more than the page itself.
    page = keyset_page(query, (AuditEntry.at, AuditEntry.id), descending=True, size=PAGE_SIZE)
    return render_template("audit/log.html", page=page, entries=page.items, everyone=everyone)
