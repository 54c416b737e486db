"""Asterisk: click-to-call through the REST Interface (ARI)."""
