"""Learning offers, referrals and retraining-fund cohorts."""

from flask import Blueprint

bp = Blueprint("learners", __name__)

from learners import views  # noqa: E402,F401  (routes attach to bp)
