"""Errors meant for people: each carries one line that says what, where and what to do."""


class PipelabError(Exception):
    """A user-facing error: printed as one line, exit code 2, no traceback."""

    exit_code = 2


class ParamsError(PipelabError):
    """params.yaml has a missing, unknown, mistyped or out-of-range value."""


class DataError(PipelabError):
    """An input file is missing, unreadable or structurally broken."""


class ContractError(DataError):
    """Data broke its contract in a way that cannot be quarantined row by row."""


class QualityGateError(DataError):
    """A validated dataset tripped a quality gate (`quality.*` in params.yaml)."""


class RegistryError(PipelabError):
    """A module name is unknown or claimed twice."""
