"""Learners rules: offers, referrals and the retraining fund (one module each)."""
