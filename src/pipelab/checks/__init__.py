"""Quality checks (gates): each judges one validated dataset's counts and returns findings.

Chosen by `quality.checks`; each check's thresholds live in `quality.<check>`. A finding
of severity `error` stops the stage that produced the data (a circuit breaker: no
downstream stage runs on data that tripped a gate); `warn` is recorded and reported.
One file per check; a new file here registers a new check.
"""
