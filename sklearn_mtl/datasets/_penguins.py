"""The Palmer penguins as a three-task problem (species, island, sex)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
TARGETS = ["species", "island", "sex"]

DESCR = """Palmer penguins, as three classification tasks
----------------------------------------------

344 penguins of the Palmer Archipelago (Antarctica), from the palmerpenguins package;
the 2 without any measurement are dropped, leaving 342.

Features: bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g (float, no
missing value).
Tasks: species (Adelie, Chinstrap, Gentoo), island (Biscoe, Dream, Torgersen) and sex
(female, male; missing for 9 penguins).

Horst AM, Hill AP, Gorman KB (2020). palmerpenguins: Palmer Archipelago (Antarctica)
penguin data. R package version 0.1.0. https://allisonhorst.github.io/palmerpenguins/
"""


@validate_params({"return_X_y": ["boolean"], "as_frame": ["boolean"]},
                 prefer_skip_nested_validation=True)
def load_penguins(*, return_X_y=True, as_frame=True):
    """Load the Palmer penguins: four body measurements, three tasks.

    The data ship with the ``palmerpenguins`` package (no download): 344 penguins of
    the Palmer Archipelago, Antarctica. Two penguins have no measurement at all; they
    are dropped, since no model can use them (this is the only row filter), leaving 342.
    The sex of 9 of those is unknown and stays missing (NaN) in ``Y``: sklearn-mtl
    estimators train the other tasks on them and the metrics ignore the missing label.

    Parameters
    ----------
    return_X_y : bool, default=True
        Return the pair ``(X, Y)``. With ``False``, a :class:`~sklearn.utils.Bunch` as
        scikit-learn's loaders return (their default: here the pair, which the guide's
        examples unpack).
    as_frame : bool, default=True
        Return pandas DataFrames, as scikit-learn's loaders do with ``as_frame=True``
        (their default: ``False``; the guide's examples use the columns' names). With
        ``False``, ``X`` and ``Y`` are NumPy arrays (``Y`` of dtype object, NaN where
        the sex is unknown) and the Bunch's ``frame`` is None, as scikit-learn's.

    Returns
    -------
    X : DataFrame (ndarray with ``as_frame=False``) of shape (342, 4)
        ``bill_length_mm``, ``bill_depth_mm``, ``flipper_length_mm``, ``body_mass_g``
        (float). No missing value.
    Y : DataFrame (ndarray with ``as_frame=False``) of shape (342, 3)
        ``species`` (Adelie, Chinstrap, Gentoo), ``island`` (Biscoe, Dream, Torgersen)
        and ``sex`` (female, male; NaN where unknown). Both frames share a fresh
        ``RangeIndex``.
    data : :class:`~sklearn.utils.Bunch`
        Only with ``return_X_y=False``: ``data`` (``X``), ``target`` (``Y``), ``frame``
        (both side by side, features first; None with ``as_frame=False``),
        ``feature_names``, ``target_names`` (the tasks) and ``DESCR``. Each call reads
        the data afresh: nothing is shared with an earlier call's frames.

    References
    ----------
    Horst AM, Hill AP, Gorman KB (2020). palmerpenguins: Palmer Archipelago (Antarctica)
    penguin data. R package version 0.1.0. https://allisonhorst.github.io/palmerpenguins/

    Examples
    --------
    >>> from sklearn_mtl.datasets import load_penguins
    >>> X, Y = load_penguins()
    >>> X.shape, Y.shape
    ((342, 4), (342, 3))
    >>> int(Y["sex"].isna().sum())
    9
    """
    from palmerpenguins import load_penguins as _load

    data = _load()
    keep = data[FEATURES].notna().any(axis=1)
    data = data.loc[keep].reset_index(drop=True)
    if data[FEATURES].isna().any().any():  # pragma: no cover - guards a future data release
        raise ValueError(
            "The penguins data have a row with some measurements missing and others not; "
            "load_penguins expects rows with all four or none."
        )
    X = data[FEATURES].astype(float)
    Y = data[TARGETS].copy()
    frame = pd.concat([X, Y], axis=1) if as_frame else None
    if not as_frame:
        X, Y = X.to_numpy(), Y.to_numpy(dtype=object, na_value=np.nan)
    if return_X_y:
        return X, Y
    return Bunch(
        data=X, target=Y, frame=frame, feature_names=list(FEATURES),
        target_names=list(TARGETS), DESCR=DESCR,
    )
