"""The YAML component and dg."""
