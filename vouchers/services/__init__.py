"""Voucher rules: schemes, code stock, issuing by SMS, resending, revoking, redemption.

Other packages and the views use these names from `vouchers.services`.
"""

from vouchers.services.after_issue import (
    FOLLOW_UP_AFTER,
    RedemptionResult,
    expire_vouchers,
    follow_ups_due,
    import_redemptions,
    mark_redeemed,
    record_follow_up,
)
from vouchers.services.issuing import (
    RELATED,
    RESEND_GAP,
    RESEND_LIMIT,
    delivery_of,
    issue_voucher,
    on_message_status,
    resend,
    revoke,
    vouchers_for_resident,
)
from vouchers.services.stock import (
    Stock,
    allocate,
    generate_batch,
    import_batch,
    issuable_schemes,
    low_stock_count,
    save_scheme,
    set_threshold,
    stock_for,
    transfer,
)

__all__ = [
    "FOLLOW_UP_AFTER",
    "RELATED",
    "RESEND_GAP",
    "RESEND_LIMIT",
    "RedemptionResult",
    "Stock",
    "allocate",
    "delivery_of",
    "expire_vouchers",
    "follow_ups_due",
    "generate_batch",
    "import_batch",
    "import_redemptions",
    "issuable_schemes",
    "issue_voucher",
    "low_stock_count",
    "mark_redeemed",
    "on_message_status",
    "record_follow_up",
    "resend",
    "revoke",
    "save_scheme",
    "set_threshold",
    "stock_for",
    "transfer",
    "vouchers_for_resident",
]
