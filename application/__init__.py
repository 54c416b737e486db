"""Use cases, one module per business capability, and the ports they need."""
