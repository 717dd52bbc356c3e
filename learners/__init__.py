"""Learning offers, referrals and retraining-fund cohorts."""

from flask import Blueprint

bp = Blueprint("learners", __name__)

from learners import (  # noqa: E402,F401  (routes, commands and registrations attach to bp)
    cli,
    demo,
    models,  # noqa: E402,F401  (the schema must know these tables)
    privacy,
    timeline,
    views,
)
