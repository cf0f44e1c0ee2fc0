"""Data sources: each turns some origin of data into the five raw tables."""

from pipelab.sources import files, nycflights13

__all__ = ["files", "nycflights13"]
