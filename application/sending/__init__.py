"""Sending: the send request, dispatch through providers, delivery statuses and mailings."""
