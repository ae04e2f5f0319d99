"""No secret in anything we write."""
