"""Implementations of the application's ports, one subpackage per outside system."""
