"""Events about communications: an append-only log written with the changes, and a doorbell."""
