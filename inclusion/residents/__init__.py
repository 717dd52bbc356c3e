"""Residents: registration, digital engagement assessments, consents."""
