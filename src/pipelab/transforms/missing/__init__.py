"""Missing-value strategies for measurements (weather readings, aircraft build year).

Chosen by `clean.missing`; each strategy's own settings live in `clean.<strategy>`.
Every strategy reports how many rows it dropped or values it filled, so nothing is lost
silently. One file per strategy; a new file here registers a new strategy.
"""
