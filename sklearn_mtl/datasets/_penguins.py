"""The Palmer penguins as a three-task problem (species, island, sex)."""

from __future__ import annotations

FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
TARGETS = ["species", "island", "sex"]


def load_penguins():
    """Load the Palmer penguins: four body measurements, three tasks.

    The data ship with the ``palmerpenguins`` package (no download): 344 penguins of
    the Palmer Archipelago, Antarctica. Two penguins have no measurement at all; they
    are dropped, since no model can use them (this is the only row filter), leaving 342.
    The sex of 9 of those is unknown and stays missing (NaN) in ``Y``: sklearn-mtl
    estimators train the other tasks on them and the metrics ignore the missing label.

    Returns
    -------
    X : DataFrame of shape (342, 4)
        ``bill_length_mm``, ``bill_depth_mm``, ``flipper_length_mm``, ``body_mass_g``
        (float). No missing value.
    Y : DataFrame of shape (342, 3)
        ``species`` (Adelie, Chinstrap, Gentoo), ``island`` (Biscoe, Dream, Torgersen)
        and ``sex`` (female, male; NaN where unknown). Both frames share a fresh
        ``RangeIndex``.

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
    return X, Y
