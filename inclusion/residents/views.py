"""Resident pages: search, register, view, edit, consents and assessments."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from inclusion.access import Rule, access
from inclusion.extensions import db
from inclusion.residents import services

bp = Blueprint("residents", __name__)


@bp.route("/")
@access(Rule.STAFF)
def search() -> str:
    query = (request.args.get("q") or "").strip()[:100]
    results = db.session.scalars(services.search_query(query).limit(50)).all() if query else []
    return render_template("residents/search.html", query=query, results=results)
