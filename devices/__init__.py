"""Device bank, loans and gifts."""

from flask import Blueprint

bp = Blueprint("devices", __name__)

from devices import (  # noqa: E402,F401  (routes attach to bp)
    cli,
    models,  # noqa: E402,F401  (the schema knows the tables)
    views,
)
from devices.views.home import register_home  # noqa: E402

register_home(bp)
cli.register(bp)
