"""Column preprocessing shared by the scikit-learn models."""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler


def scaled_one_hot(numeric: list[str], categorical: list[str], min_frequency: int) -> ColumnTransformer:
    """Median-impute (with missing indicators) and scale numbers; one-hot categories."""
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True), StandardScaler()
                ),
                numeric,
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(
                        handle_unknown="infrequent_if_exist", min_frequency=min_frequency, sparse_output=False
                    ),
                ),
                categorical,
            ),
        ],
        verbose_feature_names_out=False,
    )


MAX_CATEGORIES = 255  # histogram gradient boosting bins a category per code, at most 255 of them


def ordinal_categories(numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """Pass numbers through (NaN kept for the model); categories to ordinal codes, unknown as NaN.

    A column of more than MAX_CATEGORIES categories (destinations of a national data set) keeps
    its 254 most frequent and codes the rest as one "infrequent" category.
    """
    return ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                    max_categories=MAX_CATEGORIES,
                ),
                categorical,
            ),
            ("numeric", "passthrough", numeric),
        ],
        verbose_feature_names_out=False,
    )
