"""Swappable transforms: missing-value strategies and feature groups."""
