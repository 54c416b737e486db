"""Telephony (SPEC §5): PBX call events, the missed-calls queue, call-center campaigns."""
