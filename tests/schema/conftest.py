"""Markers of tests/schema/: every module here runs on the package's own dependencies."""
