"""Device pages: the bank and stock, loans and gifts, agreements and settings."""

from devices.views import agreements, bank, loans  # noqa: F401  (routes attach to bp)
