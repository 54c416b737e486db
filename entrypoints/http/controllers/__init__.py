"""Thin controllers: decode a Struct, call a use case, encode the answer."""
