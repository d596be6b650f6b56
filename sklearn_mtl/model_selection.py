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

import copy
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.model_selection._split import GroupsConsumerMixin, _BaseKFold
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import _num_samples

from ._base import check_same_length
from ._encoder import EncodedLabels, StructuredLabelEncoder


class MultiTaskStratifiedKFold(_BaseKFold):
    """K-fold cross-validation stratified over every task's labels, missing-aware.

    Iterative stratification (Sechidis, Tsoumakas and Vlahavas, 2011): the label with the
    fewest samples still to place is handled first, and each of its samples goes to the
    fold that most lacks that label (ties: the fold that most lacks samples, then the
    first fold, or a random one with ``shuffle=True``). Each class of a binary or
    multiclass task and each label of a multilabel task counts as one label. A missing
    or gated-off label counts for nothing, so its sample still goes to a fold (by the
    labels it has) and never raises. Regression tasks are ignored (without ``tasks``, a
    column of non-integral numbers, which only a regression task holds, is read as
    one). A task whose labels show a single class (such as an outer training fold of
    nested cross-validation without a rare class) counts that class, and one without any
    label nothing: they are split, as scikit-learn's ``StratifiedKFold`` splits a ``y``
    of one class, and left for the estimators' ``fit`` to refuse. A label with fewer
    samples than ``n_splits`` warns in ``StratifiedKFold``'s words ("The least populated
    class in y has only ... members"), followed by the labels it concerns; where every
    label has fewer (every class of every task, missing labels not counted), ``split``
    raises a ``ValueError`` in its words ("n_splits=5 cannot be greater than the number
    of members in each class."), followed by the labels.

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
    tasks : list of Task or Schema, default=None
        The tasks, passed to the encoder that reads ``Y`` (e.g. to tell gated-off
        labels from missing ones); ``None`` infers them from ``Y``.
    gated_labels : {"raise", "mask"}, default="raise"
        What to do with a label given on a sample whose gate is off (a color where
        ``car == "no"``), as :class:`~sklearn_mtl.StructuredLabelEncoder`'s parameter of
        the name: raise a ``ValueError`` naming the row, or mask the label (it then
        counts for nothing). Pass the value the estimator's encoder has, so that the
        folds are made on the labels as it reads them. Only gates declared in ``tasks``
        close; an ``EncodedLabels`` ``y`` is already read.

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

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None, tasks=None,
                 gated_labels="raise"):
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)
        self.tasks = tasks
        self.gated_labels = gated_labels

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
        if groups is not None:
            warnings.warn(
                f"The groups parameter is ignored by {type(self).__name__}", UserWarning
            )
        labels, names = self._label_indicators(X, y, names=True)
        if self.n_splits <= labels.shape[0]:  # (else scikit-learn's error says so first)
            _check_rare_labels(labels, names, self.n_splits)
        return super().split(X, labels, groups)

    def _label_indicators(self, X, y, names=False):
        """The label indicators of ``y`` (see :func:`label_indicators`) as a sparse CSR
        matrix, one row per sample of ``X``; with ``names``, ``(indicators, names)``,
        each column's label named ``task='class'``."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__}.split needs the labels Y to stratify on; got y=None."
            )
        _check_gated_labels(self.gated_labels, f"{type(self).__name__}'s gated_labels")
        labels, label_names = _indicators(y, self.tasks, self.gated_labels)
        from ._frames import check_not_lazy

        check_not_lazy(X, "X")  # (its length would be read as a scalar's: "got LazyFrame")
        if labels.shape[0] != _num_samples(X):
            raise ValueError(
                f"X has {_num_samples(X)} samples, but Y has {labels.shape[0]}; expected one "
                "row of labels per sample."
            )
        return (labels, label_names) if names else labels

    def _iter_test_masks(self, X, y, groups=None):
        rng = check_random_state(self.random_state) if self.shuffle else None
        folds = iterative_stratification(y, self.n_splits, rng)
        for k in range(self.n_splits):
            yield folds == k


class MultiTaskStratifiedGroupKFold(GroupsConsumerMixin, MultiTaskStratifiedKFold):
    """K-fold cross-validation of whole groups, stratified over every task's labels.

    No group is in two folds, as in :class:`~sklearn.model_selection.GroupKFold`, and
    the groups are placed by the iterative stratification of
    :class:`MultiTaskStratifiedKFold`, each group counting the labels of its samples:
    the groups with the rarest label still to place go first (the largest first), each
    to a fold that lacks its samples of that label and where every label's count and
    the fold's size come closest to their shares, as in scikit-learn's
    ``StratifiedGroupKFold`` (a group brings its other labels and its size along; ties:
    the fold that most lacks samples). A rare class held by a
    few patients is then spread over the folds, where ``GroupKFold``, which balances
    the folds' sizes only, may put it all in one fold and leave the others' training
    samples without it. It is the multi-task form of scikit-learn's
    :class:`~sklearn.model_selection.StratifiedGroupKFold`. Missing and gated-off labels
    count for nothing; regression tasks are ignored (as in
    :class:`MultiTaskStratifiedKFold`, also undeclared ones). A label with fewer samples
    than ``n_splits`` warns, as ``StratifiedGroupKFold`` warns of such a class, and where
    every label has, ``split`` raises a ``ValueError``, as it does (both counted in
    samples).

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2; at most the number of groups.
    shuffle : bool, default=False
        Whether to shuffle the groups before placing them, and break ties at random.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling when ``shuffle=True``; must be None otherwise.
    tasks : list of Task or Schema, default=None
        The tasks, passed to the encoder that reads ``Y``; ``None`` infers them.
    gated_labels : {"raise", "mask"}, default="raise"
        What to do with a label given on a sample whose gate is off, as
        :class:`~sklearn_mtl.StructuredLabelEncoder`'s parameter of the name: raise a
        ``ValueError`` naming the row, or mask the label.

    See Also
    --------
    MultiTaskStratifiedKFold : the same stratification, sample by sample.
    sklearn.model_selection.StratifiedGroupKFold : one single-label ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mtl.model_selection import MultiTaskStratifiedGroupKFold
    >>> patient = np.repeat(np.arange(6), 2)
    >>> Y = pd.DataFrame({"treated": np.repeat(["yes", "no", "no", "no", "yes", "no"], 2)})
    >>> cv = MultiTaskStratifiedGroupKFold(n_splits=2)
    >>> for train, test in cv.split(np.zeros((12, 1)), Y, groups=patient):
    ...     print(sorted(set(patient[test].tolist())), sorted(Y.loc[test, "treated"]))
    [0, 1, 3] ['no', 'no', 'no', 'no', 'yes', 'yes']
    [2, 4, 5] ['no', 'no', 'no', 'no', 'yes', 'yes']
    """

    def split(self, X, y, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (only its length is used).
        y : DataFrame, array-like, multi-hot matrix, list of sets or EncodedLabels
            The structured labels, in any form the estimators take.
        groups : array-like of shape (n_samples,)
            Each sample's group; required.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        from ._validation import check_groups

        labels, names = self._label_indicators(X, y, names=True)
        if groups is None:
            raise ValueError(f"{type(self).__name__}.split needs groups: each sample's "
                             "group; got groups=None.")
        groups = check_groups(groups, labels.shape[0])
        n_groups = len(np.unique(groups))
        if self.n_splits > n_groups:
            raise ValueError(f"Cannot have number of splits n_splits={self.n_splits} greater "
                             f"than the number of groups: {n_groups}.")
        _check_rare_labels(labels, names, self.n_splits)  # in samples, as scikit-learn's
        return _BaseKFold.split(self, X, labels, groups)

    def _iter_test_masks(self, X, y, groups=None):
        _, index = np.unique(groups, return_inverse=True)
        index = index.ravel()
        # each group's count of each label, sparse as the indicators: (groups x samples)
        # membership times (samples x labels)
        n = len(index)
        members = sparse.csr_matrix((np.ones(n, dtype=np.int64), (index, np.arange(n))),
                                    shape=(index.max() + 1, n))
        counts = (members @ sparse.csr_matrix(y, dtype=np.int64)).tocsr()
        rng = check_random_state(self.random_state) if self.shuffle else None
        folds = iterative_stratification(counts, self.n_splits, rng,
                                         sizes=np.bincount(index))[index]
        for k in range(self.n_splits):
            yield folds == k


def label_indicators(Y, *, tasks=None, gated_labels="raise"):
    """A boolean (n_samples, n_labels) matrix: one column per class of each binary or
    multiclass task and per label of each multilabel task; False where missing.

    Only the labels ``Y`` shows are needed to split it: a task whose labels show a single
    class gives that class's column, and one without any label no column, where an
    estimator's ``fit`` refuses such a task (scikit-learn's
    :class:`~sklearn.model_selection.StratifiedKFold` splits a ``y`` of one class too).

    Parameters
    ----------
    Y : DataFrame, array-like, multi-hot matrix, list of sets or EncodedLabels
        Structured labels.
    tasks : list of Task or Schema, default=None
        The tasks (``None``: inferred from ``Y``).
    gated_labels : {"raise", "mask"}, default="raise"
        A label given where its gate is off: raise a ``ValueError`` naming the row, or
        mask it, as :class:`~sklearn_mtl.StructuredLabelEncoder` does. Unused for an
        ``EncodedLabels`` ``Y``.

    Returns
    -------
    indicators : ndarray of shape (n_samples, n_labels), dtype=bool
    """
    _check_gated_labels(gated_labels, "gated_labels")
    return _indicators(Y, tasks, gated_labels)[0].toarray()


def _indicators(Y, tasks, gated_labels):
    """``(indicators, names)``: :func:`label_indicators` as a boolean sparse CSR matrix
    (the splitters' input: memory of the labels that are on, not of n_samples x
    n_labels), and each column's label named ``task='class'`` (``task='label'`` in a
    multilabel task)."""
    if isinstance(Y, EncodedLabels):
        encoded = Y
    else:
        _check_not_flat_groups(Y, tasks)
        encoder = StructuredLabelEncoder(tasks=_splitting_tasks(Y, tasks, gated_labels),
                                         gated_labels=gated_labels)
        encoded = encoder.fit_transform(Y)
    n = encoded.n_samples
    rows, columns, names = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], []
    for j, task in enumerate(encoded.schema):
        if task.kind == "regression":
            continue
        shown = [k for k, c in enumerate(task.classes) if not isinstance(c, _Unshown)]
        # each class's (or label's) column among the shown ones, -1 for a placeholder
        column = np.full(len(task.classes), -1, dtype=np.int64)
        column[shown] = np.arange(len(shown)) + len(names)
        names += [f"{task.name}={task.classes[k]!r}" for k in shown]
        if task.kind == "multilabel":
            row, k = np.nonzero(encoded.multilabel[task.name] == 1)
        else:
            codes = encoded.codes[:, j]
            row = np.flatnonzero((codes >= 0) & (codes < len(task.classes)))
            k = codes[row]
        on = column[k] >= 0
        rows.append(row[on].astype(np.int64, copy=False))
        columns.append(column[k[on]])
    rows, columns = np.concatenate(rows), np.concatenate(columns)
    indicators = sparse.csr_matrix(
        (np.ones(len(rows), dtype=bool), (rows, columns)), shape=(n, len(names))
    )
    indicators.sort_indices()
    return indicators, names


def _check_rare_labels(labels, names, n_splits):
    """Raise, as :class:`~sklearn.model_selection.StratifiedKFold` and
    ``StratifiedGroupKFold`` raise, where every label has fewer samples than folds; warn,
    as they warn, where some label has (some test folds then lack it). Labels that no
    sample has count for nothing."""
    counts = np.asarray(labels.sum(axis=0, dtype=np.int64)).reshape(-1)
    shown = np.flatnonzero(counts > 0)
    rare = shown[counts[shown] < n_splits]
    if not len(rare):
        return
    # scikit-learn's sentence word for word (warning filters written for it match), then
    # the labels: "y" alone names no task nor class of a structured Y
    rare = rare[np.argsort(counts[rare], kind="stable")]
    listed = ", ".join(f"{names[k]} ({counts[k]})" for k in rare[:5])
    listed += f" and {len(rare) - 5} more" if len(rare) > 5 else ""
    if len(rare) == len(shown):
        raise ValueError(
            f"n_splits={n_splits} cannot be greater than the number of members in each "
            f"class. Every label has fewer members than folds: {listed}."
        )
    warnings.warn(
        f"The least populated class in y has only {counts[rare[0]]} members, which is "
        f"less than n_splits={n_splits}. The labels with fewer members than folds: "
        f"{listed}.",
        UserWarning,
    )


class _Unshown:
    """A placeholder class that completes, for splitting only, a task whose labels show
    fewer than two classes (a multilabel task: no label); no sample has it, and it has
    no indicator column."""

    def __repr__(self):
        return "<unshown>"


def _check_gated_labels(value, name):
    """A ValueError naming ``name`` unless ``value`` is one of the encoder's options."""
    if not (isinstance(value, str) and value in ("raise", "mask")):
        raise ValueError(
            f"{name} must be 'raise' or 'mask', as StructuredLabelEncoder's gated_labels "
            f"(raise on a label given where its gate is off, or mask it); got {value!r}."
        )


def _check_not_flat_groups(Y, tasks):
    """Refuse, with what to pass instead, the flat 0/1 matrix of a
    ``StructuredLabelEncoder.from_groups`` encoder given with its ``schema_``: the
    schema has one task per group, the matrix one column per label of all groups, so the
    splitters cannot read one with the other (the encoder reads it with its groups)."""
    from ._schema import as_task_list

    if tasks is None or hasattr(Y, "columns"):  # a frame's columns name its tasks
        return
    try:
        shape = Y.shape if hasattr(Y, "shape") else np.shape(Y)
        declared = as_task_list(tasks)
    except (TypeError, ValueError):  # ragged rows, bad tasks: the encoder names them
        return
    if len(shape) != 2 or shape[1] == len(declared):
        return
    if any(t.kind not in (None, "binary", "multiclass") or t.classes is None
           for t in declared):
        return
    n_labels = sum(len(t.classes) for t in declared)
    if shape[1] == n_labels:
        raise ValueError(
            f"Y has {shape[1]} columns, but the schema has {len(declared)} tasks "
            f"{[t.name for t in declared]}: Y looks like the flat 0/1 matrix of a "
            "StructuredLabelEncoder.from_groups encoder (one column per label of "
            f"its {n_labels} labels), and its schema_ has one task per group. Pass "
            "encoder.transform(Y) as y to split with the tasks, or leave tasks out to "
            "split on Y's labels."
        )


def _splitting_tasks(Y, tasks, gated_labels="raise"):
    """``tasks``, where a task whose classes the encoder would infer from ``Y`` and find
    too few of (a constant or label-less column) is given the classes it shows, and the
    values that gates name of it, completed by placeholder classes: the encoder then
    reads ``Y`` as it is.

    Every other task is left to the encoder as declared (``tasks`` itself is returned
    where no task needs completing), so ``Y`` reads exactly as an estimator reads it.
    With ``gated_labels="mask"`` a task shows only the labels where its gate is not off
    (the others are masked), and the tasks are completed parents first, as the encoder
    completes them, so that a child's gate can be read.
    """
    from ._encoder import _ColumnsReader, _complete_in_gate_order, _complete_task, _rows
    from ._frames import to_pandas
    from ._schema import as_task_list

    frame = to_pandas(Y, "Y", labels=True)
    reader = _ColumnsReader.fit(frame, as_task_list(tasks))
    columns = reader.read(frame)
    gated = {}
    for task in reader.tasks:
        if task.gate is not None:
            gated.setdefault(task.gate[0], set()).update(task.gate[1])
    if gated_labels == "mask":
        def complete(task, raw, applies):
            rows = applies()
            shown = raw if rows is None else _rows(raw, rows)
            task = _shown_classes(task, shown, gated.get(task.name, ()))
            # what the encoder infers, as it infers it with gated_labels="mask": the
            # values that gates name among the classes, shown or not
            return _complete_task(task, raw, gate_values=gated.get(task.name, ()),
                                  applies=rows)

        completed = _complete_in_gate_order(reader.tasks, columns, complete)
    else:
        completed = [_shown_classes(task, columns[task.name], gated.get(task.name, ()))
                     for task in reader.tasks]
        if all(new is old for new, old in zip(completed, reader.tasks, strict=True)):
            return tasks
    if all(new.kind == "regression" and old.kind is None
           for new, old in zip(completed, reader.tasks, strict=True)):
        # Nothing but continuous values: nothing to stratify on, which the encoder says
        # (as StratifiedKFold refuses a continuous y), rather than folds of KFold.
        return tasks
    return completed


def _shown_classes(task, raw, gate_values):
    """``task`` with the classes it shows (and ``gate_values``), and placeholders where
    that makes fewer than two (see :func:`_splitting_tasks`); ``task`` itself where the
    encoder infers it."""
    from ._encoder import _holds_containers, _is_label_container

    if task.kind == "regression" or task.classes is not None or np.ndim(raw) != 1:
        return task
    if task.kind == "multilabel" or _holds_containers(raw):
        # (a 1-D array too: what ``pd.read_parquet`` makes of a list column)
        if any(_is_label_container(v) and len(v) for v in raw):
            return task
        return task._replace(kind="multilabel", classes=[_Unshown()])
    dtype = getattr(raw, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        shown = list(raw.cat.categories)
    elif pd.api.types.is_bool_dtype(dtype):
        return task  # classes False and True, whichever the labels show
    elif _two_whole_numbers(raw):
        return task  # (what the lines below conclude, at numpy speed)
    else:
        values = pd.unique(np.asarray(raw, dtype=object))  # then the missing ones out
        shown = list(values[~np.asarray(pd.isna(values), dtype=bool)])
        if task.kind is None and _continuous(shown):
            # Only a regression task holds such values (the encoder refuses them as
            # classes), and regression tasks are not stratified on: read it as one, so
            # that a splitter without tasks= splits the Y of an estimator that declares it.
            return task._replace(kind="regression")
    if len(shown) >= 2 or any(_non_integral(v) for v in shown):
        return task  # the encoder infers it (or refuses continuous values)
    shown += sorted((v for v in gate_values if v not in shown), key=repr)
    if len(shown) >= 2:
        return task._replace(classes=shown)
    placeholders = [_Unshown() for _ in range(2 - len(shown))]
    return task._replace(kind="binary", classes=shown + placeholders)


def _two_whole_numbers(raw):
    """Whether ``raw`` is an array of numbers (NaN for missing) that holds two or more
    values, all of them finite and integral: classes the encoder infers."""
    dtype = getattr(raw, "dtype", None)
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iuf":
        return False
    values = np.asarray(raw)
    if dtype.kind == "f":
        values = values[~np.isnan(values)]
        if not (np.isfinite(values) & (values == np.floor(values))).all():
            return False
    return len(values) > 0 and bool((values != values[0]).any())


def _non_integral(value):
    return isinstance(value, (float, np.floating)) and not float(value).is_integer()


def _continuous(values):
    """Whether ``values`` are all real numbers, one of them not integral: a regression
    target's values, which no classification task can hold."""
    return any(_non_integral(v) for v in values) and all(
        isinstance(v, (int, float, np.integer, np.floating))
        and not isinstance(v, (bool, np.bool_)) for v in values)


@validate_params(
    {
        "labels": ["array-like", "sparse matrix"],
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def iterative_stratification(labels, n_splits, random_state=None, sizes=None):
    """Assign each sample to a fold by iterative stratification (Sechidis et al. 2011).

    Parameters
    ----------
    labels : {array-like, sparse matrix} of shape (n_units, n_labels)
        0/1 (or boolean) label indicators of each sample; a sample may have any number
        of labels, none included. With ``sizes``, a unit is a group of samples, and its
        row counts how many of them have each label. A SciPy sparse matrix (or array)
        is read as it is, without a dense copy (the splitters pass their indicators so);
        its folds are those of the same matrix dense.
    n_splits : int
        Number of folds, at least 2 and at most ``n_units``.
    random_state : int, RandomState instance or None, default=None
        ``None``: no shuffling, ties go to the first fold. Otherwise the units are
        shuffled and ties broken at random with this seed.
    sizes : array-like of shape (n_units,), default=None
        The number of samples of each unit, non-negative (``None``: one each): a fold's
        need for samples is counted in samples, so that folds of groups stay alike in
        size. A unit of several samples goes, among the folds that lack its samples of
        the label being placed, to the one where every label's count and the fold's
        size end up closest to their shares; units of each label go largest first.

    Returns
    -------
    folds : ndarray of shape (n_units,)
        The fold (0 .. n_splits - 1) of each unit.
    """
    L = labels if sparse.issparse(labels) else np.asarray(labels)
    if L.ndim != 2:
        raise ValueError(
            f"labels has shape {L.shape}; expected a 2-D array (n_units, n_labels) of 0/1 "
            "label indicators, one column per label (for a class vector y: "
            "y[:, None] == np.unique(y))."
        )
    # NaN, negative or fractional entries would be cast to meaningless counts (NaN to
    # -2**63, whose overflowing sums never reach 0, so the placing loop never ends); of
    # a sparse matrix, only the stored entries can be (the others are 0)
    if sparse.issparse(L):
        L = sparse.csr_matrix(L)
        if not L.has_canonical_format:  # duplicate entries: a label's count is their sum
            L = L.copy()
            L.sum_duplicates()
    elif L.dtype == object:
        try:
            L = L.astype(float)
        except (TypeError, ValueError):
            pass
    values = L.data if sparse.issparse(L) else L
    if values.dtype == bool:  # label_indicators' (n_samples, n_labels): valid as it is
        bad = values.ravel()[:0]
    elif values.dtype.kind in "biuf":
        valid = np.isfinite(values) & (values >= 0) & (values == np.round(values))
        if sizes is None:
            valid &= values <= 1
        bad = values[~valid]
    else:  # (an object array of some values that are not numbers: name the first)
        flat, bad = values.ravel(), values.ravel()
        for start in range(0, len(flat), 1 << 16):  # blocks of numbers screened at C speed
            block = flat[start:start + (1 << 16)]
            try:
                numbers = block.astype(float)
                if (np.isfinite(numbers) & (numbers >= 0) & (numbers == np.round(numbers))
                        & ((numbers <= 1) | (sizes is not None))).all():
                    continue
            except (TypeError, ValueError):
                pass
            bad = [v for v in block if not _count_like(v, indicator=sizes is None)] or bad
            break
    if len(bad):
        what = ("0/1 (or boolean) label indicators" if sizes is None else
                "counts of each unit's samples with each label (non-negative integers)")
        raise ValueError(
            f"labels must hold {what}, without missing values (a missing label is 0: "
            f"it counts for nothing); got {_key(bad[0])!r} in an array of dtype "
            f"{values.dtype}."
        )
    n = L.shape[0]
    if n_splits > n:  # as KFold: a fold would be empty
        raise ValueError(f"Cannot have number of splits n_splits={n_splits} greater than the "
                         f"number of units: {n}.")
    if sizes is None:
        sizes = np.ones(n)
    else:
        raw = np.asarray(sizes, dtype=object)
        if raw.shape != (n,):
            raise ValueError(f"sizes has shape {raw.shape}; expected one size per unit, ({n},).")
        # a NaN size made every fold's need NaN (an IndexError), a negative one a unit
        # that frees room where it goes
        for value in raw:
            try:
                valid = not isinstance(value, (str, bytes)) and float(value) >= 0 and (
                    np.isfinite(float(value)))
            except (TypeError, ValueError):
                valid = False
            if not valid:
                raise ValueError("sizes must hold each unit's number of samples (non-negative "
                                 f"numbers); got {_key(value)!r}.")
        sizes = raw.astype(float)
    rng = None if random_state is None else check_random_state(random_state)
    order = np.arange(n) if rng is None else rng.permutation(n)
    # sparse rows and columns: each unit's labels and each label's units in time and
    # memory of the labels that are on, not of n_units x n_labels (a dense int64 copy of
    # 20,000 samples x 15,000 classes took 5 GB)
    rows = sparse.csr_matrix(L, dtype=np.int64)[order]
    rows.eliminate_zeros()
    rows.sort_indices()
    columns = rows.tocsc()
    columns.sort_indices()
    del L, values
    sizes = sizes[order]
    if (sizes == 1).all() and rows.data.max(initial=0) <= 1:
        folds = _place_samples(rows, columns, n_splits, rng)
    else:
        folds = _place_units(rows, columns, n_splits, rng, sizes)
    out = np.empty(n, dtype=np.int64)
    out[order] = folds
    return out


def _place_units(rows, columns, n_splits, rng, sizes):
    """The folds of :func:`iterative_stratification`, unit by unit: each unit of the
    rarest label still to place (the largest first) to the fold that most lacks the
    label (a group: see ``fold_for``), then the units without any label.

    ``rows`` and ``columns``: the (shuffled) units' label counts, CSR and CSC with
    sorted indices; ``sizes``: their numbers of samples.
    """
    n = rows.shape[0]
    desired_fold = np.full(n_splits, sizes.sum() / n_splits)
    remaining = np.asarray(rows.sum(axis=0), dtype=float).reshape(-1)
    desired_label = np.outer(np.full(n_splits, 1.0 / n_splits), remaining)
    # squared totals that make each label's (and the size's) shortfall a share of its whole
    label_scale = np.maximum(remaining, 1.0) ** 2
    size_scale = max(sizes.sum(), 1.0) ** 2
    folds = np.full(n, -1)
    placed = np.zeros(n, dtype=bool)

    def best_fold(candidates):
        if len(candidates) > 1:
            need = desired_fold[candidates]
            candidates = candidates[need == need.max()]
        return candidates[0] if rng is None else candidates[rng.randint(len(candidates))]

    def labels_of(i):
        span = slice(rows.indptr[i], rows.indptr[i + 1])
        return rows.indices[span], rows.data[span]

    def fold_for(i, label):
        need = desired_label[:, label]
        cols, counts = labels_of(i)
        if sizes[i] == 1 and counts.max() <= 1:  # one sample: the fold most lacking the label
            return best_fold(np.flatnonzero(need == need.max()))
        # A group also brings its samples of other labels, and its size: the fold most
        # lacking the rarest label alone would then overfill with the others. Of the folds
        # that lack all its samples of that label (else the one lacking the most), it goes
        # where the folds' label counts and sizes end up closest to their shares (least
        # squared shortfall, relative to each whole), as StratifiedGroupKFold places groups.
        candidates = np.flatnonzero(need >= min(counts[cols == label][0], need.max()))
        gain = (desired_label[np.ix_(candidates, cols)] @ (counts / label_scale[cols])
                + desired_fold[candidates] * (sizes[i] / size_scale))
        return best_fold(candidates[gain >= gain.max() - 1e-12 * abs(gain.max())])

    def place(i, fold):
        folds[i] = fold
        placed[i] = True
        desired_fold[fold] -= sizes[i]
        cols, counts = labels_of(i)
        desired_label[fold, cols] -= counts
        remaining[cols] -= counts

    while (remaining > 0).any():
        counts = np.where(remaining > 0, remaining, np.inf)
        rarest = np.flatnonzero(counts == counts.min())
        label = rarest[0] if rng is None else rarest[rng.randint(len(rarest))]
        # the largest groups first, while the folds can still even them out
        units = columns.indices[columns.indptr[label] : columns.indptr[label + 1]]
        for i in _largest_first(units[~placed[units]], sizes):
            place(i, fold_for(i, label))
    for i in _largest_first(np.flatnonzero(~placed), sizes):  # units without any label
        place(i, best_fold(np.arange(n_splits)))
    return folds


def _place_samples(rows, columns, n_splits, rng):
    """The folds of :func:`_place_units` where every unit is one sample with 0/1 labels
    (the folds of :class:`MultiTaskStratifiedKFold`), label by label at numpy speed.

    A fold's need of a label (its share less its samples of it) and of samples are then
    an equal start less a count of samples: the loop's comparisons of needs are
    comparisons of counts, which this keeps as integers. A label's samples go in turn by
    :func:`_fold_sequence`, and the labels they bring along are counted at once. ``rng``
    draws the same numbers, in the same order, as in the loop.
    """
    n, n_labels = rows.shape
    draws = None if rng is None else _Draws(rng)
    filled = np.zeros(n_splits, dtype=np.int64)  # each fold's samples
    folds = np.full(n, -1, dtype=np.int64)
    # each label's samples still to place, less one: a label with none left wraps around
    # to the largest number, last in line
    pending = np.diff(columns.indptr).astype(np.uint64) - np.uint64(1)
    done = np.iinfo(np.uint64).max
    while n_labels and pending[label := pending.argmin()] != done:
        if draws is not None:  # one of the rarest at random (argmin: the first)
            rarest = np.flatnonzero(pending == pending[label])
            label = rarest[draws.draw(len(rarest))]
        units = columns.indices[columns.indptr[label] : columns.indptr[label + 1]]
        fold = folds[units]
        taken = np.bincount(fold[fold >= 0], minlength=n_splits)  # each fold's of the label
        units = units[fold < 0]  # in their order: all of one size
        chosen = _fold_sequence(taken, filled, len(units), draws)
        folds[units] = chosen
        filled += np.bincount(chosen, minlength=n_splits)
        # every label of those samples (this one's too) has as many fewer to place
        if len(units) == 1:
            labels = rows.indices[rows.indptr[units[0]] : rows.indptr[units[0] + 1]]
        else:
            starts = rows.indptr[units]
            lengths = rows.indptr[units + 1] - starts
            ends = np.cumsum(lengths)
            labels = rows.indices[np.arange(ends[-1])
                                  + np.repeat(starts - ends + lengths, lengths)]
        if len(labels) > n_labels:  # counted over all labels: cheaper than one by one
            pending -= np.bincount(labels, minlength=n_labels).astype(np.uint64)
        else:
            np.subtract.at(pending, labels, 1)
    # the samples without any label, each to a fold with the fewest samples: the loop's
    # rule, with the samples counted as the label
    rest = np.flatnonzero(folds < 0)
    folds[rest] = _fold_sequence(filled, filled, len(rest), draws)
    if draws is not None:
        draws.sync()
    return folds


def _fold_sequence(taken, filled, count, draws):
    """The folds of ``count`` samples of one label placed one after the other, each to a
    fold with the fewest samples of the label (``taken``, each fold's), of those to one
    with the fewest samples (``filled``), of those to the first, or with ``draws`` to one
    drawn as ``rng.randint(len(candidates))`` draws it (see :func:`_place_units`).

    Each sample adds one to both counts of its fold, so that a fold's difference
    ``filled - taken`` stays: the folds take the samples level by level of ``taken``, a
    fold from its own level up, and at each level in order of that difference, then of
    their index (folds of the same difference in an order drawn anew each level). Between
    two folds' levels the same folds take part: rounds alike, drawn at once.
    """
    k = len(taken)
    if count <= 2 * k:  # a few samples: the rule itself, sample by sample
        taken, filled = taken.tolist(), filled.tolist()
        out = []
        for _ in range(count):
            low = min(taken)
            candidates = [f for f in range(k) if taken[f] == low]
            if len(candidates) > 1:
                low = min(filled[f] for f in candidates)
                candidates = [f for f in candidates if filled[f] == low]
            fold = candidates[0] if draws is None else candidates[draws.draw(len(candidates))]
            taken[fold] += 1
            filled[fold] += 1
            out.append(fold)
        return np.array(out, dtype=np.int64)
    gap = filled - taken
    levels = np.unique(taken)
    out, left = [], count
    for i, level in enumerate(levels):
        # the folds at this level or below, by gap then index; the rounds until the next
        members = np.flatnonzero(taken <= level)
        members = members[np.argsort(gap[members], kind="stable")]
        span = levels[i + 1] - level if i + 1 < len(levels) else left
        rounds = min(span, left // len(members))
        left -= rounds * len(members)
        partial = left if rounds < span else 0  # the samples end in this span
        left -= partial
        if draws is None:
            out += [np.tile(members, rounds), members[:partial]]
        else:
            runs = np.split(members, np.flatnonzero(np.diff(gap[members])) + 1)
            out += [_draw_rounds(runs, rounds, draws).ravel(),
                    _draw_orders(runs, partial, draws)]
        if not left:
            break
    return np.concatenate(out).astype(np.int64, copy=False)


def _draw_orders(runs, count, draws):
    """The first ``count`` folds of ``runs`` (arrays of folds, ascending), each run's
    folds in an order drawn one by one as the loop draws them: ``randint`` of the number
    of the run's folds left, an index among them."""
    out = []
    for run in runs:
        run = run.tolist()
        while run and len(out) < count:
            out.append(run.pop(draws.draw(len(run))))
        if len(out) == count:
            break
    return np.array(out, dtype=np.int64)


def _draw_rounds(runs, rounds, draws):
    """``rounds`` rows of :func:`_draw_orders` of all of ``runs``: the draws of every
    round read at once."""
    k = sum(len(run) for run in runs)
    if rounds <= 4:  # (few: one by one is quicker)
        return np.array([_draw_orders(runs, k, draws) for _ in range(rounds)],
                        dtype=np.int64).reshape(rounds, k)
    out = np.empty((rounds, k), dtype=np.int64)
    bounds = [b for run in runs for b in range(len(run), 1, -1)]
    values = draws.rounds(bounds, rounds)
    column = drawn = 0
    every = np.arange(rounds)
    for run in runs:
        left = np.broadcast_to(run, (rounds, len(run)))
        for _ in range(len(run) - 1):  # the last fold left is drawn with randint(1): 0
            index = values[:, drawn]
            drawn += 1
            out[:, column] = left[every, index]
            column += 1
            left = left[np.arange(left.shape[1]) != index[:, None]].reshape(rounds, -1)
        out[:, column] = left[:, 0]
        column += 1
    return out


class _Draws:
    """The ``rng.randint(bound)`` of a legacy ``RandomState``, many at a time.

    ``RandomState`` draws an integer below ``bound`` (> 1) from 32-bit words: each word's
    bits under ``bound - 1``'s highest, until one of them is below ``bound`` (a bound of
    1 draws nothing). The words come here from a copy of ``rng``, so that runs of draws
    can be read at numpy speed; :meth:`sync` then moves ``rng`` on by the words used, as
    drawing the numbers one by one would.
    """

    def __init__(self, rng):
        self._rng = rng
        self._source = copy.deepcopy(rng)
        self._words = np.zeros(0, dtype=np.uint32)  # drawn from the copy, not read yet
        self._used = 0  # words read

    def _have(self, count):
        """At least ``count`` words not read yet."""
        if len(self._words) < count:
            more = self._source.randint(0, 1 << 32, size=max(count - len(self._words), 256),
                                        dtype=np.uint32)
            self._words = np.concatenate([self._words, more])

    def _take(self, count):
        self._words = self._words[count:]
        self._used += count

    def draw(self, bound):
        """``rng.randint(bound)``."""
        if bound == 1:
            return 0
        mask = (1 << (bound - 1).bit_length()) - 1
        read = 0
        while True:
            self._have(read + 1)
            value = int(self._words[read]) & mask
            read += 1
            if value < bound:
                self._take(read)
                return value

    def rounds(self, bounds, count):
        """A ``(count, len(bounds))`` array: ``count`` times ``rng.randint(b)`` for each
        ``b`` of ``bounds`` (each > 1) in turn."""
        if not bounds:
            return np.zeros((count, 0), dtype=np.int64)
        if count > 1 << 16:  # in parts, in memory of a part's words
            return np.concatenate([self.rounds(bounds, min(1 << 16, count - start))
                                   for start in range(0, count, 1 << 16)])
        size = 2 * len(bounds) * count + 64  # (a word passes more than half the time)
        while True:
            self._have(size)
            words = self._words[:size]
            # for each bound, the first word at or after each place that passes it (size:
            # none), and the place after a round from each place
            after = {}
            for b in set(bounds):
                mask = (1 << (b - 1).bit_length()) - 1
                passing = np.append(np.flatnonzero((words & mask) < b), size)
                after[b] = passing[np.searchsorted(passing, np.arange(size + 1))]
            step = np.arange(size + 1)
            for b in bounds:
                step = np.minimum(after[b][step] + 1, size)
            starts = [0]
            for _ in range(count - 1):
                starts.append(step.item(starts[-1]))
            place = np.array(starts)
            values = np.empty((count, len(bounds)), dtype=np.int64)
            for j, b in enumerate(bounds):
                place = after[b][place]
                if place[-1] == size:  # not words enough: more
                    break
                values[:, j] = words[place] & ((1 << (b - 1).bit_length()) - 1)
                place = place + 1
            else:
                self._take(int(place[-1]))
                return values
            size *= 2

    def sync(self):
        """Move ``rng`` on past the words read."""
        for start in range(0, self._used, 1 << 20):
            self._rng.randint(0, 1 << 32, size=min(1 << 20, self._used - start),
                              dtype=np.uint32)


def _count_like(value, indicator):
    """Whether ``value`` is an entry that :func:`iterative_stratification` takes: a
    non-negative integral number (0 or 1 with ``indicator``), a bool; not a string, not
    missing (``pd.NA``, ``None``, NaN)."""
    if isinstance(value, (str, bytes)):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(number) and number >= 0 and number.is_integer()
                and (number <= 1 or not indicator))


def _largest_first(units, sizes):
    """``units`` by decreasing size, ties in their order (samples keep theirs)."""
    return units[np.argsort(-sizes[units], kind="stable")]


def fold_splits(cv, X, encoded, groups=None, random_state=0):
    """The (train, test) index pairs of ``cv`` over encoded labels, as :func:`compare`
    and :func:`cross_val_predict` make them.

    An int is the number of folds of a shuffled :class:`MultiTaskStratifiedKFold`
    seeded with ``random_state``, or with ``groups`` of a shuffled
    :class:`MultiTaskStratifiedGroupKFold`. Those get every task's labels; another
    splitter's ``split`` gets the first task's labels as ``y``, in the form scikit-learn
    reads: a binary or multiclass task's codes (a missing label one more value), a
    multilabel task's 0/1 matrix, a regression task's values (so that a
    ``StratifiedKFold`` refuses those two, as scikit-learn's refuses them, rather than
    stratify on a constant); every splitter gets ``groups``. ``None`` is the default 5
    folds, as in scikit-learn.
    """
    from sklearn.model_selection import check_cv

    if cv is None:  # scikit-learn's None: its default number of folds
        cv = 5
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds; got {cv}.")
        stratified = MultiTaskStratifiedKFold if groups is None else (
            MultiTaskStratifiedGroupKFold)
        splitter = stratified(n_splits=int(cv), shuffle=True, random_state=random_state)
    else:
        splitter = check_cv(cv)
    if isinstance(splitter, MultiTaskStratifiedKFold):  # the group splitter is one too
        return list(splitter.split(X, encoded, groups))
    task = encoded.schema.tasks[0]
    if task.kind == "multilabel":
        y = encoded.multilabel[task.name]
    elif task.kind == "regression":
        y = encoded.regression[task.name]
    else:
        y = encoded.codes[:, 0]
    try:
        splits = list(splitter.split(X, y, groups))
    except ValueError as error:
        if task.kind not in ("multilabel", "regression"):
            raise
        raise ValueError(
            f"{type(splitter).__name__} cannot split on the labels of the first task "
            f"{task.name!r}, a {task.kind} task ({error}). Pass "
            "MultiTaskStratifiedKFold, which stratifies on every task, or a splitter "
            "that does not read y (KFold, GroupKFold)."
        ) from error
    return some_splits(splits, cv)


def some_splits(splits, cv):
    """The ``(train, test)`` pairs of ``splits`` as a list, or a ``ValueError`` where
    there are none: an iterable ``cv`` (a generator of ``KFold(3).split(X)``) that an
    earlier fit used up, where the fits would fail on an empty concatenation."""
    splits = list(splits)
    if not splits:
        raise ValueError(
            f"cv={cv!r} gave no (train, test) split. A generator of splits is used up by "
            "the first fit that reads it: pass the splitter itself (KFold(3)) or a list "
            "of the splits (list(KFold(3).split(X)))."
        )
    return splits


_PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")


def cross_val_predict(estimator, X, Y, *, cv=5, method="predict", groups=None,
                      params=None, n_jobs=None, random_state=0):
    """Out-of-fold predictions on structured labels, missing and gated labels included.

    scikit-learn's :func:`~sklearn.model_selection.cross_val_predict` for the
    estimators of this project. Each sample is predicted by a clone of ``estimator``
    fitted on the folds that do not hold it. scikit-learn's version does not fit
    structured labels: it refuses an integer ``cv`` on a ``Y`` with missing labels and,
    for ``method="predict_proba"``, encodes each column of ``Y`` first, so that a
    missing label is trained on as one more class. Here each clone is fitted on ``Y``
    as it is (missing labels masked), and the outputs are laid out on the classes of
    the whole ``Y``: a class a training fold did not show gets probability 0 there, as
    in scikit-learn (for ``predict_log_proba`` and ``decision_function`` the lowest
    float, as there), with scikit-learn's ``RuntimeWarning`` ("Number of classes in
    training fold ...") naming the task, the fold and the classes (a class that every
    fold model has, declared in ``Task(classes=...)`` or a categorical column's
    categories, gets what the model gives, without it).

    Parameters
    ----------
    estimator : estimator object
        A multi-task estimator of this project, or a pipeline ending in one.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Samples.
    Y : DataFrame, array-like, sparse matrix, multi-hot matrix or list of sets
        Structured labels, in any form the estimator takes.
    cv : int, cross-validation generator, iterable or None, default=5
        As in :func:`~sklearn_mtl.compare`: ``None`` is 5, as in scikit-learn; an int is
        the number of folds of a shuffled :class:`MultiTaskStratifiedKFold` seeded with
        ``random_state`` (with ``groups``: of a shuffled
        :class:`MultiTaskStratifiedGroupKFold`); else a splitter or an iterable of
        (train, test) index arrays. The test folds must partition the samples.
    method : {"predict", "predict_proba", "predict_log_proba", "decision_function"}, \
            default="predict"
        The estimator's method to call on each test fold.
    groups : array-like of shape (n_samples,), default=None
        Each sample's group, for the splitter and for a ``fit`` that takes ``groups``
        (:class:`~sklearn_mtl.MultiTaskClassifier`'s held-out folds). With metadata
        routing enabled, a pipeline's or a search's ``fit`` gets them to route where
        they are requested.
    params : dict, default=None
        Further parameters of the estimator's ``fit``; arrays of length ``n_samples``
        (``sample_weight``) are cut to each training fold. ``"groups"`` among them is
        taken as ``groups`` (as scikit-learn's ``cross_val_predict`` takes them with
        metadata routing enabled).
    n_jobs : int, default=None
        Folds fitted in parallel through joblib.
    random_state : int, RandomState instance or None, default=0
        Seed of the shuffled folds when ``cv`` is an int.

    Returns
    -------
    predictions : DataFrame, ndarray, sparse matrix or list of sets, or list of ndarray
        With ``method="predict"``, the predictions in ``Y``'s form (a DataFrame is
        indexed as ``X`` is, as ``predict`` indexes it). Otherwise one array per task
        (one array for a 1-D ``y``), each with a column per class (per label of a
        multilabel task) of the whole ``Y``, in the order of the estimator's
        ``classes_``; a regression task's values as they are. ``decision_function``
        comes in the estimator's form: one column for a binary task, and one
        ``(n_samples, n_tasks)`` array where every task is binary (a 0/1 indicator
        ``Y``); as in scikit-learn, a multiclass task with a training fold of two of
        its classes (whose decision is then one column) raises.

    See Also
    --------
    sklearn_mtl.compare : out-of-fold scores of several models.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_mtl import IndependentTaskClassifier
    >>> from sklearn_mtl.datasets import load_penguins
    >>> from sklearn_mtl.model_selection import cross_val_predict
    >>> X, Y = load_penguins()  # sex is missing for 9 penguins
    >>> model = make_pipeline(StandardScaler(), IndependentTaskClassifier(LogisticRegression()))
    >>> proba = cross_val_predict(model, X, Y, cv=3, method="predict_proba")
    >>> [p.shape for p in proba]
    [(342, 3), (342, 3), (342, 2)]
    """
    # scikit-learn's Parallel: the workers get the caller's configuration
    from sklearn.utils.parallel import Parallel, delayed

    from ._compare import _declared, _empty_like, _put_rows, _rows
    from ._frames import check_not_lazy
    from ._validation import (
        check_groups,
        check_random_state_param,
        check_row_order,
        check_sample_weight,
        check_weight_order,
        groups_fit_params,
    )
    from .metrics._inputs import align_pred

    check_random_state_param(random_state, "cross_val_predict")
    check_not_lazy(X, "X")  # (sklearn would say "Expected sequence or array-like")
    # no fold's fit sees Y shuffled apart from X (each gets other rows of each): warn here
    check_row_order(X, Y)
    if method not in _PREDICT_METHODS:
        raise ValueError(f"method must be one of {list(_PREDICT_METHODS)}; got {method!r}.")
    if not hasattr(estimator, "fit"):
        raise ValueError(
            f"estimator ({type(estimator).__name__}) has no fit; expected an estimator of "
            "this project, or a pipeline ending in one."
        )
    if not hasattr(estimator, method):
        # scikit-learn's AttributeError, saying which of the methods the estimator has
        # (it said "has no fit and decision_function" of an estimator that has a fit)
        has = [m for m in _PREDICT_METHODS if hasattr(estimator, m)]
        raise AttributeError(
            f"{type(estimator).__name__} has no {method}, which method={method!r} calls on "
            f"each test fold; pass one of the methods it has: {has}."
        )
    declared = _declared(estimator)
    if isinstance(declared, StructuredLabelEncoder):
        encoder = clone(declared)
    else:
        encoder = StructuredLabelEncoder(tasks=declared)
    encoded = encoder.set_params(gated_labels="mask").fit_transform(Y)
    n = encoded.n_samples
    check_same_length(X, encoded)
    params = {} if params is None else dict(params)
    if "groups" in params:
        # as scikit-learn's cross_val_predict takes them with metadata routing enabled
        # (where it refuses groups=): for the splitter (they reached fit alone, and a
        # GroupKFold said "The 'groups' parameter should not be None")
        if groups is not None:
            raise ValueError("groups is given twice, as groups= and in params; pass it once.")
        groups = params.pop("groups")
    if groups is not None:
        groups = check_groups(groups, n)
    splits = fold_splits(cv, X, encoded, groups, random_state)
    tests = np.concatenate([test for _, test in splits])
    if len(tests) != n or not np.array_equal(np.sort(tests), np.arange(n)):
        raise ValueError(
            "cross_val_predict needs test folds that hold every sample exactly once (a "
            "partition); this cv does not."
        )
    if params.get("sample_weight") is not None:
        # checked on every sample: a fold's fit named a NaN or negative weight by its
        # place in the fold (sample_weight[19] for the sample 39)
        check_weight_order(X, params["sample_weight"])
        params["sample_weight"] = check_sample_weight(params["sample_weight"],
                                                      np.empty((n, 0)))
    jobs = []
    for train, test in splits:
        # per-sample parameters cut to the training fold, and groups where fit takes them
        cut = {k: _safe_indexing(v, train) if _num_samples_or_none(v) == n else v
               for k, v in params.items()}
        if groups is not None:
            cut.update(groups_fit_params(estimator, groups[train]))
        jobs.append(delayed(_fit_and_call)(
            clone(estimator), _safe_indexing(X, train), _rows(Y, train),
            _safe_indexing(X, test), method, cut,
        ))
    results = Parallel(n_jobs=n_jobs)(jobs)
    if method == "predict":
        oof = _empty_like(encoded)
        for (_, test), (_, out) in zip(splits, results):
            _put_rows(oof, test, encoder.transform(align_pred(_rows(Y, test), out)))
        return _indexed_like(encoder.inverse_transform(oof), X, Y)
    schema = encoder.schema_
    # scikit-learn's fill for a class a fold model lacks
    fill = 0.0 if method == "predict_proba" else np.finfo(np.float64).min
    single = not isinstance(results[0][0], list)
    # decision_function of binary tasks: one (n_samples, n_tasks) array, a task a column
    # (read fold by fold: a fold whose tasks all show two classes gives one array where
    # another gives a list, and then a task's laying out names the fold it cannot lay out)
    stacked = not single and not any(isinstance(out, list) for _, out in results)
    outputs = []
    for j, task in enumerate(schema):
        pieces = [(test, _task_entry(classes, single, j),
                   _task_entry(out, single, j) if single or isinstance(out, list)
                   else np.asarray(out)[:, j])
                  for (_, test), (classes, out) in zip(splits, results)]
        outputs.append(_lay_out(task, pieces, n, fill))
    if stacked:
        return np.column_stack(outputs)
    return outputs[0] if single else outputs


def _num_samples_or_none(value):
    try:
        return _num_samples(value)
    except TypeError:
        return None


def _fit_and_call(model, X_train, Y_train, X_test, method, params):
    """One fold of :func:`cross_val_predict`: the fold model's classes and its outputs."""
    model.fit(X_train, Y_train, **params)
    return getattr(model, "classes_", None), getattr(model, method)(X_test)


def _task_entry(values, single, j):
    return values if single else values[j]


def _lay_out(task, pieces, n, fill):
    """One task's outputs of every fold in the rows and class columns of the whole
    ``Y``: a fold's class (label) goes to its column; columns it lacks get ``fill``."""
    first = np.asarray(pieces[0][2])
    flat = [classes for _, classes, values in pieces if np.ndim(values) == 1]
    # a decision_function of two classes: one column, which cannot say the others' (a
    # binary task's is laid out as it is where every fold gives one)
    if flat and task.kind != "regression" and (
            task.kind != "binary" or len(flat) < len(pieces)):
        raise ValueError(
            f"Task {task.name!r}: a training fold shows {len(flat[0])} of the task's "
            f"{len(task.classes)} classes, and its decision_function is then one column, "
            "which cannot be laid out on the task's classes (as scikit-learn's "
            "cross_val_predict refuses it). Use method='predict_proba', or folds that "
            "hold every class in each training fold (MultiTaskStratifiedKFold)."
        )
    if task.kind == "regression" or first.ndim == 1:
        out = np.empty(n, dtype=first.dtype)
        for test, _, values in pieces:
            out[test] = values
        return out
    out = np.full((n, len(task.classes)), fill, dtype=float)
    position = {_key(c): k for k, c in enumerate(task.classes)}
    for fold, (test, classes, values) in enumerate(pieces):
        columns = [position[_key(c)] for c in classes]
        out[np.ix_(test, columns)] = values
        if len(columns) < len(task.classes):
            _warn_lacking_classes(task, fold, columns, fill)
    return out


def _warn_lacking_classes(task, fold, columns, fill):
    """Warn, as scikit-learn's ``cross_val_predict`` warns (in its words, so that a filter
    written for it matches), that a training fold lacked some of a task's classes, then
    name the task, the fold and the classes whose columns got ``fill`` there."""
    given = set(columns)
    lacking = [c for k, c in enumerate(task.classes) if k not in given]
    shown = ", ".join(repr(_key(c)) for c in lacking[:5])
    more = f" and {len(lacking) - 5} more" if len(lacking) > 5 else ""
    what = "labels" if task.kind == "multilabel" else "classes"
    value = "0" if fill == 0 else "the lowest float"
    warnings.warn(
        f"Number of classes in training fold ({len(columns)}) does not match total number "
        f"of classes ({len(task.classes)}). Results may not be appropriate for your use "
        "case. To fix this, use a cross-validation technique resulting in properly "
        f"stratified folds. Task {task.name!r}, training fold {fold}: the {what} it lacks "
        f"({shown}{more}) get {value} in its test rows.",
        RuntimeWarning,
    )


def _key(label):
    """A class label as a dictionary key (numpy scalars as Python values)."""
    return label.item() if isinstance(label, np.generic) else label


def _indexed_like(predictions, X, Y):
    """A DataFrame of predictions indexed as ``predict`` indexes them: by ``X``'s index,
    else by ``Y``'s."""
    if not isinstance(predictions, pd.DataFrame):
        return predictions
    for source in (X, Y):
        if isinstance(source, (pd.DataFrame, pd.Series)):
            return predictions.set_axis(source.index, axis=0)
    return predictions


__all__ = [
    "MultiTaskStratifiedGroupKFold",
    "MultiTaskStratifiedKFold",
    "cross_val_predict",
    "iterative_stratification",
    "label_indicators",
]
