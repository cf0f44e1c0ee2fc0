"""Versioned data contracts: a name, a semantic version and a pandera schema per dataset."""

from pipelab.contracts.base import Contract
from pipelab.contracts.validation import ValidationResult, validate_table

__all__ = ["Contract", "ValidationResult", "validate_table"]
