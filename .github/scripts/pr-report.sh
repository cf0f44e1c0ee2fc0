#!/usr/bin/env bash
# The pull-request check, one entry point for CI (.github/workflows/pull-request.yml runs
# `make pr-report`) and for people and tests (this script, with the venv on PATH):
#
#   1. pull cached outputs when a DVC remote is configured (DVC_REMOTE_URL, if set, is the
#      default remote for this run only), so unchanged stages are not recomputed;
#   2. reproduce the pipeline on the checked-out head (`dvc repro`, what `make run` does);
#   3. compare what the head produces (the workspace) with BASE: report in $OUT/report.md.
#
# Usage: pr-report.sh [BASE]   (BASE defaults to $BASE, else origin/main; OUT to compare)
# Exit code: the pipeline's when it fails, else pipelab compare's (0 pass, 1 a gate failed,
# 2 bad input such as an unknown BASE).
set -euo pipefail
if [[ -x .venv/bin/dvc ]]; then PATH="$PWD/.venv/bin:$PATH"; fi  # run directly, without make or an activated venv
base="${1:-${BASE:-origin/main}}"
out="${OUT:-compare}"

if [[ -n "${DVC_REMOTE_URL:-}" ]]; then
  # Only for this run: put .dvc/config.local back afterwards, so a person's later
  # `make push` / `make pull` do not silently go to the CI remote.
  local_config=.dvc/config.local
  saved="$(mktemp)"
  if [[ -f "$local_config" ]]; then cp "$local_config" "$saved"; else rm -f "$saved"; fi
  restore_config() { if [[ -f "$saved" ]]; then mv "$saved" "$local_config"; else rm -f "$local_config"; fi; }
  trap restore_config EXIT
  dvc remote add --local --force --default ci "$DVC_REMOTE_URL"
fi
if remote="$(dvc remote default 2>/dev/null)" && [[ -n "$remote" ]]; then
  url="$(dvc config "remote.$remote.url" 2>/dev/null || true)"
  if [[ -n "$url" && "$url" != *://* && "$url" != /* ]]; then url=".dvc/$url"; fi  # relative to .dvc/config
  if [[ -n "$url" && "$url" != *://* && ! -d "$url" ]]; then
    # the default local remote on a machine that never pushed (a CI runner): DVC would warn once per file
    echo "pr-report: DVC remote '$remote' ($url) does not exist on this machine; outputs are rebuilt" >&2
  else
    echo "pr-report: pulling cached outputs from DVC remote '$remote'" >&2
    dvc pull --allow-missing || echo "pr-report: warning: dvc pull from '$remote' failed; outputs are rebuilt" >&2
  fi
fi
dvc repro
status=0
pipelab compare "$base" workspace --output "$out" || status=$?
exit "$status"
