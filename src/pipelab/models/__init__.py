"""Models: each builds an unfitted scikit-learn estimator from its validated config."""

from pipelab.models import baseline, hgb, logistic

__all__ = ["baseline", "hgb", "logistic"]
