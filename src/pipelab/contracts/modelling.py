"""Contracts of the modelling tables: the features table and the test predictions."""

from __future__ import annotations

from pipelab.contracts.model import Column, Contract, Rule

BINARY = Rule(name="late_binary", rule="one_of", args={"values": [0, 1]})
IDS = (
    Column(name="row_id", dtype="int64", description="the flight's row_id"),
    Column(name="month", dtype="int64", description="partition key"),
    Column(name="sched_date", dtype="datetime64[us]", description="local date of the scheduled departure"),
)
ROUTE = (
    Column(name="carrier", dtype="str"),
    Column(name="origin", dtype="str"),
    Column(name="dest", dtype="str"),
)

FEATURES = Contract(
    name="features",
    version="1.0.0",
    description="One row per modelled flight: ids, the feature columns of the groups switched on, target `late`.",
    columns=(
        *IDS,
        Column(name="sched_dep_utc", dtype="datetime64[us, UTC]", nullable=True),
        *ROUTE,
        Column(name="sched_dep_hour", dtype="int64", description="local hour of the scheduled departure"),
        Column(
            name=r"^[a-z][a-z0-9_]*__[a-z0-9_]+$",
            dtype=("float64", "str"),
            nullable=True,
            pattern=True,
            description="<group>__<feature>: numbers (NaN = unknown) or categories",
            rules=(Rule(name="feature_finite", rule="finite", description="no infinities"),),
        ),
        Column(name="late", dtype="int8", rules=(BINARY,), description="arrived more than target.late_minutes late"),
    ),
    keys=("row_id",),
)

PREDICTIONS = Contract(
    name="predictions",
    version="1.0.0",
    description="The model's probability of a late arrival for each test flight, and the outcome.",
    columns=(
        *IDS,
        *ROUTE,
        Column(name="late", dtype="int8", rules=(BINARY,)),
        Column(
            name="p_late",
            dtype="float64",
            rules=(Rule(name="p_late_probability", rule="in_range", args={"min": 0.0, "max": 1.0}),),
        ),
        Column(
            name="predicted_late",
            dtype="int8",
            rules=(Rule(name="predicted_binary", rule="one_of", args={"values": [0, 1]}),),
            description="p_late >= evaluate.threshold",
        ),
    ),
    keys=("row_id",),
)
