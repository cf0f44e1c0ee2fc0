"""Benchmarks: each script measures pipelab side by side with a reference in one run."""
