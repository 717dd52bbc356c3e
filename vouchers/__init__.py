"""Connectivity voucher schemes, code stock and issuing by SMS."""

from flask import Blueprint

bp = Blueprint("vouchers", __name__)

from vouchers import cli, demo, models, residents, views  # noqa: E402,F401  (routes attach to bp)

residents.register(bp)
demo.register(bp)
