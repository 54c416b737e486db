"""Telephony use cases (SPEC §5): PBX events and subscriptions, missed calls, click-to-call, campaigns."""
