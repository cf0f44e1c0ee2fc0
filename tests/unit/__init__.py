"""Unit tests: pure functions of src/pipelab on tiny in-memory tables."""
