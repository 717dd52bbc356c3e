"""Learning offers, referrals and retraining-fund cohorts."""

from flask import Blueprint

bp = Blueprint("learners", __name__)

from inclusion import demo_region  # noqa: E402
from learners import (  # noqa: E402,F401  (routes, commands and registrations attach to bp)
    cli,
    demo,
    models,  # noqa: E402,F401  (the schema must know these tables)
    privacy,
    region,
    timeline,
    views,
)

demo_region.register(bp, setup=region.setup, residents=region.residents, order=30)
