"""Fixtures shared by the unit tests of several modules."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelab.core import registry
from pipelab.experiments import runs


@pytest.fixture
def fake_dvc(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path, str], None]:
    """Have runs.dvc run SOURCE for dvc: written to `root/fake_dvc.py`, run as `python -m fake_dvc` in `root`,
    as `python -m dvc` is run there."""

    def use(root: Path, source: str) -> None:
        (root / "fake_dvc.py").write_text(source, encoding="utf-8")
        monkeypatch.setattr(runs, "DVC", "fake_dvc")
        monkeypatch.setenv("PYTHONPATH", str(root), prepend=os.pathsep)

    return use


@pytest.fixture
def send() -> Iterator[Callable[..., None]]:
    """Send SIGNALS to this process alone (as the terminal's Ctrl-C reaches pipelab): the first once `root/ready`
    exists, each other once a fake dvc has logged a SIGINT to `root/sigints`. Dispositions start at their defaults."""

    def signal_when_ready(root: Path, *signals: signal.Signals) -> None:
        def wait_then_signal() -> None:
            for path, sig in zip([root / "ready", *[root / "sigints"] * (len(signals) - 1)], signals, strict=True):
                deadline = time.monotonic() + 30
                while not path.exists() and time.monotonic() < deadline:
                    time.sleep(0.05)
                os.kill(os.getpid(), sig)

        threading.Thread(target=wait_then_signal, daemon=True).start()

    previous = {sig: signal.getsignal(sig) for sig in runs.STOP_SIGNALS}  # test runners may ignore SIGINT
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    yield signal_when_ready
    for sig, handler in previous.items():
        signal.signal(sig, handler)


@pytest.fixture
def private_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real modules loaded once, then a copy of the registry each test may change (register, unload)."""
    for kind in registry.kinds():
        registry.names(kind)
    monkeypatch.setattr(registry, "_REGISTRY", {kind: dict(found) for kind, found in registry._REGISTRY.items()})
    monkeypatch.setattr(registry, "_LOADED", set(registry._LOADED))
    monkeypatch.setattr(registry, "_LOAD_ERRORS", {})
    monkeypatch.delenv(registry.STRICT_ENV, raising=False)
    monkeypatch.delenv(registry.DISABLED_ENV, raising=False)
