"""Vouchers pages."""

from __future__ import annotations

from flask import render_template

from inclusion.access import Rule, access
from vouchers import bp


@bp.route("/")
@access(Rule.STAFF)
def index() -> str:
    return render_template("vouchers/index.html")
