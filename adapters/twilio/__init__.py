"""Twilio: SMS and WhatsApp messages, status callbacks and inbound replies."""
