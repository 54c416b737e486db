"""The sandbox provider: the embedded default that keeps every message and simulates delivery."""
