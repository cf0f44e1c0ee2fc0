"""Feature groups: each adds named columns to the modelling table; `features.groups` picks them."""

from pipelab.transforms.features import aircraft, calendar, congestion, route, schedule, weather

__all__ = ["aircraft", "calendar", "congestion", "route", "schedule", "weather"]
