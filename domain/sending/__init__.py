"""Sending: the decision per client and channel, and the time windows of a department's rules."""
