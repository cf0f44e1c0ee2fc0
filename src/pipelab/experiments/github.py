"""One pull-request comment with the comparison, updated in place on every push.

The comment starts with a hidden marker: the newest comment carrying it is edited
(PATCH); without one, a comment is created (POST). Plain urllib against the REST API,
so CI needs nothing beyond the project's own environment.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from pipelab.errors import PipelabError

MARKER = "<!-- pipelab-compare -->"
MAX_BODY = 65_000  # GitHub refuses comments over 65,536 characters
TRUNCATED = "\n\n… report truncated; the whole report is in the workflow run's artifacts.\n"
PAGE = 100


class GitHubError(PipelabError):
    """The GitHub API refused or could not be reached."""


def _call(method: str, url: str, token: str, payload: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        url,
        method=method,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        raise GitHubError(f"GitHub API: {method} {url}: {err.code} {err.reason}") from None
    except (urllib.error.URLError, TimeoutError) as err:
        raise GitHubError(f"GitHub API: {method} {url}: {getattr(err, 'reason', err)}") from None


def comment_body(report: str) -> str:
    """The marker, then the report, cut to GitHub's size limit."""
    body = f"{MARKER}\n{report}"
    return body if len(body) <= MAX_BODY else body[: MAX_BODY - len(TRUNCATED)] + TRUNCATED


def upsert_comment(api: str, repository: str, number: int, token: str, report: str) -> tuple[str, int]:
    """Edit the pull request's marked comment, or create it; returns ("updated" | "created", comment id)."""
    base = f"{api.rstrip('/')}/repos/{repository}"
    marked: list[dict[str, Any]] = []
    page = 1
    while True:
        comments = _call("GET", f"{base}/issues/{number}/comments?per_page={PAGE}&page={page}", token)
        if not isinstance(comments, list):
            raise GitHubError(f"GitHub API: unexpected answer listing comments of {repository}#{number}")
        marked += [c for c in comments if MARKER in str(c.get("body", ""))]
        if len(comments) < PAGE:
            break
        page += 1
    body = {"body": comment_body(report)}
    if marked:
        comment = _call("PATCH", f"{base}/issues/comments/{marked[-1]['id']}", token, body)
        return "updated", int(comment["id"])
    comment = _call("POST", f"{base}/issues/{number}/comments", token, body)
    return "created", int(comment["id"])
