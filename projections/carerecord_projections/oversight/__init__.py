"""Oversight and assurance views over the read models."""
