"""Checks every request passes before a handler sees it: path keys, content types, origins, JSON depth."""
