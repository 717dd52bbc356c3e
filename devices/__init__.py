"""Device bank, loans and gifts.

Who owns a device: a partner (`partner_id`), or the coalition's central device bank
(`partner_id` is NULL). System admins act for the central bank: signed in with no partner to act
for, the device pages show the bank's stock, batches and imports, and "allocate" sends ready
devices to partners. Partners lend and give from their own stock only.
"""

from flask import Blueprint

bp = Blueprint("devices", __name__)

from devices import (  # noqa: E402,F401  (routes attach to bp)
    cli,
    models,  # noqa: E402,F401  (the schema knows the tables)
    region,  # noqa: E402
    residents,
    views,
)
from devices.views.home import register_home  # noqa: E402
from inclusion import demo_region  # noqa: E402

register_home(bp)
cli.register(bp)
residents.register(bp)
demo_region.register(bp, setup=region.setup, residents=region.residents, order=10)
