"""Data sources: each turns some origin of data into the five raw tables."""
