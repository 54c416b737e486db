"""Telegram Bot API adapter: sendMessage for the Messenger channel."""
