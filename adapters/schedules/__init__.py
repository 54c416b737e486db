"""Schedules: cron expressions read with croniter."""
