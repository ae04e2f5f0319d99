"""The docs' code, as written."""
