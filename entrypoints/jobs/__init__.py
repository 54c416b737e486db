"""Background jobs: each a class with ``run(stop_event)`` that never lets an error end it."""
