"""experiments/github.py and `pipelab pr-comment`, against a fake GitHub API on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from typer.testing import CliRunner

from pipelab.cli import app
from pipelab.experiments.compare import build_report
from pipelab.experiments.gates import Gates
from pipelab.experiments.github import MARKER, MAX_BODY, GitHubError, artifact_links, comment_body, upsert_comment
from pipelab.experiments.render import markdown
from pipelab.experiments.revisions import Intent
from pipelab.experiments.snapshot import Snapshot

REPO = Path(__file__).resolve().parents[2]
PR = 7


class FakeGitHub(ThreadingHTTPServer):
    """Issue comments of one pull request, kept in memory; every request is recorded."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.comments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, str]] = []  # method, path, Authorization
        self.fail_with: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def _answer(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        self.server.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
        if self.server.fail_with:
            self._answer(self.server.fail_with, {"message": "nope"})
            return
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else {}
        comments = self.server.comments
        if self.command == "GET" and url.path == f"/repos/o/r/issues/{PR}/comments":
            query = parse_qs(url.query)
            page, size = int(query["page"][0]), int(query["per_page"][0])
            self._answer(200, comments[(page - 1) * size : page * size])
        elif self.command == "POST" and url.path == f"/repos/o/r/issues/{PR}/comments":
            comments.append({"id": 1000 + len(comments), "body": body["body"], "user": {"type": "Bot"}})
            self._answer(201, comments[-1])
        elif self.command == "PATCH" and url.path.startswith("/repos/o/r/issues/comments/"):
            target = next(c for c in comments if c["id"] == int(url.path.rsplit("/", 1)[1]))
            target["body"] = body["body"]
            self._answer(200, target)
        else:
            self._answer(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_first_report_is_posted_and_later_ones_edit_it_in_place(github: FakeGitHub) -> None:
    github.comments += [{"id": 1, "body": "looks good", "user": {"type": "User"}}]
    assert upsert_comment(github.url, "o/r", PR, "t0k", "# first") == ("created", 1001)
    assert upsert_comment(github.url, "o/r", PR, "t0k", "# second") == ("updated", 1001)
    assert [c["body"] for c in github.comments] == ["looks good", f"{MARKER}\n# second"]
    assert [r[0] for r in github.requests] == ["GET", "POST", "GET", "PATCH"]
    assert all(r[2] == "Bearer t0k" for r in github.requests)


def test_the_marked_comment_is_found_beyond_the_first_page(github: FakeGitHub) -> None:
    github.comments += [{"id": n, "body": f"chat {n}", "user": {"type": "User"}} for n in range(150)]
    github.comments[120]["body"] = f"{MARKER}\nold report"
    assert upsert_comment(github.url, "o/r", PR, "t", "# new") == ("updated", 120)
    assert [r[1] for r in github.requests][:2] == [
        f"/repos/o/r/issues/{PR}/comments?per_page=100&page=1",
        f"/repos/o/r/issues/{PR}/comments?per_page=100&page=2",
    ]


def test_an_api_error_is_one_line_with_the_status(github: FakeGitHub) -> None:
    github.fail_with = 403
    with pytest.raises(GitHubError) as err:
        upsert_comment(github.url, "o/r", PR, "t", "# report")
    assert str(err.value) == (
        f"GitHub API: GET {github.url}/repos/o/r/issues/{PR}/comments?per_page=100&page=1: 403 Forbidden"
    )


def test_a_report_over_githubs_limit_is_cut_with_a_pointer_to_the_artifacts() -> None:
    body = comment_body("x" * (MAX_BODY * 2))
    assert len(body) <= MAX_BODY
    assert body.startswith(MARKER)
    assert body.endswith("the whole report is in the workflow run's artifacts.\n")


# --- relative links: the files beside the report are in the run's artifacts, not on GitHub ------------

RUN = "https://github.com/o/r/actions/runs/9"
AT_RUN = f"in the [run's artifacts]({RUN})"


@pytest.mark.parametrize(
    ("url", "where"), [(RUN, AT_RUN), ("", "in the run's artifacts")], ids=["with --link", "without"]
)
def test_the_plots_of_the_report_become_their_names_and_file_names_each_once(url: str, where: str) -> None:
    intent = Intent("main", "commit", "a" * 40, None, "main")
    side = Snapshot(intent=intent, params={}, scores={})
    report = dataclasses.replace(build_report(side, side, Gates(), "g"), plots=["roc.svg", "roc.png"])
    plots = markdown(report).partition("## Plots")[2]
    assert artifact_links(plots, url) == f"\n\nroc ({where}: `roc.svg`) · PNG ({where}: `roc.png`)\n"


def test_reference_style_links_are_rewritten_and_their_relative_definitions_dropped() -> None:
    report = (
        "Full ![ROC curve][roc], collapsed [PR][], shortcut [Calib], web [docs][home].\n"
        "\n"
        '[roc]: plots/roc.svg "ROC"\n'
        "[pr]: <plots/p r.png>\n"
        "  [calib]: plots/calibration.svg\n"
        "[home]: https://example.org/docs\n"
    )
    assert artifact_links(report, RUN) == (
        f"Full ROC curve ({AT_RUN}: `plots/roc.svg`), collapsed PR ({AT_RUN}: `plots/p r.png`), "
        f"shortcut Calib ({AT_RUN}: `plots/calibration.svg`), web [docs][home].\n"
        "\n"
        "[home]: https://example.org/docs\n"
    )


def test_links_in_a_table_keep_the_row_a_row() -> None:
    table = '| plot | file |\n|---|---|\n| ROC | ![roc](roc.svg) |\n| notes | [why](notes/why.md "title") |\n'
    assert artifact_links(table, "") == (
        "| plot | file |\n|---|---|\n"
        "| ROC | roc (in the run's artifacts: `roc.svg`) |\n"
        "| notes | why (in the run's artifacts: `notes/why.md`) |\n"
    )


def test_absolute_urls_anchors_code_and_plain_text_are_left_as_they_are() -> None:
    kept = (
        "# pipelab compare: `main` → `exp`\n\n"
        "See [the docs](https://example.org/a_(b)), [http](http://example.org), [host](//cdn.example.org/x.png),\n"
        "![dot](data:image/png;base64,iVBORw0KGgo=), [mail](mailto:a@example.org), [top](#plots),\n"
        "`![not a link](roc.svg)`, ``[x](y.md)``, \\[escaped](roc.svg), [brackets] and [empty]().\n\n"
        "| metric | `main` | `exp` | change |\n|---|---|---|---|\n| roc_auc | 0.7 | 0.6 | -0.1 (-14.3%) |\n\n"
        "    pipelab seeds -S 'features.groups=[calendar,schedule]'\n"
    )
    assert artifact_links(kept, RUN) == kept


def test_an_image_inside_a_link_loses_its_relative_source_and_no_link_nests_in_another() -> None:
    assert artifact_links("[![roc](roc.png)](https://example.org)", RUN) == (
        "[roc (in the run's artifacts: `roc.png`)](https://example.org)"
    )
    assert artifact_links("[![roc](roc.png)](roc.svg)", RUN) == (
        f"roc (in the run's artifacts: `roc.png`) ({AT_RUN}: `roc.svg`)"
    )


def test_pr_comment_command_reads_the_report_and_the_environment(github: FakeGitHub, tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    report.write_text("# pipelab compare\n\n![roc](roc.svg)\n", encoding="utf-8")
    env = {"GITHUB_TOKEN": "secret", "GITHUB_REPOSITORY": "o/r", "PR_NUMBER": str(PR), "GITHUB_API_URL": github.url}
    runner = CliRunner(env=env)
    result = runner.invoke(app, ["pr-comment", str(report), "--link", "https://ci.example/run/1"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"created comment 1000 on o/r#{PR}\n"
    assert github.comments[0]["body"] == (
        f"{MARKER}\n# pipelab compare\n\nroc (in the [run's artifacts](https://ci.example/run/1): `roc.svg`)\n"
        "\nPlots and `report.json`: [workflow run](https://ci.example/run/1)\n"
    )
    no_token = CliRunner(env={**env, "GITHUB_TOKEN": ""}).invoke(app, ["pr-comment", str(report)])
    assert no_token.exit_code == 2
    assert no_token.stderr == "error: GITHUB_TOKEN is not set\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api", "notaurl"], "--api 'notaurl': expected an http(s) URL such as https://api.github.com"),
        (["--number", "0"], "--number 0: a pull request number is 1 or more"),
        (["--repository", "ab"], "--repository 'ab': expected owner/name"),
    ],
)
def test_pr_comment_refuses_bad_options_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    report = tmp_path / "report.md"
    report.write_text("# pipelab compare\n", encoding="utf-8")
    env = {"GITHUB_TOKEN": "secret", "GITHUB_REPOSITORY": "o/r", "PR_NUMBER": "7"}
    result = CliRunner(env=env).invoke(app, ["pr-comment", str(report), *args])
    assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")


# --- the workflow runs the same entry point as the local test --------------------------------------


def test_the_workflow_runs_make_pr_report_and_pastes_nothing_into_shell() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/pull-request.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["compare"]["steps"]
    scripts = [step["run"] for step in steps if "run" in step]
    assert scripts, "no run steps"
    for script in scripts:
        assert "${{" not in script, f"workflow value pasted into shell: {script}"
    assert any('make pr-report BASE="$BASE"' in script for script in scripts)
    assert any("pipelab pr-comment compare/report.md" in script for script in scripts)
    comment = next(step for step in steps if "pipelab pr-comment" in step.get("run", ""))
    assert comment["continue-on-error"] == "${{ github.event.pull_request.head.repo.fork }}"  # read-only token
    checkout = next(step for step in steps if str(step.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "pr-report: $(STAMP)" in makefile
    assert 'bash .github/scripts/pr-report.sh "$(BASE)"' in makefile


def test_a_workflow_runs_the_readme_test_command_on_every_push_and_pull_request() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/test.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers
    steps = workflow["jobs"]["test"]["steps"]
    assert [step["run"] for step in steps if "run" in step] == ["bash .ci/run"]
    checkout = next(step for step in steps if str(step.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] >= 2  # make contracts diffs against HEAD~1
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
