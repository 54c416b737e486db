"""The ways in: HTTP API, CLI, worker; and the composition root that wires ports to adapters."""
