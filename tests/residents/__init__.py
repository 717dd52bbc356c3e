"""Tests of the residents package."""
