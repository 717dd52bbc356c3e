"""Partner pages: organisations and accounts (system admins), a partner's team (partner admins),
invitations (made by admins, accepted by the invitee), and choosing the acting partner."""

from partners.views import accounts, invitations, organisations, team

__all__ = ["accounts", "invitations", "organisations", "team"]
