"""Models: each builds an unfitted scikit-learn estimator from its validated config."""
