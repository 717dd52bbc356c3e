"""Home pages by role, partner switching and the health check."""

from inclusion.main.views import bp

__all__ = ["bp"]
