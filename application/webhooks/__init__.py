"""Outbound webhooks: subscriptions, the outbox written with the changes, delivery from the worker."""
