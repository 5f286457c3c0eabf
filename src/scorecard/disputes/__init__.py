"""Disputes (申诉): partners contest single records of a month's assessment (docs/disputes.md)."""
