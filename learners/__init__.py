"""Learning offers, referrals and retraining-fund cohorts."""

from flask import Blueprint

bp = Blueprint("learners", __name__)

from learners import (  # noqa: E402,F401  (routes and commands attach to bp)
    cli,
    models,  # noqa: E402,F401  (the schema must know these tables)
    views,
)
