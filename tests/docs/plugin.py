"""Docs harness pytest plugin (filled in below)."""
