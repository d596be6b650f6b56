"""Tasks and the schema: the ordered questions asked of every sample.

A :class:`Task` is a declaration (possibly partial: ``kind`` and ``classes`` may be
left to be inferred from data). A :class:`Schema` is the validated, complete, ordered
collection of tasks that the encoder learns and every estimator shares.
"""

from __future__ import annotations

import datetime
import numbers
from collections import Counter
from collections.abc import Hashable, Iterable

import numpy as np

KINDS = ("binary", "multiclass", "multilabel", "regression")
CLASSIFICATION_KINDS = ("binary", "multiclass")

#: Code of a label nobody annotated (masked in losses and metrics).
MISSING = -1
#: Code of a label whose task does not apply to the sample (its gate is off).
NOT_APPLICABLE = -2


def _is_scalar_label(value):
    return isinstance(value, (str, bytes, numbers.Number, np.generic, bool))


class Task:
    """One question asked of every sample.

    Parameters
    ----------
    name : str
        Name of the task; the DataFrame column that holds it when ``Y`` is a DataFrame.
    kind : {"binary", "multiclass", "multilabel", "regression"}, default=None
        Kind of the task. ``None`` infers it from the data at ``fit`` (see
        :class:`~sklearn_mtl.StructuredLabelEncoder` for the rule).
    classes : array-like, default=None
        The task's possible answers (for a multilabel task: its label names), in the order
        of the encoded codes: a list, array or other sequence, not a string
        (``["no", "yes"]``); a set, which has no order, is sorted. No missing value
        (``None``, NaN): a gap in ``Y`` is a missing label, never a class. ``None``
        infers them from the data (sorted).
    gate : tuple (parent, value or values), default=None
        The task applies only to samples whose ``parent`` task has one of these values,
        e.g. ``("car", "yes")`` or ``("car", {"yes", "maybe"})``. Several values come in
        any collection but a string: a set, list, tuple, array, ``range`` or ``pd.Index``.
        A tuple is read against the parent's classes, once they are known (in the
        :class:`Schema`, at ``fit``): a tuple that is one of them is that one label
        (``("pos", (0, 1))`` where ``pos`` has the label ``(0, 1)``, as a group of
        :meth:`~sklearn_mtl.StructuredLabelEncoder.from_groups` may), other tuples list
        several values. A tuple that is a label and whose items are labels too reads
        both ways and is refused: write a list, ``("pos", [(0, 1)])`` for the label,
        ``("pos", [0, 1])`` for the labels 0 and 1. Until then ``gate`` holds its
        items, ``("pos", frozenset({0, 1}))``.
    columns : list of str, default=None
        For a multilabel task held in a DataFrame as a group of 0/1 columns: those
        columns, one per label, in a list, not a string (a set, which has no order, is
        sorted). Its classes default to the column names.

    Examples
    --------
    >>> from sklearn_mtl import Task
    >>> Task("color", classes=["red", "black"], gate=("car", "yes"))
    Task('color', classes=['red', 'black'], gate=('car', {'yes'}))

    A gate on a label that is a tuple (a group of tuples):

    >>> from sklearn_mtl import Schema
    >>> schema = Schema([Task("pos", kind="multiclass", classes=[(0, 1), (1, 0), (1, 1)]),
    ...                  Task("size", kind="binary", classes=["s", "l"],
    ...                       gate=("pos", (0, 1)))])
    >>> schema["size"].gate
    ('pos', frozenset({(0, 1)}))
    """

    #: A gate given as a tuple, as given, until the Schema reads it (see ``gate``); the
    #: class's None stands for a Task pickled before it existed.
    _tuple_gate = None

    def __init__(self, name, kind=None, classes=None, gate=None, columns=None):
        if not isinstance(name, str) or not name:
            raise ValueError(f"A task name must be a non-empty string; got {name!r}.")
        if kind is not None and kind not in KINDS:
            raise ValueError(f"Task {name!r} has kind {kind!r}; expected one of {list(KINDS)}.")
        self.name = name
        self.kind = kind
        if classes is not None and not _is_collection(classes):
            given = "a string" if isinstance(classes, (str, bytes)) else "a single value"
            raise ValueError(
                f"Task {name!r} has classes={classes!r}; classes must be a list of the "
                f"task's classes (such as ['no', 'yes']), not {given}."
            )
        if isinstance(classes, (set, frozenset)):  # (the message's repr for a set only)
            classes = sorted_if_set(classes, f"Task {name!r} has classes={classes!r}, a set",
                                    "the classes")
        # Python scalars, not numpy ones: classes compare, hash, print and serialise alike
        # whichever way they were given.
        self.classes = None if classes is None else _plain(list(classes))
        for c in self.classes or ():
            if not _is_hashable(c):
                # a class is a key of the encoder's lookups: a list (classes=[[0], [1]], a
                # 2-D array's rows) failed later with "unhashable type"
                raise ValueError(
                    f"Task {name!r} has classes={_shown(self.classes)}, with the class "
                    f"{c!r}, a {type(c).__name__}; each class must be a single label (a "
                    "string, number or bool), as classes=['no', 'yes'] or a 1-D array."
                )
        gaps = [c for c in self.classes or () if _is_gap(c)]
        if gaps:
            # A gap in Y is a missing label, never this class: the class would be one no
            # sample has, that a model cannot learn and never predicts.
            raise ValueError(
                f"Task {name!r} has classes={self.classes!r}, with the missing value "
                f"{gaps[0]!r}; a missing value in Y is a missing label, not a class. Leave "
                "it out of classes, or fill the gaps with a label of their own (e.g. "
                f"Y[{name!r}].fillna('unknown')) and declare that one."
            )
        if gate is not None:
            if not (isinstance(gate, (tuple, list)) and len(gate) == 2):
                raise ValueError(
                    f"Task {name!r} has gate {gate!r}; expected a pair (parent_task, value) "
                    "or (parent_task, {values})."
                )
            parent, values = gate
            # a tuple may be one label of the parent (a group's tuple label) or several:
            # only the parent's classes tell, which the Schema reads (_read_tuple_gate)
            tuple_gate = (tuple(_plain(values)) if isinstance(values, tuple) and values
                          else None)
            # several values in any collection (a set, a list, an array, a range); a string
            # is one value
            try:
                values = frozenset(_plain(list(values) if _is_collection(values) else [values]))
            except TypeError:
                raise ValueError(
                    f"Task {name!r} has a gate on {parent!r} with value(s) {values!r}; "
                    "expected a value of the parent's classes, or a collection of them."
                ) from None
            if not values:
                raise ValueError(f"Task {name!r} has a gate on {parent!r} with no value.")
            gate = (str(parent), values)
        self.gate = gate
        # the tuple as given, until the Schema reads it against the parent's classes
        self._tuple_gate = tuple_gate if gate is not None else None
        if columns is not None and not _is_collection(columns):
            # A string is one column name, never its characters: columns="ab" would read
            # the columns 'a' and 'b' of Y, or fail on a column 'b' the user never named.
            given = "a string" if isinstance(columns, (str, bytes)) else "a single value"
            raise ValueError(
                f"Task {name!r} has columns={columns!r}; columns must be a list of the "
                f"DataFrame's 0/1 columns that hold the task's labels (such as "
                f"['beach', 'sunset']), not {given}."
            )
        self.columns = None if columns is None else [str(c) for c in columns]
        if isinstance(columns, (set, frozenset)):
            # As for classes: a set of strings iterates in another order in each process,
            # and the columns' order is the labels' codes and predict_proba's columns.
            self.columns.sort()
        if self.columns is not None:
            # counted once each: list.count per column was quadratic (8,000 label
            # columns took seconds, and each Task of a fit checks them again)
            dup = sorted(c for c, n in Counter(self.columns).items() if n > 1)
            if dup:
                # one DataFrame column read as two labels (the message said "duplicate
                # classes", which the user had not declared)
                raise ValueError(
                    f"Task {name!r} has columns={self.columns!r}, which names {dup} more "
                    "than once; list each 0/1 column of the task's labels once."
                )
            if kind not in (None, "multilabel"):
                raise ValueError(
                    f"Task {name!r} declares columns, which only a multilabel task can have; "
                    f"got kind={kind!r}."
                )
            self.kind = "multilabel"
            if self.classes is None:
                self.classes = list(self.columns)
            elif len(self.classes) != len(self.columns):
                raise ValueError(
                    f"Task {name!r} declares {len(self.columns)} columns but "
                    f"{len(self.classes)} classes; expected one class per column."
                )

    @property
    def is_classification(self):
        return self.kind in CLASSIFICATION_KINDS

    @property
    def n_classes(self):
        return None if self.classes is None else len(self.classes)

    @property
    def n_outputs(self):
        """Width of the task's network output (logits or values)."""
        if self.kind == "binary" or self.kind == "regression":
            return 1
        return len(self.classes)

    def _replace(self, **changes):
        params = dict(
            name=self.name,
            kind=self.kind,
            classes=self.classes,
            gate=self.gate,
            columns=self.columns,
        )
        if self._tuple_gate is not None:  # still to be read against the parent's classes
            params["gate"] = (self.gate[0], self._tuple_gate)
        params.update(changes)
        return Task(**params)

    def _read_tuple_gate(self, parent):
        """The task, its gate on the tuple given read against ``parent``'s classes (see
        ``gate``): the one label where the tuple is one of them, its items otherwise;
        a ValueError where both readings hold."""
        values = self._tuple_gate
        if values is None or parent.classes is None:
            return self
        classes = parent.classes
        is_label = values in classes
        if not is_label:
            return self._replace(gate=(self.gate[0], list(values)))
        if all(v in classes for v in values):
            items = list(dict.fromkeys(values))  # (each once, in their order)
            shown = " and ".join(
                [", ".join(map(repr, items[:-1])), repr(items[-1])] if len(items) > 1
                else [repr(items[0])])
            item = f"its items {shown} are" if len(items) > 1 else f"its item {shown} is"
            label = "labels" if len(items) > 1 else "label"
            raise ValueError(
                f"Task {self.name!r} has gate {(self.gate[0], values)!r}: the tuple "
                f"{values!r} is one of {parent.name!r}'s classes, and {item} too, so it "
                f"reads both as that one label and as the {label} {shown}. Write a list: "
                f"gate={(self.gate[0], [values])!r} for the label {values!r}, or "
                f"gate={(self.gate[0], items)!r} for the {label} {shown}."
            )
        return self._replace(gate=(self.gate[0], [values]))

    def __eq__(self, other):
        if not isinstance(other, Task):
            return NotImplemented
        return (
            self.name == other.name
            and self.kind == other.kind
            and _labels_equal(self.classes, other.classes)
            and self.gate == other.gate
            and self._tuple_gate == other._tuple_gate
            and self.columns == other.columns
        )

    def __hash__(self):
        return hash((self.name, self.kind))

    def __repr__(self):
        parts = [repr(self.name)]
        if self.kind is not None:
            parts.append(f"kind={self.kind!r}")
        if self.classes is not None:
            parts.append(f"classes={_plain(self.classes)!r}")
        if self._tuple_gate is not None:  # as given: its reading waits for the parent's
            parts.append(f"gate={(self.gate[0], self._tuple_gate)!r}")
        elif self.gate is not None:
            parent, values = self.gate
            # a set's literal in sorted order, not a set's repr, whose order of strings
            # changes from one process to the next (a warm start compares the reprs of
            # the tasks fitted, perhaps saved by another process, with its own)
            shown = ", ".join(map(repr, _plain(sorted(values, key=_gate_order))))
            parts.append(f"gate=({parent!r}, {{{shown}}})")
        if self.columns is not None:
            parts.append(f"columns={self.columns!r}")
        return f"Task({', '.join(parts)})"

    # JSON round trip (used by persistence) ---------------------------------------------
    def to_dict(self):
        """A JSON-serialisable description of the task.

        Returns
        -------
        data : dict
            ``{"name": ..., "kind": ..., "classes": ..., "gate": ..., "columns": ...}``,
            ``None`` where the task leaves one undeclared; ``gate`` is a list
            ``[parent, values]`` whose values are sorted (a tuple given as the gate, not
            yet read against the parent's classes, stays that tuple). :meth:`from_dict`
            reads it back.
        """
        gate = None
        if self._tuple_gate is not None:  # kept a tuple, read against the parent's classes
            gate = [self.gate[0], self._tuple_gate]
        elif self.gate is not None:
            gate = [self.gate[0], sorted(_plain(self.gate[1]), key=_gate_order)]
        return {
            "name": self.name,
            "kind": self.kind,
            "classes": None if self.classes is None else _plain(self.classes),
            "gate": gate,
            "columns": self.columns,
        }

    @classmethod
    def from_dict(cls, data):
        """A task from its description, as :meth:`to_dict` gives it.

        Parameters
        ----------
        data : dict
            ``"name"`` is required; ``"kind"``, ``"classes"``, ``"gate"`` and
            ``"columns"`` may be left out or ``None``. A gate is a pair ``[parent,
            values]`` whose ``values`` is a tuple (kept one: see ``gate``) or a
            collection of the parent's values.

        Returns
        -------
        task : Task
            A new task, as ``Task(name, kind=..., classes=..., gate=..., columns=...)``
            makes it.

        Raises
        ------
        KeyError
            When ``data`` has no ``"name"``.
        ValueError
            When the values describe no valid task (see :class:`Task`).
        """
        gate = data.get("gate")
        if gate is not None:  # (a tuple stays one, as to_dict keeps it: see gate)
            values = gate[1]
            # one value written alone ("yes", not ["yes"]) is that value, not its letters
            gate = (gate[0], values if isinstance(values, tuple) else {values}
                    if isinstance(values, (str, bytes)) else set(values))
        return cls(
            data["name"],
            kind=data.get("kind"),
            classes=data.get("classes"),
            gate=gate,
            columns=data.get("columns"),
        )


def _gate_order(value):
    """Sort key of a gate's values, the same in every process: by text, then type (1
    and '1' have one text, and a set's order of strings changes with the hash seed)."""
    return str(value), type(value).__name__


def _is_hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _is_gap(value):
    """Whether a class is a missing value (None, NaN, ``pd.NA``, ``NaT``), which the
    encoder reads as a missing label."""
    import pandas as pd

    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def _is_collection(values):
    """Whether ``values`` holds several values (a list, tuple, set, array, range, index):
    an iterable other than a string (or bytes) and a 0-d array."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        return False
    return not (isinstance(values, np.ndarray) and values.ndim == 0)


def _plain(values):
    """Python scalars (not numpy scalars) for reprs and JSON."""
    return [_plain_scalar(v) if isinstance(v, np.generic) else v for v in values]


def _shown(values, limit=20):
    """``repr`` of a list of labels for an error message, with its middle left out past
    ``limit`` labels: the classes of a 5,000-class task would fill a screen."""
    values = _plain(values)
    if len(values) <= limit:
        return repr(values)
    head = ", ".join(map(repr, values[: limit - 5]))
    tail = ", ".join(map(repr, values[-4:]))
    return f"[{head}, ..., {tail}] ({len(values)} in all)"


def _plain_scalar(v):
    item = v.item()
    if isinstance(v, np.datetime64) and not isinstance(item, datetime.datetime):
        # nanoseconds do not fit a datetime: .item() gives an int (pandas < 3 reads dates
        # as datetime64[ns]); a day, week, month or year unit gives a date, which equals
        # no Timestamp, as pandas reads such labels (datetime64[s]). The pandas scalar
        # keeps the date and finds the labels.
        import pandas as pd

        return item if item is None else pd.Timestamp(v)
    if isinstance(item, int) and isinstance(v, np.timedelta64):
        import pandas as pd

        return pd.Timedelta(v)
    return item


def _labels_equal(a, b):
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(x == y for x, y in zip(a, b, strict=True))


class Schema:
    """The validated, ordered tasks shared by the encoder and every estimator.

    Parameters
    ----------
    tasks : list of Task
        Complete tasks: each has a kind and, unless it is a regression task, classes.

    Raises
    ------
    ValueError
        On duplicate names, a gate on an unknown task, gate cycles, a gate value that is
        not among the parent's classes, a gate on a regression or multilabel parent, fewer
        than two classes for a binary or multiclass task, no label for a multilabel task,
        a gate given as a tuple that is one of the parent's classes whose items are too
        (write a list: see :class:`Task`'s ``gate``).

    Notes
    -----
    A schema is a sequence of its tasks: ``len(schema)``, ``for task in schema``,
    ``schema[j]`` (a position, negative from the end, or a slice) and ``schema[name]``
    (a task's name); ``name in schema`` tells whether a task has that name, as
    ``task in schema`` whether the schema holds that task.

    A gate given as a tuple is read here, against its parent's classes: the schema's
    task is gated on that one label where the tuple is one of them, on its items
    otherwise.
    """

    def __init__(self, tasks):
        # (a gate given as a tuple read against its parent's classes: see Task's gate)
        self.tasks = _validate_tasks(tuple(tasks))
        self._index = {t.name: i for i, t in enumerate(self.tasks)}
        self.order = _topological_order(self.tasks)

    # container protocol --------------------------------------------------------------
    def __len__(self):
        return len(self.tasks)

    def __iter__(self):
        return iter(self.tasks)

    def __contains__(self, item):
        # A name, as schema[name] reads it (iterating would compare it with each Task,
        # and "car" in schema was always False), or a Task.
        if isinstance(item, Task):
            return item in self.tasks
        try:
            self.index(item)
        except ValueError:
            return False
        return True

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.tasks[self.index(key)]
        if isinstance(key, numbers.Integral) and not -len(self) <= key < len(self):
            raise IndexError(
                f"Task position {key} is out of range; the schema has {len(self)} tasks "
                f"{self.names} (positions 0 to {len(self) - 1}, or -1 to {-len(self)} from "
                "the end)."
            )
        return self.tasks[key]

    def __eq__(self, other):
        return isinstance(other, Schema) and self.tasks == other.tasks

    def __repr__(self):
        if not self.tasks:
            return "Schema([])"
        inner = ",\n  ".join(repr(t) for t in self.tasks)
        return f"Schema([\n  {inner},\n])"

    @property
    def names(self):
        return [t.name for t in self.tasks]

    def index(self, name):
        """The position of the task ``name``.

        Parameters
        ----------
        name : str or hashable
            The task's name. A column label that is not a string (the ``0`` of
            ``pd.DataFrame(array)``'s columns) names the task it was read as, the task
            whose name is its text (``"0"``).

        Returns
        -------
        position : int
            The task's position in the schema's order (``schema.tasks[position]``).

        Raises
        ------
        ValueError
            When ``name`` is not hashable (a list of names), or names none of the tasks.
        """
        if not isinstance(name, Hashable):  # task=["a", "b"]: it read "Unknown task"
            raise ValueError(
                f"A task is named by one name; got a {type(name).__name__}, {name!r}. The "
                f"tasks are {self.names}."
            )
        if not isinstance(name, str):
            name = str(name) if str(name) in self._index else name
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise ValueError(f"Unknown task {name!r}; the tasks are {self.names}.") from None

    def named(self, name):
        """The task ``name``; ``schema[j]`` is the task at position ``j``.

        Parameters
        ----------
        name : str or hashable
            The task's name, or the column label it was read from, as :meth:`index`
            reads it (an int is a label here, never a position).

        Returns
        -------
        task : Task
            The schema's task of that name.

        Raises
        ------
        ValueError
            When ``name`` is not hashable, or names none of the tasks.
        """
        return self.tasks[self.index(name)]

    def children(self, name):
        """Names of the tasks gated directly on ``name``.

        Parameters
        ----------
        name : str
            The name of the parent task.

        Returns
        -------
        names : list of str
            The tasks whose gate's parent is ``name``, in the schema's order; their own
            children (the tasks gated on them) are not listed. Empty where no task is
            gated on ``name``, also where ``name`` is none of the tasks.
        """
        return [t.name for t in self.tasks if t.gate is not None and t.gate[0] == name]

    def gate_codes(self, task):
        """Codes of the parent's classes that switch ``task`` on.

        Parameters
        ----------
        task : Task
            A gated task (its ``gate`` is not ``None``) whose parent is a task of this
            schema.

        Returns
        -------
        codes : ndarray of shape (n_open,), dtype int64
            The positions, in the parent's ``classes``, of the values that open the
            gate, sorted.

        Raises
        ------
        ValueError
            When ``task`` has no gate, or its gate's parent is none of the schema's tasks.
        """
        if task.gate is None:  # (it raised "'NoneType' object is not subscriptable")
            raise ValueError(f"Task {task.name!r} has no gate; its gate_codes are undefined.")
        parent = self[task.gate[0]]
        return np.array(
            sorted(i for i, c in enumerate(parent.classes) if c in task.gate[1]), dtype=np.int64
        )

    def apply_gates(self, codes):
        """Mark gated-off entries of ``codes`` as NOT_APPLICABLE, in place, parents first.

        A child whose parent is NOT_APPLICABLE is not applicable either; a child whose
        parent is MISSING keeps its own code (its gate is unknown).

        Parameters
        ----------
        codes : ndarray of shape (n_samples, n_tasks), dtype int
            The codes of each task, one column per task in the schema's order (as
            ``EncodedLabels.codes``). Modified in place: the entries of a gated
            task whose gate is off become ``NOT_APPLICABLE``; the other entries, and
            the columns of the tasks without a gate, are left as they are.

        Returns
        -------
        conflicts : ndarray of shape (n_samples, n_tasks), dtype bool
            True where an entry had a label (a code of 0 or more) that its gate switched
            off; False elsewhere, and in the columns of the tasks without a gate.
        """
        conflicts = np.zeros(codes.shape, dtype=bool)
        for j in self.order:
            task = self.tasks[j]
            if task.gate is None:
                continue
            parent = self[task.gate[0]]
            off = gate_off(task, parent, codes[:, self.index(parent.name)])
            child = codes[:, j]
            conflicts[:, j] = off & (child >= 0)
            codes[:, j] = np.where(off, NOT_APPLICABLE, child)
        return conflicts

    def to_dict(self):
        """A JSON-serialisable description of the schema.

        Returns
        -------
        data : dict
            ``{"tasks": [...]}``: each task's :meth:`Task.to_dict`, in the schema's
            order. :meth:`from_dict` reads it back.
        """
        return {"tasks": [t.to_dict() for t in self.tasks]}

    @classmethod
    def from_dict(cls, data):
        """A schema from its description, as :meth:`to_dict` gives it.

        Parameters
        ----------
        data : dict
            ``{"tasks": [...]}``: a list of task descriptions, each read by
            :meth:`Task.from_dict`, in the schema's order.

        Returns
        -------
        schema : Schema
            A new schema of those tasks, validated as :class:`Schema` validates them.

        Raises
        ------
        KeyError
            When ``data`` has no ``"tasks"``, or a task's description no ``"name"``.
        ValueError
            When a description makes no valid task, or the tasks no valid schema (see
            :class:`Task` and :class:`Schema`).
        """
        return cls([Task.from_dict(t) for t in data["tasks"]])


def gate_off(task, parent, parent_codes):
    """Where ``task``'s gate is off, from its parent's codes: the parent is itself not
    applicable, or has a label that does not open the gate. A missing parent label leaves
    the gate unknown (on). :meth:`Schema.apply_gates` and the encoder's masking read gates
    with it.

    Parameters
    ----------
    task : Task
        A gated task.
    parent : Task
        Its parent, complete (binary or multiclass).
    parent_codes : ndarray of shape (n_samples,)
        The parent's codes, ``NOT_APPLICABLE`` where its own gate is off.

    Returns
    -------
    off : ndarray of shape (n_samples,), dtype bool
    """
    # A lookup table indexed by parent code + 2: NOT_APPLICABLE (-2) -> off,
    # MISSING (-1) -> on (unknown gate), class k -> on iff k opens the gate.
    on = np.zeros(len(parent.classes) + 2, dtype=bool)
    on[MISSING + 2] = True
    on[[i + 2 for i, c in enumerate(parent.classes) if c in task.gate[1]]] = True
    return ~on[parent_codes + 2]


def _validate_tasks(tasks):
    seen = set()
    for task in tasks:
        if not isinstance(task, Task):
            raise ValueError(f"Expected Task objects; got {task!r}.")
        if task.name in seen:
            raise ValueError(f"Duplicate task name {task.name!r}; task names must be unique.")
        seen.add(task.name)
        if task.kind is None:
            raise ValueError(f"Task {task.name!r} has no kind.")
        if task.kind == "regression":
            if task.classes is not None:
                raise ValueError(f"Regression task {task.name!r} cannot declare classes.")
            continue
        n = 0 if task.classes is None else len(task.classes)
        if task.kind == "multilabel" and n < 1:
            raise ValueError(
                f"Multilabel task {task.name!r} has no labels; a multilabel task needs at "
                "least one label."
            )
        if task.kind != "multilabel" and n < 2:
            raise ValueError(
                f"Task {task.name!r} ({task.kind}) has {n} class(es) {task.classes!r}; "
                "a classification task needs at least two classes."
            )
        if len(set(task.classes)) != len(task.classes):
            raise ValueError(f"Task {task.name!r} declares duplicate classes {task.classes!r}.")
        if task.kind == "binary" and len(task.classes) != 2:
            raise ValueError(
                f"Task {task.name!r} is binary but has {len(task.classes)} classes "
                f"{task.classes!r}; expected exactly two (use kind='multiclass')."
            )
    by_name = {t.name: t for t in tasks}
    read = []
    for task in tasks:
        if task.gate is None:
            read.append(task)
            continue
        parent_name = task.gate[0]
        if parent_name not in by_name:
            raise ValueError(
                f"Task {task.name!r} is gated on unknown task {parent_name!r}; "
                f"the tasks are {list(by_name)}."
            )
        parent = by_name[parent_name]
        if parent.kind not in CLASSIFICATION_KINDS:
            raise ValueError(
                f"Task {task.name!r} is gated on {parent_name!r}, a {parent.kind} task; "
                "a gate's parent must be a binary or multiclass task."
            )
        given = task._tuple_gate
        task = task._read_tuple_gate(parent)
        read.append(task)
        values = task.gate[1]
        unknown = sorted((v for v in values if v not in parent.classes), key=repr)
        if unknown:
            shown = repr(unknown[0]) if len(unknown) == 1 else repr(unknown)
            # (a tuple of several values is read so because it is no class either)
            tuple_too = "" if given is None else f", nor is the tuple {given!r}"
            raise ValueError(
                f"Task {task.name!r} is gated on {parent_name!r} = {shown}, which is not "
                f"among {parent_name!r}'s classes {parent.classes!r}{tuple_too}."
            )
    return tuple(read)


def _topological_order(tasks):
    """Indices of tasks, parents before children; raises on gate cycles.

    Each task has one parent at most, so a depth-first visit is a walk up the gate
    chain: done by a loop, as a recursion ran out of stack on a chain a thousand
    tasks deep. The order is the depth-first post-order, task after task.
    """
    index = {t.name: i for i, t in enumerate(tasks)}
    state = [0] * len(tasks)  # 0 new, 1 visiting, 2 done
    order = []
    for start in range(len(tasks)):
        path = []  # the tasks being visited, child first
        i = start
        while i is not None and state[i] != 2:
            if state[i] == 1:
                cycle = " -> ".join([tasks[k].name for k in path] + [tasks[i].name])
                raise ValueError(f"Gates form a cycle: {cycle}.")
            state[i] = 1
            path.append(i)
            gate = tasks[i].gate
            i = index[gate[0]] if gate is not None else None
        for k in reversed(path):  # the parents first
            state[k] = 2
            order.append(k)
    return order


def as_task_list(tasks):
    """Validate the ``tasks`` parameter of an encoder/estimator: None or Task objects."""
    if tasks is None:
        return None
    if isinstance(tasks, Task):
        tasks = [tasks]
    if not isinstance(tasks, Iterable) or isinstance(tasks, (str, bytes)):
        raise ValueError(f"tasks must be a list of Task objects or None; got {tasks!r}.")
    tasks = list(tasks)
    for t in tasks:
        if not isinstance(t, Task):
            raise ValueError(f"tasks must be a list of Task objects; got {t!r}.")
    names = [t.name for t in tasks]
    dup = sorted(n for n, count in Counter(names).items() if count > 1)  # (not quadratic)
    if dup:
        raise ValueError(f"Duplicate task name(s) {dup}; task names must be unique.")
    return tasks


def sorted_if_set(values, what, items):
    """``values`` as a list in their order; a set, which has none, sorted. A set of
    strings iterates in another order in each process (hash randomisation): the codes,
    ``predict_proba``'s columns and the model a seed gives would change from run to run.
    ``what`` and ``items`` name the set and its values in the error for a set that
    cannot be ordered."""
    if not isinstance(values, (set, frozenset)):
        return values
    try:
        return sorted(values)
    except TypeError:
        raise ValueError(
            f"{what} whose values cannot be ordered; give {items} as a list, in the order "
            "of their codes."
        ) from None
