"""Turn the label forms users have into aligned :class:`EncodedLabels` for metrics.

Every metric accepts ``Y_true`` and ``Y_pred`` in the user's forms (DataFrame, 2-D or
1-D arrays, multi-hot matrices, label sets) or as :class:`~sklearn_mtl.EncodedLabels`,
plus an optional ``schema``: a :class:`~sklearn_mtl.Schema`, a list of
:class:`~sklearn_mtl.Task`, a fitted :class:`~sklearn_mtl.StructuredLabelEncoder`, or a
fitted estimator with an ``encoder_`` (or a pipeline, search or threshold tuner around
one). The schema is what tells a gated-off label from a missing one; without it the
tasks are inferred from the union of ``Y_true`` and ``Y_pred`` and every absent label
counts as missing.

Labels given where their gate is off are masked (``gated_labels="mask"``), in the truth
and in the predictions alike: a metric never raises on an inconsistent prediction (see
:func:`~sklearn_mtl.metrics.consistency_violations` to find those). A predicted exclusive
group with more than one active label has no single value: it is read as a missing
prediction of its task, wrong where the truth has a label. An inconsistent ``Y_true``
raises, as the encoder does, and so does a label that a task does not know, in either:
each error names ``Y_true`` or ``Y_pred``, and the row there.
"""

from __future__ import annotations

import copy
import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._encoder import (
    INDICATOR_TASK,
    EncodedLabels,
    StructuredLabelEncoder,
    _as_label_array,
    _check_unique_columns,
    _ColumnsReader,
    _complete_in_gate_order,
    _complete_task,
    _is_indicator,
    _is_label_container,
    _named_groups,
    _reads_as_label_sets,
    _rows,
)
from .._frames import has_positional_names, is_polars, to_pandas
from .._schema import Schema, Task, _labels_equal
from .._validation import check_row_order, mapping_form

_CONTAINERS = (list, set, frozenset, tuple)


class _Absent:
    """Placeholder class of a task whose labels show fewer than two classes: no label
    equals it, and no metric lists it."""

    def __repr__(self):
        return "<absent>"


ABSENT = _Absent()
#: The classes that fill up a task whose labels show fewer than two (none: both).
PLACEHOLDERS = (ABSENT, _Absent())


def is_placeholder(cls):
    """Whether a class is a placeholder (:data:`PLACEHOLDERS`), not a label."""
    return isinstance(cls, _Absent)


def resolve_schema(schema):
    """Split the ``schema`` argument into (fitted encoder or None, list of Task or None)."""
    if schema is None:
        return None, None
    if isinstance(schema, StructuredLabelEncoder):
        if hasattr(schema, "schema_"):
            return schema, list(schema.schema_.tasks)
        if schema.groups is not None:
            return schema, _complete_group_tasks(schema)
        if schema.tasks is None:
            raise NotFittedError(
                "schema is a StructuredLabelEncoder that is not fitted and declares no tasks "
                "(tasks=) nor groups: it holds no schema. Fit it on the labels, or pass "
                "schema=None to infer the tasks from them."
            )
        return None, _as_tasks(schema.tasks)
    if isinstance(schema, Schema):
        return None, list(schema.tasks)
    if isinstance(schema, Task) or isinstance(schema, (list, tuple)):
        return None, _as_tasks(schema)
    encoder = _encoder_of(schema)
    if encoder is not None:
        return encoder, list(encoder.schema_.tasks)
    if hasattr(schema, "fit") and hasattr(schema, "get_params"):
        check_is_fitted(schema)  # an estimator not fitted yet: NotFittedError, as sklearn's
    raise TypeError(
        "schema must be a Schema, a list of Task, a StructuredLabelEncoder or a fitted "
        f"sklearn-mtl estimator; got {type(schema).__name__}."
    )


#: Attributes of a fitted meta-estimator that hold the model it predicts with: a
#: search's refitted best model, a wrapper's fitted estimator (a threshold tuner).
_FITTED_INNER = ("best_estimator_", "estimator_")


def _encoder_of(obj, depth=4):
    """The fitted label encoder of an estimator, or of the fitted model inside it.

    Looked for in ``obj.encoder_``, then, up to ``depth`` levels down, in a pipeline's
    final step, a search's ``best_estimator_`` (``GridSearchCV``) and a wrapper's
    ``estimator_`` (``TaskThresholdTuner``): the model that ``obj.predict`` uses.
    """
    encoder = getattr(obj, "encoder_", None)
    if isinstance(encoder, StructuredLabelEncoder) and hasattr(encoder, "schema_"):
        return encoder
    if depth == 0:
        return None
    steps = getattr(obj, "steps", None)
    inner = [steps[-1][1]] if steps else []
    inner += [getattr(obj, name, None) for name in _FITTED_INNER]
    for candidate in inner:
        if candidate is not None and candidate is not obj:
            encoder = _encoder_of(candidate, depth - 1)
            if encoder is not None:
                return encoder
    return None


def _as_tasks(tasks):
    if isinstance(tasks, Task):
        tasks = [tasks]
    tasks = list(tasks)
    for task in tasks:
        if not isinstance(task, Task):
            raise TypeError(f"schema must be a list of Task objects; got {task!r}.")
    return tasks


def _complete_group_tasks(encoder):
    """Tasks of an unfitted ``from_groups`` encoder (kinds filled from group sizes)."""
    groups = _named_groups(encoder.groups)  # (1 and '1' refused, as fit refuses them)
    declared = {t.name: t for t in (encoder.tasks or [])}
    tasks = []
    for name, labels in groups.items():
        task = declared.get(name, Task(name))
        kind = task.kind or ("binary" if len(labels) == 2 else "multiclass")
        tasks.append(task._replace(kind=kind, classes=labels))
    return tasks


def _is_complete(task):
    return task.kind is not None and (task.kind == "regression" or task.classes is not None)


# ------------------------------------------------------------------------------ forms
def align_pred(Y_true, Y_pred):
    """``Y_pred`` in ``Y_true``'s form where that is unambiguous (never mutates either).

    A 2-D array of predictions for a DataFrame truth gets the truth's columns, and so do
    label sets for a one-column truth (its multilabel task) and a Series or 1-D array for
    a one-column truth; a DataFrame of predictions is reordered to the truth's columns.
    A column vector ``(n_samples, 1)`` against a 1-D truth (or the reverse) is read as
    the one task it is, as scikit-learn's metrics read it; any other difference in the
    number of columns raises, naming both shapes.
    """
    if isinstance(Y_true, pd.DataFrame):
        if isinstance(Y_pred, pd.Series):
            if Y_true.shape[1] == 1:  # one task, as a 1-D array of predictions is read
                return Y_pred.to_frame(name=Y_true.columns[0])
            raise ValueError(
                f"Y_pred is a Series (one column), but Y_true is a DataFrame with "
                f"{Y_true.shape[1]} columns {[str(c) for c in Y_true.columns]}; expected "
                f"Y_pred in Y_true's form: a DataFrame with the same columns or a 2-D array "
                f"(n_samples, {Y_true.shape[1]})."
            )
        if isinstance(Y_pred, pd.DataFrame):
            true_cols = [str(c) for c in Y_true.columns]
            pred_cols = [str(c) for c in Y_pred.columns]
            if set(true_cols) != set(pred_cols):
                absent = [c for c in true_cols if c not in pred_cols]
                extra = [c for c in pred_cols if c not in true_cols]
                raise ValueError(
                    "Y_true and Y_pred must have the same columns; Y_pred lacks "
                    f"{absent} and has extra {extra} (Y_true's columns are {true_cols})."
                )
            by_name = {str(c): c for c in Y_pred.columns}
            return Y_pred[[by_name[c] for c in true_cols]].set_axis(Y_true.columns, axis=1)
        if _is_label_sets(Y_pred):
            columns = [str(c) for c in Y_true.columns]
            single = _present_values(Y_true.iloc[:, 0]) if len(columns) == 1 else None
            if len(columns) != 1 or single:
                got = (f"a column {columns[0]!r} of one label per row (e.g. {single[0]!r})"
                       if single else f"a DataFrame with {len(columns)} columns {columns}")
                raise ValueError(
                    f"Y_pred is a list of label sets (one multilabel task), but Y_true is "
                    f"{got}; expected Y_pred in Y_true's form: a DataFrame with the same "
                    f"columns or a 2-D array (n_samples, {len(columns)})."
                )
            column = np.empty(len(Y_pred), dtype=object)
            column[:] = list(Y_pred)
            return pd.DataFrame({Y_true.columns[0]: column})
        if isinstance(Y_pred, (np.ndarray, list)) or sp.issparse(Y_pred) or hasattr(
                Y_pred, "__array__"):
            # a sparse indicator (a model fitted on one predicts one) as its dense twin,
            # a tensor (a skorch net's output) as its array
            arr = _as_label_array(Y_pred)
            if arr.ndim == 1 and Y_true.shape[1] == 1:
                arr = arr.reshape(-1, 1)
            if arr.ndim == 2 and arr.shape[1] == Y_true.shape[1]:
                return pd.DataFrame(arr, columns=Y_true.columns)
            raise ValueError(
                f"Y_pred has shape {arr.shape}, but Y_true is a DataFrame with "
                f"{Y_true.shape[1]} columns {[str(c) for c in Y_true.columns]}; expected "
                f"(n_samples, {Y_true.shape[1]})."
            )
    if isinstance(Y_true, pd.Series) and isinstance(Y_pred, pd.DataFrame):
        if Y_pred.shape[1] == 1:
            return Y_pred.iloc[:, 0]
    true_shape, pred_shape = _label_shape(Y_true), _label_shape(Y_pred)
    if true_shape is None or pred_shape is None or len(true_shape) == len(pred_shape) and (
            true_shape[1:] == pred_shape[1:]):
        return Y_pred
    if _width(true_shape) == _width(pred_shape) == 1:
        # a column vector against a 1-D y: one task, as scikit-learn's column_or_1d reads it
        arr = _as_label_array(Y_pred)
        return arr.reshape(-1) if len(true_shape) == 1 else arr.reshape(-1, 1)
    # otherwise numpy or pandas would fail deep in the encoding, on the stacked labels
    raise ValueError(
        f"Y_pred has shape {pred_shape}, but Y_true has shape {true_shape}; expected "
        f"Y_pred in Y_true's form, one column per task: "
        + ("a 1-D array (n_samples,)." if len(true_shape) == 1
           else f"(n_samples, {true_shape[1]}).")
    )


def _label_shape(Y):
    """The shape of labels held one column per task -- ``(n_samples,)`` for a 1-D ``y`` or
    a list of label sets, ``(n_samples, n_columns)`` for a 2-D one --, or None for a form
    read otherwise (EncodedLabels, a mapping), left to the encoder to read or refuse."""
    if isinstance(Y, (pd.DataFrame, pd.Series)) or sp.issparse(Y):
        return Y.shape
    if not isinstance(Y, (np.ndarray, list, tuple)):
        return None
    try:
        arr = _as_label_array(Y)
    except (TypeError, ValueError):
        return None
    return arr.shape if arr.ndim in (1, 2) else None


def _width(shape):
    return 1 if len(shape) == 1 else shape[1]


def _is_label_sets(Y, gaps=False):
    # as the encoder reads label sets with groups: a row may be missing (None) and a
    # frame's column of them (a Series) is one, as ``Y["tags"]`` fits the encoder
    return _reads_as_label_sets(Y, gaps) and len(Y) > 0


def _concat(Y_true, Y_pred):
    """Both label sets stacked (for schema inference); inputs are left untouched."""
    if Y_pred is None:
        return Y_true
    if isinstance(Y_true, pd.DataFrame):
        return pd.concat([Y_true, Y_pred], ignore_index=True)
    if isinstance(Y_true, pd.Series):
        pred = Y_pred if isinstance(Y_pred, pd.Series) else pd.Series(_as_label_array(Y_pred))
        return pd.concat([Y_true.reset_index(drop=True), pred.reset_index(drop=True)],
                         ignore_index=True).rename(Y_true.name)
    if isinstance(Y_true, list) and isinstance(Y_pred, list):
        return Y_true + Y_pred
    true, pred = _as_label_array(Y_true), _as_label_array(Y_pred)
    if true.dtype != pred.dtype:
        true, pred = true.astype(object), pred.astype(object)
    return np.concatenate([true, pred], axis=0)


def _raw_columns(Y):
    """(name, object values) per column of a column-form label container."""
    if isinstance(Y, pd.DataFrame):
        return [(str(c), Y[c]) for c in Y.columns]
    name = getattr(Y, "name", None)
    if isinstance(Y, pd.Series):  # read as a frame's column is: its dtype kept
        return [("y" if name is None else str(name), Y)]
    arr = _as_label_array(Y)
    if arr.ndim == 1:
        return [("y" if name is None else str(name), arr)]
    return [(f"task{j}", arr[:, j]) for j in range(arr.shape[1])]


def _present_values(values):
    out = []
    for v in np.asarray(values, dtype=object):
        if _is_label_container(v):  # a list, set, tuple or 1-D array (a Parquet list)
            return None  # a multilabel column: let the encoder infer it
        if not pd.isna(v):
            out.append(v)
    return out


def _indicator_tasks(Y):
    """One multilabel task, a label per column, when ``Y`` is a 0/1 indicator matrix."""
    if isinstance(Y, (pd.DataFrame, pd.Series)):
        return None
    arr = _as_label_array(Y)
    if arr.dtype == object and arr.ndim == 2:  # e.g. float truth stacked on int predictions
        if not all(isinstance(v, (numbers.Number, np.number)) for v in arr.flat):
            return None
        arr = arr.astype(float)
    if not _is_indicator(arr):
        return None
    return [Task(INDICATOR_TASK, kind="multilabel", classes=list(range(arr.shape[1])))]


def _infer_tasks(Y):
    """Tasks for labels without a schema: the encoder's inference, plus single-class tasks.

    A column whose labels show one class (a perfectly predicted constant task) is a
    binary task whose second class never occurs, instead of an error; the classes of a
    categorical column are its categories, so one category makes such a task.
    """
    indicator = _indicator_tasks(Y)
    if indicator is not None:
        return indicator
    tasks = []
    for name, values in _raw_columns(Y):
        dtype = getattr(values, "dtype", None)
        if isinstance(dtype, pd.CategoricalDtype):
            present = list(values.cat.categories)
        elif dtype is not None and dtype.kind == "b":
            present = None  # classes False and True, whichever the labels show
        else:
            present = _present_values(values)
        if present and len(set(present)) == 1:
            tasks.append(Task(name, kind="binary", classes=[present[0], ABSENT]))
        else:
            tasks.append(Task(name))
    return tasks


def _extend_classes(tasks, Y):
    """Append to each classification task the labels of ``Y`` it does not know.

    Used by scorers, where the schema was learned on a training fold and the test fold
    may hold a class the fold never saw, or, in a multilabel task given as label sets,
    a label no training row had. A label where the task's gate is off is masked, not a
    class (parents are extended first: a class new to a parent closes the gate).
    """
    columns = dict(_raw_columns(Y))
    if isinstance(Y, pd.DataFrame):
        by_task = columns
    elif len(columns) == len(tasks):
        by_task = {t.name: values for t, (_, values) in zip(tasks, columns.items())}
    else:
        return tasks

    def extend(task, values, applies):
        if values is None or task.columns is not None or task.classes is None:
            return task
        if task.kind not in ("binary", "multiclass", "multilabel"):
            return task
        rows = applies()
        if task.kind == "multilabel":
            # the labels of its sets, as the encoder reads them where it infers them;
            # what it refuses (a gap in a set, no label at all) is left to the encoding
            try:
                present = _complete_task(task._replace(classes=None), values,
                                         applies=rows).classes
            except ValueError:
                return task
        else:
            present = _present_values(values if rows is None else _rows(values, rows))
        known = set(task.classes)
        extra = []
        for v in present or ():
            if v not in known:
                known.add(v)
                extra.append(v)
        if not extra:
            return task
        kind = "multilabel" if task.kind == "multilabel" else "multiclass"
        return task._replace(kind=kind, classes=list(task.classes) + extra)

    return _complete_in_gate_order(tasks, by_task, extend)


# ------------------------------------------------------------------------------ groups
def group_activity(Y, groups):
    """Which labels of each exclusive group are on in a flat label space.

    ``Y`` is a multi-hot matrix (an array, sparse or dense, whose column ``c`` is label
    ``c``, or a DataFrame whose columns are named by the labels) or a list of label sets;
    it is predictions (``Y_pred``), read as they are.

    Returns ``(hot, turned_off)``: ``hot[group]`` is a bool array (n_samples, n_labels of
    the group), and ``turned_off(off)`` a copy of ``Y`` in its own form where each label
    ``l`` of ``off`` is turned off on the rows ``off[l]`` (a bool array).
    """
    if isinstance(Y, pd.DataFrame) and has_positional_names(Y.columns):
        names = {str(c) for c in Y.columns}
        if not any(str(label) in names for labels in groups.values() for label in labels):
            # pl.from_numpy(P) names its columns column_0, ...: positions, as in the array
            # P, where no label names a column (one of labels column_0, ... mistyped is
            # absent)
            Y = Y.to_numpy()
    if isinstance(Y, pd.DataFrame):
        by_name = {str(c): c for c in Y.columns}

        def active_of(label):
            if str(label) not in by_name:
                raise ValueError(
                    f"The multi-hot Y_pred has no column for label {label!r}; its columns are "
                    f"{list(by_name)}."
                )
            return np.asarray(Y[by_name[str(label)]], dtype=float) == 1

        def turned_off(off):
            out = Y.copy()
            for label, rows in off.items():
                column = out[by_name[str(label)]]
                if isinstance(column.dtype, pd.CategoricalDtype):
                    # a category "off" may not be among its categories (a column all 1)
                    column = column.astype(object)
                # "off" in the column's own dtype: a nullable or pyarrow boolean column
                # refuses the integer 0
                value = False if pd.api.types.is_bool_dtype(column.dtype) else 0
                out[by_name[str(label)]] = column.where(~rows, value)
            return out
    elif _is_label_sets(Y, gaps=True):  # (with groups: gaps alone are rows of no label)
        sets = [set(s) if _is_label_container(s) else set() for s in Y]

        def active_of(label):
            return np.array([label in s for s in sets], dtype=bool)

        def turned_off(off):
            # (an array read from Parquet comes back a list, as the encoder gives it)
            return [
                (type(s) if isinstance(s, _CONTAINERS) else list)(
                    v for v in s if not (v in off and off[v][row]))
                if _is_label_container(s) else s
                for row, s in enumerate(Y)
            ]
    else:
        arr = np.asarray(Y.toarray() if sp.issparse(Y) else Y)
        if arr.ndim != 2:
            raise ValueError(
                f"Y_pred has shape {arr.shape}; expected a multi-hot matrix (n_samples, "
                "n_labels) or a list of label sets."
            )

        def active_of(label):
            if not (isinstance(label, (int, np.integer)) and 0 <= label < arr.shape[1]):
                raise ValueError(
                    f"Label {label!r} is not a column index of the multi-hot Y_pred of width "
                    f"{arr.shape[1]}."
                )
            return np.asarray(arr[:, int(label)], dtype=float) == 1

        def turned_off(off):
            out = arr.copy()
            for label, rows in off.items():
                out[rows, int(label)] = 0
            return out

    hot = {
        str(name): np.column_stack([active_of(label) for label in labels])
        for name, labels in groups.items()
    }
    return hot, turned_off


def _without_conflicts(Y_pred, groups):
    """``Y_pred`` with each exclusive group that has more than one active label in a row
    turned off in that row: the group has no single value there, so its task reads as
    a missing prediction (wrong where the truth has a label). ``Y_pred`` is left as it is.
    """
    hot, turned_off = group_activity(Y_pred, groups)
    off = {}
    for name, labels in groups.items():
        conflict = hot[str(name)].sum(axis=1) > 1
        if conflict.any():
            off.update((label, conflict) for label in labels)
    return turned_off(off) if off else Y_pred


# ---------------------------------------------------------------------------- encoding
def _as_pandas(Y_true, Y_pred):
    """Polars labels read as pandas ones (:func:`~sklearn_mtl._frames.to_pandas`)."""
    return to_pandas(Y_true, "Y_true", labels=True), to_pandas(Y_pred, "Y_pred", labels=True)


def _in_fitted_frame(Y, encoder):
    """``Y`` as a DataFrame with the columns of the one ``encoder`` was fitted on, where
    it was fitted on a DataFrame and ``Y`` is an array, a list or a Series of the same
    width: its columns are read by position, in the fitted frame's order (the order
    ``predict`` gives them back in), as scikit-learn's ``MultiOutputClassifier.score``
    reads ``Y_test.to_numpy()``. A DataFrame whose columns bear polars' positional names
    (``pl.from_numpy(Y_test.to_numpy())``: ``column_0``, ``column_1``, ...) is read by
    position as that array is, where none of its names is a fitted column. Anything else
    is left to the encoder to read (or refuse)."""
    reader = getattr(encoder, "_reader", None)
    columns = getattr(reader, "columns", None)
    if getattr(reader, "form", None) != "frame" or columns is None:
        return Y
    if isinstance(Y, pd.Series):
        return Y.to_frame(name=columns[0]) if len(columns) == 1 else Y
    if is_polars(Y) and has_positional_names(getattr(Y, "columns", ())):
        Y = to_pandas(Y, "Y", labels=True)
    if isinstance(Y, pd.DataFrame):
        if (has_positional_names(Y.columns) and Y.shape[1] == len(columns)
                and not {str(c) for c in Y.columns} & {str(c) for c in columns}):
            # the names stand for positions, as the array's would (a frame fitted with
            # columns column_0, ... is read by name, one of them mistyped named as absent);
            # each column keeps its own dtype
            Y = Y.set_axis(columns, axis=1)
        return Y
    if not isinstance(Y, (np.ndarray, list, tuple)):
        return Y
    try:
        arr = _as_label_array(Y)
    except ValueError:  # not labels in columns: the encoder says what it expected
        return Y
    if arr.ndim == 1 and len(columns) == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] != len(columns):
        return Y
    frame = pd.DataFrame(arr)
    frame.columns = columns
    return frame


def encode_truth(Y, encoder):
    """``Y`` encoded by a fitted estimator's encoder, for its ``score``.

    ``Y`` is read as the scorers read it (:func:`fit_label_encoder`), so that ``score``
    and ``exact_match_scorer`` count the same samples: a label where its gate is off is
    masked (``gated_labels="mask"``), as is an exclusive group with no active label
    (``missing_groups="mask"``), whatever the estimator's encoder says for training. A
    class the estimator never saw in training (a rare class that fell in the test fold)
    is appended to its task, as the scorers do: no prediction can name it, so it scores
    as an error instead of raising.
    """
    tasks = list(encoder.schema_.tasks)
    Y = _in_fitted_frame(to_pandas(Y, "Y", labels=True), encoder)
    params = _scoring_options(encoder)
    if encoder.groups is None:
        extended = _extend_classes(tasks, Y)
        if extended != tasks:
            return clone(encoder).set_params(tasks=extended, **params).fit_transform(Y)
    # The fitted encoder reads the masking options at transform time: a shallow copy
    # with them changed encodes on the fitted schema, leaving the estimator's as it is.
    return copy.copy(encoder).set_params(**params).transform(Y)


def _read_as(method, Y, name):
    """``method(Y)``, where a ValueError (a label refused, at its row) names ``name``,
    the argument that holds it (``"Y_true"`` or ``"Y_pred"``; ``None`` leaves it as is)."""
    if name is None:
        return method(Y)
    try:
        return method(Y)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _complete_tasks(tasks, Y):
    """Tasks with the kinds and classes the encoder infers from ``Y`` (the stacked truth
    and predictions), without encoding it: the rows of a stack are neither ``Y_true``'s
    nor ``Y_pred``'s, so each is checked against the tasks on its own.

    Scoring takes the classes that the labels show, where training refuses too few: a
    task whose labels show one class gets :data:`ABSENT` as its second (as without a
    schema), one that shows none is two placeholders (it scores NaN; a multilabel task
    whose label sets are all empty is one placeholder, never on, and scores as an all-zero
    indicator), and a parent's classes include the values its children's gates name (a
    gate open on no row). Gated labels are masked, so a label where its task's gate is off
    is no class of the task, as the encoder reads it with ``gated_labels="mask"``.
    """
    reader = _ColumnsReader.fit(Y, tasks)
    columns = reader.read(Y)
    opening = {}
    for task in reader.tasks:
        if task.gate is not None:
            opening.setdefault(task.gate[0], set()).update(task.gate[1])
    return _complete_in_gate_order(
        reader.tasks,
        columns,
        lambda task, raw, applies: _complete_task(
            task, raw, gate_values=opening.get(task.name, ()), placeholders=PLACEHOLDERS,
            applies=applies() if task.classes is None else None,
        ),
    )


def _scoring_options(encoder):
    """The options with which the scorers read labels on ``encoder``'s schema: a label
    where its gate is off is masked, and so is an exclusive group without an active
    label (``from_groups``), whatever the encoder says for training."""
    options = {"gated_labels": "mask"}
    if encoder.groups is not None:
        options["missing_groups"] = "mask"
    return options


def fit_label_encoder(Y_true, Y_pred=None, schema=None, *, extend_classes=False):
    """A fitted encoder that reads ``Y_true`` and ``Y_pred`` alike (gated labels masked).

    With ``Y_pred``, a label of ``Y_true`` that the encoder refuses is named as
    ``Y_true``'s, at its row.
    """
    encoder, tasks = resolve_schema(schema)
    Y_true, Y_pred = _as_pandas(Y_true, Y_pred)
    _check_unique_columns(Y_true, "Y" if Y_pred is None else "Y_true")
    _check_unique_columns(Y_pred, "Y_pred")
    both = _concat(Y_true, Y_pred)
    if encoder is not None and getattr(getattr(encoder, "_reader", None), "indicator", False):
        # Binary tasks read from a 0/1 indicator matrix: their positive classes are the
        # labels of one multilabel task, as scikit-learn's multi-label metrics read them.
        encoder, tasks = None, _indicator_tasks(both)
    if encoder is not None:
        tasks = list(encoder.schema_.tasks) if hasattr(encoder, "schema_") else tasks
        if extend_classes and encoder.groups is None:
            tasks = _extend_classes(tasks, both)
        encoder = clone(encoder).set_params(tasks=tasks, **_scoring_options(encoder))
    else:
        try:
            tasks = _read_tasks(tasks, both)
        except ValueError as exc:
            if Y_pred is None:
                raise
            raise _refused_by(exc, tasks, Y_true, Y_pred) from None
        encoder = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
    return _read_as(encoder.fit, Y_true, None if Y_pred is None else "Y_true")


def _read_tasks(tasks, Y):
    """``tasks`` (None: inferred) with the kinds and classes that ``Y`` shows."""
    if tasks is None:
        tasks = _infer_tasks(Y)
    if not all(_is_complete(t) for t in tasks):
        tasks = _complete_tasks(tasks, Y)
    return tasks


def _refused_by(exc, tasks, Y_true, Y_pred):
    """``exc``, raised reading the tasks of ``Y_true`` and ``Y_pred`` stacked, as a
    ValueError that names the argument which holds what it refuses (the one that fails
    alone): probabilities given as ``Y_pred`` were "Task 'y' holds non-integral
    numbers", which named neither."""
    for name, Y in (("Y_true", Y_true), ("Y_pred", Y_pred)):
        try:
            _read_tasks(tasks, Y)
        except ValueError:
            message = f"{name}: {exc}"
            if name == "Y_pred" and "non-integral" in message:
                message += (" If they are probabilities (predict_proba), pass the "
                            "predicted labels instead (predict).")
            return ValueError(message)
    return exc


def encode_pair(Y_true, Y_pred, schema=None, *, extend_classes=False):
    """``(true, pred)`` as EncodedLabels of one schema (polars objects read as pandas).

    A label the schema refuses raises, naming ``Y_true`` or ``Y_pred`` and the row; a
    predicted exclusive group with more than one active label is read as missing.
    """
    _check_label_form(Y_true, "Y_true")
    _check_label_form(Y_pred, "Y_pred")
    Y_true, Y_pred = _as_pandas(Y_true, Y_pred)
    _check_unique_columns(Y_true, "Y_true")
    _check_unique_columns(Y_pred, "Y_pred")
    if isinstance(Y_true, EncodedLabels) and isinstance(Y_pred, EncodedLabels):
        _check_same_tasks(Y_true.schema, Y_pred.schema)
        true, pred = _on_shared_classes(Y_true, Y_pred)
    elif isinstance(Y_true, EncodedLabels) or isinstance(Y_pred, EncodedLabels):
        encoded, raw = (Y_true, Y_pred) if isinstance(Y_true, EncodedLabels) else (Y_pred, Y_true)
        # The other is read on the encoded one's tasks, as the schema's encoder reads it:
        # an array by the fitted frame's column order, a multi-hot matrix or label sets
        # by its exclusive groups (an EncodedLabels holds the tasks, not the groups).
        encoder = resolve_schema(schema)[0]
        raw = _in_fitted_frame(raw, encoder)
        tasks = list(encoded.schema.tasks)
        if getattr(encoder, "groups", None) is not None:
            enc = clone(encoder).set_params(tasks=tasks, **_scoring_options(encoder))
            if encoded is Y_true:
                raw = _without_conflicts(raw, enc.groups)
        else:
            enc = StructuredLabelEncoder(tasks=tasks, gated_labels="mask")
        other = _read_as(enc.fit_transform, raw, "Y_pred" if encoded is Y_true else "Y_true")
        true, pred = (encoded, other) if encoded is Y_true else (other, encoded)
    else:
        # The row order is checked on the indexes the user gave: the frame made of an
        # array below has a RangeIndex, which is no row label of anything, and would warn
        # of (and advise realigning) predictions whose X was shuffled.
        check_row_order(Y_true, Y_pred, ("Y_true", "Y_pred"),
                        "Y_pred = Y_pred.loc[Y_true.index]")
        # Arrays for a model fitted on a DataFrame hold its columns by position, which
        # its declared tasks may list in another order.
        encoder = resolve_schema(schema)[0]
        Y_true, Y_pred = _in_fitted_frame(Y_true, encoder), _in_fitted_frame(Y_pred, encoder)
        Y_pred = align_pred(Y_true, Y_pred)
        enc = fit_label_encoder(Y_true, Y_pred, schema, extend_classes=extend_classes)
        if enc.groups is not None:
            Y_pred = _without_conflicts(Y_pred, enc.groups)
        true = _read_as(enc.transform, Y_true, "Y_true")
        pred = _read_as(enc.transform, Y_pred, "Y_pred")
    if true.n_samples != pred.n_samples:
        raise ValueError(
            f"Y_true has {true.n_samples} samples but Y_pred has {pred.n_samples}; "
            "expected the same number."
        )
    return true, pred


def _check_label_form(Y, name):
    """A ValueError naming ``name`` (``"Y_true"`` or ``"Y_pred"``) where ``Y`` holds no
    labels in columns: columns in dicts (refused as "Y", or a pandas TypeError beside a
    DataFrame), or probabilities as ``predict_proba`` gives them, a list of 2-D arrays
    (one per task; read as two rows of label sets, or as a 3-D array)."""
    what = mapping_form(Y)
    if what is not None:
        raise ValueError(
            f"{name} is {what}; give it as a DataFrame, one column per task: "
            f"pd.DataFrame({name}) (a list of label sets is one multilabel task)."
        )
    if isinstance(Y, (list, tuple)) and len(Y) and all(
            isinstance(a, np.ndarray) and a.ndim == 2 for a in Y):
        raise ValueError(
            f"{name} is a list of {len(Y)} 2-D arrays of shapes {[a.shape for a in Y]}, "
            "as predict_proba gives them (one per task); expected labels, as predict gives "
            "them: a DataFrame or an array (n_samples, n_tasks)."
        )


def encode_one(Y, schema=None):
    """``Y`` as EncodedLabels (an EncodedLabels is returned as is)."""
    if isinstance(Y, EncodedLabels):
        return Y
    Y = to_pandas(Y, "Y", labels=True)
    # an array for a model fitted on a DataFrame holds its columns by position, as in
    # encode_pair (the declared tasks may list them in another order)
    Y = _in_fitted_frame(Y, resolve_schema(schema)[0])
    return fit_label_encoder(Y, None, schema).transform(Y)


def _check_same_tasks(a, b):
    if a.names != b.names:
        raise ValueError(
            f"Y_true and Y_pred have different tasks: {a.names} and {b.names}; expected the "
            "same schema."
        )
    for ta, tb in zip(a.tasks, b.tasks):
        # a code is a class's position among its task's classes: codes of other classes
        # (an encoder fitted on predictions that lack a class) would compare as the
        # wrong classes. Classes that one side adds after the other's (the score of a
        # model on a class unseen in training) keep the shared codes' meaning.
        same_kind = ta.kind == tb.kind or {ta.kind, tb.kind} <= {"binary", "multiclass"}
        if not (same_kind and _same_codes(ta, tb)):
            raise ValueError(
                f"Y_true and Y_pred are EncodedLabels of different schemas: task {ta.name!r} "
                f"is {ta.kind} with classes {_plain_classes(ta)} in Y_true and {tb.kind} with "
                f"classes {_plain_classes(tb)} in Y_pred. A code is the position of its class, "
                "so both must be encoded by one encoder (encoder.transform(Y_true) and "
                "encoder.transform(Y_pred)), or given as labels."
            )


def _same_codes(ta, tb):
    """Whether the codes of two encoded tasks name the same classes where both have them
    (for a multilabel task, its block's columns the same labels)."""
    if ta.classes is None or tb.classes is None:
        return _labels_equal(ta.classes, tb.classes)
    n = min(len(ta.classes), len(tb.classes))
    return _labels_equal(ta.classes[:n], tb.classes[:n])


def _on_shared_classes(a, b):
    """EncodedLabels ``a`` and ``b`` (:func:`_check_same_tasks`) on one schema: where a
    task's classes on one side extend the other's (the truth of a class unseen in
    training), both on the longer classes, as labels given as they are read (the codes
    of the shared classes mean the same), so that no metric reads a side's codes on
    fewer classes than the other's (a co-occurrence NaN for the unseen class, a report
    calling the task binary)."""
    pairs = list(zip(a.schema.tasks, b.schema.tasks))
    if all(ta.classes is None or tb.classes is None or len(ta.classes) == len(tb.classes)
           for ta, tb in pairs):
        return a, b
    tasks = [tb if ta.classes is not None and tb.classes is not None
             and len(tb.classes) > len(ta.classes) else ta for ta, tb in pairs]
    schema = Schema(tasks)
    return tuple(e if list(e.schema.tasks) == tasks
                 else EncodedLabels(e.codes, _widened_blocks(e.multilabel, tasks),
                                    e.regression, schema)
                 for e in (a, b))


def _widened_blocks(multilabel, tasks):
    """The multilabel blocks ``multilabel`` with a column of 0 appended for each label of
    ``tasks`` beyond a block's width (labels only the other side holds: no prediction
    names them), masked on the rows where the block is masked whole (a gate off)."""
    out = dict(multilabel)
    for task in tasks:
        block = out.get(task.name)
        if block is None or block.shape[1] >= len(task.classes):
            continue
        extra = len(task.classes) - block.shape[1]
        # (a multilabel task has a label at least: Schema refuses one without)
        fill = np.where((block < 0).all(axis=1), block[:, 0], 0)
        out[task.name] = np.hstack(
            [block, np.repeat(fill[:, None], extra, axis=1).astype(block.dtype)])
    return out


def _plain_classes(task):
    if task.classes is None:
        return None
    return [c.item() if isinstance(c, np.generic) else c for c in task.classes]


def as_sample_weight(sample_weight):
    """``sample_weight`` as floats; a ValueError naming it, and the first entry that is
    no number, rather than numpy's "could not convert string to float"."""
    try:
        return np.asarray(sample_weight, dtype=float)
    except (TypeError, ValueError):
        pass
    values = np.asarray(sample_weight, dtype=object)
    for index, value in np.ndenumerate(values):
        try:
            float(np.nan if value is None else value)  # None reads as NaN, refused later
        except (TypeError, ValueError):
            where = "".join(f"[{i}]" for i in index)
            raise ValueError(
                f"sample_weight{where} is {value!r}, which is not a number; expected "
                "finite, non-negative numbers, one weight per sample."
            ) from None
    raise ValueError(  # a ragged or otherwise unreadable sequence
        f"sample_weight of type {type(sample_weight).__name__} cannot be read as numbers; "
        "expected finite, non-negative numbers, one weight per sample."
    )


def check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples, dtype=float)
    weight = as_sample_weight(sample_weight)
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has shape {weight.shape}; expected ({n_samples},), one weight "
            "per sample."
        )
    bad = ~np.isfinite(weight) | (weight < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"sample_weight[{i}] is {weight[i].item()!r}; expected finite, non-negative weights."
        )
    if n_samples and not weight.any():
        # every metric would be 0 / 0: refused, as scikit-learn's metrics refuse it,
        # rather than a NaN that reads as "no label to score"
        raise ValueError(
            f"sample_weight is 0 for each of the {n_samples} samples; expected at least "
            "one positive weight."
        )
    return weight
