"""StructuredLabelEncoder: what users have <-> per-task codes."""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._frames import has_positional_names, polars_dtypes, to_pandas, to_polars
from ._schema import (
    CLASSIFICATION_KINDS,
    MISSING,
    NOT_APPLICABLE,
    Schema,
    Task,
    _plain,
    _shown,
    _topological_order,
    as_task_list,
    gate_off,
    sorted_if_set,
)
from ._validation import mapping_form, reads_as_number

_CONTAINERS = (list, set, frozenset, tuple)
_HASHABLE_LABEL = (str, bytes, numbers.Number, np.generic, type(None), type(pd.NA))


class EncodedLabels:
    """Structured labels in encoded form.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_tasks), dtype int64
        One column per task, in schema order. For a binary or multiclass task the index
        of the class in ``task.classes``; for a multilabel or regression task 0 where the
        task has a (possibly partial) label. Negative codes are masked:
        ``MISSING`` (-1, nobody annotated it) or ``NOT_APPLICABLE`` (-2, the gate is off).
    multilabel : dict of str -> ndarray of shape (n_samples, n_labels), dtype int8
        A 0/1 block per multilabel task; -1 where the label is masked.
    regression : dict of str -> ndarray of shape (n_samples,), dtype float64
        A float block per regression task; NaN where masked.
    schema : Schema
        The schema the codes refer to.
    index : pandas.Index, default=None
        The row labels of the ``Y`` encoded (a DataFrame or Series given to
        :meth:`StructuredLabelEncoder.transform`), which ``inverse_transform`` gives
        back; None for labels read from an array, label sets, or predictions.
    """

    #: (the class's None stands for labels pickled before they kept an index: a fitted
    #: LabelProductClassifier's combinations_)
    index = None

    def __init__(self, codes, multilabel, regression, schema, index=None):
        self.codes = codes
        self.multilabel = multilabel
        self.regression = regression
        self.schema = schema
        self.index = index

    @property
    def n_samples(self):
        return self.codes.shape[0]

    @property
    def mask(self):
        """True where a task has a label (neither missing nor gated off)."""
        return self.codes >= 0

    def __len__(self):
        return self.n_samples

    def __getitem__(self, rows):
        """The labels of a subset of samples (any numpy row index)."""
        return EncodedLabels(
            self.codes[rows],
            {k: v[rows] for k, v in self.multilabel.items()},
            {k: v[rows] for k, v in self.regression.items()},
            self.schema,
            None if self.index is None else self.index[rows],
        )

    def task_values(self, name):
        """The encoded values of one task: codes, a multilabel block or regression values.

        Parameters
        ----------
        name : str
            The task's name.

        Returns
        -------
        values : ndarray of shape (n_samples,) or (n_samples, n_labels)
            For a binary or multiclass task its column of ``codes`` (int64, negative
            where masked), a view of it; for a multilabel task its 0/1 block of
            ``multilabel`` (int8, -1 where masked); for a regression task its values of
            ``regression`` (float64, NaN where masked). The arrays the labels hold, not
            copies.

        Raises
        ------
        ValueError
            When ``name`` is none of the schema's tasks.
        """
        task = self.schema[name]
        if task.kind == "multilabel":
            return self.multilabel[name]
        if task.kind == "regression":
            return self.regression[name]
        return self.codes[:, self.schema.index(name)]

    def __repr__(self):
        return f"EncodedLabels(n_samples={self.n_samples}, tasks={self.schema.names})"


class StructuredLabelEncoder(TransformerMixin, BaseEstimator):
    """Encode structured labels into per-task codes, and back.

    Accepts the forms users have:

    - a DataFrame, one column per task (str, int, bool, categorical; NaN, None and
      ``pd.NA`` are missing). A multilabel task is a column of lists/sets, or a group of
      0/1 columns declared with ``Task(name, columns=[...])``;
    - a 2-D array of labels, one column per task, or a 1-D array (one task; a 1-D array
      of sets is one multilabel task). A 0/1 indicator matrix (scikit-learn's
      multi-label format) is one binary task per column, as ``MultiOutputClassifier``
      reads it, unless one multilabel task is declared (``Task("labels",
      kind="multilabel")``): then its columns are that task's labels. A SciPy sparse
      indicator (``MultiLabelBinarizer(sparse_output=True)``) reads as its dense twin, and
      ``inverse_transform`` gives it back as CSR;
    - a list of tag lists (lists, tuples or sets of labels, whatever their lengths): one
      multilabel task. A list of equal-length 0/1 lists is an indicator matrix;
    - a flat label space split into exclusive groups (see :meth:`from_groups`), read from
      a multi-hot matrix (a 2-D array whose column ``c`` is label ``c``, or a DataFrame
      whose columns are named by the labels) or from a list of label sets.

    Schema inference (``tasks=None``, or a task without ``kind``/``classes``): a column
    of lists/sets is multilabel (a task declared binary or multiclass refuses one); a bool
    column is binary with classes ``[False, True]``; a categorical column takes its
    categories, in order; otherwise the sorted distinct non-missing values are the
    classes: two make a binary task, more a multiclass one. A 1-D ``y`` given as a Series
    is read as the same column of a DataFrame is.
    Non-integral floats are refused as labels: declare ``Task(name, kind="regression")``.
    Gates are never inferred.

    Parameters
    ----------
    tasks : list of Task or Schema, default=None
        The tasks, in order. ``None`` infers one task per column. Tasks without kind or
        classes have them inferred from the data.
    groups : dict of str -> list, default=None
        A flat label space split into mutually exclusive groups, ``{group: labels}``.
        Each group becomes a binary (two labels) or multiclass task whose classes are its
        labels. ``tasks`` may then declare the gates (its names must be the groups).
    gated_labels : {"raise", "mask"}, default="raise"
        What to do with a label given on a sample whose gate is off (a color where
        ``car == "no"``): raise a ``ValueError`` naming the row, or mask the label.
    missing_groups : {"raise", "mask"}, default="raise"
        With ``groups``: what to do when an applicable group has no active label: raise,
        or treat the group's label as missing.

    Attributes
    ----------
    schema_ : Schema
        The complete, validated tasks.
    tasks_ : list of Task
        ``schema_``'s tasks.
    classes_ : list of ndarray
        The classes of each task (label names for a multilabel task, ``None`` for a
        regression task).
    n_tasks_ : int
        Number of tasks.

    See Also
    --------
    Task : one question asked of every sample.
    EncodedLabels : the encoded form returned by ``transform``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl import StructuredLabelEncoder, Task
    >>> Y = pd.DataFrame({"car": ["yes", "no", "yes"], "color": ["red", None, "blue"]})
    >>> enc = StructuredLabelEncoder(tasks=[Task("car"), Task("color", gate=("car", "yes"))])
    >>> encoded = enc.fit_transform(Y)
    >>> enc.classes_
    [array(['no', 'yes'], dtype=object), array(['blue', 'red'], dtype=object)]
    >>> encoded.codes.tolist()  # color is not applicable (-2) where car is "no"
    [[1, 1], [0, -2], [1, 0]]
    >>> enc.inverse_transform(encoded)["color"].isna().tolist()  # gated off: missing
    [False, True, False]
    """

    _parameter_constraints = {
        "tasks": [list, tuple, Task, Schema, None],
        "groups": [Mapping, None],
        "gated_labels": [StrOptions({"raise", "mask"})],
        "missing_groups": [StrOptions({"raise", "mask"})],
    }

    def __init__(self, tasks=None, *, groups=None, gated_labels="raise", missing_groups="raise"):
        self.tasks = tasks
        self.groups = groups
        self.gated_labels = gated_labels
        self.missing_groups = missing_groups

    @classmethod
    def from_groups(cls, groups, gates=None, **kwargs):
        """An encoder for a flat label space split into mutually exclusive groups.

        Parameters
        ----------
        groups : dict of str -> iterable
            ``{group: labels}``, e.g. ``{"A": [0, 1], "B": [2, 3, 4], "C": [5, 6],
            "D": range(7, 13), "E": range(13, 17)}`` for a 17-wide multi-hot matrix.
            A name that is no str is read as its text (the key ``1`` names the task
            ``'1'``), so two keys of one text (``1`` and ``'1'``) are refused.
        gates : dict of str -> tuple, default=None
            ``{group: (parent_group, label or labels)}``: the group applies only when one
            of those labels of the parent group is active. Groups are named here as in
            ``groups`` (``{2: (1, "x")}`` or ``{"2": ("1", "x")}``), one gate per group.
            A tuple that is a label of the parent group is that label (``("pos", (0, 1))``
            with ``groups={"pos": [(0, 1), (1, 0)], ...}``); other tuples list labels.
        **kwargs
            Other parameters of the encoder.

        Returns
        -------
        encoder : StructuredLabelEncoder
            An unfitted encoder.
        """
        if not isinstance(groups, Mapping) or not groups:
            raise ValueError(
                f"from_groups needs at least one group {{name: labels}}; got {groups!r}. "
                "E.g. from_groups({'A': [0, 1], 'B': [2, 3, 4]})."
            )
        groups = _named_groups(groups)
        empty = [name for name, labels in groups.items() if not labels]
        if empty:
            raise ValueError(
                f"Group(s) {empty} have no label; every group needs at least two labels."
            )
        # named as the groups are (str): {1: (0, "x")} gates group 1 on group 0, as the
        # parent's name is read by Task (the key 1 was an unknown group beside '1')
        gates = _named_gates(gates)
        unknown = sorted(set(gates) - set(groups))
        if unknown:
            raise ValueError(
                f"gates name unknown group(s) {unknown}; the groups are {list(groups)}."
            )
        tasks = {name: Task(name, classes=labels, gate=gates.get(name))
                 for name, labels in groups.items()}
        # a gate given as a tuple is read against the parent group's labels now, as the
        # Schema would at fit: ("pos", (0, 1)) is the label (0, 1) where pos has it
        tasks = [task if task.gate is None or task.gate[0] not in tasks
                 else task._read_tuple_gate(tasks[task.gate[0]]) for task in tasks.values()]
        return cls(tasks=tasks, groups=groups, **kwargs)

    # ------------------------------------------------------------------------------ fit
    def fit(self, Y, y=None):
        """Learn the schema from ``Y``.

        Parameters
        ----------
        Y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,), or list of sets
            Structured labels in any supported form.
        y : None
            Ignored.

        Returns
        -------
        self : StructuredLabelEncoder

        Raises
        ------
        ValueError
            On anything ``transform`` would refuse on the same ``Y`` (a label on a gated-off
            sample, two or no active labels in an exclusive group, ...), naming the task,
            the row and what was expected.
        """
        # Encoding checks what only the data can tell (a label on a gated-off sample,
        # an exclusive group with no active label), so fit refuses what transform would.
        self._encode(self._fit(Y))
        return self

    def fit_transform(self, Y, y=None):
        """Fit to ``Y`` and return its encoded form (one pass over the data).

        Parameters
        ----------
        Y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,), or list of sets
            Structured labels in any supported form.
        y : None
            Ignored.

        Returns
        -------
        encoded : EncodedLabels
            Per-task codes (negative = masked), multilabel and regression blocks.
        """
        columns = self._fit(Y)
        return self._with_index(self._encode(columns), Y)

    def _fit(self, Y):
        self._validate_params()
        declared = as_task_list(self.tasks)
        # a polars DataFrame is read as pandas and written back as polars
        self._polars_dtypes = polars_dtypes(Y)
        Y = to_pandas(Y, "Y", labels=True)
        if self.groups is not None:
            reader = _GroupsReader.fit(Y, self.groups, declared)
        else:
            reader = _ColumnsReader.fit(Y, declared)
        columns = reader.read(Y)
        # A value that a gate names is a class of the parent even where no row shows it
        # (a rare value that a cross-validation fold's training rows lack), as declared
        # classes would be; the metrics and the splitters read the gates the same way.
        opening = {}
        for task in reader.tasks:
            if task.gate is not None:
                opening.setdefault(task.gate[0], set()).update(task.gate[1])
        # a group's column holds one label per row (a tuple label is one label, not a set)
        one_label = self.groups is not None
        if self.gated_labels == "mask":
            # A label where the gate is off is masked: like a missing one, it is no class
            # of its task. Parents first, so that a child's gate reads them.
            tasks = _complete_in_gate_order(
                reader.tasks,
                columns,
                # (declared classes too: a placeholder such as a tuple where the gate is
                # off does not make a column of label sets)
                lambda task, raw, applies: _complete_task(
                    task, raw, gate_values=opening.get(task.name, ()), applies=applies(),
                    one_label=one_label,
                ),
            )
        else:
            # Gates mask nothing here (a label where one is off is refused), but a task
            # with no label says how many of its rows are not applicable (gate off).
            tasks = _complete_in_gate_order(
                reader.tasks,
                columns,
                lambda task, raw, applies: _complete_task(
                    task, raw, gate_values=opening.get(task.name, ()), gated=applies,
                    one_label=one_label,
                ),
            )
        reader.containers = {
            t.name: _container_of(columns[t.name]) for t in tasks if t.kind == "multilabel"
        }
        self.schema_ = Schema(tasks)
        self._reader = reader
        self.tasks_ = list(self.schema_.tasks)
        self.classes_ = [None if t.classes is None else _as_array(t.classes) for t in self.tasks_]
        self.n_tasks_ = len(self.tasks_)
        return columns

    # ------------------------------------------------------------------------ transform
    def transform(self, Y):
        """Encode ``Y`` with the learned schema.

        Parameters
        ----------
        Y : DataFrame, array-like or list of sets
            Labels in the form the encoder was fitted on.

        Returns
        -------
        encoded : EncodedLabels
            Per-task codes (negative = masked), multilabel and regression blocks.
        """
        check_is_fitted(self, "schema_")
        return self._with_index(self._encode(self._reader.read(to_pandas(Y, "Y", labels=True))),
                                Y)

    @staticmethod
    def _with_index(encoded, Y):
        """``encoded`` holding the row labels of ``Y`` where it is a pandas object (for
        ``inverse_transform`` to give them back)."""
        if isinstance(Y, (pd.DataFrame, pd.Series)) and len(Y.index) == encoded.n_samples:
            encoded.index = Y.index
        return encoded

    def _encode(self, columns):
        schema = self.schema_
        n = len(next(iter(columns.values()))) if columns else 0
        codes = np.empty((n, len(schema)), dtype=np.int64)
        multilabel, regression = {}, {}
        # Masking, parents come first: a label where the gate is off is not read at all
        # (a placeholder such as "n/a" there is no unknown label).
        mask = self.gated_labels == "mask"
        masks = {}  # gate -> where it is off (siblings on one gate share it)
        for j in schema.order if mask else range(len(schema)):
            task = schema[j]
            raw = columns[task.name]
            off = None
            if mask and task.gate is not None:
                if task.gate not in masks:
                    parent = schema.index(task.gate[0])
                    masks[task.gate] = gate_off(task, schema[parent], codes[:, parent])
                off = masks[task.gate]
            if task.kind == "multilabel":
                block = _encode_multilabel(task, raw, ignore=off)
                multilabel[task.name] = block
                column = np.where((block >= 0).any(axis=1), 0, MISSING)
            elif task.kind == "regression":
                values = _encode_regression(task, raw, ignore=off)
                regression[task.name] = values
                column = np.where(np.isnan(values), MISSING, 0)
            else:
                column = _encode_classes(task, raw, ignore=off)  # NOT_APPLICABLE where off
            if off is not None and task.kind not in CLASSIFICATION_KINDS:
                column[off] = NOT_APPLICABLE
            codes[:, j] = column
        # Masking has done what apply_gates would: every gate read once, no label read
        # where it is off (so no conflict).
        conflicts = None if mask else schema.apply_gates(codes)
        if conflicts is not None and conflicts.any():
            row, j = np.argwhere(conflicts)[0]
            task = schema[j]
            parent = task.gate[0]
            parent_code = codes[row, schema.index(parent)]
            parent_value = (
                "not applicable"
                if parent_code == NOT_APPLICABLE
                else repr(_plain([schema[parent].classes[parent_code]])[0])
            )
            raise ValueError(
                f"Task {task.name!r} has a label in row {row}, where its gate is off "
                f"({parent!r} is {parent_value}; the task applies only when {parent!r} is one "
                f"of {sorted(_plain(task.gate[1]), key=str)}). Remove the label, or pass "
                "gated_labels='mask' to mask it (an estimator takes it through its encoder: "
                "encoder=StructuredLabelEncoder(tasks, gated_labels='mask') in place of "
                "tasks=)."
            )
        if self.groups is not None and self.missing_groups == "raise":
            unset = codes == MISSING
            if unset.any():
                row, j = np.argwhere(unset)[0]
                raise ValueError(
                    f"Row {row} has no active label in group {schema[j].name!r} (labels "
                    f"{_plain(schema[j].classes)}); expected exactly one. Pass "
                    "missing_groups='mask' to treat it as missing."
                )
        for name, block in multilabel.items():
            block[codes[:, schema.index(name)] == NOT_APPLICABLE] = MISSING
        for name, values in regression.items():
            values[codes[:, schema.index(name)] == NOT_APPLICABLE] = np.nan
        return EncodedLabels(codes, multilabel, regression, schema)

    def inverse_transform(self, encoded):
        """Decode back to the form the encoder was fitted on.

        Parameters
        ----------
        encoded : EncodedLabels
            Encoded labels (from ``transform`` or an estimator's predictions).

        Returns
        -------
        Y : DataFrame, ndarray or list of sets
            Same form as the ``Y`` given to ``fit``; masked labels are the missing value
            of their column's dtype (NaN in float and ``str`` columns, ``pd.NA`` in
            nullable ones), and in a column of objects the one it held at ``fit``
            (``None``, NaN or ``pd.NA``; where it held none or several kinds, ``pd.NA`` in
            DataFrames and ``None`` in arrays). A categorical column's categories gain
            the task's classes they lack (declared, or opening a gate), appended.
        """
        check_is_fitted(self, "schema_")
        if not isinstance(encoded, EncodedLabels):
            raise TypeError(
                f"inverse_transform expects EncodedLabels; got {type(encoded).__name__}."
            )
        if encoded.codes.shape[1] != self.n_tasks_:
            raise ValueError(
                f"The encoded labels have {encoded.codes.shape[1]} tasks, but the encoder "
                f"has {self.n_tasks_}."
            )
        out = self._reader.write(encoded)
        index = encoded.index
        if (index is not None and isinstance(out, (pd.DataFrame, pd.Series))
                and len(out) == len(index)):
            out.index = index  # the rows of the Y encoded, as they were labelled
        dtypes = getattr(self, "_polars_dtypes", None)  # None in a model saved before
        if dtypes is None:
            return out
        if isinstance(out, np.ndarray) and out.ndim == 2 and out.shape[1] == len(dtypes):
            # a polars frame read by position (pl.from_numpy(P), with groups): its columns
            out = pd.DataFrame(out, columns=list(dtypes))
        # a regression column is float whatever its fitted dtype: predictions are not whole
        floats = {
            t.name: "Float64"
            for t in self.tasks_
            if t.kind == "regression" and dtypes.get(t.name) not in ("Float32", "Float64")
        }
        return to_polars(out, {**dtypes, **floats})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.target_tags.required = False
        return tags


# ---------------------------------------------------------------------------- helpers
def _named_groups(groups):
    """``{str(name): labels}`` of ``groups``, a group's name being its task's, a str.
    Two names of one text (1 and '1') are refused: one group silently replaced the other."""
    named, keys = {}, {}
    for k, v in groups.items():
        if str(k) in named:
            raise ValueError(
                f"groups has two groups named {str(k)!r}, the keys {keys[str(k)]!r} and "
                f"{k!r} (a group's name is its task's name, a str); rename one of them."
            )
        named[str(k)], keys[str(k)] = _group_labels(k, v), k
    return named


def _named_gates(gates):
    """``{str(group): gate}`` of ``gates``, keyed as :func:`_named_groups` names the groups;
    two keys of one text (3 and '3') are refused: one gate silently replaced the other."""
    named, keys = {}, {}
    for k, v in dict(gates or {}).items():
        if str(k) in named:
            raise ValueError(
                f"gates has two gates for the group {str(k)!r}, the keys {keys[str(k)]!r} "
                f"and {k!r} (a group's name is a str); give each group one gate."
            )
        named[str(k)], keys[str(k)] = v, k
    return named


def _group_labels(name, labels):
    """A group's labels as a list, in their order (a set sorted, as :class:`Task` sorts
    classes)."""
    if isinstance(labels, (str, bytes)) or not np.iterable(labels):
        # A string is one label, never its characters (as Task refuses classes="ab"):
        # {"A": "xy"} would read the labels 'x' and 'y', which the user never named.
        raise ValueError(
            f"groups[{name!r}] is {labels!r}; expected a list of its labels, e.g. "
            f"{{{str(name)!r}: [{labels!r}, ...]}}."
        )
    return list(sorted_if_set(labels, f"groups[{name!r}] is a set", "its labels"))


def _as_array(values):
    """Classes as a 1-D numpy array without numpy's string truncation surprises, and
    integers kept exact (numpy makes floats of ints past int64's range: uint64 labels).
    A tuple label stays one label (numpy read tuples as rows, of a 2-D array or of none)."""
    if any(isinstance(v, tuple) for v in values):
        return _object_array(values)
    arr = np.asarray(values)
    rounded = arr.dtype.kind == "f" and all(isinstance(v, numbers.Integral) for v in values)
    if rounded:
        try:
            return np.array(values, dtype=np.uint64)
        except OverflowError:  # negative ones, or past uint64 too: Python ints
            pass
    if rounded or arr.dtype.kind in "USO" or arr.ndim != 1:  # strings stay Python objects
        arr = np.empty(len(values), dtype=object)
        arr[:] = list(values)
    return arr


def _object_array(values):
    """``values`` as a 1-D object array, one element per value: a tuple label stays one
    label (``np.asarray([(0, 1), (1, 0)], dtype=object)`` is a 2-D array of its items)."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def _missing(values):
    return np.asarray(pd.isna(values), dtype=bool)


def _is_missing(value):
    """Whether one value (a label or a row of labels) is missing: None, NaN, ``pd.NA``
    or ``NaT`` (a tuple, a list or another container is not, whatever it holds)."""
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


_NO_GAP = object()  # (a label set's gap, when it has none)


def _gap_in_set(task, gap, row):
    """The error for a missing value among a row's labels: no label, nor a class."""
    return ValueError(
        f"Multilabel task {task.name!r} has a missing value ({gap!r}) in the label set of "
        f"row {row}; a label set holds labels only: give [] for a row with none of them, "
        "or None for a row not annotated."
    )


def _gap_in_group_set(gap, row):
    """The error for a missing value among a row's labels, with groups: no label of any
    group (it read as "a label in no group")."""
    return ValueError(
        f"Row {row} has a missing value ({gap!r}) in its label set; with groups, a label "
        "set holds labels only. Leave the missing value out: a group none of whose labels "
        "is in the set has no label, which missing_groups='mask' masks (the default, "
        "'raise', refuses it). For a row with no label at all, give an empty set (or None)."
    )


def _unhashable_in_set(what, label, row):
    """The error for a label of a row's label set that cannot be a label (a nested list,
    a dict): ``what`` names the task or the groups. Python's bare "unhashable type:
    'list'" named neither them, the row nor the value."""
    return TypeError(
        f"{what} has a {type(label).__name__} ({label!r}) in the label set of row {row}, "
        "which cannot be a label: a label set holds labels (a str, a number or a bool), "
        "not nested containers. Flatten it (e.g. [['a', 'b']] -> ['a', 'b'])."
    )


def _first_present(values):
    for v in values:
        if not _is_missing(v):
            return v
    return None


def _is_label_container(value):
    """Whether one row's value is a container of labels: a list, set or tuple, or a 1-D
    array (what pyarrow, hence ``pd.read_parquet``, makes of a Parquet list column).
    A string, a 0-D or a 2-D array is not one."""
    return isinstance(value, _CONTAINERS) or (isinstance(value, np.ndarray) and value.ndim == 1)


def _holds_containers(raw):
    """Whether a column holds a list or set of labels in any row (a multilabel column,
    whatever its first rows hold)."""
    if not isinstance(raw, (pd.Series, np.ndarray)) or raw.ndim != 1:
        return False
    if _is_arrow_list(raw.dtype):  # a Parquet list column read with the pyarrow backend
        return True
    return raw.dtype == np.object_ and any(_is_label_container(v) for v in raw)


def _is_arrow_list(dtype):
    """Whether ``dtype`` is pandas' Arrow list type (``pd.ArrowDtype(pa.list_(...))``),
    whose rows are lists of labels (or missing)."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    if arrow is None:
        return False
    import pyarrow as pa

    types = pa.types
    return types.is_list(arrow) or types.is_large_list(arrow) or types.is_fixed_size_list(arrow)


def _container_of(raw):
    """The type a multilabel column's label sets are given back in: its own, or a list
    (for arrays read from Parquet, too). The first row that holds labels tells it: a
    placeholder masked where the task's gate is off does not."""
    if isinstance(raw, np.ndarray) and raw.ndim == 2:
        return list
    first = next((v for v in raw if _is_label_container(v)), None)
    return type(first) if isinstance(first, _CONTAINERS) else list


def _rows(raw, keep):
    """The rows ``keep`` (an index or bool array) of a raw column: a Series keeps its
    dtype (a categorical its categories), an array is indexed."""
    return raw.iloc[keep] if isinstance(raw, pd.Series) else raw[keep]


def _complete_in_gate_order(tasks, columns, complete):
    """Each task as ``complete(task, raw, applies)`` gives it, parents before children.

    ``complete`` fills a task (its kind, its classes) from ``raw``, its column of
    ``columns`` (None where there is none). ``applies()`` gives the rows where the task's
    gate is not off, a bool array (None: every row), as :func:`gate_off` reads them from
    the parent as ``complete`` gave it, and from the parent's own gate (a grandchild of a
    child that is off is off); it encodes the parent (once a parent) when first called.
    It gives None where the gate cannot be read: an unknown parent, a
    cycle, a parent that is not a binary or multiclass task, a gate value it lacks, or a
    label it refuses; ``Schema`` (or the encoding) then names the error.

    Parameters
    ----------
    tasks : list of Task
        The tasks, in the schema's order (possibly without kinds or classes).
    columns : dict of str -> raw column
        The labels of each task, as a reader reads them.
    complete : callable
        ``complete(task, raw, applies) -> Task``.

    Returns
    -------
    tasks : list of Task
        What ``complete`` gave each task, in the order of ``tasks``.
    """
    by_name = {t.name: t for t in tasks}
    try:
        known = all(t.gate is None or t.gate[0] in by_name for t in tasks)
        order = _topological_order(tasks) if known else None
    except ValueError:  # a cycle: Schema names it
        order = None
    done, off, encoded, masks = {}, {}, {}, {}

    def codes_of(name):
        # A parent is encoded once, however many children read its codes.
        if name not in encoded:
            parent = done[name]
            try:
                encoded[name] = _encode_classes(parent, columns[name], ignore=gated_off(name))
            except ValueError:  # a label the parent refuses: the encoding names it
                encoded[name] = None
        return encoded[name]

    def gated_off(name):
        if name not in off:
            off[name] = None
            task = by_name[name]
            parent = None if task.gate is None else done.get(task.gate[0])
            if (
                order is not None
                and parent is not None
                and parent.kind in CLASSIFICATION_KINDS
                and parent.classes is not None
                and all(v in parent.classes for v in task.gate[1])
                and columns.get(parent.name) is not None
            ):
                if task.gate not in masks:  # siblings on one gate share it
                    codes = codes_of(parent.name)
                    masks[task.gate] = None if codes is None else gate_off(task, parent, codes)
                off[name] = masks[task.gate]
        return off[name]

    for i in range(len(tasks)) if order is None else order:
        task = tasks[i]

        def applies(name=task.name):
            rows = gated_off(name)
            return None if rows is None else ~rows

        done[task.name] = complete(task, columns.get(task.name), applies)
    return [done[t.name] for t in tasks]


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _complete_task(
    task, raw, *, gate_values=(), placeholders=None, applies=None, gated=None, one_label=False
):
    """Fill a task's kind and classes from its raw column.

    ``gate_values``, the values of this task that open its children's gates, are among the
    classes it infers even where the data do not show them. Scoring (the metrics), not
    training, passes ``placeholders``: two stand-in classes that no label equals, fill up
    the classes of a task whose data show fewer than two, where training refuses it (a
    multilabel task whose label sets are all empty takes the first one alone).
    ``applies`` (a bool array, None for every row) keeps the rows where the task's gate is
    not off: with ``gated_labels="mask"`` a label on another row is masked, so it tells
    neither the kind nor the classes (as a missing one). ``gated`` (a callable that gives
    such an array, or None) is read only to word the error on a task without labels, with
    ``gated_labels="raise"``: how many of its values are not applicable (gate off).
    ``one_label`` says that ``raw`` holds one label per row (a group's column, read from
    the groups' labels): a tuple there is a label, never a label set.
    """
    if task.kind == "regression":
        return task
    if applies is not None and applies.all():
        applies = None
    column = raw if applies is None else _rows(raw, applies)
    where_on = "" if applies is None else " where its gate is on"
    containers = not one_label and _holds_containers(column)
    if containers and task.kind in ("binary", "multiclass"):
        found = next(
            (
                (i, v)
                for i, v in enumerate(raw)
                if (applies is None or applies[i]) and _is_label_container(v)
            ),
            None,
        )
        if found is None:  # a column of a list dtype, every row a gap
            where = f" (its dtype is {getattr(raw, 'dtype', type(raw).__name__)})"
        else:
            row, value = found
            value = _plain(value) if isinstance(value, np.ndarray) else value
            where = f" ({value!r} in row {row})"
        raise ValueError(
            f"Task {task.name!r} is declared {task.kind}, but its column holds label sets"
            f"{where}; a {task.kind} task has one label "
            f"per row. Declare Task({task.name!r}, kind='multilabel') for a column of label "
            "sets."
        )
    if task.kind == "multilabel" or containers:
        if task.classes is not None:
            return task._replace(kind="multilabel")
        labels = set()
        for i, v in enumerate(column):
            if _is_label_container(v):
                gap = next((x for x in v if _is_missing(x)), _NO_GAP)
                if gap is not _NO_GAP:  # a missing value is no label (nor a class)
                    raise _gap_in_set(task, gap, i)
                bad = next((x for x in v if not _hashable(x)), _NO_GAP)
                if bad is not _NO_GAP:
                    raise _unhashable_in_set(f"Multilabel task {task.name!r}", bad, i)
                labels.update(v)
        if not labels:  # no label set at all: say what the rows hold, as transform would
            found = next(
                ((i, v) for i, v in enumerate(raw) if (applies is None or applies[i])
                 and not _is_label_container(v) and not _is_missing(v)),
                None,
            )
            if found is not None:
                raise ValueError(
                    f"Multilabel task {task.name!r} expects a list or set of labels per "
                    f"row; got {found[1]!r} in row {found[0]}. For one label per row, "
                    f"declare Task({task.name!r}) without kind='multilabel'."
                )
            if placeholders is None:  # (the schema said "has no labels", and no fix)
                raise ValueError(
                    f"Multilabel task {task.name!r} has no labels: each of its {len(column)} "
                    f"label sets{where_on} is empty or missing, so its labels cannot be "
                    f"inferred. Declare them, Task({task.name!r}, kind='multilabel', "
                    "classes=[...]), or drop the task."
                )
        if not labels and placeholders is not None:
            # Scoring labels whose every set is empty (no tag on any sample): one stand-in
            # label, never on, so that each sample counts one right label, as scikit-learn
            # scores an all-zero indicator matrix (a Hamming loss of 0, an exact match).
            return task._replace(kind="multilabel", classes=[placeholders[0]])
        try:
            classes = _sorted_labels(task, list(labels))
        except ValueError as exc:
            raise ValueError(
                f"{exc} A list of lists is read as label sets (one multilabel task); for one "
                "column per task, pass a 2-D array or a DataFrame."
            ) from None
        return task._replace(kind="multilabel", classes=classes)
    if task.classes is not None:
        kind = task.kind or ("binary" if len(task.classes) == 2 else "multiclass")
        return task._replace(kind=kind)
    sort = False
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
        classes = _plain(column.cat.categories)
    elif pd.api.types.is_bool_dtype(getattr(column, "dtype", None)):  # bool or "boolean"
        classes = [False, True]
    else:
        sort = True
        if isinstance(column, pd.Series):
            values = column.dropna().to_numpy()  # nullable Int64 stays integral
        else:
            values = np.asarray(column)
            if values.dtype.kind not in "biu":
                values = values[~_missing(values)]
        if len(values) == 0 and placeholders is None:
            on = applies if applies is not None or gated is None else gated()
            n_off = 0 if on is None else int(len(raw) - np.count_nonzero(on))
            if n_off == 0:
                none = f"all {len(raw)} values are missing"
            elif n_off == len(raw):
                none = f"all {len(raw)} values are not applicable (gate off)"
            else:  # worded as the estimators' check on the encoded labels words it
                none = (
                    f"of its {len(raw)} values, {len(raw) - n_off} are missing and {n_off} "
                    "not applicable (gate off)"
                )
            raise ValueError(
                f"Task {task.name!r} has no labels: {none}, "
                f"so its classes cannot be inferred and no model can learn it. Drop the column "
                f"{task.name!r} from Y (and its Task from tasks=, if declared) to train on "
                "the other tasks (e.g. "
                f"Y.drop(columns=[{task.name!r}]) for a DataFrame). To only encode or score it, "
                f"declare Task({task.name!r}, classes=[...])."
            )
        try:
            uniques = pd.unique(values)
        except TypeError:  # a dict (a JSON record) or another unhashable value
            row, bad = next((i, v) for i, v in enumerate(np.asarray(raw, dtype=object))
                            if not _hashable(v))
            raise TypeError(
                f"Task {task.name!r} holds a {type(bad).__name__} in row {row} ({bad!r}), "
                "which cannot be a class label: a label is a str, a number or a bool, and "
                "a label set a list, set or tuple of them."
            ) from None
        non_integral = [
            v
            for v in uniques
            if isinstance(v, (float, np.floating, complex, np.complexfloating))
            and not (np.imag(v) == 0 and float(np.real(v)).is_integer())
        ]
        if non_integral:
            raise ValueError(
                f"Unknown label type: continuous. Task {task.name!r} holds non-integral numbers "
                f"(e.g. {_plain(non_integral[:3])}), "
                "which cannot be class labels; declare Task(name, kind='regression') for a "
                "regression task."
            )
        classes = _sorted_labels(task, list(uniques))
        if classes and all(isinstance(c, bool) for c in classes):
            # bools held as objects (a bool column with a gap, as pandas holds it): binary
            # with classes [False, True] as a bool column is, also where its rows show
            # one of them (a rare label absent from a cross-validation fold's training rows)
            classes = [False, True]
    unshown = [v for v in _plain(sorted(gate_values, key=repr)) if v not in classes]
    if classes and all(isinstance(c, bool) for c in classes):
        # bool labels: no value but False and True is one of them (a bool column's task,
        # binary, became a multiclass one with the class 'True' or 2)
        unshown = [v for v in unshown if isinstance(v, bool)]
    if unshown:
        try:
            # of the labels' type, as sorted ones are (a categorical's categories keep
            # their order, the gate values after them)
            ordered = _sorted_labels(task, classes + unshown)
            classes = ordered if sort else classes + unshown
        except ValueError:  # not of the labels' type: the schema names the gate value
            pass
    if len(classes) < 2 and placeholders is not None:
        classes = classes + list(placeholders[: 2 - len(classes)])
    if len(classes) < 2:
        raise ValueError(
            f"Task {task.name!r} has one class {_plain(classes)!r} in the data{where_on}; a "
            "classification task needs at least two classes. Where its other classes are "
            "rare (absent from a cross-validation fold's training rows), declare them: "
            f"Task({task.name!r}, classes=[...]), or the whole Y's schema, "
            "tasks=StructuredLabelEncoder().fit(Y).schema_; otherwise drop the column."
        )
    kind = task.kind or ("binary" if len(classes) == 2 else "multiclass")
    return task._replace(kind=kind, classes=classes)


def _sorted_labels(task, labels):
    labels = _plain(labels)
    types = {type(v).__name__ for v in labels}
    numeric = all(isinstance(v, numbers.Number) for v in labels)
    if len(types) > 1 and not numeric:
        raise ValueError(
            f"Task {task.name!r} has labels of mixed types {sorted(types)}; expected one type "
            f"(e.g. all str or all int). Got {labels[:6]!r}."
        )
    try:
        return sorted(labels)
    except TypeError as exc:
        raise ValueError(f"Task {task.name!r} has labels that cannot be ordered: {exc}.") from None


def _encode_classes(task, raw, ignore=None):
    """Codes of one binary/multiclass column: hash once with pandas, map the uniques.

    Missing values (NaN, None, ``pd.NA``) become MISSING; a label that is not among the
    task's classes is a ValueError naming the row.

    ``ignore`` (a bool array, None for no row) marks the rows where the task's gate is off,
    with ``gated_labels="mask"``: whatever they hold is not read (an unknown placeholder
    such as ``"n/a"`` raises nothing), and their codes are NOT_APPLICABLE.
    """
    return _read_rows(_class_codes, task, raw, ignore, NOT_APPLICABLE)


def _read_rows(read, task, raw, ignore, fill):
    """``read(task, raw)``, where ``ignore`` (a bool array or None) marks rows not to read:
    they are ``fill``, and the others are read alone (``read(task, rows_of_raw, rows)``,
    so that an error names the row of ``raw``)."""
    if ignore is None or not ignore.any():
        return read(task, raw)
    keep = np.flatnonzero(~ignore)
    part = read(task, _rows(raw, keep), keep)
    out = np.full((len(raw),) + part.shape[1:], fill, dtype=part.dtype)
    out[keep] = part
    return out


def _class_codes(task, raw, rows=None):
    """:func:`_encode_classes` of ``raw``, whose row ``i`` is row ``rows[i]`` of the
    labels (``None``: row ``i``), the row that an error names."""
    if isinstance(raw, pd.Series) and isinstance(raw.dtype, pd.CategoricalDtype):
        raw_codes = raw.cat.codes.to_numpy()
        uniques = raw.cat.categories
        used = np.bincount(raw_codes[raw_codes >= 0], minlength=len(uniques)) > 0
    else:
        try:
            raw_codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        except TypeError:
            row, value = next(
                (i, v) for i, v in enumerate(raw) if not isinstance(v, _HASHABLE_LABEL)
            )
            row = row if rows is None else int(rows[row])
            raise ValueError(
                f"Task {task.name!r} ({task.kind}) expects one label per row; got {value!r} "
                f"in row {row}."
            ) from None
        used = np.ones(len(uniques), dtype=bool)
    # get_indexer on object indexes compares by value: 2.0 finds class 2, np.str_ finds str.
    # (tupleize_cols=False: tuple labels, as a group may have, make no MultiIndex)
    lookup = pd.Index(task.classes, dtype=object, tupleize_cols=False).get_indexer(
        pd.Index(uniques, dtype=object, tupleize_cols=False)
    )
    unknown = (lookup < 0) & used
    if unknown.any():
        bad = np.zeros(len(uniques) + 1, dtype=bool)
        bad[:-1] = unknown
        row = int(np.flatnonzero(bad[raw_codes])[0])  # raw_codes == -1 reads bad[-1]
        value = _plain([uniques[raw_codes[row]]])[0]
        row = row if rows is None else int(rows[row])
        raise ValueError(
            f"Task {task.name!r} got label {value!r} in row {row}, which is not among its "
            f"classes {_shown(task.classes)}."
        )
    table = np.append(lookup.astype(np.int64), MISSING)  # raw code -1 (missing) -> MISSING
    return table[raw_codes]


def _encode_multilabel(task, raw, ignore=None):
    """The 0/1 block of one multilabel task (-1 where masked), from a column of label sets
    or a group of 0/1 columns.

    ``ignore`` (a bool array, None for no row) marks the rows where the task's gate is off,
    with ``gated_labels="mask"``: whatever they hold is not read, and they are masked.
    """
    return _read_rows(_multilabel_block, task, raw, ignore, MISSING)


def _multilabel_block(task, raw, rows=None):
    """:func:`_encode_multilabel` of ``raw``, whose row ``i`` is row ``rows[i]`` of the
    labels (``None``: row ``i``), the row that an error names."""
    at = (lambda row: row) if rows is None else (lambda row: int(rows[row]))
    k = len(task.classes)
    if isinstance(raw, np.ndarray) and raw.ndim == 2:  # a group of 0/1 columns
        # a label's column: its name in Y where it has one (the classes may be declared
        # otherwise), its label in an indicator matrix
        names = task.columns if task.columns is not None else task.classes
        values = (
            np.asarray(raw, dtype=float) if raw.dtype != object else _to_float(task, raw, names, at)
        )
        missing = np.isnan(values)
        ok = missing | (values == 0) | (values == 1)
        if not ok.all():
            row, col = np.argwhere(~ok)[0]
            raise ValueError(
                f"Multilabel task {task.name!r} column {names[col]!r} has value "
                f"{values[row, col].item()!r} in row {at(row)}; expected 0, 1 or missing."
            )
        block = np.where(missing, MISSING, values).astype(np.int8)
        return block
    lookup = {c: i for i, c in enumerate(task.classes)}
    block = np.zeros((len(raw), k), dtype=np.int8)
    for row, labels in enumerate(raw):
        if _is_label_container(labels):
            for label in labels:
                try:  # (no hash check per label: this loop is transform's)
                    col = lookup.get(label)
                except TypeError:
                    raise _unhashable_in_set(
                        f"Multilabel task {task.name!r}", label, at(row)) from None
                if col is None and _is_missing(label):
                    raise _gap_in_set(task, label, at(row))
                if col is None:
                    raise ValueError(
                        f"Multilabel task {task.name!r} got label {label!r} in row {at(row)}, "
                        f"which is not among its labels {_shown(task.classes)}."
                    )
                block[row, col] = 1
        elif _is_missing(labels):
            block[row] = MISSING
        else:
            raise ValueError(
                f"Multilabel task {task.name!r} expects a list or set of labels per row; got "
                f"{labels!r} in row {at(row)}."
            )
    return block


def _to_float(task, raw, names, at):
    """A group of 0/1 columns held as objects as floats (NaN where missing); text such
    as ``"yes"`` is refused naming the task, its column (``names[col]``), the row
    (``at(row)``) and the value."""
    try:
        return np.asarray(pd.DataFrame(raw).apply(pd.to_numeric), dtype=float)
    except (TypeError, ValueError, OverflowError):
        for row, col in np.ndindex(raw.shape):
            value = raw[row, col]
            if isinstance(value, (bool, np.bool_)) or reads_as_number(value):
                continue
            raise ValueError(
                f"Multilabel task {task.name!r} column {names[col]!r} has value {value!r} "
                f"in row {at(row)}; expected 0, 1 or missing (map text such as 'yes'/'no' "
                "to 1/0 first)."
            ) from None
        raise


def _encode_regression(task, raw, ignore=None):
    """The float values of one regression task (NaN where missing).

    ``ignore`` (a bool array, None for no row) marks the rows where the task's gate is off,
    with ``gated_labels="mask"``: whatever they hold is not read, and they are NaN.
    """
    return _read_rows(_regression_values, task, raw, ignore, np.nan)


def _regression_values(task, raw, rows=None):
    """:func:`_encode_regression` of ``raw``, whose row ``i`` is row ``rows[i]`` of the
    labels (``None``: row ``i``), the row that an error names."""
    column = pd.Series(np.asarray(raw, dtype=object))

    def refuse(row, why=""):
        value = column.iloc[row]
        row = row if rows is None else int(rows[row])
        raise ValueError(
            f"Regression task {task.name!r} expects numbers; got {value!r} in row {row}{why}."
        ) from None

    try:
        numbers = pd.to_numeric(column)
    except (TypeError, ValueError):
        # the first value that does not read as a number ("46504.55" does), and its row
        refuse(next((i for i, v in enumerate(column) if not reads_as_number(v)), 0))
    if numbers.dtype.kind == "c":  # float() would drop the imaginary part, warning
        imaginary = np.flatnonzero(numbers.to_numpy().imag)
        if len(imaginary):
            refuse(int(imaginary[0]), " (a complex number: its imaginary part would be lost)")
        numbers = numbers.to_numpy().real
    values = np.array(numbers, dtype=float)
    # a missing date or duration (NaT) reads as the int64 minimum, about -9.2e18 in the
    # column's unit, not as NaN: it is a missing label, as None, NaN and pd.NA are
    values[column.isna().to_numpy()] = np.nan
    if np.isinf(values).any():
        row = int(np.flatnonzero(np.isinf(values))[0])
        row = row if rows is None else int(rows[row])
        raise ValueError(f"Regression task {task.name!r} has an infinite value in row {row}.")
    return values




def _check_unique_columns(Y, what="Y"):
    """Refuse a DataFrame ``what`` with two columns of one name (as X's are refused): a
    name would stand for several columns, one task for two columns of labels."""
    if not isinstance(Y, pd.DataFrame):
        return
    names = pd.Index([str(c) for c in Y.columns])
    if names.is_unique:
        return
    dup = list(dict.fromkeys(names[names.duplicated()]))
    alike = "" if not Y.columns.is_unique else " (names are read as strings: 1 and '1' alike)"
    raise ValueError(
        f"{what} has more than one column named {dup}{alike}; expected each name once, "
        "as a name stands for one column (a task's, or a label's). Rename the duplicates."
    )


def _check_n_samples(Y):
    n = Y.shape[0] if sp.issparse(Y) else len(Y)
    if n == 0:
        raise ValueError("Y is empty: 0 samples; expected at least one.")
    return n


def _object_column(values, masked):
    out = np.empty(len(masked), dtype=object)
    out[~masked] = values[~masked] if len(values) else values
    out[masked] = None
    return out


def _decode_classes(task, codes):
    classes = _as_array(task.classes)
    masked = codes < 0
    if not masked.any():
        return classes[codes], masked
    return _object_column(classes[np.where(masked, 0, codes)], masked), masked


def _decode_multilabel(task, block, codes, container):
    out = np.empty(len(block), dtype=object)
    classes = task.classes
    for row in range(len(block)):
        if codes[row] < 0:
            out[row] = None
        else:
            out[row] = container(classes[i] for i in np.flatnonzero(block[row] == 1))
    return out


#: What :func:`_gap_of` gives for labels without a missing value, or with several kinds.
_NO_GAP = object()


def _numpy_twin(dtype):
    """The numpy dtype of a column's numbers: its own, or a nullable one's (``Int64`` ->
    int64, ``boolean`` -> bool, ``int64[pyarrow]`` -> int64, a sparse one's values:
    ``Sparse[int64, 0]`` -> int64, as ``pd.DataFrame.sparse.from_spmatrix`` holds an
    indicator matrix); None for anything else."""
    if isinstance(dtype, np.dtype):
        return dtype
    if isinstance(dtype, pd.SparseDtype):
        return _numpy_twin(dtype.subtype)
    twin = getattr(dtype, "numpy_dtype", None)
    return twin if dtype.kind in "biuf" and isinstance(twin, np.dtype) else None


def _gap_of(values):
    """The missing value that ``values`` (a column of objects) holds: ``None``, NaN or
    ``pd.NA`` where every gap is that one, else ``_NO_GAP``. Masked labels come back as
    it, so that ``inverse_transform(transform(Y))`` gives back the gaps of ``Y``, not
    another kind of missing value (pandas tells them apart: ``Series.where``, ``==``).
    A column of another dtype has its own missing value (NaN, ``pd.NA``, ``NaT``)."""
    if values.dtype != object:
        return _NO_GAP
    values = np.asarray(values, dtype=object).ravel()
    gaps = values[_missing(values)]
    kinds = {_gap_kind(v) for v in gaps}
    if len(kinds) != 1:
        return _NO_GAP
    return {"none": None, "nan": np.nan, "na": pd.NA}.get(kinds.pop(), _NO_GAP)


def _gap_kind(value):
    if value is None:
        return "none"
    if value is pd.NA:
        return "na"
    if isinstance(value, (float, np.floating)):
        return "nan"
    return "other"  # NaT, a decimal NaN...


def _restore_series(values, masked, dtype, name, index, gap=pd.NA):
    """A Series of decoded labels with the fitted column's dtype (nullable where needed);
    ``gap`` is the missing value of a column of objects (:func:`_gap_of`)."""
    if masked.any():
        values = np.asarray(values, dtype=object).copy()
        values[masked] = None
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical(values, dtype=dtype), name=name, index=index)
    if masked.any() and isinstance(dtype, np.dtype):
        # A numpy column cannot hold a missing int or bool: use pandas' nullable twin.
        if dtype.kind in "iu":
            nullable = ("Int" if dtype.kind == "i" else "UInt") + str(8 * dtype.itemsize)
            return pd.Series(pd.array(values, dtype=nullable), name=name, index=index)
        if dtype.kind == "b":
            return pd.Series(pd.array(values, dtype="boolean"), name=name, index=index)
        if dtype.kind == "O":
            values[masked] = gap
            return pd.Series(values, dtype=object, name=name, index=index)
    if isinstance(dtype, pd.ArrowDtype):  # built by pyarrow: astype cannot make some
        import pyarrow as pa  # (a dictionary of integers)

        try:
            array = pa.array(np.asarray(values, dtype=object), type=dtype.pyarrow_dtype)
            return pd.Series(pd.arrays.ArrowExtensionArray(array), name=name, index=index)
        except (pa.ArrowException, TypeError, ValueError):
            pass
    try:
        return pd.Series(values, name=name, index=index).astype(dtype)
    except (TypeError, ValueError):
        return pd.Series(values, dtype=object, name=name, index=index)


class _ColumnsReader:
    """Reads and writes one column per task (DataFrame, 2-D array, 1-D array)."""

    @classmethod
    def fit(cls, Y, declared):
        self = cls()
        if isinstance(Y, pd.DataFrame):
            self.form = "frame"
            _check_n_samples(Y)
            _check_unique_columns(Y)
            if Y.shape[1] == 0:
                raise ValueError(
                    f"Y is a DataFrame with {len(Y)} rows but 0 columns, so no task; expected "
                    "one column per task."
                )
            self.columns = list(Y.columns)
            # given back: Y.rename_axis(columns=...), a MultiIndex's level names
            self.columns_names = list(Y.columns.names)
            self.dtypes = dict(Y.dtypes)
            self.gaps = _gaps({c: Y[c] for c in Y.columns if Y[c].dtype == object})
            by_column = {str(c): c for c in Y.columns}
            if declared is None:
                # A frame of 0/1 numbers is an indicator too (scikit-learn's type_of_target
                # reads it so): each column has classes 0 and 1, in its own dtype. Nullable
                # numbers (Int64, a polars column with nulls) too: a gap is a missing label.
                numpy_dtypes = [_numpy_twin(t) for t in Y.dtypes]
                indicator = _frame_is_indicator(Y)
                self.tasks = [
                    Task(str(c), classes=_plain(np.array([0, 1]).astype(t)) if indicator else None)
                    for c, t in zip(Y.columns, numpy_dtypes)
                ]
            else:
                self.tasks = declared
                used = set()
                for task in declared:
                    needed = task.columns if task.columns is not None else [task.name]
                    absent = [c for c in needed if c not in by_column]
                    if absent:
                        hint = ""
                        if (task.kind == "multilabel" and task.columns is None
                                and len(declared) == 1 and _frame_is_indicator(Y)):
                            # the whole frame of 0/1 columns as one multilabel task, as
                            # an indicator matrix reads (a frame's columns are tasks);
                            # not a frame of label lists or text, which this would misread
                            hint = (
                                " A multilabel task held as 0/1 columns, one a label, "
                                f"declares them: Task({task.name!r}, kind='multilabel', "
                                "columns=list(Y.columns))."
                            )
                        raise ValueError(
                            f"Y has no column {absent[0]!r} for task {task.name!r}; Y's "
                            f"columns are {[str(c) for c in Y.columns]}.{hint}"
                        )
                    used.update(needed)
                extra = [str(c) for c in Y.columns if str(c) not in used]
                if extra:
                    raise ValueError(
                        f"Y column(s) {extra} are not in the schema; the tasks are "
                        f"{[t.name for t in declared]}."
                    )
                # a label's 0/1 column of objects holding bools comes back as bools
                self.bool_objects = [
                    c for t in declared if t.columns is not None for c in t.columns
                    if _holds_bools(Y[by_column[c]])
                ]
            self.by_column = by_column
            return self
        self.name = getattr(Y, "name", None)
        self.sparse = _sparse_kind(Y)
        Y = _label_column_or_array(Y)
        _check_n_samples(Y)
        self.dtype = _array_dtype(Y.dtype) if isinstance(Y, pd.Series) else Y.dtype
        # the missing value of each column, given back where a label is masked
        self.gaps = _gaps({0: Y} if Y.ndim == 1 else dict(enumerate(Y.T)))
        if Y.ndim == 1:
            self.form = "1d"
            if declared is not None and len(declared) != 1:
                raise ValueError(
                    f"A 1-D y holds one task, but {len(declared)} tasks were declared."
                )
            # an unnamed Series (a polars one is named "") is the task "y"
            name = "y" if self.name is None or str(self.name) == "" else str(self.name)
            self.tasks = declared or [Task(name)]
        elif _reads_as_indicator(Y, declared):
            # scikit-learn's multi-label format: one multilabel task, one label per column.
            self.form = "indicator"
            n_cols = Y.shape[1]
            if declared is None:
                declared = [Task(INDICATOR_TASK, kind="multilabel")]
            task = declared[0]
            if task.classes is None:
                task = task._replace(classes=list(range(n_cols)))
            elif len(task.classes) != n_cols:
                raise ValueError(
                    f"Multilabel task {task.name!r} declares {len(task.classes)} labels "
                    f"{_plain(task.classes)!r}, but the indicator matrix Y has {n_cols} "
                    "columns; expected one label per column."
                )
            self.tasks = [task]
        else:
            self.form = "2d"
            n_cols = Y.shape[1]
            if n_cols == 0:
                raise ValueError(
                    f"Y has shape {Y.shape}: 0 columns, so no task; expected at least one "
                    "column of labels."
                )
            # A 0/1 indicator read as binary tasks: the metrics score its labels.
            self.indicator = declared is None and _is_indicator(Y)
            if declared is None:
                # An indicator's columns are labels, each with classes 0 and 1 (in Y's
                # dtype), also where the training rows never show one of them: a rare
                # label in a cross-validation fold, as OneVsRestClassifier allows.
                classes = _plain(np.array([0, 1]).astype(Y.dtype)) if self.indicator else None
                self.tasks = [Task(f"task{j}", classes=classes) for j in range(n_cols)]
            else:
                if len(declared) != n_cols:
                    raise ValueError(
                        f"Y has {n_cols} columns, but the schema has {len(declared)} tasks "
                        f"{[t.name for t in declared]}; expected one column per task."
                    )
                self.tasks = declared
        return self

    def read(self, Y):
        if self.form == "frame":
            if not isinstance(Y, pd.DataFrame):
                raise ValueError(
                    f"The encoder was fitted on a DataFrame; got {type(Y).__name__}."
                )
            _check_n_samples(Y)
            _check_unique_columns(Y)
            names = {str(c) for c in Y.columns}
            columns = {}
            for task in self.tasks:
                needed = task.columns if task.columns is not None else [task.name]
                absent = [c for c in needed if c not in names]
                if absent:
                    raise ValueError(
                        f"Y has no column {absent[0]!r} for task {task.name!r}; Y's columns "
                        f"are {sorted(names)}."
                    )
                if task.columns is not None:
                    cols = [self.by_column.get(c, c) for c in task.columns]
                    block = Y[cols]
                    if all(_numpy_twin(t) is not None and _numpy_twin(t).kind in "biuf"
                           for t in block.dtypes):
                        # numbers (nullable, sparse ones too) as floats at once: as objects
                        # each column was read by pd.to_numeric, seconds for 8,000 labels
                        columns[task.name] = block.to_numpy(dtype=float, na_value=np.nan)
                    else:
                        columns[task.name] = block.to_numpy(dtype=object)
                else:
                    columns[task.name] = Y[self.by_column.get(task.name, task.name)]
            extra = sorted(names - {c for t in self.tasks for c in (t.columns or [t.name])})
            if extra:
                raise ValueError(
                    f"Y column(s) {extra} are not in the schema; the tasks are "
                    f"{[t.name for t in self.tasks]}."
                )
            return columns
        Y = _label_column_or_array(Y)
        _check_n_samples(Y)
        if self.form == "indicator":
            task = self.tasks[0]
            if Y.ndim != 2 or Y.shape[1] != len(task.classes):
                raise ValueError(
                    f"Y has shape {Y.shape}, but the encoder was fitted on an indicator matrix "
                    f"of {len(task.classes)} labels; expected (n_samples, {len(task.classes)})."
                )
            return {task.name: Y}
        if self.form == "1d":
            if Y.ndim != 1:
                if Y.ndim == 2 and Y.shape[1] == 1:
                    Y = Y[:, 0]
                else:
                    raise ValueError(
                        f"The encoder was fitted on a 1-D y; got shape {Y.shape}."
                    )
            return {self.tasks[0].name: Y}
        if Y.ndim != 2 or Y.shape[1] != len(self.tasks):
            raise ValueError(
                f"Y has shape {Y.shape}, but the schema has {len(self.tasks)} tasks; expected "
                f"(n_samples, {len(self.tasks)})."
            )
        return {task.name: Y[:, j] for j, task in enumerate(self.tasks)}

    def _task_column(self, encoded, j, task):
        codes = encoded.codes[:, j]
        if task.kind == "regression":
            values = encoded.regression[task.name]
            return values, np.isnan(values)
        if task.kind == "multilabel":
            container = self.containers.get(task.name, list)
            block = encoded.multilabel[task.name]
            return _decode_multilabel(task, block, codes, container), codes < 0
        return _decode_classes(task, codes)

    def write(self, encoded):
        out = self._write(encoded)
        # a sparse Y comes back sparse, as OneVsRestClassifier predicts
        return out if self.form == "frame" else _as_sparse(out, getattr(self, "sparse", None))

    def _write(self, encoded):
        schema = encoded.schema
        if self.form == "indicator":
            task = schema[0]
            block = encoded.multilabel[task.name]
            masked = (block < 0) | (encoded.codes[:, [0]] < 0)
            if masked.any():  # missing labels (in a truth): NaN, as they were read
                return np.where(masked, np.nan, block).astype(float)
            return block.astype(self.dtype)
        gaps = getattr(self, "gaps", {})  # {}: a model saved before kept none
        if self.form == "frame":
            index = pd.RangeIndex(encoded.n_samples)
            out = {}
            for j, task in enumerate(schema):
                if task.columns is not None:
                    block = encoded.multilabel[task.name]
                    for col, column in enumerate(task.columns):
                        original = self.by_column[column]
                        masked = block[:, col] < 0
                        # 0/1, or False/True where the column held bools as objects (0/1
                        # in a model saved before that was kept)
                        bools = column in getattr(self, "bool_objects", ())
                        values = block[:, col].astype(bool if bools else object)
                        out[original] = _restore_series(
                            values.astype(object), masked, self.dtypes[original], original,
                            index, gaps.get(original, pd.NA),
                        )
                    continue
                original = self.by_column[task.name]
                values, masked = self._task_column(encoded, j, task)
                dtype = _with_classes(_output_dtype(self.dtypes[original], [task]), task)
                out[original] = _restore_series(
                    values, masked, dtype, original, index, gaps.get(original, pd.NA)
                )
            frame = pd.DataFrame({c: out[c] for c in self.columns}, index=index)
            names = getattr(self, "columns_names", None)  # None: a model saved before
            if names is not None and len(names) == frame.columns.nlevels:
                frame.columns = frame.columns.set_names(names)
            return frame
        columns = [self._task_column(encoded, j, t) for j, t in enumerate(schema)]
        dtype = _holding(_output_dtype(self.dtype, schema.tasks),
                         [c for t in schema if t.kind in CLASSIFICATION_KINDS
                          for c in t.classes])
        if self.form == "1d":
            values, masked = columns[0]
            out = _cast_array(values, masked, dtype)
            if masked.any() and out.dtype == object:
                out[masked] = gaps.get(0)
            return out
        any_masked = any(m.any() for _, m in columns)
        if dtype.kind == "O" or (any_masked and dtype.kind != "f"):
            out = np.empty((encoded.n_samples, len(columns)), dtype=object)
            for j, (values, masked) in enumerate(columns):
                out[:, j] = values
                out[masked, j] = np.nan if dtype.kind == "f" else gaps.get(j)
            return out
        out = np.empty((encoded.n_samples, len(columns)), dtype=dtype)
        for j, (values, masked) in enumerate(columns):
            out[:, j] = np.where(masked, np.nan, values) if dtype.kind == "f" else values
        return out


def _gaps(columns):
    """``{key: missing value}`` of the ``columns`` (``{key: column}``) that hold one kind
    of gap (:func:`_gap_of`)."""
    gaps = {key: _gap_of(column) for key, column in columns.items()}
    return {key: gap for key, gap in gaps.items() if gap is not _NO_GAP}


def _holds_bools(column):
    """Whether a column of objects holds bools (and gaps) only."""
    if column.dtype != np.object_:
        return False
    present = [v for v in column if not _is_missing(v)]
    return bool(present) and all(isinstance(v, (bool, np.bool_)) for v in present)


def _output_dtype(dtype, tasks):
    """The dtype to write ``tasks`` (one column, or a 2-D array's columns) fitted in
    ``dtype``: that dtype, but where a regression task is among them an integer or bool
    one becomes float64 (``"Float64"`` for a pandas extension one): its predictions are
    not whole numbers, also where it was fitted on integers. A pandas column of strings or
    categories (of star ratings, say) of regression tasks becomes ``"Float64"``: its
    predictions are numbers. Float and numpy object dtypes stay (an object array keeps
    Python's floats)."""
    regression = [task.kind == "regression" for task in tasks]
    if not any(regression) or dtype.kind == "f":
        return dtype
    extension = isinstance(dtype, pd.api.extensions.ExtensionDtype)
    if dtype.kind not in "biu" and not (extension and all(regression)):
        return dtype
    if extension:
        return pd.Float64Dtype()
    return np.dtype(np.float64)


def _with_classes(dtype, task):
    """A categorical ``dtype`` with the classes of ``task`` its categories lack appended
    (in the classes' order; an ordered one stays ordered): a class declared, or opening a
    gate, that no category of the fitted column holds (``partial_fit``'s first batch
    lacked it) is decoded as itself, not as NaN. Any other dtype as it is."""
    if task.kind not in CLASSIFICATION_KINDS:
        return dtype
    if not isinstance(dtype, pd.CategoricalDtype):
        return _holding(dtype, task.classes)
    categories = dtype.categories
    extra = [c for c in _plain(task.classes) if c not in categories]
    if not extra:
        return dtype
    return pd.CategoricalDtype(list(categories) + extra, ordered=dtype.ordered)


def _holding(dtype, classes):
    """``dtype``, the fitted dtype of a column of integers, bools or numpy text, or where
    it cannot hold each of ``classes`` exactly the one of its family that can: an
    ``int8`` column whose declared classes hold 300 (it wrapped to 44), an unsigned one
    -1 (255), an integer one 2.5 (cut to 2), a bool one 2 (True), a class beyond
    ``uint64``, a ``<U2`` array the class ``'yes'`` (cut to ``'ye'``). A
    nullable dtype stays nullable (``Int8`` -> ``Int16``), an Arrow one Arrow; ``object``
    where no number dtype holds them. Any other dtype as it is."""
    twin = _numpy_twin(dtype)
    if twin is None or twin.kind not in "biuUS":
        return dtype
    classes = _plain(classes)
    if twin.kind in "US":  # numpy text of a fixed width: 'yes' was cut to 'ye' in <U2
        kind = str if twin.kind == "U" else bytes
        if not all(isinstance(c, kind) for c in classes):
            return np.dtype(object)
        width = max((len(c) for c in classes), default=0)
        return dtype if width <= twin.itemsize // (4 if twin.kind == "U" else 1) else (
            np.dtype(f"{twin.kind}{width}"))
    if twin.kind == "b":
        if all(isinstance(c, numbers.Number) and c in (0, 1) for c in classes):
            return dtype  # False/True, 0/1: bools hold them
        needed = np.dtype(object)
    elif not all(isinstance(c, numbers.Integral)
                 or (isinstance(c, numbers.Real) and np.isfinite(float(c))) for c in classes):
        needed = np.dtype(object)
    elif not all(isinstance(c, numbers.Integral) or float(c).is_integer() for c in classes):
        needed = np.dtype(np.float64)
    else:
        low, high = min(int(c) for c in classes), max(int(c) for c in classes)
        kinds = "u" if twin.kind == "u" and low >= 0 else "i"
        # the column's own dtype, else the narrowest wider one of its family that holds them
        holding = [np.dtype(f"{k}{size}") for k in dict.fromkeys((twin.kind, kinds))
                   for size in (1, 2, 4, 8) if size >= twin.itemsize]
        needed = next((d for d in holding if np.iinfo(d).min <= low and high <= np.iinfo(d).max),
                      np.dtype(object))
    if needed == twin:
        return dtype
    if isinstance(dtype, np.dtype) or needed.kind == "O":
        return needed
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        return pd.ArrowDtype(pa.from_numpy_dtype(needed))
    family = {"i": "Int", "u": "UInt", "f": "Float"}[needed.kind]  # Int8 -> Int16 ...
    return pd.api.types.pandas_dtype(f"{family}{8 * needed.itemsize}")


def _cast_array(values, masked, dtype):
    if masked.any():
        if dtype.kind == "f":
            return np.where(masked, np.nan, values).astype(dtype)
        return values
    try:
        return np.asarray(values).astype(dtype)
    except (TypeError, ValueError):
        return values


#: Name of the multilabel task read from an indicator matrix or a list of tag lists.
INDICATOR_TASK = "labels"


def _frame_is_indicator(Y):
    """Whether the DataFrame ``Y`` holds 0/1 numbers (nullable and sparse ones too), one
    column a label, as :func:`_is_indicator` reads a matrix."""
    numeric = all(t is not None and t.kind in "biuf" for t in map(_numpy_twin, Y.dtypes))
    return numeric and _is_indicator(Y.to_numpy(dtype=float, na_value=np.nan))


def _is_indicator(arr):
    """scikit-learn's multi-label indicator format: a 2-D 0/1 matrix of two or more columns.

    Integer, bool or float 0/1 values (as ``type_of_target`` reads
    ``"multilabel-indicator"``); in a float matrix NaN marks a missing label.
    """
    if not isinstance(arr, np.ndarray) or arr.ndim != 2 or arr.shape[1] < 2 or not arr.size:
        return False
    if arr.dtype.kind == "b":
        return True
    if arr.dtype.kind in "iu":
        return bool(((arr == 0) | (arr == 1)).all())
    if arr.dtype.kind == "f":
        known = ~np.isnan(arr)
        return bool(known.any() and ((arr[known] == 0) | (arr[known] == 1)).all())
    return False


def _reads_as_indicator(Y, declared):
    """Whether a 2-D array is read as one declared multilabel task, a label per column.

    Undeclared, an indicator matrix is one binary task per column (classes ``[0, 1]``,
    even where a column is constant, the positive class being the label), as
    ``MultiOutputClassifier`` and ``ClassifierChain`` read it; the metrics score those
    tasks as the labels of one multilabel task.
    """
    return (
        declared is not None
        and len(declared) == 1
        and declared[0].kind == "multilabel"
        and declared[0].columns is None
        and Y.shape[1] >= 1
        and (
            Y.dtype.kind in "biuf"
            or (Y.dtype == object and all(isinstance(v, numbers.Number) for v in Y.flat))
        )
    )


def _is_tag_lists(Y):
    """A Python list of lists/tuples/sets that is not a 0/1 indicator: label sets."""
    if not isinstance(Y, (list, tuple)) or not len(Y):
        return False
    # (a row may be a 1-D array: ``list(df[c])`` of a column ``pd.read_parquet`` read)
    if not all(_is_label_container(row) for row in Y):
        return False
    if any(isinstance(row, (set, frozenset)) for row in Y):
        return True
    try:
        arr = np.asarray(Y)
    except ValueError:  # ragged
        return True
    return not (arr.ndim == 2 and _is_indicator(arr))


def _sparse_kind(Y):
    """"array" for a scipy sparse array, "matrix" for a sparse matrix (scikit-learn's
    sparse indicator format, as MultiLabelBinarizer(sparse_output=True) gives it), else
    None."""
    if not sp.issparse(Y):
        return None
    return "array" if isinstance(Y, sp.sparray) else "matrix"


def _as_sparse(out, kind):
    """``out`` in the sparse CSR container ``kind`` names, or as it is for None (or for
    values a sparse matrix cannot hold: labels as objects)."""
    if kind is None or out.dtype == object:
        return out
    return sp.csr_array(out) if kind == "array" else sp.csr_matrix(out)


def _label_column_or_array(Y):
    """A pandas Series as it is, a column of a frame: its dtype tells the classes (a
    categorical's categories in their order, a nullable integer's ints despite a gap), as
    the same column of a DataFrame tells them. So is a pandas array, a Series' values
    (``pd.cut``'s ``Categorical``, ``pd.array([1, None], dtype="Int64")``). Anything else
    as :func:`_as_label_array`."""
    if isinstance(Y, pd.Series):
        return Y
    if isinstance(Y, pd.api.extensions.ExtensionArray) and Y.ndim == 1:
        return pd.Series(Y)
    return _as_label_array(Y)


def _array_dtype(dtype):
    """The numpy dtype that a 1-D y, a Series of ``dtype``, is given back in: numbers and
    bools in their numpy dtype (``Int64`` as ``int64``, ``boolean`` as ``bool``), a
    categorical one in its categories' (integer categories as integers, as
    scikit-learn's classifiers give them back and as ``classes_`` holds them), anything
    else (text, dates) as objects."""
    if isinstance(dtype, pd.CategoricalDtype):
        return _array_dtype(dtype.categories.dtype)
    numpy_dtype = dtype if isinstance(dtype, np.dtype) else getattr(dtype, "numpy_dtype", None)
    if dtype.kind in "biuf" and isinstance(numpy_dtype, np.dtype):
        return numpy_dtype
    return np.dtype(object)


def _as_label_array(Y):
    what = mapping_form(Y)
    if what is not None:
        raise ValueError(
            f"Y is {what}; give it as a DataFrame, one column per task: "
            "pd.DataFrame(Y) (a list of label sets is one multilabel task)."
        )
    if sp.issparse(Y):  # a sparse indicator: read as its dense twin
        Y = Y.toarray()
    if hasattr(Y, "detach"):  # torch tensor
        Y = Y.detach().cpu().numpy()
    if isinstance(Y, pd.Series):
        # a gap in a nullable integer column would make floats of its labels
        numeric = isinstance(Y.dtype, np.dtype) and Y.dtype.kind in "biuf"
        Y = Y.to_numpy() if numeric else Y.to_numpy(dtype=object)
    if _is_tag_lists(Y):  # label sets, whatever their lengths: one multilabel task
        out = np.empty(len(Y), dtype=object)
        out[:] = list(Y)
        return out
    try:
        arr = np.asarray(Y)
    except ValueError:  # ragged lists: one multilabel task of lists
        arr = np.empty(len(Y), dtype=object)
        arr[:] = list(Y)
    if isinstance(Y, (list, tuple)) and arr.ndim == 1 and _cast_by_numpy(Y, arr.dtype):
        arr = np.empty(len(Y), dtype=object)
        arr[:] = list(Y)
    if arr.ndim > 2:
        raise ValueError(
            f"Y must be 1-D (one task) or 2-D (one column per task); got a {arr.ndim}-D array "
            f"of shape {arr.shape}."
        )
    if arr.ndim == 0:
        shown = repr(Y) if len(repr(Y)) <= 80 else f"{repr(Y)[:77]}..."
        raise ValueError(f"Y must be 1-D or 2-D; got a scalar {shown}.")
    return arr


def _cast_by_numpy(values, dtype):
    """Whether numpy's ``dtype`` for the list ``values`` changed some of its labels: text
    with a gap or a number in it becomes text (NaN the class ``'nan'``, 1 the class
    ``'1'``), bools with a gap become floats. The list is then held as objects, as pandas
    holds the same column, so that a gap is a missing label and a type stays its own."""
    if dtype.kind in "US":
        return not all(isinstance(v, (str, bytes)) for v in values)
    if dtype.kind == "f":
        return any(isinstance(v, (bool, np.bool_)) for v in values)
    return False


class _GroupsReader:
    """Reads and writes a flat label space split into exclusive groups."""

    @classmethod
    def fit(cls, Y, groups, declared):
        self = cls()
        if not groups:
            raise ValueError(
                "groups is empty; expected at least one group {name: labels}, e.g. "
                "{'A': [0, 1], 'B': [2, 3, 4]}."
            )
        groups = _named_groups(groups)
        labels = [label for members in groups.values() for label in members]
        # The labels as given (1, not '1': a label's string is another label), counted
        # once each (list.count per label was quadratic in a wide label space)
        dup = [label for label, n in Counter(labels).items() if n > 1]
        if dup:
            try:
                dup = sorted(dup)
            except TypeError:  # labels of several types
                dup = sorted(dup, key=str)
            dup = _plain(dup)
            shared = [name for name, members in groups.items() if dup[0] in members]
            if len(shared) == 1:  # listed twice in one group, not shared by two
                raise ValueError(
                    f"Group {shared[0]!r} lists the label {dup[0]!r} more than once "
                    f"({groups[shared[0]]!r}); a group's labels must be distinct."
                )
            raise ValueError(
                f"Label(s) {dup} belong to more than one group ({dup[0]!r} is in groups "
                f"{shared}); groups must be disjoint."
            )
        if declared is None:
            declared = [Task(name, classes=members) for name, members in groups.items()]
        names = [t.name for t in declared]
        if sorted(names) != sorted(groups):
            raise ValueError(f"The tasks {names} must be the groups {list(groups)}.")
        self.tasks = []
        for task in declared:
            if task.kind not in (None, *CLASSIFICATION_KINDS):
                raise ValueError(
                    f"Task {task.name!r} is declared {task.kind}, but a group is a binary or "
                    "multiclass task (one of its labels per row); leave out its kind."
                )
            if task.classes is not None and list(task.classes) != groups[task.name]:
                raise ValueError(
                    f"Task {task.name!r} declares classes {task.classes!r}, but its group has "
                    f"labels {groups[task.name]!r}."
                )
            self.tasks.append(task._replace(classes=groups[task.name]))
        self.groups = groups
        self.labels = labels
        self.sparse = _sparse_kind(Y)
        _check_n_samples(Y)
        if isinstance(Y, pd.DataFrame) and has_positional_names(Y.columns):
            names = {str(c) for c in Y.columns}
            if not any(str(v) in names for v in labels):
                # pl.from_numpy(P) names its columns column_0, ...: positions, as in the
                # array P, where no label names a column (a frame whose labels are
                # column_0, ... is read by name, one of them mistyped named as absent)
                Y = Y.to_numpy()
        if isinstance(Y, pd.DataFrame):
            _check_unique_columns(Y)
            self.form = "frame"
            self.columns = list(Y.columns)
            by_name = {str(c): c for c in Y.columns}
            absent = [str(v) for v in labels if str(v) not in by_name]
            if absent:
                raise ValueError(
                    f"The multi-hot DataFrame has no column for label(s) {absent}; its columns "
                    f"are {[str(c) for c in Y.columns]}."
                )
            self.position = {v: self.columns.index(by_name[str(v)]) for v in labels}
            self.width = len(self.columns)
            self.dtypes = dict(Y.dtypes)  # given back per column
        elif (text := _text_row(Y)) is not None:  # read as an array, "got an array of shape (2,)"
            raise _text_row_error(*text)
        elif _reads_as_label_sets(Y, gaps=True):  # (groups: no other form of 1-D rows)
            self.form = "sets"
            # given back as given: sets, or lists (tuples) in the groups' order
            self.container = _container_of(list(Y))
        else:
            arr = _as_label_array(Y)
            if arr.ndim != 2:
                raise ValueError(
                    "With groups, Y is a multi-hot matrix (n_samples, n_labels) or a list of "
                    f"label sets; got an array of shape {arr.shape}."
                )
            self.form = "multihot"
            self.width = arr.shape[1]
            self.dtype = arr.dtype  # given back: bool, int8, float32, ...
            bad = [
                v for v in labels if not (isinstance(v, numbers.Integral) and 0 <= v < self.width)
            ]
            if bad:
                raise ValueError(
                    f"A multi-hot matrix of width {self.width} addresses labels by column "
                    f"index, but label(s) {bad} are not in range(0, {self.width})."
                )
            self.position = {v: int(v) for v in labels}
        return self

    def _groups_to_columns(self, active_of, n):
        """Per-task raw columns from a per-label 0/1 matrix lookup."""
        columns = {}
        for name, members in self.groups.items():
            hot = np.column_stack([active_of(v) for v in members]).astype(bool)
            count = hot.sum(axis=1)
            if (count > 1).any():
                row = int(np.flatnonzero(count > 1)[0])
                active = [members[i] for i in np.flatnonzero(hot[row])]
                raise ValueError(
                    f"Row {row} has {len(active)} active labels {_plain(active)} in exclusive "
                    f"group {name!r} (labels {_plain(members)}); expected at most one."
                )
            values = np.empty(n, dtype=object)
            values[:] = None
            idx = np.flatnonzero(count == 1)
            values[idx] = _object_array(members)[hot[idx].argmax(axis=1)]
            columns[name] = values
        return columns

    def read(self, Y):
        _check_n_samples(Y)
        if self.form == "sets":
            if (text := _text_row(Y)) is not None:
                raise _text_row_error(*text)
            if not _reads_as_label_sets(Y, gaps=True):
                shape = getattr(Y, "shape", None)
                got = type(Y).__name__ + ("" if shape is None else f" of shape {shape}")
                raise ValueError(
                    f"The encoder was fitted on a list of label sets; got {got}. Give Y "
                    "in that form: one set or list of labels per row (None for a row not "
                    "annotated)."
                )
            n = len(Y)
            where = {v: i for i, v in enumerate(self.labels)}
            hot = np.zeros((n, len(self.labels)), dtype=np.int8)
            for row, labels in enumerate(Y):
                if _is_missing(labels):  # no label at all: missing_groups decides
                    continue
                if isinstance(labels, (str, bytes)):  # "no" would read as n, o
                    raise _text_row_error(row, labels)
                for label in labels:
                    try:  # (no hash check per label: this loop is transform's)
                        col = where.get(label)
                    except TypeError:
                        raise _unhashable_in_set("Y", label, row) from None
                    if col is None:
                        if _is_missing(label):  # no label (a group never has one)
                            raise _gap_in_group_set(label, row)
                        raise self._in_no_group(row, label)
                    hot[row, col] = 1
            columns = self._groups_to_columns(lambda v: hot[:, where[v]], n)
        else:
            if self.form == "frame":
                if not isinstance(Y, pd.DataFrame):
                    raise ValueError(
                        "The encoder was fitted on a multi-hot DataFrame, its columns "
                        f"{[str(c) for c in self.columns]}; got {type(Y).__name__}. Give Y "
                        "as a DataFrame with those columns, in any order."
                    )
                _check_unique_columns(Y)
                fitted = [str(c) for c in self.columns]
                given = {str(c): c for c in Y.columns}
                if sorted(given) != sorted(fitted):
                    # by position, a renamed column was read as the label fit read by name
                    absent = [c for c in fitted if c not in given]
                    extra = [c for c in given if c not in set(fitted)]
                    raise ValueError(
                        f"The multi-hot DataFrame has columns {list(given)}, but the encoder "
                        f"was fitted on columns {fitted} (absent: {absent}, not fitted: "
                        f"{extra}); expected the same columns, in any order."
                    )
                if list(given) != fitted:
                    # the labels' columns in another order: each read by its name, as at
                    # fit (by position, one label's 1s were read as another's)
                    Y = Y[[given[c] for c in fitted]]
                arr = Y.to_numpy()
            else:
                arr = _as_label_array(Y)
            if arr.ndim != 2 or arr.shape[1] != self.width:
                raise ValueError(
                    f"Y has shape {arr.shape}; expected a multi-hot matrix of shape "
                    f"(n_samples, {self.width})."
                )
            values = _as_floats(arr)
            bad = ~((values == 0) | (values == 1))
            if bad.any():
                row, col = np.argwhere(bad)[0]
                value = arr[row, col]
                where = f"in row {row}, column {col}"
                if self.form == "frame":
                    where += f" ({self.columns[col]!r})"
                if _is_missing(value):
                    # (a nullable column's pd.NA was a bare TypeError from float())
                    raise ValueError(
                        f"The multi-hot matrix has a missing value ({value!r}) {where}; "
                        "expected 0 or 1. A group whose label is unknown has 0 in each of "
                        "its columns, and missing_groups='mask' masks it."
                    )
                shown = value if np.isnan(values[row, col]) else values[row, col].item()
                raise ValueError(
                    f"The multi-hot matrix has value {shown!r} {where}; expected 0 or 1."
                )
            outside = np.ones(self.width, dtype=bool)
            outside[list(self.position.values())] = False
            stray = np.argwhere(values[:, outside] == 1)
            if len(stray):  # an all-0 column in no group is allowed
                row, col = stray[0][0], np.flatnonzero(outside)[stray[0][1]]
                label = self.columns[col] if self.form == "frame" else int(col)
                raise self._in_no_group(row, label, f" (column {label!r} is 1)")
            columns = self._groups_to_columns(lambda v: values[:, self.position[v]], len(arr))
        return columns

    def _in_no_group(self, row, label, where=""):
        return ValueError(
            f"Row {row} has label {label!r}{where}, which is in no group; the labels are "
            f"{_plain(self.labels)}. Add it to a group, or drop it from Y."
        )

    def write(self, encoded):
        n = encoded.n_samples
        schema = encoded.schema
        if self.form == "sets":
            out = [[] for _ in range(n)]
            for j, task in enumerate(schema):
                codes = encoded.codes[:, j]
                for row in np.flatnonzero(codes >= 0):
                    out[row].append(task.classes[codes[row]])
            container = getattr(self, "container", set)  # set: a model saved before
            return [container(labels) for labels in out]
        hot = np.zeros((n, self.width), dtype=np.int64)
        for j, task in enumerate(schema):
            codes = encoded.codes[:, j]
            rows = np.flatnonzero(codes >= 0)
            cols = np.array([self.position[c] for c in task.classes])[codes[rows]]
            hot[rows, cols] = 1
        # int64: a model saved before kept no dtype
        if self.form == "frame":
            return pd.DataFrame(hot, columns=self.columns).astype(getattr(self, "dtypes", np.int64))
        hot = hot.astype(getattr(self, "dtype", np.int64), copy=False)
        return _as_sparse(hot, getattr(self, "sparse", None))


def _as_floats(arr):
    """A multi-hot matrix as floats, NaN where a value is missing or no number (text
    such as ``"x"``), which the caller names: ``float()`` raised a bare TypeError on
    ``pd.NA`` (a nullable or polars column with a gap), a ValueError without the row on
    text."""
    try:
        return np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        flat = pd.Series(np.asarray(arr, dtype=object).ravel())
        read = pd.to_numeric(flat, errors="coerce")
        return read.to_numpy(dtype=float, na_value=np.nan).reshape(arr.shape)


def _text_row(Y):
    """``(row, value)`` of the first row given as a string (``"b"`` for ``{"b"}``) in a
    list whose other rows are label sets (or missing), else None."""
    if not isinstance(Y, (list, tuple)) or not any(isinstance(v, (str, bytes)) for v in Y):
        return None  # (one cheap pass: transform reads each list of label sets through it)
    rows = [(i, v) for i, v in enumerate(Y) if not _is_missing(v)]
    text = [(i, v) for i, v in rows if isinstance(v, (str, bytes))]
    sets = [v for _, v in rows if _is_label_container(v)]
    if not text or not sets or len(text) + len(sets) != len(rows):
        return None
    return text[0]


def _text_row_error(row, value):
    # (with groups: a string is one label, never its characters, "no" read as n, o)
    return ValueError(
        f"Row {row} holds {value!r}; with groups, each row is a set or list of labels, "
        f"e.g. {{{value!r}}}."
    )


def _reads_as_label_sets(Y, gaps=False):
    """Whether ``Y`` (with groups) is a list of label sets: sets, or lists that are not a
    0/1 matrix. A missing row (None, NaN, ``pd.NA``) has no label. ``gaps``: where the
    labels can only be sets (groups, or an encoder fitted on sets), also rows that are
    all missing (a batch of which no row is annotated)."""
    if _is_label_sets(Y) or (gaps and _every_row_missing(Y)):
        return True
    if not isinstance(Y, (list, tuple)):
        return False
    present = [row for row in Y if not _is_missing(row)]
    return _is_tag_lists(present)


def _every_row_missing(Y):
    """Whether ``Y`` is rows of one value each, every one missing (None, NaN, ``pd.NA``):
    a batch of label sets of which no row is annotated (no other form of labels with
    groups has one value a row)."""
    rows = isinstance(Y, (list, tuple, pd.Series)) or (
        isinstance(Y, np.ndarray) and Y.ndim == 1 and Y.dtype == object)
    return rows and len(Y) > 0 and all(_is_missing(row) for row in Y)


def _is_label_sets(Y):
    if sp.issparse(Y):
        return False
    if isinstance(Y, pd.Series):  # a frame's column of label sets, e.g. Y["tags"]
        return _holds_containers(Y)
    if isinstance(Y, (pd.DataFrame, np.ndarray)) or hasattr(Y, "detach"):
        # a row may be a 1-D array, as ``pd.read_parquet`` reads a list column
        return isinstance(Y, np.ndarray) and Y.ndim == 1 and Y.dtype == object and (
            len(Y) == 0 or _is_label_container(_first_present(Y))
        )
    try:
        first = _first_present(Y)
    except TypeError:
        return False
    return isinstance(first, (set, frozenset))
