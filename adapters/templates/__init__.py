"""Templates: Jinja2 in its sandbox, where an undefined variable is an error."""
