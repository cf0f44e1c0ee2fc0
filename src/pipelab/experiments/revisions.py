"""One side of a comparison -- the workspace, a git revision or a DVC experiment -- read through DVC.

Each revision gets its own `dvc.repo.Repo` opened at its commit, so git-tracked files
(metrics, params) and DVC-cached outputs (provenance records, predictions) are exactly
what that revision produced. A `DVCFileSystem` built on an already-open repo ignores
`rev` and silently reads the workspace: the one mistake this module exists to avoid.
An output missing from the local cache is streamed from the default remote, if any.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pipelab.core.errors import PipelabError, YAMLSyntaxError
from pipelab.core.params import load_yaml

if TYPE_CHECKING:
    import pandas as pd

WORKSPACE = "workspace"


class RevisionError(PipelabError):
    """A side names no revision or experiment, or one of its files is not what it should be."""


class UnavailableError(PipelabError):
    """A DVC-tracked output of a side is neither in the cache nor in a reachable remote."""


@dataclass(frozen=True)
class Intent:
    """What a side is: as the user named it, its commit, experiment name and message."""

    label: str
    kind: Literal["workspace", "commit", "experiment"]
    rev: str  # full commit sha; for the workspace, HEAD's
    name: str | None
    message: str

    @property
    def short(self) -> str:
        return self.rev[:7]


class Side:
    """Read-only access to the files of one side, each as that side has it."""

    def __init__(self, intent: Intent, fs: Any, stale: Callable[[], Sequence[str]] = tuple):
        self.intent = intent
        self._fs = fs
        self._stale = stale

    @cached_property
    def stale(self) -> tuple[str, ...]:
        """Of a commit: stages whose dvc.lock records other params, code or metrics (asked on first use only:
        it reads every stage's deps, about 0.4 s, which a sweep reading one metric does not need)."""
        return tuple(self._stale())

    def _bytes(self, path: str) -> bytes:
        from dvc_data.index import DataIndexError

        try:
            with self._fs.open(path, "rb") as fh:
                data: bytes = fh.read()
                return data
        except (OSError, DataIndexError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise UnavailableError(
                f"{self.intent.label}: {path} is not in the DVC cache or remote ({reason}); `dvc fetch` it first"
            ) from None

    def text(self, path: str) -> str | None:
        """The file's text, or None when this side has no such file."""
        if not self._fs.exists(path):
            return None
        try:
            return self._bytes(path).decode("utf-8")
        except UnicodeDecodeError:
            raise RevisionError(f"{self.intent.label}: {path} is not UTF-8 text") from None

    def _parsed(self, path: str, parse: Callable[[str], Any], errors: type[Exception], kind: str) -> Any:
        text = self.text(path)
        if text is None:
            return None
        try:
            return parse(text)
        except errors:
            raise RevisionError(f"{self.intent.label}: {path} is not valid {kind}") from None

    def json(self, path: str) -> Any:
        return self._parsed(path, json.loads, json.JSONDecodeError, "JSON")

    def yaml(self, path: str) -> Any:
        return self._parsed(path, load_yaml, YAMLSyntaxError, "YAML")

    def listdir(self, path: str) -> list[str]:
        """Files directly in a directory (sorted paths), empty when the directory is absent."""
        if not self._fs.isdir(path):
            return []
        return sorted(p for p in self._fs.ls(path, detail=False) if not self._fs.isdir(p))

    def parquet(self, path: str) -> pd.DataFrame:
        """A Parquet file (or a directory of parts) as this side produced it."""
        import pandas as pd

        files = [p for p in self.listdir(path) if p.endswith(".parquet")] if self._fs.isdir(path) else [path]
        frames = [pd.read_parquet(io.BytesIO(self._bytes(p))) for p in files]
        if not frames:
            raise UnavailableError(f"{self.intent.label}: {path} has no Parquet files")
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


# What `dvc status` says of a file that is merely absent here (not checked out, not pulled): the
# workspace's results are still the ones dvc.lock records, read from the cache or remote.
ABSENT = frozenset({"deleted", "not in cache"})
REASONS_SHOWN = 3


def stale_stages(status: Mapping[str, Any], tracked: Callable[[str], bool] = lambda path: False) -> list[str]:
    """Each stage `dvc status` finds changed, with why ("train (params.yaml: model)"); [] when up to date.

    Comparing such a workspace would pair the new params or code with the old results.
    Files that are only absent do not count (a fresh clone before `dvc pull`), unless git
    `tracked` them: a deleted code file is a change of code.
    """
    stale = []
    for stage, entries in status.items():
        reasons: list[str] = []
        for entry in entries:
            if isinstance(entry, str):  # "changed command", "always changed"
                reasons.append(entry)
                continue
            for changes in entry.values():
                for path, state in changes.items():
                    if isinstance(state, Mapping):  # params: section -> state
                        reasons.append(f"{path}: {', '.join(sorted(state))}")
                    elif state not in ABSENT or (state == "deleted" and tracked(path)):
                        reasons.append(f"{path} {state}")
        if reasons:
            more = f", +{len(reasons) - REASONS_SHOWN} more" if len(reasons) > REASONS_SHOWN else ""
            name = stage.rpartition(":")[2]  # DVC addresses it as "../repo/dvc.yaml:train" from elsewhere
            stale.append(f"{name} ({'; '.join(reasons[:REASONS_SHOWN])}{more})")
    return stale


def stale_at(repo: Any) -> list[str]:
    """`stale_stages` of a revision opened by DVC, as `dvc status` would find it checked out (DVC's status of
    a revision needs a lock it cannot write there): each stage's params, code and git-tracked outputs against
    what its dvc.lock records. A commit made after editing params.yaml without `dvc repro` shows here."""
    status = {}
    for stage in repo.index.stages:
        changed: dict[str, Any] = {}
        for entry in (*stage.deps, *stage.outs):
            changed.update(entry.status())
        found: list[Any] = ["changed command"] if stage.changed_stage() else []
        status[stage.name] = [*found, {"changed": changed}] if changed else found
    return stale_stages(status)


def _intent(repo: Any, label: str) -> tuple[Intent, str | None]:
    """The side's intent and the revision to open (None: the workspace)."""
    from dvc.scm import RevError, resolve_rev

    if not label.strip():
        raise RevisionError(f"empty revision {label!r}: name a branch, tag, commit, DVC experiment or `{WORKSPACE}`")
    if label == WORKSPACE:
        stale = stale_stages(repo.status(), lambda path: repo.scm.is_tracked(os.path.join(repo.root_dir, path)))
        if stale:
            raise RevisionError(
                f"{WORKSPACE}: stale results, `dvc status` lists {', '.join(stale)}; "
                "run `dvc repro` (or `dvc exp run`) first, or compare a commit or experiment"
            )
        head = repo.scm.get_rev()
        subject = repo.scm.resolve_commit(head).message.strip().splitlines()[0]
        dirty = " (with uncommitted changes)" if repo.scm.is_dirty(untracked_files=False) else ""
        return Intent(label, "workspace", head, None, f"HEAD: {subject}{dirty}"), None
    try:
        sha = resolve_rev(repo.scm, label)
    except RevError:
        raise _unresolved(repo.scm, label) from None
    name = repo.experiments.get_exact_name([sha]).get(sha) or None
    message = repo.scm.resolve_commit(sha).message.strip()
    return Intent(label, "experiment" if name else "commit", sha, name, message), sha


def _unresolved(scm: Any, label: str) -> RevisionError:
    """Why `label` names no single revision: unknown, or an experiment name on several baselines.

    DVC takes the experiment on HEAD's commit when there is one, and otherwise refuses a name
    that experiments on several commits share (as `pipelab seeds` names its runs on every
    HEAD); its experiment commit or full ref (`refs/exps/...`) still names each one.
    """
    from dvc.repo.experiments.utils import exp_refs_by_names

    refs = sorted(exp_refs_by_names(scm, {label}).get(label, []), key=str)
    if len(refs) < 2:
        return RevisionError(
            f"unknown revision or experiment {label!r}: not a branch, tag, commit or DVC experiment name here"
        )
    commits = [scm.get_ref(str(ref))[:7] for ref in refs]
    candidates = ", ".join(f"{c} (baseline {r.baseline_sha[:7]}, {r})" for c, r in zip(commits, refs, strict=True))
    return RevisionError(
        f"ambiguous experiment name {label!r}: {len(refs)} experiments have it, on baselines other than HEAD: "
        f"{candidates}; name one by its commit or full ref instead, e.g. {commits[0]}"
    )


@contextmanager
def open_sides(root: Path, labels: Sequence[str]) -> Iterator[list[Side]]:
    """Open every side of `root` named in `labels`; all repositories are closed on exit."""
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    with ExitStack() as stack:
        try:
            repo = stack.enter_context(Repo(str(root)))
        except NotDvcRepoError:
            raise RevisionError(f"{root}: not a DVC repository (run inside the pipelab checkout)") from None
        sides = []
        for label in labels:
            intent, rev = _intent(repo, label)
            if rev is None:  # the workspace: refused above when stale
                sides.append(Side(intent, repo.dvcfs))
                continue
            try:
                at_rev = stack.enter_context(Repo(str(root), rev=rev))
            except NotDvcRepoError:  # a commit from before `dvc init`, or of unrelated history
                raise RevisionError(
                    f"{label} (commit {intent.short}): no DVC project there (no .dvc/); "
                    "compare a commit that has the pipeline and its results"
                ) from None
            sides.append(Side(intent, at_rev.dvcfs, partial(stale_at, at_rev)))
        yield sides
