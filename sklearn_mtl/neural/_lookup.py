"""Rows seen in training: a query that repeats training rows exactly reads their labels.

Real tables repeat rows: the same car model in two model years, the same stone graded
twice. A tree ensemble memorises such rows; a smooth network averages them away. The
lookup keeps, for each distinct training row, how many times each task's label came with
it. A query whose features equal a training row's (every column, missing values
included) then predicts, for each task the lookup is on,

    p = (counts + network) / (n + 1),

the network's probabilities counting as one more row among the ``n`` labelled repeats:
a strict majority among the repeats decides, a tie is the network's to break. A query
that repeats no training row keeps the network's probabilities.

Which tasks read the lookup is chosen on the ensemble's held-out folds
(:class:`~sklearn_mtl.neural.MemberHoldout`): the sample of fold ``m`` reads the repeats
among the samples member ``m`` trained on, blended with member ``m``'s probabilities, and
the task keeps the lookup only where that lowers the held-out log loss of the member
alone (over the held-out samples with repeats). The log loss rather than the error
count: it weighs how sure each side was, and a few rows rarely tie on it. A table
without repeated rows never reads it.

Rows are compared as the ONNX graph reads them: numeric values as float32 (so ``1`` and
``1.0`` are the same value, ``-0.0`` and ``0.0`` too; in whatever dtype they come, an
object column of numbers included, as the preprocessing reads them), dates and durations
as days (the same instant in any time zone, or read from a CSV file's text, is the same
value), other columns by value (a one-hot encoded column's value written otherwise
than in training, ``2.0`` for a category ``2`` or ``"true"`` for ``True``, as the
preprocessing reads it: :func:`spelled_as_fitted`). A table with a numeric column
whose distinct values float32 cannot tell apart (epoch seconds, large ids: 1_700_000_001
reads as 1_700_000_000) reads no lookup (:func:`float32_tells_apart`): its rows would be
taken for repeats of others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ._ensemble import BLENDABLE
from ._preprocessing import (
    _categorical_block,
    _dates_of_objects,
    _value_kind,
    as_days,
    is_time,
)

#: Hash of a missing value in a non-numeric column (any fixed 64-bit number would do).
_MISSING = np.uint64(0x9E3779B97F4A7C15)
#: Probabilities are clipped to this in the held-out log loss.
_EPS = 1e-7
#: :attr:`Lookup.numeric` of a lookup fitted before that attribute was recorded (loaded
#: from a file, or unpickled, of an earlier release): its training rows were hashed with
#: a DataFrame's columns numeric by their dtype alone (an object column of numbers as
#: objects), and queries must be read alike to find them (see :func:`table_columns`).
BY_DTYPE = "dtype"


def table_columns(X, numeric=None):
    """The columns of a 2-D table as the lookup compares them: a list of 1-D arrays,
    numeric ones as float32, dates and durations as float64 days (as the preprocessing
    reads them, whatever their time zone), the others as objects. ``None`` when ``X`` is
    not a 2-D table (images, sparse matrices, datasets).

    A DataFrame's object column of numbers (and gaps) is numeric, as the preprocessing
    reads it. ``numeric`` (at prediction: :attr:`Lookup.numeric`, the training table's
    numeric columns) has those columns read as numbers whatever their dtype (a row taken
    as ``X.iloc[i].to_frame().T`` comes with object columns, a gap alone among them).
    ``numeric=BY_DTYPE`` reads a column as numbers where its dtype is numeric, and only
    there: the queries of a lookup fitted before ``numeric`` was recorded (a file saved,
    or a model pickled, by an earlier release), whose training rows were read so."""
    if isinstance(X, pd.DataFrame):
        # dates as objects (datetime.date, pd.Period: read_parquet's, an apply's) as the
        # preprocessing reads them, and the rows given at prediction come (as days)
        X = _dates_of_objects(X)
        if isinstance(numeric, str) and numeric == BY_DTYPE:
            numeric = [pd.api.types.is_numeric_dtype(dtype) for dtype in X.dtypes]
        return [
            as_days(X.iloc[:, j]) if is_time(X.iloc[:, j])
            else _frame_column(X.iloc[:, j], None if numeric is None else numeric[j])
            for j in range(X.shape[1])
        ]
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        return None
    if X.dtype.kind == "O":  # numbers and None (a list of lists with gaps), as validated
        try:
            X = pd.DataFrame(X).astype(np.float64).to_numpy()
        except (TypeError, ValueError):  # text: compared as it is
            return [np.asarray(X[:, j], dtype=object) for j in range(X.shape[1])]
    if X.dtype.kind in "fiub":
        values = X.astype(np.float32)
        return [values[:, j] for j in range(X.shape[1])]
    return [np.asarray(X[:, j], dtype=object) for j in range(X.shape[1])]


def spelled_as_fitted(columns, X, preprocessor, numeric):
    """``columns`` (:func:`table_columns` of the DataFrame ``X`` at prediction) with the
    columns that ``preprocessor`` (the default preprocessing) one-hot encodes read as it
    reads them: a value written otherwise than in training takes its training spelling
    (a category of integer codes given as floats, ``2.0`` for ``2``; a bool column given
    as text, ``"true"``), so that a row the network reads as a training row's repeats it.
    ``numeric`` (:attr:`Lookup.numeric`) says which columns training compared as numbers
    (a bool column: its spellings read as 1 and 0); ``columns`` as they are where it is
    not recorded, or ``preprocessor`` has no such columns."""
    cats = getattr(preprocessor, "categorical_columns_", ())
    one_hot = getattr(preprocessor, "one_hot_", None)
    if (one_hot is None or not len(cats) or not isinstance(X, pd.DataFrame)
            or numeric is None or isinstance(numeric, str) or len(columns) != X.shape[1]):
        return columns
    spelled = _categorical_block(X, cats, one_hot.categories_,
                                 getattr(preprocessor, "_text_categories", None))
    columns = list(columns)
    for i, j in enumerate(cats):
        gaps = pd.isna(X.iloc[:, j]).to_numpy()
        if not numeric[j]:
            columns[j] = np.where(gaps, None, spelled[:, i]).astype(object)
        else:  # a bool column, in any spelling (text "true", 1.0): as 1 and 0
            # any other value (an unknown "yes"; text "nan", which float32 read as a gap
            # the preprocessing does not see) as infinity, which a bool column never
            # holds: it repeats no row, and the other rows of its chunk are still read
            read = np.select([spelled[:, i] == "True", spelled[:, i] == "False"],
                             [1.0, 0.0], np.inf).astype(np.float32)
            read[gaps] = np.nan
            columns[j] = read
    return columns


def _frame_column(column, numeric):
    """A DataFrame column (not a date or duration) as :func:`table_columns` compares it:
    float32 where it is ``numeric`` (``None``: where its dtype is, or it is an object
    column holding numbers and gaps alone), else objects."""
    if numeric is None:
        numeric = pd.api.types.is_numeric_dtype(column.dtype) or _holds_numbers(column)
    if numeric:
        try:
            return column.to_numpy(dtype=np.float32, na_value=np.nan)
        except (TypeError, ValueError):  # text where training had numbers: no repeat
            pass
    return np.asarray(column, dtype=object)


def _holds_numbers(column):
    """Whether an object column holds numbers (and gaps) alone, at least one: the
    preprocessing reads it as numeric (bools, which it one-hot encodes, are not)."""
    if column.dtype != object:
        return False
    values = column.dropna()
    return bool(len(values) and _value_kind(values.iloc[0]) == "number"  # most are not
                and (values.map(_value_kind) == "number").all())


def row_keys(columns):
    """One 64-bit hash per row of ``columns`` (see :func:`table_columns`): equal rows,
    equal keys."""
    hashed = []
    for values in columns:
        if values.dtype.kind == "f":
            canon = values.astype(np.float64) + 0.0  # -0.0 -> 0.0
            canon[np.isnan(canon)] = np.nan  # one NaN
            hashed.append(pd.util.hash_array(canon))
        else:
            missing = pd.isna(values)
            h = pd.util.hash_array(np.where(missing, "", values.astype(str)).astype(object))
            hashed.append(np.where(missing, _MISSING, h))
    frame = pd.DataFrame({j: h for j, h in enumerate(hashed)})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def float32_tells_apart(columns, X):
    """Whether float32 keeps the distinct values of every numeric column of ``X`` (its
    :func:`table_columns` ``columns``) distinct, as float64 reads them."""
    for j, values in enumerate(columns):
        if values.dtype != np.float32:
            continue
        exact = (X.iloc[:, j].to_numpy(dtype=np.float64, na_value=np.nan)
                 if isinstance(X, pd.DataFrame) else np.asarray(X[:, j], dtype=np.float64))
        if len(np.unique(values)) != len(np.unique(exact)):
            return False
    return True


def _numeric_rows(columns, first):
    """The distinct rows' values as float32 (for the ONNX export), or ``None`` when a
    column is not numeric."""
    if any(values.dtype != np.float32 for values in columns):
        return None
    return np.stack([values[first] for values in columns], axis=1)


class Lookup:
    """The labels that came with each distinct training row, for the tasks that read them.

    Parameters
    ----------
    keys : ndarray of shape (n_distinct,)
        The distinct rows' keys, sorted.
    counts : list of (ndarray of shape (n_distinct, n_classes) or None)
        Per task, how many labelled training rows of each distinct row carry each class
        (their summed ``sample_weight``, where given); ``None`` for a task that does not
        read the lookup.
    rows : ndarray of shape (n_distinct, n_features) or None
        The distinct rows' values (float32) when every column is numeric; the ONNX
        export compares queries to them.
    numeric : ndarray of shape (n_features,) of bool or None
        The training table's columns compared as numbers (see :func:`table_columns`),
        read as numbers at prediction whatever their dtype there; ``None``: as
        :func:`table_columns` reads a table in fit. A lookup saved or pickled before
        this attribute existed reads ``BY_DTYPE`` (the class attribute), each column as
        its dtype says, as its training rows were read.
    """

    #: where an instance lacks it (see ``BY_DTYPE``)
    numeric = BY_DTYPE

    def __init__(self, keys, counts, rows, numeric=None):
        self.keys = keys
        self.counts = counts
        self.rows = rows
        self.numeric = numeric

    def blend(self, outputs, start, query_keys):
        """Blend one batch's probabilities in ``outputs`` (rows from ``start``) with the
        repeats' labels, for the rows of ``query_keys`` (the batch's keys) seen in
        training."""
        pos = np.minimum(np.searchsorted(self.keys, query_keys), len(self.keys) - 1)
        found = self.keys[pos] == query_keys
        if not found.any():
            return
        rows = start + np.flatnonzero(found)
        for out, counts in zip(outputs, self.counts):
            if counts is not None:
                out[rows] = repeat_blend(out[rows], counts[pos[found]])


def repeat_blend(proba, counts):
    """``(counts + proba) / (n + 1)`` where a row has ``n > 0`` labelled repeats,
    ``proba`` elsewhere (numpy or torch, float32 out)."""
    if isinstance(proba, torch.Tensor):
        counts = torch.as_tensor(counts, dtype=proba.dtype)
        n = counts.sum(1, keepdim=True)
        return torch.where(n > 0, (counts + proba) / (n + 1), proba)
    n = counts.sum(1, keepdims=True)
    return np.where(n > 0, (counts + proba) / (n + 1), proba).astype(np.float32)


def _repeats(inverse, n_distinct, truth, folds, n_classes, weight):
    """Per distinct row, the summed weight of its labelled samples carrying each class;
    and per sample, the same among the samples its member trained on (every fold but its
    own; all for fold -1)."""
    labelled = truth >= 0
    k = int(folds.max()) + 2  # folds -1 .. k - 2
    total = np.zeros((n_distinct, n_classes))
    np.add.at(total, (inverse[labelled], truth[labelled]), weight[labelled])
    # a distinct row's samples of one fold, numbered among the cells that occur (at most
    # n): a row by (distinct row, fold) pair took n_distinct * (k + 1) rows of classes,
    # gigabytes on a table of many distinct rows and classes
    cells, cell = np.unique(inverse * k + folds + 1, return_inverse=True)
    own = np.zeros((len(cells), n_classes))
    np.add.at(own, (cell[labelled], truth[labelled]), weight[labelled])
    held = folds >= 0
    return total, total[inverse] - np.where(held[:, None], own[cell], 0.0)


def _log_loss(proba, truth, weight, rows):
    """Weighted log loss of ``proba`` on ``rows``."""
    p = np.clip(proba[rows, truth[rows]], _EPS, 1.0)
    return float(weight[rows] @ -np.log(p))


def fit_lookup(keys, columns, codes, kinds, n_classes, folds, held_out, sample_weight=None):
    """The :class:`Lookup` of a training table (``None`` where no task reads it), and
    ``held_out`` with the lookup blended in as prediction will blend it.

    ``keys`` are the table's rows' (:func:`row_keys` of ``columns``, the table's
    :func:`table_columns`), ``codes`` (n, n_tasks) the label codes (negative = masked),
    ``folds`` each sample's held-out fold (-1: held out by no member), ``held_out`` per
    task the held-out probabilities of :func:`~sklearn_mtl.neural._ensemble.held_out_pass`
    (``None`` for other kinds), and ``n_classes`` each task's number of classes. A sample
    counts with its weight (``sample_weight``, as a frequency: weight 2 counts as the row
    twice, weight 0 not at all). A task reads the lookup where the blend has a lower
    held-out log loss (weighted by ``sample_weight``) than its member alone, over the
    held-out samples that repeat a training row of their member: the sample of fold ``m``
    reads the repeats among the samples member ``m`` trained on.
    """
    distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if len(distinct) == len(keys):  # no row repeats: nothing to read
        return None, held_out
    folds = np.asarray(folds, dtype=np.int64)
    held = folds >= 0
    weight = np.ones(len(keys)) if sample_weight is None else np.asarray(sample_weight, float)
    counts, blended = [None] * len(kinds), list(held_out)
    for j, kind in enumerate(kinds):
        truth = np.asarray(codes[:, j], dtype=np.int64)
        if kind not in BLENDABLE or held_out[j] is None or not (truth >= 0).any():
            continue
        total, repeats = _repeats(inverse, len(distinct), truth, folds, n_classes[j], weight)
        net = held_out[j].numpy()
        mixed = repeat_blend(net, repeats)
        scored = np.flatnonzero(held & (truth >= 0) & (repeats.sum(1) > 0))
        if len(scored) and _log_loss(mixed, truth, weight, scored) < _log_loss(
                net, truth, weight, scored):
            counts[j], blended[j] = total.astype(np.float32), torch.from_numpy(mixed)
    if all(c is None for c in counts):
        return None, held_out
    numeric = np.array([values.dtype == np.float32 for values in columns])
    return Lookup(distinct, counts, _numeric_rows(columns, first), numeric), blended
