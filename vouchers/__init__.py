"""Connectivity voucher schemes, code stock and issuing by SMS."""

from flask import Blueprint

bp = Blueprint("vouchers", __name__)

from inclusion import demo_region  # noqa: E402
from vouchers import (  # noqa: E402,F401  (routes attach to bp)
    cli,
    demo,
    models,
    region,
    residents,
    views,
)

demo_region.register(bp, setup=region.setup, residents=region.residents, order=20)
residents.register(bp)
demo.register(bp)
