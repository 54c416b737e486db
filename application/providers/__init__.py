"""Providers: routing with failover and circuit breakers, their configuration, their callbacks."""
