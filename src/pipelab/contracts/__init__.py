"""Versioned data contracts: a named, semantically versioned schema per dataset, checked at every boundary.

`model` says what a contract is, `raw`/`clean`/`modelling` define them, `versions` keeps
every version, `validation` quarantines failing rows, `migrations` reads old data,
`structure` checks columns and types wherever data is read or written.
"""

from pipelab.contracts.migrations import adapt, migration
from pipelab.contracts.model import Column, Contract, ForeignKey, Rule
from pipelab.contracts.quality import Coverage, DatasetQuality, Finding
from pipelab.contracts.structure import conform
from pipelab.contracts.validation import ValidationResult, validate_table
from pipelab.contracts.versions import CONTRACTS, VALIDATED, get, history, latest, names

__all__ = [
    "CONTRACTS",
    "VALIDATED",
    "Column",
    "Contract",
    "Coverage",
    "DatasetQuality",
    "Finding",
    "ForeignKey",
    "Rule",
    "ValidationResult",
    "adapt",
    "conform",
    "get",
    "history",
    "latest",
    "migration",
    "names",
    "validate_table",
]
