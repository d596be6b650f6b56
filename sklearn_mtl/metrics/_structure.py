"""The structure of labels: co-occurrence of label pairs, and broken structure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._encoder import (
    EncodedLabels,
    _as_label_array,
    _check_unique_columns,
    _class_codes,
    _named_groups,
)
from .._frames import to_pandas
from .._schema import NOT_APPLICABLE, _plain, _topological_order
from ._inputs import (
    _encoder_of,
    _in_fitted_frame,
    check_sample_weight,
    encode_one,
    encode_pair,
    group_activity,
    is_placeholder,
    resolve_schema,
)

_NORMALIZE = (None, "row", "all")


def _check_normalize(normalize):
    if normalize not in _NORMALIZE:
        raise ValueError(f"normalize must be one of {list(_NORMALIZE)}; got {normalize!r}.")


def _indicators(encoded):
    """Label names, (n, L) bool "label is on", (n, L) bool "label is known"."""
    names, active, known = [], [], []
    for j, task in enumerate(encoded.schema):
        codes = encoded.codes[:, j]
        off = codes == NOT_APPLICABLE
        if task.kind in ("binary", "multiclass"):
            for k, cls in enumerate(task.classes):
                if is_placeholder(cls):
                    continue
                names.append(f"{task.name}={cls}")
                active.append(codes == k)
                known.append((codes >= 0) | off)
        elif task.kind == "multilabel":
            block = encoded.multilabel[task.name]
            for k, label in enumerate(task.classes):
                if is_placeholder(label):  # label sets that are all empty: no label
                    continue
                names.append(f"{task.name}={label}")
                active.append(block[:, k] == 1)
                known.append((block[:, k] >= 0) | off)
    n = encoded.n_samples
    if not any(task.kind in ("binary", "multiclass", "multilabel") for task in encoded.schema):
        raise ValueError("The schema has no classification task; there is no label to count.")
    if not names:  # labels that show no class (empty label sets): a 0 x 0 matrix
        return names, np.zeros((n, 0), dtype=bool), np.zeros((n, 0), dtype=bool)
    return (
        names,
        np.column_stack(active).reshape(n, -1),
        np.column_stack(known).reshape(n, -1),
    )


def _gram(left, right, chunk_cells=1 << 22, counts=True):
    """``left.T @ right`` of two (n, L) boolean matrices, as int64 counts (``left``
    holding weights, float64 sums with ``counts=False``).

    Computed in float64, by BLAS, over chunks of rows: numpy's integer matmul has no BLAS
    (minutes on 20,000 samples x 300 labels), and the sums of 0/1 products are exact in
    float64 up to 2**53 samples; the chunks bound the float copies to ``chunk_cells``.
    """
    n, width = left.shape
    total = np.zeros((width, right.shape[1]))
    step = max(1, chunk_cells // max(width, right.shape[1], 1))
    for start in range(0, n, step):
        rows = slice(start, start + step)
        total += left[rows].astype(np.float64).T @ right[rows].astype(np.float64)
    return total.astype(np.int64) if counts else total


def _cooccurrence(encoded, normalize, sample_weight=None):
    names, active, known = _indicators(encoded)
    if sample_weight is None:
        def weighted(indicator):
            return indicator
    else:  # each sample counts its weight, as in scikit-learn's confusion_matrix
        weight = check_sample_weight(sample_weight, encoded.n_samples)

        def weighted(indicator):
            return indicator * weight[:, None]
    whole = sample_weight is None  # counts of samples, not sums of weights
    counts = _gram(weighted(active), active, counts=whole)
    if normalize is None:
        values = counts
    else:
        denominator = _gram(weighted(active) if normalize == "row" else weighted(known),
                            known, counts=whole)
        with np.errstate(divide="ignore", invalid="ignore"):
            # (a sum of weights may be below 1: divided by as it is)
            values = np.where(denominator > 0,
                              counts / np.where(denominator > 0, denominator, 1), np.nan)
    return pd.DataFrame(values, index=pd.Index(names, name="label"), columns=names)


def cooccurrence_matrix(Y, *, schema=None, normalize=None, sample_weight=None):
    """How often each pair of labels is on together.

    A *label* is one class of a binary or multiclass task (``"color=red"``) or one label
    of a multilabel task. Entry ``(a, b)`` counts the samples where ``a`` and ``b`` are
    both on; the diagonal is each label's frequency. Missing labels are unknown and left
    out of the counts and of the denominators; a gated-off task is known to be off.

    Parameters
    ----------
    Y : DataFrame, array-like, list of sets or EncodedLabels
        Labels (true or predicted).
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.
    normalize : {None, "row", "all"}, default=None
        ``None``: counts. ``"row"``: P(b on | a on), over the samples where ``b`` is
        known (the diagonal is 1). ``"all"``: P(a and b on), over the samples where both
        are known. NaN where the denominator is 0.
    sample_weight : array-like of shape (n_samples,), default=None
        Each sample counts its weight, in the counts and in the denominators (as in
        :func:`sklearn.metrics.confusion_matrix`): the counts are then float sums.

    Returns
    -------
    matrix : DataFrame of shape (n_labels, n_labels)
        Indexed and labelled by ``"task=label"`` (``"labels=0"``, ``"labels=1"``, ...
        for an indicator matrix ``Y``, whose counts are ``Y.T @ Y``).

    See Also
    --------
    cooccurrence_difference : predicted minus true co-occurrence.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.metrics import cooccurrence_matrix
    >>> Y = pd.DataFrame({"car": ["yes", "yes", "no"], "color": ["red", "blue", None]})
    >>> cooccurrence_matrix(Y)  # doctest: +NORMALIZE_WHITESPACE
               car=no  car=yes  color=blue  color=red
    label
    car=no          1        0           0          0
    car=yes         0        2           1          1
    color=blue      0        1           1          0
    color=red       0        1           0          1
    """
    _check_normalize(normalize)
    return _cooccurrence(encode_one(Y, schema), normalize, sample_weight)


def cooccurrence_difference(Y_true, Y_pred, *, schema=None, normalize="all",
                            sample_weight=None):
    """Predicted minus true co-occurrence of label pairs.

    Both are computed on one shared schema, so the labels line up. Positive entries are
    pairs the model puts together more often than the truth does.

    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels.
    Y_pred : DataFrame, array-like, list of sets or EncodedLabels
        Predicted labels, in the same form.
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.
    normalize : {None, "row", "all"}, default="all"
        As in :func:`cooccurrence_matrix`.
    sample_weight : array-like of shape (n_samples,), default=None
        As in :func:`cooccurrence_matrix`.

    Returns
    -------
    difference : DataFrame of shape (n_labels, n_labels)

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.metrics import cooccurrence_difference
    >>> Y_true = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]})
    >>> Y_pred = pd.DataFrame({"a": ["x", "y"], "b": ["u", "u"]})
    >>> int(cooccurrence_difference(Y_true, Y_pred, normalize=None).loc["a=y", "b=u"])
    1
    """
    _check_normalize(normalize)
    true, pred = encode_pair(Y_true, Y_pred, schema)
    return (_cooccurrence(pred, normalize, sample_weight)
            - _cooccurrence(true, normalize, sample_weight))


def cooccurrence_matrices(Y_true, Y_pred, *, schema=None, normalize=None,
                          sample_weight=None):
    """True and predicted co-occurrence matrices on one shared set of labels.

    Both are computed on one shared schema, so their rows and columns line up (their
    difference is :func:`cooccurrence_difference`).

    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels.
    Y_pred : DataFrame, array-like, list of sets or EncodedLabels
        Predicted labels, in the same form.
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.
    normalize : {None, "row", "all"}, default=None
        As in :func:`cooccurrence_matrix`.
    sample_weight : array-like of shape (n_samples,), default=None
        As in :func:`cooccurrence_matrix`.

    Returns
    -------
    true_matrix : DataFrame of shape (n_labels, n_labels)
        The co-occurrence of the true labels, as :func:`cooccurrence_matrix` gives it.
    pred_matrix : DataFrame of shape (n_labels, n_labels)
        The co-occurrence of the predicted labels, on the same labels.

    See Also
    --------
    cooccurrence_matrix : the co-occurrence of one set of labels.
    cooccurrence_difference : predicted minus true co-occurrence.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.metrics import cooccurrence_matrices
    >>> Y_true = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]})
    >>> Y_pred = pd.DataFrame({"a": ["x", "y"], "b": ["u", "u"]})
    >>> true, pred = cooccurrence_matrices(Y_true, Y_pred)
    >>> int(true.loc["a=y", "b=u"]), int(pred.loc["a=y", "b=u"])
    (0, 1)
    """
    _check_normalize(normalize)
    true, pred = encode_pair(Y_true, Y_pred, schema)
    return (_cooccurrence(true, normalize, sample_weight),
            _cooccurrence(pred, normalize, sample_weight))


# ----------------------------------------------------------------------- violations
_ON, _OFF, _UNKNOWN = 1, 0, -1


def consistency_violations(Y_pred, schema):
    """Predictions that break the label structure: gates, or exclusive groups.

    A *gate* violation is a label given for a task whose gate is off: its parent task
    has a value outside the gate, or is itself gated off (``color="red"`` where
    ``car="no"``). A parent with a missing value leaves the gate unknown: no violation.
    A parent's value counts also where its own gate is unknown, as the encoder and the
    metrics read it: with ``car`` missing and ``color="blue"``, a ``shade`` gated on
    ``color="red"`` is a violation.
    An *exclusivity* violation is more than one active label in one exclusive group of
    a flat label space (see :meth:`StructuredLabelEncoder.from_groups`); such a group
    then has no single value, and the gates of its children are unknown.

    The metrics score such predictions without raising: a label given where its gate is
    off is masked, and a group with more than one active label is a missing prediction
    of its task (wrong where the truth has a label; it lowers recall, not precision).

    Parameters
    ----------
    Y_pred : DataFrame, array-like, multi-hot matrix, list of sets or EncodedLabels
        Predicted labels, read as they are (nothing is masked or corrected).
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator
        The tasks and gates; an encoder made by ``from_groups`` (fitted or not) gives
        the exclusive groups of a multi-hot matrix or of label sets.

    Returns
    -------
    violations : DataFrame
        One row per violation, columns ``row`` (position of the sample), ``task``,
        ``violation`` (``"gate"`` or ``"exclusivity"``) and ``detail``. Empty when the
        predictions are consistent.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl import Task
    >>> from sklearn_mtl.metrics import consistency_violations
    >>> tasks = [Task("car", classes=["no", "yes"]),
    ...          Task("color", classes=["red", "blue"], gate=("car", "yes"))]
    >>> Y_pred = pd.DataFrame({"car": ["yes", "no"], "color": ["red", "blue"]})
    >>> consistency_violations(Y_pred, tasks)[["row", "task", "violation"]]
       row   task violation
    0    1  color      gate
    """
    tasks, groups = _structure_of(schema)
    violations = []
    Y_pred = to_pandas(Y_pred, "Y_pred", labels=True)
    _check_unique_columns(Y_pred, "Y_pred")
    # an array for a model fitted on a DataFrame holds its columns by position, in the
    # frame's order (predict's), which the declared tasks may list in another order
    Y_pred = _in_fitted_frame(Y_pred, resolve_schema(schema)[0])
    if isinstance(Y_pred, EncodedLabels):
        values, has_label = _read_encoded(Y_pred, tasks)
    elif groups is not None:
        values, has_label = _read_groups(Y_pred, groups, violations)
    else:
        values, has_label = _read_columns(Y_pred, tasks)
    n = len(next(iter(has_label.values())))
    state = {}
    for i in _topological_order(tasks):
        task = tasks[i]
        if task.gate is None:
            state[task.name] = np.full(n, _ON)
            continue
        parent, gate_values = task.gate
        parent_state = state[parent]
        parent_values = values[parent]
        on = np.array([v is not None and v in gate_values for v in parent_values])
        present = np.array([v is not None for v in parent_values])
        # As Schema.apply_gates reads codes: a parent gated off turns the task off; a
        # parent's value, whether its own gate is on or unknown, turns it on or off; a
        # missing parent leaves it unknown.
        s = np.where(present, np.where(on, _ON, _OFF), _UNKNOWN)
        s = np.where(parent_state == _OFF, _OFF, s)
        state[task.name] = s
        # the gate's values as they are, as the encoder's error shows them: [1], not ['1']
        expected = sorted(_plain(gate_values), key=str)
        for row in np.flatnonzero((s == _OFF) & has_label[task.name]):
            if parent_state[row] == _OFF:
                why = f"{parent!r} is not applicable"
            else:
                why = f"{parent!r} is {_plain([parent_values[row]])[0]!r}"
            violations.append({
                "row": int(row),
                "task": task.name,
                "violation": "gate",
                "detail": f"Task {task.name!r} has a label but {why}; it applies only when "
                          f"{parent!r} is one of {expected}.",
            })
    out = pd.DataFrame(violations, columns=["row", "task", "violation", "detail"])
    return out.sort_values(["row", "task"], kind="stable").reset_index(drop=True)


def _structure_of(schema):
    """(tasks, groups or None) from the ``schema`` argument."""
    if schema is None:
        raise ValueError("consistency_violations needs a schema: the gates to check.")
    encoder, tasks = resolve_schema(schema)
    encoder = encoder if encoder is not None else _encoder_of(schema)
    groups = getattr(encoder, "groups", None)
    if groups is None and hasattr(schema, "groups") and schema.groups is not None:
        groups = schema.groups
    if groups is not None:
        groups = _named_groups(groups)  # (1 and '1' refused, as fit refuses them)
    return tasks, groups


def _read_encoded(encoded, tasks):
    values, has_label = {}, {}
    for task in tasks:
        j = encoded.schema.index(task.name)
        codes = encoded.codes[:, j]
        if task.kind in ("binary", "multiclass"):
            classes = task.classes
            values[task.name] = [classes[c] if c >= 0 else None for c in codes]
            has_label[task.name] = codes >= 0
        else:
            values[task.name] = [None] * len(codes)
            if task.kind == "multilabel":
                has_label[task.name] = (encoded.multilabel[task.name] == 1).any(axis=1)
            else:
                has_label[task.name] = ~np.isnan(encoded.regression[task.name])
    return values, has_label


_SETS = (list, set, frozenset, tuple, np.ndarray)  # a multilabel task's label sets


def _is_missing(value):
    if isinstance(value, _SETS):
        return False
    return value is None or bool(pd.isna(value))


def _read_columns(Y, tasks):
    if isinstance(Y, pd.DataFrame):
        by_name = {str(c): c for c in Y.columns}

        def column(task):
            names = task.columns if task.columns is not None else [task.name]
            absent = [c for c in names if c not in by_name]
            if absent:
                raise ValueError(
                    f"Y_pred has no column {absent[0]!r} for task {task.name!r}; its columns "
                    f"are {list(by_name)}."
                )
            if task.columns is not None:
                return Y[[by_name[c] for c in names]].to_numpy(dtype=object)
            return Y[by_name[task.name]].to_numpy(dtype=object)
    else:
        arr = _as_label_array(Y)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        indicator = len(tasks) == 1 and tasks[0].kind == "multilabel" and arr.dtype != object
        if indicator:  # an indicator matrix: one multilabel task, a label per column
            arr = arr[:, None, :]
        if arr.shape[1] != len(tasks):
            raise ValueError(
                f"Y_pred has {arr.shape[1]} columns, but the schema has {len(tasks)} tasks "
                f"{[t.name for t in tasks]}; expected one column per task."
            )

        def column(task):
            return arr[:, [t.name for t in tasks].index(task.name)]

    values, has_label = {}, {}
    for task in tasks:
        col = column(task)
        if col.ndim == 2:  # multilabel as 0/1 columns
            block = pd.DataFrame(col).apply(pd.to_numeric, errors="coerce").to_numpy(float)
            has_label[task.name] = np.nan_to_num(block).astype(bool).any(axis=1)
            values[task.name] = [None] * len(col)
            continue
        missing = np.array([_is_missing(v) for v in col], dtype=bool)
        if task.kind == "multilabel":
            has_label[task.name] = np.array(
                [not m and len(v) > 0 for v, m in zip(col, missing)], dtype=bool
            )
            values[task.name] = [None] * len(col)
        elif task.classes is not None and (
            task.kind in ("binary", "multiclass")
            or (task.kind is None and not any(isinstance(v, _SETS) for v in col))
        ):
            # read as the encoder and the other metrics read it: 1.0 is class 1, and a
            # label the task does not know ('1' for class 1) is refused, not a gate off
            try:
                codes = _class_codes(task, col)
            except ValueError as exc:
                raise ValueError(f"Y_pred: {exc}") from None
            has_label[task.name] = codes >= 0
            values[task.name] = [task.classes[c] if c >= 0 else None for c in codes]
        else:
            has_label[task.name] = ~missing
            values[task.name] = [None if m else v for v, m in zip(col, missing)]
    return values, has_label


def _read_groups(Y, groups, violations):
    hot_of, _ = group_activity(Y, groups)
    values, has_label = {}, {}
    for name, labels in groups.items():
        hot = hot_of[name]
        count = hot.sum(axis=1)
        for row in np.flatnonzero(count > 1):
            active = [labels[k] for k in np.flatnonzero(hot[row])]
            violations.append({
                "row": int(row),
                "task": name,
                "violation": "exclusivity",
                "detail": f"Group {name!r} has {len(active)} active labels {active}; "
                          "expected at most one.",
            })
        values[name] = [labels[int(np.argmax(h))] if c == 1 else None for h, c in zip(hot, count)]
        has_label[name] = count > 0
    return values, has_label
