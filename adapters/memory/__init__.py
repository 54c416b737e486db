"""In-memory storage: the one fake of every storage port, for tests and quick local runs."""
