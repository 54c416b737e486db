"""Use cases of decisions and statistics: evidence from the counters, recommendations."""
