"""Feature groups: each adds named columns to the modelling table; `features.groups` picks them."""
