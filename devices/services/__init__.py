"""Device bank rules: the bank and stock (bank), lending and returns (loans), reminders."""

from devices.services.bank import *  # noqa: F401,F403
from devices.services.loans import *  # noqa: F401,F403
from devices.services.reminders import *  # noqa: F401,F403
