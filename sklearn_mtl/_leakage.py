"""Feature columns under which shuffled cross-validation misleads.

Found from the columns of ``X`` and the labels alone, before any fit:

- an **identifier**: a different value in every row (codes or names, or integers that
  number the rows). A model reading every column takes it for a feature, and it carries
  nothing about a new sample;
- an identifier **along which the rows follow a task's labels** (a file sorted by a label,
  then numbered): a model reads the label from the row's number, which a new row lacks;
- a **task's labels** themselves, under another coding or the same (a label column left
  in ``X``, a label of a label set as 0/1, a regression task's values in other units): a
  model reads the answer, which a new sample does not have;
- a **subject's identifier**: values that come in groups of rows within which a task's
  labels agree (a patient's visits), alone or within another column (patients numbered
  from 1 in each centre). Shuffled folds put a subject's other rows in training, where a
  model can recognise the subject and read its labels: the scores are those of known
  subjects, not new ones.

The command line writes them into its report; :func:`~sklearn_mtl.compare` warns of them
with a :class:`LeakageWarning`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._frames import is_polars, to_pandas
from .neural._preprocessing import is_text

#: Rows from which a column of all-distinct values is pointed out as an identifier.
MIN_ROWS_FOR_IDS = 20

#: How many integers an identifier's range may span per row: row numbers from any start
#: (1001, 1002, ...), a few of them gone with the rows a file left out.
ID_SPAN_PER_ROW = 1.25

#: A text column whose values' median number of words is at least this holds prose
#: (reviews, news texts), each row's own, not identifiers.
PROSE_WORDS = 4

#: A column is pointed out as a group's (a subject's) identifier from this many values,
#: where this share of the rows of values held by several labelled rows carry their
#: value's most frequent label, and the task's most frequent label overall is on at most
#: ``SUBJECT_BASE`` of them (agreement by chance stays below).
MIN_SUBJECTS = 10
SUBJECT_AGREEMENT = 0.95
SUBJECT_BASE = 0.8
#: ... and where a value's median number of rows is at most this: a subject's visits or
#: a store's weeks, not a category of many rows (a team's games, a breed's animals).
MAX_ROWS_PER_SUBJECT = 60

#: An identifier restarting within another column (patients numbered from 1 in each
#: centre) is looked for within columns of at most this many values...
MAX_OUTER_VALUES = 20
#: ... where a task's labels agree on this share of the rows: a pair of columns makes more
#: and smaller groups than one, which agree by chance more often (two measurements of a
#: biopsy, each from 1 to 10) ...
PAIR_AGREEMENT = 0.99
#: ... over at most this many (pair of columns) x rows, so that a wide table of small
#: integers (pixels) stays quick to check.
PAIR_BUDGET = 20_000_000

#: A column of numbers holds a regression task's values rounded (the price in whole dollars,
#: or in thousands to one decimal), or the values are the column's rounded, where the two
#: correlate to within this of +-1 and each row lies within ``ROUNDED_SLACK`` steps of the
#: rounded one's grid from the line through the two: a rounding's error is at most half a
#: step, and the line fitted to rows strays a little from the one rounded.
ROUNDED_CORRELATION = 1e-3
ROUNDED_SLACK = 0.75

#: A column holds a task's labels only where one of its values stands for each class on
#: the rows labelled for it: looked at first on this many of them, all tasks at once, so
#: that a column of measurements (every value its own), or one of another task's labels,
#: is passed over without counting its values (a wide X against a label set of many labels).
LABEL_PROBE_ROWS = 64


class LeakageWarning(UserWarning):
    """A feature column under which shuffled cross-validation scores mislead: an
    identifier read as a feature, rows that follow a task's labels along it, a task's
    labels left in ``X``, or rows in groups of one subject (see
    :func:`~sklearn_mtl.compare`'s ``groups``)."""


def _checkable(column):
    """Whether a column's values can be counted and ordered: not an ``object`` column of
    lists or arrays, nor of values of several types (numbers next to strings)."""
    if column.dtype != object:
        return True
    values = column.dropna()
    kinds = set(map(type, values))
    return len(kinds) <= 1 and (not len(values) or pd.api.types.is_hashable(values.iloc[0]))


def _is_discrete(column):
    """Integer, text or category: the dtypes a subject's identifier comes in."""
    return (is_text(column) or isinstance(column.dtype, pd.CategoricalDtype)
            or (pd.api.types.is_integer_dtype(column.dtype)
                and not pd.api.types.is_bool_dtype(column.dtype)))


def _values(column):
    """A category column as the values it holds (text, integers, ...), as they would be
    in a column of their own dtype; any other column as it is."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column
    return pd.Series(np.asarray(column), index=column.index, name=column.name)


def looks_like_identifier(column):
    """Whether a feature column reads as a row identifier: text with a different value in
    every row (codes or names, fewer than ``PROSE_WORDS`` words), or integers that number
    the rows: all distinct, from any start, their range at most ``ID_SPAN_PER_ROW`` times
    the number of rows (1..n, 1001..1000+n, or 1..n with some rows left out), where a
    measurement's distinct values spread wider. A category column is read as its values
    are (text or integers)."""
    column = _values(column)
    if not (is_text(column) or pd.api.types.is_integer_dtype(column.dtype)):
        return False  # (measurements: floats, bools; looked at no further, as X is wide)
    values = column.dropna()
    if not _checkable(column) or len(values) < len(column) or not values.is_unique:
        return False
    if is_text(column):  # a code or a name, not prose (a review, a news text)
        return bool(values.astype(str).str.split().str.len().median() < PROSE_WORDS)
    if not pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(
            column.dtype):
        return False
    span = int(values.max()) - int(values.min()) + 1
    return span <= ID_SPAN_PER_ROW * len(values)


def sorted_tasks(column, labels):
    """``(task, changes, expected)`` for each task (a column of ``labels``) whose labels,
    read in the order of ``column``, change from one row to the next less than half as
    often as in a shuffled order (``expected``: (rows - 1) times the chance that two
    random rows differ), where a shuffled order would change at least 10 times."""
    order = np.argsort(np.asarray(column), kind="stable")
    found = []
    for task in labels.columns:
        codes, _ = pd.factorize(labels[task].iloc[order])
        codes = codes[codes >= 0]
        if len(codes) < 2:
            continue
        shares = np.bincount(codes) / len(codes)
        expected = (len(codes) - 1) * (1.0 - float(np.sum(shares ** 2)))
        changes = int(np.sum(codes[1:] != codes[:-1]))
        if expected >= 10 and changes < expected / 2:
            found.append((task, changes, expected))
    return found


def _codes(column):
    """``(codes, n_values)``: ``column``'s values as 0..n_values - 1, -1 where missing."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes.astype(np.int64), len(uniques)


def _order(column):
    """The codes of :func:`_codes` in the order of their values, for a column of integers
    (None for text or categories, whose order says nothing of a quantity)."""
    if not pd.api.types.is_integer_dtype(column.dtype):
        return None
    _, uniques = pd.factorize(column, use_na_sentinel=True)
    return np.argsort(np.asarray(uniques), kind="stable")


def _grouped(codes, n_values):
    """Whether values of ``codes`` come in groups of rows, as a subject's visits do: at
    least ``MIN_SUBJECTS`` values, more than half of them on two rows or more, a value's
    median number of rows at most ``MAX_ROWS_PER_SUBJECT``."""
    if n_values < MIN_SUBJECTS:
        return False
    counts = np.bincount(codes[codes >= 0], minlength=n_values)
    return bool((counts >= 2).mean() > 0.5 and np.median(counts) <= MAX_ROWS_PER_SUBJECT)


def _table(codes, n_values, labels, n_labels):
    """The counts of each (value, label) of the rows that have both, as the filled cells
    only, ``(value, label, count)``, sorted by value then label: a row fills one cell,
    where a dense table would hold every cell (a column of 40,000 values against a task
    of 2,000 classes: 80 million)."""
    both = (codes >= 0) & (labels >= 0)
    keys = codes[both] * n_labels + labels[both]
    if n_values * n_labels <= 4 * len(keys):  # a small table: counting every cell is quicker
        counts = np.bincount(keys, minlength=n_values * n_labels)
        cells = np.flatnonzero(counts)
        counts = counts[cells]
    else:
        cells, counts = np.unique(keys, return_counts=True)
    return cells // n_labels, cells % n_labels, counts


def _by_value(value):
    """Where each value's run of cells starts in a table of :func:`_table`."""
    return np.flatnonzero(np.r_[True, value[1:] != value[:-1]])


def _agreement(table):
    """``(agreement, rows)``: the share of the rows of values held by several labelled
    rows that carry their value's most frequent label, and how many rows those are."""
    value, _, counts = table
    if not len(value):
        return 0.0, 0
    starts = _by_value(value)
    rows = np.add.reduceat(counts, starts)
    several = rows >= 2
    n_rows = int(rows[several].sum())
    top = np.maximum.reduceat(counts, starts)
    return (top[several].sum() / n_rows if n_rows else 0.0), n_rows


def _follows_order(table, order):
    """Whether the values' own labels (their most frequent), read in the values' order,
    change less than half as often as in a shuffled order: a measurement's labels (a
    diabetes' type by the age at diagnosis), not a subject's number's."""
    value, label, counts = table
    # each value's most frequent label, the first of those on a tie
    ranked = np.lexsort((label, -counts, value))
    top = ranked[_by_value(value[ranked])]
    place = np.empty(len(order), dtype=np.int64)
    place[order] = np.arange(len(order))
    labels = label[top][np.argsort(place[value[top]], kind="stable")]
    shares = np.bincount(labels) / len(labels)
    expected = (len(labels) - 1) * (1.0 - float(np.sum(shares ** 2)))
    return int(np.sum(labels[1:] != labels[:-1])) < expected / 2


def _agreeing(codes, n_values, tasks, order=None):
    """``[(task, agreement), ...]``: the tasks whose labels agree within ``codes``' values
    held by several labelled rows (see ``SUBJECT_AGREEMENT``), where no label holds more
    than ``SUBJECT_BASE`` of the task's rows. With ``order`` (the values' ranks, for a
    column of numbers), a task whose labels follow the values' order is left out (see
    :func:`_follows_order`)."""
    found = []
    for task, labels, n_labels, base in tasks:
        if base > SUBJECT_BASE:
            continue
        table = _table(codes, n_values, labels, n_labels)
        agreement, n_rows = _agreement(table)
        if n_rows < 2 * MIN_SUBJECTS or agreement < SUBJECT_AGREEMENT:
            continue
        if order is None or not _follows_order(table, order):
            found.append((task, float(agreement)))
    return found


def _numbering(column, n_values):
    """Whether a column's values may number subjects: text or categories, or integers
    spanning at most ``ID_SPAN_PER_ROW`` times as many integers as it has values (1..56,
    not grams)."""
    if not pd.api.types.is_integer_dtype(column.dtype):
        return True
    values = column.dropna()
    return int(values.max()) - int(values.min()) + 1 <= ID_SPAN_PER_ROW * n_values


def subject_columns(X, labels):
    """``(columns, n_values, [(task, agreement), ...])`` for each integer or text feature
    column whose values come in groups of rows (see :func:`_grouped`) within which some
    task's labels agree (see ``SUBJECT_AGREEMENT``): a subject's identifier, under which
    shuffled folds reward recognising the subject. ``columns`` is ``(column,)``, or,
    where no column alone is one, ``(outer, column)``: the column numbers subjects anew
    within each value of ``outer`` (a centre's patients numbered from 1: more than half of
    its values under two of ``outer``'s or more), neither column alone agrees with the
    task's labels, and the groups are the column's values within ``outer``'s;
    ``n_values`` counts the groups."""
    tasks = []
    for task in labels.columns:
        codes, n_labels = _codes(labels[task])
        if n_labels:
            labelled = codes[codes >= 0]
            tasks.append((task, codes, n_labels, np.bincount(labelled).max() / len(labelled)))
    if not tasks:
        return []
    discrete = [c for c in X.columns if _is_discrete(X[c]) and _checkable(X[c])]
    coded = {c: _codes(X[c]) for c in discrete}
    found, inner = [], []
    for column in discrete:
        codes, n_values = coded[column]
        if not _grouped(codes, n_values):
            continue
        agreeing = _agreeing(codes, n_values, tasks, _order(X[column]))
        if agreeing:
            found.append(((column,), n_values, agreeing))
        elif not _agreeing(codes, n_values, tasks) and _numbering(X[column], n_values):
            inner.append(column)
    if found or not inner:  # other columns identify the same subjects (height and age)
        return found
    outers = [c for c in X.columns if (_is_discrete(X[c]) and _checkable(X[c])
                                       or pd.api.types.is_bool_dtype(X[c].dtype))
              and 2 <= X[c].nunique() <= MAX_OUTER_VALUES]
    for outer in outers:
        coded.setdefault(outer, _codes(X[outer]))
    budget = PAIR_BUDGET
    by_name = {task[0]: task for task in tasks}
    for column in inner:
        codes, n_values = coded[column]
        order = _order(X[column])
        ranks = np.empty(n_values, dtype=np.int64)
        ranks[np.arange(n_values) if order is None else order] = np.arange(n_values)
        best = None
        for outer in outers:
            if outer == column:
                continue
            budget -= len(X)
            if budget < 0:
                return found
            outer_codes, n_outer = coded[outer]
            seen = (codes >= 0) & (outer_codes >= 0)
            pairs = np.unique(codes[seen] * n_outer + outer_codes[seen])
            if (np.bincount(pairs // n_outer, minlength=n_values) >= 2).mean() <= 0.5:
                continue  # the column does not restart within the outer one's values
            # the groups in the order of the inner column's values within the outer's
            key = np.full(len(codes), -1, dtype=np.int64)
            key[seen] = np.unique(outer_codes[seen] * n_values + ranks[codes[seen]],
                                  return_inverse=True)[1]
            n_keys = int(key.max()) + 1
            if not _grouped(key, n_keys):
                continue
            agreeing = [
                (task, share) for task, share in _agreeing(
                    key, n_keys, tasks, None if order is None else np.arange(n_keys))
                if share >= PAIR_AGREEMENT  # and the outer column alone does not agree:
                and _agreement(_table(outer_codes, n_outer, *by_name[task][1:3]))[0]
                < SUBJECT_AGREEMENT
            ]
            score = sum(share for _, share in agreeing)
            if agreeing and (best is None or score > best[0]):
                best = (score, ((outer, column), n_keys, agreeing))
        if best is not None:
            found.append(best[1])
    return found


def _probe_groups(coded):
    """The tasks of ``coded`` (``(task, codes, n_labels)``) that a column can hold, by the
    rows they are first looked at on (``LABEL_PROBE_ROWS`` of each task's labelled rows):
    ``[(rows, [index, ...], labels), ...]``, ``labels`` the tasks' codes on ``rows``, one
    column a task. A task of fewer labelled rows than ``MIN_ROWS_FOR_IDS``, or of one
    class, is held by no column. The labels of a label set are labelled on the same rows,
    so that they are looked at together."""
    groups = {}
    for i, (_, codes, n_labels) in enumerate(coded):
        labelled = np.flatnonzero(codes >= 0)
        if n_labels < 2 or len(labelled) < MIN_ROWS_FOR_IDS:
            continue
        rows = labelled[:LABEL_PROBE_ROWS]
        groups.setdefault(rows.tobytes(), (rows, []))[1].append(i)
    return [(rows, members, np.column_stack([coded[i][1][rows] for i in members]))
            for rows, members in groups.values()]


def _one_to_one(codes, labels):
    """For each column of ``labels`` (codes of labelled rows), whether one value of
    ``codes`` (-1: missing) stands for each of its labels on the rows that have a value."""
    labels = labels[codes >= 0]
    codes = codes[codes >= 0]
    if len(codes) < 2:
        return np.ones(labels.shape[1], dtype=bool)
    order = np.argsort(codes, kind="stable")
    codes, labels = codes[order], labels[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    low = np.minimum.reduceat(labels, starts, axis=0)
    high = np.maximum.reduceat(labels, starts, axis=0)
    tops = np.sort(low, axis=0)  # each value's label, which no other value may have
    return (low == high).all(axis=0) & (tops[1:] != tops[:-1]).all(axis=0)


def label_columns(X, labels):
    """``(column, [task, ...])`` for each column of ``X`` that holds a task's labels under
    another coding or the same: one value of the column for each class of the task, on
    every row that has both (``gender`` copied into ``X``, or ``is_female`` as bools), on
    at least ``MIN_ROWS_FOR_IDS`` rows and two classes of two rows or more each. A model
    reads the answer from such a column, which a new sample would not have."""
    found = []
    coded = [(task, *_codes(labels[task])) for task in labels.columns]
    # A column is looked at first on a few labelled rows of each task (where a column of
    # measurements has a value of its own on each), all tasks at once, then on every row
    # for the tasks it may hold there: a wide X against a label set of many labels is
    # quick to check.
    probes = _probe_groups(coded)
    if not probes:
        return found
    probed = np.unique(np.concatenate([rows for rows, _, _ in probes]))
    probes = [(np.searchsorted(probed, rows), members, held)
              for rows, members, held in probes]
    for column in X.columns:
        if not _checkable(X[column]):
            continue
        values = _values(X[column])
        seen, _ = _codes(values.iloc[probed])
        candidates = sorted(i for at, members, held in probes
                            for i, ok in zip(members, _one_to_one(seen[at], held)) if ok)
        if not candidates:
            continue  # no task's labels on the rows looked at first
        codes, n_values = _codes(values)
        if not 2 <= n_values <= len(X) // 2:  # all distinct: a measurement, not labels
            continue
        tasks = []
        for task, task_codes, n_labels in (coded[i] for i in candidates):
            value, label, counts = _table(codes, n_values, task_codes, n_labels)
            # a class on one row matches by chance any value that row alone has (the
            # dummy column of a city only the one fraud's row is in): that is no evidence
            if (counts.sum() >= MIN_ROWS_FOR_IDS and (counts >= 2).sum() >= 2
                    and (np.bincount(value) <= 1).all() and (np.bincount(label) <= 1).all()):
                tasks.append(task)
        if tasks:
            found.append((column, tasks))
    return found


def _step(values):
    """The step of the grid ``values`` are on, as a column rounded to a number of decimals
    (or to tens, hundreds, ...) is: the largest power of ten of which each value is a
    whole multiple, up to float error; 0 where there is none (measurements). A step
    beyond the values' range is none: each value of a column within one step (rates
    between 0 and 1, a million and a few) is within float error of one multiple of it."""
    spread = np.ptp(values) if len(values) else 0.0
    if not spread > 0 or not np.isfinite(spread):
        return 0.0
    top = np.floor(np.log10(spread))
    for step in 10.0 ** np.arange(top, top - 13, -1):
        scaled = values / step
        if np.abs(scaled).max() > 1e9:
            break  # beyond float64's precision for whole numbers
        if np.abs(scaled - np.round(scaled)).max() <= 1e-6:
            return float(step)
    return 0.0


def _rounded(u, v):
    """Whether ``u`` is ``v`` scaled, shifted and rounded, or ``v`` is ``u`` so: the rounded
    one's values are on a grid (see :func:`_step`), and each row is within
    ``ROUNDED_SLACK`` steps of the line through the two (a noisy measurement strays
    further, a continuous one is on no grid). Where the exact one is on a grid that the
    line maps onto whole steps of the rounded one's (years and years), rounding changes
    nothing: rows that stray from the line are no copy (a year of sale a model year or
    one after)."""
    for rounded, exact in ((u, v), (v, u)):
        step = _step(rounded)
        if step > 0:
            slope, intercept = np.polyfit(exact, rounded, 1)
            ratio = abs(slope) * _step(exact) / step
            if ratio >= 0.5 and abs(ratio - np.round(ratio)) <= 0.01:
                continue
            if np.abs(rounded - (slope * exact + intercept)).max() <= ROUNDED_SLACK * step:
                return True
    return False


def _correlated(x, y):
    """For each column of ``x`` and each column of ``y`` (rows with values of both, no
    gap), whether the one is the other scaled and shifted (a correlation of +-1, up to
    float error), or so and rounded (the price in whole dollars: see :func:`_rounded`):
    an array of shape (x's columns, y's columns)."""
    a, b = x - x.mean(axis=0), y - y.mean(axis=0)
    scale = np.sqrt(np.outer((a * a).sum(axis=0), (b * b).sum(axis=0)))
    product = np.abs(a.T @ b)
    found = (scale > 0) & (product >= (1 - 1e-9) * scale)
    close = (scale > 0) & ~found & (product >= (1 - ROUNDED_CORRELATION) * scale)
    for i, k in zip(*np.nonzero(close)):
        found[i, k] = _rounded(x[:, i], y[:, k])
    return found


def _varied(y):
    """Whether ``y`` varies on two rows or more: values all the same but on one row (a
    task's one refund) are matched by any column whose value only that row has, which
    is no evidence of a copy."""
    return len(y) - pd.Series(y).value_counts().iloc[0] >= 2 if len(y) else False


def quantity_columns(X, values):
    """``(column, [task, ...])`` for each column of numbers in ``X`` that holds a
    regression task's values (a column of ``values``), as they are or in other units (a
    scale and a shift, up to rounding), on every row that has both, on at least
    ``MIN_ROWS_FOR_IDS`` rows where the task's values differ from their most frequent
    one on two rows or more: the target left in ``X`` (a price next to the price to
    predict)."""
    targets = {}  # the tasks by the rows that have their values, looked at together
    for i, task in enumerate(values.columns):
        y = pd.to_numeric(values[task], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        rows = np.isfinite(y)
        if rows.sum() >= MIN_ROWS_FOR_IDS:
            targets.setdefault(rows.tobytes(), (rows, []))[1].append((i, y))
    numbers = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c].dtype)
               and not pd.api.types.is_bool_dtype(X[c].dtype)
               and not pd.api.types.is_complex_dtype(X[c].dtype)]
    held = {}
    # the columns a block at a time (a few million values)
    width = max(1, 4_000_000 // max(len(X), 1))
    for start in range(0, len(numbers) if targets else 0, width):
        block = numbers[start:start + width]
        x = np.column_stack([X[c].to_numpy(dtype=float, na_value=np.nan) for c in block])
        finite = np.isfinite(x)
        for rows, tasks in targets.values():
            match = np.zeros((len(block), len(tasks)), dtype=bool)
            whole = finite[rows].all(axis=0)  # a value on each of the tasks' rows
            varied = [k for k, (_, y) in enumerate(tasks) if _varied(y[rows])]
            if varied and whole.any():
                y = np.column_stack([tasks[k][1][rows] for k in varied])
                match[np.ix_(whole, varied)] = _correlated(x[rows][:, whole], y)
            for j in np.flatnonzero(~whole):
                both = rows & finite[:, j]
                for k, (_, y) in enumerate(tasks):
                    if both.sum() >= MIN_ROWS_FOR_IDS and _varied(y[both]):
                        match[j, k] = _correlated(x[both, j:j + 1], y[both, None])[0, 0]
            for j, k in zip(*np.nonzero(match)):
                held.setdefault(block[j], []).append(tasks[k][0])
    return [(column, [values.columns[i] for i in sorted(held[column])])
            for column in numbers if column in held]


def label_set_frame(encoded):
    """Each label of the multilabel tasks of :class:`EncodedLabels` as a column of 0/1,
    NaN where it is missing or gated off, named ``"<task>[<label>]"``."""
    columns = {}
    for task in encoded.schema:
        if task.kind == "multilabel":
            block = encoded.multilabel[task.name].astype(float)
            block[block < 0] = np.nan
            columns.update({f"{task.name}[{label}]": block[:, j]
                            for j, label in enumerate(task.classes)})
    return pd.DataFrame(columns, index=pd.RangeIndex(encoded.codes.shape[0]))


def label_frame(encoded):
    """The classification tasks' labels of :class:`EncodedLabels` as a DataFrame of codes,
    NaN where a label is missing or gated off (multilabel and regression tasks left
    out)."""
    columns = {}
    for j, task in enumerate(encoded.schema):
        if task.kind in ("binary", "multiclass"):
            codes = encoded.codes[:, j].astype(float)
            codes[codes < 0] = np.nan
            columns[task.name] = codes
    return pd.DataFrame(columns)


def _frame(X):
    """``(frame, names)``: ``X`` as a DataFrame whose columns may be identifiers (integers
    or text) or a task's labels (floats too: ``y`` stacked into a float array), and how each
    column is named in a message; ``(None, None)`` where ``X`` has no such column (a
    sparse matrix, images)."""
    if is_polars(X) and hasattr(X, "columns"):
        X = to_pandas(X)
    if isinstance(X, pd.DataFrame):
        if not X.columns.is_unique:  # a name would stand for several columns
            return None, None
        frame = X
        names = {c: f"column {c!r} of X" for c in X.columns}
    elif isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "OUSTiubf":
        # objects, text (numpy's own str dtypes too: U, S, and T, numpy 2's
        # variable-width StringDType), integers, bools (a label recoded as is_female), or
        # floats (a label as 0.0/1.0: only the label check reads a float column, as it
        # does a DataFrame's); an object array's columns as a DataFrame's would be:
        # numbers read as numbers
        frame = pd.DataFrame(X).infer_objects()
        names = {c: f"column {c} of X" for c in frame.columns}
    else:
        return None, None
    return frame, names


def warn_leaky_columns(X, encoded, *, groups=None, stacklevel=3):
    """Warn (:class:`LeakageWarning`) of each identifier among ``X``'s columns, of the
    tasks whose labels the rows follow along one, and, without ``groups``, of each
    subject's identifier (see the module's docstring). ``encoded``: the labels as
    :class:`EncodedLabels`."""
    frame, names = _frame(X)
    if frame is None or len(frame) < MIN_ROWS_FOR_IDS:
        return
    labels = label_frame(encoded)
    # a label of a label-set task, or a regression task's values, left in X reads the
    # answer as a class's labels do
    sets = label_set_frame(encoded)
    quantities = pd.DataFrame(encoded.regression, index=pd.RangeIndex(len(frame)))
    copies = [(column, tasks, "the labels of {held}: one value of it for each class")
              for column, tasks in label_columns(frame, pd.concat([labels, sets], axis=1))]
    copies += [(column, tasks, "the values of {held}, as they are or scaled and shifted")
               for column, tasks in quantity_columns(frame, quantities)]
    for column, tasks, what in copies:
        held = " and ".join(repr(task) for task in tasks)
        drop = (f"np.delete(X, {column}, axis=1)" if isinstance(X, np.ndarray)
                else f"X.drop({column!r})" if is_polars(X)
                else f"X.drop(columns=[{column!r}])")
        warnings.warn(
            f"The {names[column]} holds {what.format(held=held)}, on every labelled row. "
            "A model that reads every column of X reads the answer there, which a new "
            "sample does not have, and the scores overrate it. "
            f"Leave the labels out of X: {drop}.",
            LeakageWarning, stacklevel=stacklevel,
        )
    for column in frame.columns:
        if not looks_like_identifier(frame[column]):
            continue
        message = (f"The {names[column]} holds a different value in every row, as an "
                   "identifier does; a model that reads every column of X takes it for a "
                   "feature. Leave it out of X unless it carries information.")
        found = sorted_tasks(frame[column], labels)
        if found:
            runs = ", ".join(f"{task!r} (they change {changes} time(s) from row to row, "
                             f"where a shuffled order's would change about {expected:.0f} "
                             "times)" for task, changes, expected in found)
            message += (f" Along it the rows follow the labels of {runs}: a model can read "
                         "these labels from the identifier, which a new sample does not "
                         "have, and the scores overrate it.")
        warnings.warn(message, LeakageWarning, stacklevel=stacklevel)
    if groups is not None:
        return
    for columns, n_values, agreeing in subject_columns(frame, labels):
        tasks = " and ".join(f"{task!r} ({share:.0%})" for task, share in agreeing)
        array = isinstance(X, np.ndarray)
        if len(columns) == 1:
            held = f"The {names[columns[0]]} holds {n_values} values"
            given = f"X[:, {columns[0]}]" if array else f"X[{columns[0]!r}]"
        else:
            held = (f"The {names[columns[1]]}, within the values of the {names[columns[0]]}, "
                    f"holds {n_values} values")
            given = (f"pd.DataFrame(X[:, {list(columns)}]).groupby([0, 1]).ngroup()" if array
                     else f"{'X.to_pandas()' if is_polars(X) else 'X'}.groupby("
                     f"{list(columns)!r}).ngroup()")
        warnings.warn(
            f"{held}, most of them on several rows, and within a value the labels of "
            f"{tasks} agree: the rows come in groups, such as several rows of one subject. "
            "Shuffled folds put a group's other rows in training, where a model can "
            "recognise the group and read its labels; to score on groups not seen in "
            f"training, pass groups={given}.",
            LeakageWarning, stacklevel=stacklevel,
        )
