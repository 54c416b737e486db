"""Outbound webhooks over HTTP, signed by the Standard Webhooks scheme."""
