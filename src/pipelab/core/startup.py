"""Imported first by every stage script, before pandas and the rest load (about 0.5 s): a Ctrl-C in that
time, before `run_stage` handles stops, ends the stage with its one error line instead of a traceback.

Standard library only, and nothing but the hook: Python still ends the process by SIGINT, as a shell expects
of an interrupted command. With `--verbose` (or PIPELAB_DEBUG=1) the traceback is printed as usual.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType

_default_hook = sys.excepthook


def _interrupted_while_starting(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    verbose = os.environ.get("PIPELAB_DEBUG") == "1" or bool({"-v", "--verbose"} & set(sys.argv[1:]))
    if not issubclass(kind, KeyboardInterrupt) or verbose:
        _default_hook(kind, value, traceback)
        return
    print(f"error: {Path(sys.argv[0]).stem}: interrupted while starting; outputs left as they were", file=sys.stderr)


sys.excepthook = _interrupted_while_starting
