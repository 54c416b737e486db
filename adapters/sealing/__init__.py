"""Secrets at rest, sealed with ``cryptography``'s Fernet (AES-128-CBC with HMAC-SHA256)."""
