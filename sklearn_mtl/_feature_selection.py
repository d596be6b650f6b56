"""Feature selection for several tasks: the columns that help some task on held-out rows."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import check_same_length
from ._encoder import StructuredLabelEncoder
from ._frames import is_polars, to_pandas
from ._schema import Schema, Task
from ._validation import check_groups, check_row_order

#: Probabilities below this count as this in the held-out log loss: a forest's 0 would
#: make one wrong row outweigh every other.
_PROBABILITY_FLOOR = 0.01

#: The two probe models, in the order of ``score_names_``.
PROBES = ("forest", "linear")


class TaskFeatureSelector(SelectorMixin, BaseEstimator):
    """Keep the columns of ``X`` that help predict some task on rows held out of training.

    Each task (each label of a multilabel task) is predicted by two probe models,
    cross-fitted on shuffled folds (of whole groups, with ``fit``'s ``groups``): a random
    forest, which finds thresholds and interactions, and a linear model on the scaled
    columns (a logistic regression; a ridge regression for a regression task), which finds
    weak columns that count together. On the rows each fold holds out, one column at a time
    is permuted and each row's loss (log loss; squared error for a regression task) is
    compared with its loss on the columns as they are: the permutation importance of Breiman
    (2001), measured on data the probe never trained on. A column is kept where, for some
    task and probe, the permutation raises the mean held-out loss by more than ``threshold``
    standard errors of that mean. A column that helps no task on held-out rows is dropped:
    noise, an identifier in a shuffled table, a constant, and, with ``groups``, a subject's
    identifier, which recalls a subject's labels only where the subject's other rows were in
    training.

    The default threshold leans towards keeping a column, since dropping one that a
    task needs costs more than keeping one of noise: every task and probe is a chance
    for a column of pure noise to pass (with three or four tasks, three of twenty
    noise columns passed on the benchmark's tables; with three tasks and 496 columns of
    noise next to 4 useful ones, 52 passed). Raise ``threshold`` to drop more.

    Missing and gated-off labels are left out task by task, as every estimator of this
    package leaves them out; a sample keeps its other labels. A task (a label) with fewer
    than two labelled rows a fold, or a single class, is not scored, with a warning that
    names it. A DataFrame keeps its columns' names and dtypes (strings, categories,
    dates), so that a :class:`~sklearn_mtl.MultiTaskClassifier` after it in a
    ``Pipeline`` reads the columns as the user has them. The probes read the columns through
    :class:`~sklearn_mtl.neural.TabularPreprocessor` (gaps, strings and dates included).

    Permuting one column at a time finds a column that counts only together with
    another (the permutation breaks the pair). But where two columns hold the same
    information, permuting one of them costs the probes little, and both may score low
    and be dropped though what they hold is useful. Put it in front of an estimator and
    compare the two on your own folds (:func:`~sklearn_mtl.compare`): a network can lose
    more to columns that carry nothing than a tree does (see "A baseline beats the
    network on my table" in the FAQ).

    Parameters
    ----------
    tasks : list of Task or Schema, default=None
        The tasks, as :class:`~sklearn_mtl.StructuredLabelEncoder` takes them (gates,
        declared classes); ``None`` infers them from ``y``.
    cv : int, default=3
        Number of shuffled folds of the probes.
    threshold : float, default=2.0
        How many standard errors of the mean held-out loss increase a column must pass
        for some task and probe to be kept.
    n_estimators : int, default=50
        Trees of the forest probe.
    max_samples : int or None, default=2000
        The screen reads at most this many rows, drawn at random (``None``: every row).
    random_state : int, RandomState instance or None, default=None
        Seeds the row sample, the folds, the forests and the permutations.

    Attributes
    ----------
    support_ : ndarray of bool of shape (n_features_in_,)
        The kept columns.
    z_scores_ : ndarray of shape (n_features_in_, n_scores)
        Each column's mean held-out loss increase divided by its standard error, per
        task (per label) and probe (NaN where a probe could not be fitted).
    score_names_ : list of str
        The columns of ``z_scores_``: ``"<task> (forest)"``, ``"<task> (linear)"``
        (``"<task>[<label>] (...)"`` for a multilabel task's labels).
    schema_ : Schema
        The tasks.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.feature_selection.SelectFromModel : selection by a fitted model's in-sample
        importances, one output.
    sklearn.inspection.permutation_importance : the importance measured here.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_mtl import TaskFeatureSelector
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "noise1", "noise2"])
    >>> Y = pd.DataFrame({"first": X["a"] > 0, "second": np.abs(X["b"]) > 1})
    >>> selector = TaskFeatureSelector(random_state=0).fit(X, Y)
    >>> selector.transform(X).columns.tolist()
    ['a', 'b', 'noise2']
    >>> np.nanmax(selector.z_scores_, axis=1).round(1).tolist()
    [16.3, 14.0, 1.4, 2.5]

    One column of noise passed the default threshold here, by chance: each task and
    probe is a chance for it. A higher threshold drops it:

    >>> TaskFeatureSelector(threshold=3, random_state=0).fit(X, Y).get_feature_names_out()
    array(['a', 'b'], dtype=object)
    """

    _parameter_constraints = {
        "tasks": [list, tuple, Task, Schema, None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "threshold": [Interval(Real, 0, None, closed="left")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [Interval(Integral, 2, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, tasks=None, *, cv=3, threshold=2.0, n_estimators=50, max_samples=2000,
                 random_state=None):
        self.tasks = tasks
        self.cv = cv
        self.threshold = threshold
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None):
        """Score every column on held-out rows and keep those that help some task.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The features; NaN marks a gap. A DataFrame may hold strings, categories,
            booleans and dates, and pandas sparse columns (read as dense ones). A
            ``scipy.sparse`` matrix is refused with a ``TypeError``.
        y : structured labels
            Any form :class:`~sklearn_mtl.StructuredLabelEncoder` reads.
        groups : array-like of shape (n_samples,), default=None
            Each sample's group (a patient, a store), as :class:`~sklearn.feature_selection.RFECV`
            takes it: the probes' folds are then a shuffled ``GroupKFold``, and a column is
            scored on groups the probe never saw. Without it a subject's other rows are
            in the probe's training rows, and the subject's identifier helps on the
            held-out rows (the probe recalls the subject) where it will not help on a
            new subject. A target whose labelled rows span fewer than ``cv`` groups is
            not scored (with a warning).

        Returns
        -------
        self : TaskFeatureSelector
        """
        from .neural._preprocessing import TabularPreprocessor, _as_frame

        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if sp.issparse(X):
            raise TypeError(
                f"{type(self).__name__} reads a dense table, and X is a sparse matrix: it "
                "permutes one column at a time, a probe's prediction per column and fold, "
                "too many for the columns of a TF-IDF or one-hot matrix. Select sparse "
                "features with scikit-learn's SelectKBest or SelectFromModel, or pass "
                "X.toarray() where the columns are few."
            )
        check_row_order(X, y)
        frame = _as_frame(X)
        validate_data(self, frame, reset=True, skip_check_array=True)
        encoder = StructuredLabelEncoder(tasks=self.tasks)
        encoded = encoder.fit_transform(y)
        self.schema_ = encoder.schema_
        check_same_length(frame, encoded)
        if groups is not None:
            groups = check_groups(groups, len(frame))
            n_groups = len(np.unique(groups))
            if n_groups < self.cv:
                raise ValueError(
                    f"groups has {n_groups} distinct value(s), fewer than cv={self.cv}: "
                    "each fold of the probes holds out whole groups."
                )
        rng = check_random_state(self.random_state)
        rows = np.arange(len(frame))
        if self.max_samples is not None and len(rows) > self.max_samples:
            rows = np.sort(rng.choice(rows, self.max_samples, replace=False))
        frame, encoded = frame.iloc[rows].reset_index(drop=True), encoded[rows]
        groups = None if groups is None else groups[rows]
        # arrays whatever scikit-learn's global transform_output says: the probes index
        # its output by row
        preprocessor = TabularPreprocessor().set_output(transform="default").fit(frame)
        targets = _targets(encoded)
        self.score_names_ = [f"{target[0]} ({probe})" for target in targets for probe in PROBES]
        n_features = frame.shape[1]
        self.z_scores_ = np.full((n_features, len(self.score_names_)), np.nan)
        screened, skipped = _target_groups(targets, self.cv, groups)
        for group, kind, labelled in screened:
            values = np.column_stack([targets[t][2] for t in group])[labelled]
            scores = _held_out_scores(frame.iloc[labelled], values, kind, preprocessor,
                                      self.cv, self.n_estimators, rng,
                                      None if groups is None else groups[labelled])
            for i, t in enumerate(group):
                self.z_scores_[:, 2 * t : 2 * t + 2] = scores[:, i]
        with np.errstate(invalid="ignore"):
            self.support_ = np.nan_to_num(self.z_scores_, nan=-np.inf).max(axis=1) > \
                self.threshold
        reasons = "; ".join(f"{described} {reason}" for described, reason in skipped)
        if not screened:
            warnings.warn(
                "No task could be scored on held-out rows, so no column of X was judged and "
                f"every column is kept: {reasons}.",
                UserWarning,
            )
        elif skipped:
            warnings.warn(
                f"Not every task could be scored on held-out rows: {reasons}. The columns "
                "are kept or dropped by the other tasks' scores.",
                UserWarning,
            )
        if not self.support_.any():
            if screened:
                warnings.warn(
                    "No column of X helps any task on held-out rows more than the threshold "
                    f"({self.threshold} standard errors); every column is kept.",
                    UserWarning,
                )
            self.support_ = np.ones(n_features, dtype=bool)
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def transform(self, X):
        """``X`` with the kept columns only; a DataFrame stays a DataFrame, with its
        index, names and dtypes (a polars DataFrame stays a polars one, or becomes the
        pandas one it stands for under ``set_output(transform="pandas")``).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        X_selected : DataFrame or ndarray of shape (n_samples, n_selected_features)
        """
        check_is_fitted(self)
        keep = np.flatnonzero(self.support_)
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=False, skip_check_array=True)
            return X.iloc[:, keep]
        if is_polars(X):
            validate_data(self, to_pandas(X), reset=False, skip_check_array=True)
            kept = X.select([X.columns[j] for j in keep])
            if _get_output_config("transform", self)["dense"] == "pandas":
                # as the pandas frame it stands for, column by column: scikit-learn's
                # pandas output reads a polars frame through one numpy array (numbers next
                # to text became objects, a date next to a number failed to convert)
                return to_pandas(kept)
            return kept
        return super().transform(X)

    def __sklearn_tags__(self):
        from .neural._preprocessing import table_input_tags

        tags = table_input_tags(super().__sklearn_tags__())  # the probes' preprocessing's
        tags.target_tags.required = True
        return tags


def _targets(encoded):
    """(name, kind, values, described) of every screened target: a binary or multiclass
    task's codes (negative where masked), a multilabel task's labels one by one (0/1, -1
    where masked), a regression task's values (NaN where masked); ``described`` names it
    in a message ("task 'car'", "label 'a' of task 'tags'")."""
    targets = []
    for i, task in enumerate(encoded.schema.tasks):
        if task.kind == "multilabel":
            block = encoded.multilabel[task.name]
            targets += [(f"{task.name}[{label}]", "binary", block[:, j].astype(np.int64),
                         f"label {label!r} of task {task.name!r}")
                        for j, label in enumerate(task.classes)]
        elif task.kind == "regression":
            targets.append((task.name, "regression", encoded.regression[task.name],
                            f"task {task.name!r}"))
        else:
            targets.append((task.name, task.kind, encoded.codes[:, i], f"task {task.name!r}"))
    return targets


def _target_groups(targets, n_splits, sample_groups=None):
    """``(screened, skipped)``. ``screened``: the targets screened together, (indices,
    kind, labelled rows) for each set of classification targets labelled on the same rows
    (one multi-output forest scores them all), and each regression target alone.
    ``skipped``: (described, reason) of each target left out (its scores stay NaN), one with
    fewer than two labelled rows a fold, or one class, or labelled rows in fewer than
    ``n_splits`` of ``sample_groups``."""
    groups, skipped = {}, []
    for t, (_, kind, values, described) in enumerate(targets):
        labelled = ~np.isnan(values) if kind == "regression" else values >= 0
        reason = _unscorable(values[labelled], kind, n_splits,
                             None if sample_groups is None else sample_groups[labelled])
        if reason is not None:
            skipped.append((described, reason))
            continue
        if kind != "regression":
            kind = "classification"  # binary and multiclass targets share a forest
        key = (t,) if kind == "regression" else (kind, labelled.tobytes())
        groups.setdefault(key, ([], kind, np.flatnonzero(labelled)))[0].append(t)
    return list(groups.values()), skipped


def _unscorable(values, kind, n_splits, sample_groups=None):
    """Why a target of these labelled ``values`` cannot be scored on ``n_splits`` folds
    (of ``sample_groups``), or None where it can."""
    if len(values) < 2 * n_splits:
        return (f"has {len(values)} labelled row(s), fewer than the {2 * n_splits} that "
                f"cv={n_splits} folds need (two a fold)")
    if kind != "regression" and len(np.unique(values)) < 2:
        return f"has a single class among its {len(values)} labelled rows"
    if sample_groups is not None:
        n_groups = len(np.unique(sample_groups))
        if n_groups < n_splits:
            return (f"has labelled rows in {n_groups} group(s), fewer than the cv={n_splits} "
                    "folds of whole groups")
    return None


def _row_losses(proba, classes, y):
    """Each row's log loss under predicted probabilities (floored at
    ``_PROBABILITY_FLOOR``; a class the probe never saw gets the floor)."""
    where = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
    p = np.where(classes[where] == y, proba[np.arange(len(y)), where], 0.0)
    return -np.log(np.maximum(p, _PROBABILITY_FLOOR))


class _Probes:
    """The two probes of one fold, fitted on the training rows of targets ``Y`` (one
    column per target): a forest over every target at once, a linear model per target
    (``None`` for a classification target with one class among the training rows)."""

    def __init__(self, kind, n_estimators, rng, Z, Y):
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
        from sklearn.linear_model import LogisticRegression, Ridge

        self.kind = kind
        regression = kind == "regression"
        forest = RandomForestRegressor if regression else RandomForestClassifier
        self.forest = forest(n_estimators, random_state=rng.randint(np.iinfo(np.int32).max),
                             n_jobs=1).fit(Z, Y if Y.shape[1] > 1 else Y[:, 0])
        self.linear = [
            Ridge().fit(Z, y) if regression else (
                LogisticRegression(max_iter=1000).fit(Z, y) if len(np.unique(y)) > 1
                else None)
            for y in Y.T]

    def losses(self, Z, Y):
        """(2, targets, rows): each row's loss under the forest and the linear model
        (NaN where a linear model is missing)."""
        out = np.full((2, Y.shape[1], len(Z)), np.nan)
        if self.kind == "regression":
            out[0] = ((self.forest.predict(Z).reshape(len(Z), -1) - Y) ** 2).T
        else:
            proba = self.forest.predict_proba(Z)
            proba = proba if isinstance(proba, list) else [proba]
            classes = self.forest.classes_
            classes = classes if isinstance(classes, list) else [classes]
            for i, y in enumerate(Y.T):
                out[0, i] = _row_losses(proba[i], classes[i], y)
        for i, (model, y) in enumerate(zip(self.linear, Y.T)):
            if model is None:
                continue
            if self.kind == "regression":
                out[1, i] = (model.predict(Z) - y) ** 2
            else:
                out[1, i] = _row_losses(model.predict_proba(Z), model.classes_, y)
        return out


def _held_out_scores(frame, Y, kind, preprocessor, n_splits, n_estimators, rng, groups=None):
    """(n_features, targets, 2): each column's mean held-out loss increase under
    permutation over its standard error, per target (a column of ``Y``), for the forest
    and the linear probe; with ``groups``, on folds that hold out whole groups."""
    n, n_features = frame.shape
    Z = preprocessor.transform(frame).astype(np.float64)
    sources = preprocessor.output_sources()
    blocks = [np.flatnonzero(sources == j) for j in range(n_features)]
    diffs = np.zeros((n_features, 2, Y.shape[1], n))
    seed = rng.randint(np.iinfo(np.int32).max)
    if groups is None:
        folds = KFold(n_splits, shuffle=True, random_state=seed).split(Z)
    else:
        folds = GroupKFold(n_splits, shuffle=True, random_state=seed).split(Z, groups=groups)
    for train, test in folds:
        probes = _Probes(kind, n_estimators, rng, Z[train], Y[train])
        base = probes.losses(Z[test], Y[test])
        for j, block in enumerate(blocks):
            # column j permuted across the held-out rows: the rows of its output block
            # (the preprocessing reads each row alone), no transform again
            Zp = Z[test]
            Zp[:, block] = Zp[rng.permutation(len(test))[:, None], block]
            diffs[j, :, :, test] = np.moveaxis(probes.losses(Zp, Y[test]) - base, -1, 0)
    mean = diffs.mean(axis=-1)
    se = _standard_error(diffs, groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, mean / se, np.sign(mean) * np.inf)
    # NaN (a linear model missing in a fold) stays NaN; no change at all scores 0
    z = np.where(np.isnan(mean), np.nan, np.nan_to_num(z, nan=0.0))
    return np.moveaxis(z, 1, 2)


def _standard_error(values, groups=None):
    """The standard error of the mean of ``values`` over the last axis: over the rows,
    or, with ``groups``, over the groups (the cluster-robust error: a group's rows move
    together, so they count as one draw, not as several)."""
    n = values.shape[-1]
    if groups is None:
        return values.std(axis=-1, ddof=1) / np.sqrt(n)
    _, index = np.unique(groups, return_inverse=True)
    index = index.ravel()
    n_groups = int(index.max()) + 1
    # each group's sum, through a sparse (rows, groups) 0/1 matrix: memory in rows only
    members = sp.csr_matrix((np.ones(n), (np.arange(n), index)), shape=(n, n_groups))
    sums = (members.T @ values.reshape(-1, n).T).T.reshape(*values.shape[:-1], n_groups)
    spread = sums - values.mean(axis=-1)[..., None] * np.bincount(index)
    return np.sqrt((spread ** 2).sum(axis=-1) * n_groups / (n_groups - 1)) / n
