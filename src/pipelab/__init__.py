"""pipelab: a versioned, modular analytics pipeline on DVC."""

__version__ = "0.1.0"
