"""Benchmarks: data generators, load generator, and the measurements behind bench/RESULTS.md."""
