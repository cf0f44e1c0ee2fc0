"""One pull-request comment with the comparison, updated in place on every push.

The comment starts with a hidden marker: the newest comment carrying it is edited
(PATCH); without one, a comment is created (POST). Plain urllib against the REST API,
so CI needs nothing beyond the project's own environment.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

from pipelab.core.errors import PipelabError

MARKER = "<!-- pipelab-compare -->"
MAX_BODY = 65_000  # GitHub refuses comments over 65,536 characters
TRUNCATED = "\n\n… report truncated; the whole report is in the workflow run's artifacts.\n"
PAGE = 100
# Where a target needs no file beside the report: a scheme (https:, data:, mailto:), `//host`, or an anchor.
ABSOLUTE = re.compile(r"[a-z][a-z0-9+.-]*:|//|#", re.IGNORECASE)
# A link destination, <in brackets> or bare (one level of parentheses), then an optional title.
_TARGET = (
    r"(?:<(?P<{0}angled>[^>\n]*)>|(?P<{0}bare>(?:[^\s()<>]|\([^\s()<>]*\))+))"
    r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?"
)
DEFINITION = re.compile(r"^ {0,3}\[(?P<label>[^\[\]]+)\]:[ \t]*" + _TARGET.format("") + r"[ \t]*(?:\n|$)", re.MULTILINE)
LINK = re.compile(
    r"(?P<code>(?P<ticks>`+)[^\n]*?(?<!`)(?P=ticks)(?!`))"  # a code span, left as it is
    r"|(?<!\\)!?\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"  # link text may hold one [...] level
    r"(?:\(" + _TARGET.format("inline_") + r"\)|\[(?P<label>[^\[\]]*)\])?"  # (target "title"), [label], [] or none
)


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


def _label(text: str) -> str:
    return " ".join(text.split()).casefold()


def _target(m: re.Match[str], prefix: str = "") -> str | None:
    angled = m[f"{prefix}angled"]
    return angled if angled is not None else m[f"{prefix}bare"]


def _beside(target: str | None) -> bool:
    """Whether a link target is a file beside the report (not a URL, an anchor or nothing)."""
    return bool(target) and ABSOLUTE.match(str(target)) is None


def artifact_links(report: str, url: str) -> str:
    """The report with each relative link or image as its text and file name, pointing to the run's artifacts.

    A comment resolves relative links against github.com (and shows no image from an
    artifact), so the plots `pipelab compare` links beside the report would be broken links:
    each becomes its text plus "in the run's artifacts: FILE" (a link to `url`, when given).
    Absolute URLs (https:, data:, ...) and anchors stay; inline and reference-style links are
    both handled, code spans are not touched. Raw HTML is not looked at: the report has none.
    """
    definitions: dict[str, str] = {}

    def definition(m: re.Match[str]) -> str:
        target = definitions.setdefault(_label(m["label"]), _target(m) or "")  # the first one counts
        return "" if _beside(target) else m[0]

    def rewrite(text: str, where: str) -> str:
        def link(m: re.Match[str]) -> str:
            if m["code"] is not None:
                return m[0]
            inner = rewrite(m["text"], "in the run's artifacts")  # an image in a link's text: no link in a link
            inline = _target(m, "inline_")
            target = inline if inline is not None else definitions.get(_label(m["label"] or m["text"]))
            if not _beside(target):
                return m[0][: m.start("text") - m.start()] + inner + m[0][m.end("text") - m.start() :]
            return f"{inner} ({where}: `{target}`)" if inner else f"{where}: `{target}`"

        return LINK.sub(link, text)

    return rewrite(
        DEFINITION.sub(definition, report), f"in the [run's artifacts]({url})" if url else "in the run's artifacts"
    )


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
