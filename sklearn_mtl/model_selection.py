"""Cross-validation splitters that read structured labels, missing ones included.

Why a splitter of our own: given an integer ``cv``, scikit-learn's ``GridSearchCV``,
``cross_validate`` and ``cross_val_score`` call ``check_cv(cv, Y, classifier=True)``,
which calls ``type_of_target(Y)`` on the raw labels before any estimator code runs. On a
``Y`` with missing labels that raises (``TypeError: '<' not supported between instances
of 'float' and 'str'`` for string labels, ``ValueError: Input y contains NaN.`` for
numeric ones). Any splitter object skips that call; this one also keeps every task's
class balance in every fold.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.model_selection._split import _BaseKFold
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import _num_samples

from ._encoder import EncodedLabels, StructuredLabelEncoder


class MultiTaskStratifiedKFold(_BaseKFold):
    """K-fold cross-validation stratified over every task's labels, missing-aware.

    Iterative stratification (Sechidis, Tsoumakas and Vlahavas, 2011): the label with the
    fewest samples still to place is handled first, and each of its samples goes to the
    fold that most lacks that label (ties: the fold that most lacks samples, then the
    first fold, or a random one with ``shuffle=True``). Each class of a binary or
    multiclass task and each label of a multilabel task counts as one label. A missing
    or gated-off label counts for nothing, so its sample still goes to a fold (by the
    labels it has) and never raises. Regression tasks are ignored.

    ``Y`` is read by :class:`~sklearn_mtl.StructuredLabelEncoder` (any form an
    estimator takes: a DataFrame with NaN, an array, a multi-hot matrix, label sets),
    so that ``GridSearchCV(model, grid, cv=MultiTaskStratifiedKFold(5))`` and
    ``cross_validate(model, X, Y, cv=MultiTaskStratifiedKFold(5))`` work where
    ``cv=5`` fails inside scikit-learn.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Whether to shuffle the samples before placing them, and break ties at random.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling when ``shuffle=True``; must be None otherwise, as in
        :class:`~sklearn.model_selection.KFold`.
    tasks : list of Task, default=None
        The tasks, passed to the encoder that reads ``Y`` (e.g. to tell gated-off
        labels from missing ones); ``None`` infers them from ``Y``.

    See Also
    --------
    sklearn.model_selection.StratifiedKFold : one single-label ``y``.
    sklearn.model_selection.KFold : no stratification.

    Notes
    -----
    The ``iterative-stratification`` package implements the same algorithm for 0/1
    indicator matrices without missing values; this implementation is separate.

    References
    ----------
    K. Sechidis, G. Tsoumakas and I. Vlahavas, "On the stratification of multi-label
    data", ECML PKDD 2011, pp. 145-158.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mtl.model_selection import MultiTaskStratifiedKFold
    >>> Y = pd.DataFrame({"color": ["red", "blue"] * 4 + [None, None],
    ...                   "size": ["S", "M", "L", "S", "M", "L", "S", "M", "L", "S"]})
    >>> cv = MultiTaskStratifiedKFold(n_splits=2)
    >>> for train, test in cv.split(np.zeros((10, 1)), Y):
    ...     print(sorted(Y.loc[test, "color"].dropna()), sorted(Y.loc[test, "size"]))
    ['blue', 'blue', 'red', 'red'] ['L', 'L', 'M', 'M', 'S', 'S']
    ['blue', 'blue', 'red', 'red'] ['L', 'M', 'S', 'S']
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None, tasks=None):
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)
        self.tasks = tasks

    def split(self, X, y, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (only its length is used).
        y : DataFrame, array-like, multi-hot matrix, list of sets or EncodedLabels
            The structured labels, in any form the estimators take.
        groups : object
            Ignored (with a warning when given, as scikit-learn's splitters that take
            no groups do); it exists for compatibility.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        if y is None:
            raise ValueError(
                "MultiTaskStratifiedKFold.split needs the labels Y to stratify on; got y=None."
            )
        if groups is not None:
            warnings.warn(
                f"The groups parameter is ignored by {type(self).__name__}", UserWarning
            )
        labels = label_indicators(y, tasks=self.tasks)
        if len(labels) != _num_samples(X):
            raise ValueError(
                f"X has {_num_samples(X)} samples, but Y has {len(labels)}; expected one row "
                "of labels per sample."
            )
        return super().split(X, labels, groups)

    def _iter_test_masks(self, X, y, groups=None):
        rng = check_random_state(self.random_state) if self.shuffle else None
        folds = iterative_stratification(y, self.n_splits, rng)
        for k in range(self.n_splits):
            yield folds == k


def label_indicators(Y, *, tasks=None):
    """A boolean (n_samples, n_labels) matrix: one column per class of each binary or
    multiclass task and per label of each multilabel task; False where missing.

    Parameters
    ----------
    Y : DataFrame, array-like, multi-hot matrix, list of sets or EncodedLabels
        Structured labels.
    tasks : list of Task, default=None
        The tasks (``None``: inferred from ``Y``).

    Returns
    -------
    indicators : ndarray of shape (n_samples, n_labels), dtype=bool
    """
    if isinstance(Y, EncodedLabels):
        encoded = Y
    else:
        encoded = StructuredLabelEncoder(tasks=tasks).fit_transform(Y)
    columns = [np.zeros((encoded.n_samples, 0), dtype=bool)]
    for j, task in enumerate(encoded.schema):
        if task.kind == "multilabel":
            columns.append(encoded.multilabel[task.name] == 1)
        elif task.kind != "regression":
            codes = encoded.codes[:, j]
            columns.append(codes[:, None] == np.arange(len(task.classes))[None, :])
    return np.hstack(columns)


@validate_params(
    {
        "labels": ["array-like"],
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def iterative_stratification(labels, n_splits, random_state=None):
    """Assign each sample to a fold by iterative stratification (Sechidis et al. 2011).

    Parameters
    ----------
    labels : array-like of shape (n_samples, n_labels)
        0/1 (or boolean) label indicators; a sample may have any number of labels,
        none included.
    n_splits : int
        Number of folds.
    random_state : int, RandomState instance or None, default=None
        ``None``: no shuffling, ties go to the first fold. Otherwise the samples are
        shuffled and ties broken at random with this seed.

    Returns
    -------
    folds : ndarray of shape (n_samples,)
        The fold (0 .. n_splits - 1) of each sample.
    """
    L = np.asarray(labels).astype(bool)
    n = L.shape[0]
    rng = None if random_state is None else check_random_state(random_state)
    order = np.arange(n) if rng is None else rng.permutation(n)
    L = L[order]
    desired_fold = np.full(n_splits, n / n_splits)
    remaining = L.sum(axis=0).astype(float)
    desired_label = np.outer(np.full(n_splits, 1.0 / n_splits), remaining)
    folds = np.full(n, -1)
    placed = np.zeros(n, dtype=bool)

    def best_fold(candidates):
        if len(candidates) > 1:
            need = desired_fold[candidates]
            candidates = candidates[need == need.max()]
        return candidates[0] if rng is None else candidates[rng.randint(len(candidates))]

    def place(i, fold):
        folds[i] = fold
        placed[i] = True
        desired_fold[fold] -= 1
        desired_label[fold, L[i]] -= 1
        remaining[L[i]] -= 1

    while (remaining > 0).any():
        counts = np.where(remaining > 0, remaining, np.inf)
        rarest = np.flatnonzero(counts == counts.min())
        label = rarest[0] if rng is None else rarest[rng.randint(len(rarest))]
        for i in np.flatnonzero(L[:, label] & ~placed):
            need = desired_label[:, label]
            place(i, best_fold(np.flatnonzero(need == need.max())))
    for i in np.flatnonzero(~placed):  # samples without any label
        place(i, best_fold(np.arange(n_splits)))
    out = np.empty(n, dtype=np.int64)
    out[order] = folds
    return out


__all__ = ["MultiTaskStratifiedKFold", "iterative_stratification", "label_indicators"]
