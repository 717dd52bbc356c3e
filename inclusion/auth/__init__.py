"""Accounts, passwords, sign-in and server-side sessions."""
