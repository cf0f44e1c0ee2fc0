"""Errors meant for people: each carries one line that says what, where and what to do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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


class YAMLSyntaxError(ValueError):
    """YAML that DVC's reader refuses (`pipelab.core.params.load_yaml`): the problem and its line, for `file_errors`."""

    def __init__(self, problem: str, line: int | None) -> None:
        super().__init__(problem)
        self.problem, self.line = problem, line


def _os_reason(err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "not found"
    if isinstance(err, IsADirectoryError):
        return "is a directory, not a file"
    reason = err.strerror or str(err)
    return reason[:1].lower() + reason[1:]


@contextmanager
def file_errors(path: Path | str, error: type[PipelabError] = DataError) -> Iterator[None]:
    """Turn a failure to read, decode, parse or write `path` into one line that names it.

    The one place for these: OSError, UnicodeDecodeError and JSON or YAML syntax errors carry
    no file name (or a traceback's worth of context), and the user needs which file and why.
    """
    try:
        yield
    except OSError as err:
        raise error(f"{path}: {_os_reason(err)}") from None
    except UnicodeDecodeError as err:
        raise error(f"{path}: not UTF-8 text (byte {err.start}); re-save the file as UTF-8") from None
    except json.JSONDecodeError as err:
        raise error(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    except YAMLSyntaxError as err:
        where = f" (line {err.line})" if err.line is not None else ""
        raise error(f"{path}: not valid YAML{where}: {err.problem}") from None
