"""Switchboard's business core: entities, value objects, state machines and policies.

Imports only the standard library (see ARCHITECTURE.md, the dependency rule).
"""
