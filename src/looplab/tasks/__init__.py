"""Tasks: the protocol every task follows, the registry, and the built-in tasks."""
