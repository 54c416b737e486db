"""Mailings (seed 001): scheduled, repeated send requests."""
