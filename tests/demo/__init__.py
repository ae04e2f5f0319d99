"""The demo code location, in the CLI and the UI."""
