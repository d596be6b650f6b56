"""From per-task outputs (probabilities, values) to encoded labels.

Every estimator produces *outputs*: one array per task, in schema order:

- binary / multiclass: ``(n_samples, n_classes)`` class probabilities; a gated task's are
  conditional on its gate being on, P(color | car = yes);
- multilabel: ``(n_samples, n_labels)`` probabilities P(label = 1);
- regression: ``(n_samples,)`` predicted values.

A decoder turns them into :class:`~sklearn_mtl.EncodedLabels` that respect the gates:
:func:`decode_independent` (per-task decisions, then gates) or :class:`JointDecoder` (the
most probable *valid* combination of all tasks).

The joint probability of a combination is the product, over the tasks that the combination
switches on, of P(task value | gate on); a gated-off task contributes 1. Its gate is part of
the combination (the parent's value), so P(gate) enters through the parent's factor. A
multilabel task's labels are independent Bernoullis, so when the task is on it contributes
the product over its labels of max(p, 1 - p) (each label takes its most probable value). A
regression task contributes 1 and keeps its predicted value.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ._encoder import EncodedLabels
from ._frames import is_polars, to_pandas
from ._schema import MISSING, NOT_APPLICABLE, _plain, _shown


def decode_independent(outputs, schema, thresholds=None):
    """Independent per-task decisions, then gates applied parents first.

    A binary task and each multilabel label are on when their probability is above the
    threshold (0.5 unless ``thresholds`` gives ``{task: value}`` or, for a multilabel
    task, ``{task: array of one value per label}``), compared in float64 whatever the
    types of the probabilities and the threshold; a multiclass task takes its argmax. A
    child whose predicted parent switches its gate off is NOT_APPLICABLE.
    """
    thresholds = check_thresholds(thresholds, schema)
    n = _n_samples(outputs)
    codes = np.zeros((n, len(schema)), dtype=np.int64)
    multilabel, regression = {}, {}
    for j, (task, out) in enumerate(zip(schema, outputs, strict=True)):
        if task.kind == "regression":
            regression[task.name] = np.asarray(out, dtype=float).reshape(n).copy()
        elif task.kind == "multilabel":
            # a float64 (0-d) array: NumPy compares float32 probabilities with a Python
            # float in float32, where the threshold can round onto a probability and flip
            # its label (a tuned threshold lies halfway between two scores)
            thr = thresholds.get(task.name, _HALF)
            multilabel[task.name] = (np.asarray(out) > thr).astype(np.int8)
        elif task.kind == "binary":
            codes[:, j] = np.asarray(out)[:, 1] > thresholds.get(task.name, _HALF)
        else:
            codes[:, j] = np.argmax(out, axis=1)
    return finalize(codes, multilabel, regression, schema)


_HALF = np.asarray(0.5, dtype=np.float64)


def _holds_bools_or_text(value):
    """Whether an array-like threshold holds bools or text (not numbers)."""
    if isinstance(value, (np.ndarray, pd.Series)):
        return value.dtype.kind in "bOSU" and not all(
            isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
            for v in np.asarray(value).ravel())
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, (str, bytes, bool, np.bool_)) for v in value)
    return False


def check_thresholds(thresholds, schema):
    """``thresholds`` checked against ``schema``, as float64 arrays.

    Parameters
    ----------
    thresholds : dict or None
        ``{task: value}`` for binary and multilabel tasks, or ``{task: array-like of
        shape (n_labels,)}`` for a multilabel task (one value per label, in its
        classes' order, or a Series indexed by its labels). A task is named by its name
        or by the column label it was read from (the ``0`` of ``pd.DataFrame(Y)``).
    schema : Schema
        The tasks.

    Returns
    -------
    thresholds : dict of str -> ndarray of dtype float64
        A 0-d array per binary task, a 0-d or (n_labels,) array per multilabel task.
    """
    if thresholds is None:
        return {}
    if not isinstance(thresholds, Mapping):
        raise TypeError(
            "thresholds must be a dict {task: threshold}; got "
            f"{type(thresholds).__name__}."
        )
    checked, keys = {}, {}
    for name, value in thresholds.items():
        try:
            # a column label that is not a string (the 0 of pd.DataFrame(Y)'s columns)
            # names the task it was read as, as in predict_proba(task=0)
            task = schema.named(name)
        except ValueError:
            raise ValueError(
                f"thresholds gives task {name!r}, which is not a task; the tasks are "
                f"{schema.names}."
            ) from None
        if task.name in keys:
            raise ValueError(
                f"thresholds gives task {task.name!r} twice, as {keys[task.name]!r} and as "
                f"{name!r}; expected one threshold per task: set it by its name "
                f"(thresholds_[{task.name!r}] = ...)."
            )
        keys[task.name] = name
        if task.kind not in ("binary", "multilabel"):
            raise ValueError(
                f"thresholds gives {task.kind} task {name!r} a threshold; only binary tasks "
                "and multilabel labels are decided by one (a multiclass task takes its "
                "argmax)."
            )
        expected = (
            "a number" if task.kind == "binary"
            else f"a number or an array of {len(task.classes)} numbers, one per label "
            f"{_shown(task.classes)}"
        )
        # (None reads as NaN in float64: "is NaN" of a value never set); a NumPy bool,
        # bools or text in an array too (np.asarray read [True, False] as 1.0 and 0.0,
        # ["0.1", "0.2"] as numbers, where True and "0.1" alone were refused)
        if (isinstance(value, (str, bytes, Mapping, bool, np.bool_)) or value is None
                or _holds_bools_or_text(value)):
            raise ValueError(f"The threshold of task {name!r} must be {expected}; got {value!r}.")
        if isinstance(value, pd.Series) and task.kind == "multilabel":
            # indexed by the labels: read by label (np.asarray read it by position, so
            # that a Series in another order gave each label another's threshold)
            value = _by_label(value, task, expected)
        try:
            thr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"The threshold of task {name!r} must be {expected}; got {value!r}."
            ) from None
        shapes = [()] if task.kind == "binary" else [(), (len(task.classes),)]
        if thr.shape not in shapes:
            raise ValueError(
                f"The threshold of task {name!r} must be {expected}; got an array of shape "
                f"{thr.shape}."
            )
        if np.isnan(thr).any():  # NaN compares False: the labels would all be off
            raise ValueError(f"The threshold of task {name!r} is NaN; expected {expected}.")
        checked[task.name] = thr
    return checked


def _by_label(value, task, expected):
    """A multilabel task's thresholds given as a Series: in the classes' order where its
    index holds the task's labels, by position where it holds the positions 0, 1, ...
    (a default range index, or one in another order)."""
    labels = _plain(list(value.index))
    if len(labels) == len(task.classes) and set(labels) == set(task.classes):
        by_label = dict(zip(labels, value.to_numpy(), strict=True))
        return np.array([by_label[label] for label in task.classes])
    if isinstance(value.index, pd.RangeIndex) and value.index.start == 0:
        return value.to_numpy()
    if (all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in labels)
            and sorted(labels) == list(range(len(task.classes)))):
        # positions that are no RangeIndex (index=[0, 1, 2], or a Series sorted by value),
        # read by position label as a RangeIndex is (they were refused as "indexed by
        # [0, 1, 2]"), where np.asarray had read them in their order
        return value.to_numpy()[np.argsort(labels)]
    raise ValueError(
        f"The threshold of task {task.name!r} must be {expected}; got a Series indexed by "
        f"{_shown(labels)}. Index it by the task's labels (or by position from 0)."
    )


def finalize(codes, multilabel, regression, schema):
    """Apply the gates to decoded codes and mask the blocks of tasks switched off."""
    schema.apply_gates(codes)
    for name, block in multilabel.items():
        block[codes[:, schema.index(name)] == NOT_APPLICABLE] = MISSING
    for name, values in regression.items():
        values[codes[:, schema.index(name)] == NOT_APPLICABLE] = np.nan
    return EncodedLabels(codes, multilabel, regression, schema)


def _n_samples(outputs):
    return len(outputs[0]) if outputs else 0


def decode(outputs, schema, method="independent", thresholds=None, observed=None):
    """Decode outputs with a named method or a decoder object.

    Parameters
    ----------
    outputs : list of ndarray
        Per-task outputs in schema order (see the module docstring).
    schema : Schema
        The tasks.
    method : {"independent", "joint"} or object with a ``decode`` method
        ``"independent"``: :func:`decode_independent`. ``"joint"``: ``JointDecoder()``, the
        most probable combination that respects the gates. An object: its
        ``decode(outputs, schema)``, which also receives ``observed=`` when its signature
        has that keyword.
    thresholds : dict, default=None
        Per-task thresholds, used by ``"independent"`` only.
    observed : ndarray of shape (n_combinations, n_tasks), default=None
        The label combinations seen in training (see :func:`observed_combinations`);
        estimators pass their ``observed_combinations_``.

    Returns
    -------
    encoded : EncodedLabels
    """
    if isinstance(method, str):
        if method == "independent":
            return decode_independent(outputs, schema, thresholds=thresholds)
        if method == "joint":
            return JointDecoder().decode(outputs, schema)
    elif hasattr(method, "decode"):
        if observed is not None and _accepts_keyword(method.decode, "observed"):
            return method.decode(outputs, schema, observed=observed)
        return method.decode(outputs, schema)
    raise ValueError(
        f"Unknown decode method {method!r}; expected 'independent', 'joint' or an object "
        "with a decode(outputs, schema) method."
    )


def _accepts_keyword(func, name):
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def observed_combinations(encoded, sample_weight=None):
    """The distinct label combinations of fully annotated training rows.

    Parameters
    ----------
    encoded : EncodedLabels
        Training labels.
    sample_weight : array-like of shape (n_samples,), default=None
        A row of weight 0 is left out, as if it had been dropped (its combination is not
        observed).

    Returns
    -------
    combinations : ndarray of shape (n_combinations, n_tasks), dtype int64
        Unique rows of ``encoded.codes`` over the rows where no binary or multiclass
        label is missing (a row with a missing label does not say which combination it
        is). The column of a multilabel or regression task holds 0 where the task is on
        and ``NOT_APPLICABLE`` where its gate is off: combinations constrain the binary and
        multiclass tasks only.
    """
    schema = encoded.schema
    combos = _complete_rows(encoded, sample_weight)[0].copy()
    for j, task in enumerate(schema):
        if not task.is_classification:
            combos[:, j] = np.where(combos[:, j] == NOT_APPLICABLE, NOT_APPLICABLE, 0)
    return _unique_rows(combos)


def _merged_combinations(observed, encoded, sample_weight=None):
    """``observed`` joined by the combinations of another batch's labels ``encoded``
    (``partial_fit``: decoding over the observed ones could not predict them otherwise)."""
    return _unique_rows(np.vstack([observed, observed_combinations(encoded, sample_weight)]))


def unseen_combination_mass(encoded, sample_weight=None):
    """Good–Turing estimate of the chance that a new sample's combination is unseen.

    The fraction of fully annotated training rows whose label combination occurs exactly
    once (Good 1953): the probability mass that combinations never seen in training
    hold. Decoding over the observed combinations only
    (``JointDecoder(allowed="observed")``) cannot predict those, so it pays where this is
    small, e.g. a digit with its parity, and hurts where most combinations are new, e.g.
    20 free labels. A row with some labels missing counts too: as seen where its labels
    agree with an observed combination, as unseen where they agree with none (a class
    labelled only in such rows, which the observed combinations would never predict).

    Parameters
    ----------
    encoded : EncodedLabels
        Training labels.
    sample_weight : array-like of shape (n_samples,), default=None
        A row of weight 0 is left out, as if dropped; the others count once each,
        whatever their weight. Weights are often fractions (``"balanced"`` class
        weights, weights normalised to sum to 1): read as frequencies, they would make
        the mass, and the decoding ``decode="auto"`` picks by it, depend on their scale.

    Returns
    -------
    mass : float
        In [0, 1]; 1.0 when no row is fully annotated.
    """
    complete, clf = _complete_rows(encoded, sample_weight)
    complete = complete[:, clf]
    if not clf or len(complete) == 0:
        return 1.0
    partial = encoded.codes[:, clf]
    known = partial != MISSING
    some = ~known.all(1) & known.any(1)
    if sample_weight is not None:
        some &= np.asarray(sample_weight) > 0
    _, counts = _unique_rows(complete, return_counts=True)
    partial, known = partial[some], known[some]
    new = ~_agrees_with_some(partial, known, complete)
    return float(((counts == 1).sum() + new.sum()) / (len(complete) + len(partial)))


def _agrees_with_some(partial, known, complete, chunk_bytes=1 << 24):
    """For each row of ``partial``, whether some row of ``complete`` has its values on
    every column where ``known`` is True.

    The distinct complete rows are held as bitsets, one per (column, value): a row's
    matches are the AND of the bitsets of its known values. Grouping the rows by their
    pattern of known columns and hashing each group's projections of ``complete`` costs
    (patterns x complete rows) tuples, quadratic where nearly every row misses a
    different set of tasks (many tasks, a few labels missing at random); this costs
    (rows x tasks x distinct complete rows / 8) bytes, in numpy.
    """
    if len(partial) == 0:
        return np.zeros(0, dtype=bool)
    combos = _unique_rows(complete)
    width = (len(combos) + 7) // 8  # packbits pads with 0 bits: they never match
    step = max(1, chunk_bytes // width)
    agrees = np.empty(len(partial), dtype=bool)
    for start in range(0, len(partial), step):
        part, knows = partial[start : start + step], known[start : start + step]
        match = np.full((len(part), width), 0xFF, dtype=np.uint8)
        for j in range(part.shape[1]):
            rows = np.flatnonzero(knows[:, j])
            if len(rows) == 0:
                continue
            values, inverse = np.unique(part[rows, j], return_inverse=True)
            bits = np.packbits(combos[:, j][None, :] == values[:, None], axis=1)
            match[rows] &= bits[inverse.reshape(-1)]
        agrees[start : start + step] = match.any(axis=1)
    return agrees


def _complete(encoded):
    """Whether each row has every binary and multiclass label."""
    codes = encoded.codes
    clf = [j for j, t in enumerate(encoded.schema) if t.is_classification]
    return (codes[:, clf] != MISSING).all(axis=1) if clf else np.ones(len(codes), bool)


def _complete_rows(encoded, sample_weight=None):
    """The codes of the rows where no binary or multiclass label is missing (and, with
    ``sample_weight``, whose weight is not 0), and the columns of those (classification)
    tasks."""
    clf = [j for j, t in enumerate(encoded.schema) if t.is_classification]
    complete = _complete(encoded)
    if sample_weight is not None:
        complete = complete & (np.asarray(sample_weight) > 0)
    return encoded.codes[complete], clf


def _unique_rows(codes, return_counts=False):
    """``np.unique(codes, axis=0)`` for small integer codes, via 1-D mixed-radix keys
    (much faster than numpy's row sort when a key fits in an int64), counted with
    ``bincount`` when the key space is no larger than the data. With ``return_counts``,
    also how often each row occurs, as ``np.unique`` gives them."""
    if len(codes) == 0:  # no row: no minimum to shift by
        rows = codes.copy()
        return (rows, np.zeros(0, dtype=np.int64)) if return_counts else rows
    low = codes.min(axis=0)
    shifted = codes - low
    radix = shifted.max(axis=0) + 1
    size = np.prod(radix.astype(float))
    if size >= 2.0**62:
        return np.unique(codes, axis=0, return_counts=return_counts)
    strides = np.cumprod(np.concatenate([radix[1:], [1]])[::-1])[::-1]
    keys = shifted @ strides
    if size <= max(len(keys), 1 << 16):
        tally = np.bincount(keys, minlength=int(size))
        present = np.flatnonzero(tally)
        counts = tally[present]
    else:
        present, counts = np.unique(keys, return_counts=True)
    rows = np.column_stack(np.unravel_index(present, tuple(int(r) for r in radix)))
    rows = (rows + low).astype(codes.dtype, copy=False)
    return (rows, counts) if return_counts else rows


class JointDecoder(BaseEstimator):
    """Decode the most probable combination of all tasks that can exist.

    Independent per-task argmaxes can produce combinations that cannot exist: a color on a
    sample predicted to have no car, or a pair of labels never seen together. This decoder
    returns, for each sample, the combination of labels with the highest joint probability
    among the valid ones: those that respect the gates (a gated-off task is not applicable,
    an applicable task has a value) and, optionally, belong to an allowed set and contain
    no forbidden pair.

    Use it as the ``decode`` parameter of any sklearn-mtl estimator (``decode="joint"``
    is ``JointDecoder()``), or call :meth:`decode` on per-task outputs.

    Parameters
    ----------
    allowed : {None, "observed"} or DataFrame, default=None
        The combinations that may be predicted, besides respecting the gates.

        - ``None``: every combination that respects the gates.
        - ``"observed"``: the combinations of fully annotated training rows (the
          estimator's ``observed_combinations_``); only usable through an estimator's
          ``decode`` parameter, or by passing ``observed=`` to :meth:`decode`.
        - a DataFrame (pandas or polars) with one column per binary or multiclass task
          and one row per allowed combination, holding class labels, and NaN / None
          (null) where the task's gate is off. A column for a multilabel or regression
          task is refused: the table cannot restrict those.
    forbidden : list of pairs, default=None
        Pairs of ``(task, value)`` that must not be predicted together, e.g.
        ``[(("color", "red"), ("body", "4x4"))]``.
    max_combinations : int, default=100_000
        With ``forbidden`` and no finite ``allowed`` set: the largest number of valid
        combinations enumerated exactly; beyond it, beam search is used.
    beam_width : int, default=64
        Number of partial combinations kept per sample by the beam search.

    Notes
    -----
    The joint probability of a combination is the product over the tasks it switches on
    of P(task value | gate on); a gated-off task contributes 1. A multilabel task on
    contributes the product over its labels of max(p, 1 - p): its labels are independent
    Bernoullis, each set where p > 0.5. Regression tasks keep their predicted values (and
    are masked where their gate is off). Per-task ``thresholds_`` of an estimator are not
    used: joint decoding maximises probability.

    The search is exact except in one case:

    - a finite allowed set (``"observed"`` or a table): every allowed combination is
      scored, samples in chunks;
    - gates only (``allowed=None``, ``forbidden=None``): max-product dynamic programming
      over the gate forest, exact and linear in the number of classes, at any size;
    - forbidden pairs without an allowed set: exact enumeration when there are at most
      ``max_combinations`` valid combinations, beam search of width ``beam_width`` in
      the tasks' gate order beyond (approximate).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mtl import JointDecoder, Schema, Task
    >>> schema = Schema([Task("car", kind="binary", classes=["no", "yes"]),
    ...                  Task("color", kind="binary", classes=["red", "blue"],
    ...                       gate=("car", "yes"))])
    >>> outputs = [np.array([[0.55, 0.45]]), np.array([[0.95, 0.05]])]
    >>> JointDecoder().decode(outputs, schema).codes  # car=yes & red: 0.45*0.95 < 0.55
    array([[ 0, -2]])
    >>> JointDecoder(forbidden=[(("car", "no"), ("car", "no"))]).decode(outputs, schema).codes
    array([[1, 0]])
    """

    def __init__(self, allowed=None, *, forbidden=None, max_combinations=100_000, beam_width=64):
        self.allowed = allowed
        self.forbidden = forbidden
        self.max_combinations = max_combinations
        self.beam_width = beam_width

    # ------------------------------------------------------------------------ public
    def decode(self, outputs, schema, observed=None):
        """The most probable valid combination for each sample.

        Parameters
        ----------
        outputs : list of ndarray
            Per-task outputs in schema order (see :mod:`sklearn_mtl._decoding`).
        schema : Schema
            The tasks.
        observed : ndarray of shape (n_combinations, n_tasks), default=None
            Training combinations (:func:`observed_combinations`), needed by
            ``allowed="observed"``.

        Returns
        -------
        encoded : EncodedLabels
            Codes that respect the gates, multilabel blocks and regression values.
        """
        self._check_params()
        outputs = list(outputs)
        if len(outputs) != len(schema):
            raise ValueError(
                f"Got outputs for {len(outputs)} tasks, but the schema has {len(schema)} "
                f"tasks {schema.names}."
            )
        n = _n_samples(outputs)
        logp, onscore = _log_factors(outputs, schema, floor=True)
        forbidden = _forbidden_codes(self.forbidden, schema)
        candidates = self._candidates(schema, observed)
        if candidates is not None:
            candidates = _left_after(candidates, forbidden, self, schema, self.allowed)
            codes = _best_of(candidates, logp, onscore, schema, n)
        elif not forbidden:
            codes = _tree_argmax(logp, onscore, schema, n)
        elif count_combinations(schema) <= self.max_combinations:
            combos = _left_after(enumerate_combinations(schema), forbidden, self, schema, None)
            codes = _best_of(combos, logp, onscore, schema, n)
        else:
            codes = _beam_search(logp, onscore, schema, forbidden, n, self.beam_width)
        return _finish(codes, outputs, schema)

    def score_combinations(self, outputs, schema, combinations):
        """Log joint probability of given combinations, per sample.

        Parameters
        ----------
        outputs : list of ndarray
            Per-task outputs in schema order.
        schema : Schema
            The tasks.
        combinations : ndarray of shape (n_combinations, n_tasks)
            Codes (``NOT_APPLICABLE`` where a task is off).

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_combinations)
        """
        logp, onscore = _log_factors(list(outputs), schema)
        return _score(_checked_codes(combinations, schema), logp, onscore, schema)

    # ----------------------------------------------------------------------- helpers
    def _check_params(self):
        for name in ("max_combinations", "beam_width"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"JointDecoder's {name} must be a positive int; got {value!r}.")
        allowed = self.allowed
        # (an array compared with "observed" is an array, whose truth is ambiguous)
        observed = isinstance(allowed, str) and allowed == "observed"
        if not (allowed is None or _is_table(allowed) or observed):
            raise ValueError(
                "JointDecoder's allowed must be None, 'observed' or a DataFrame (pandas or "
                f"polars) of allowed combinations; got {type(allowed).__name__} {allowed!r}."
            )

    def _check_schema(self, schema, observed=None):
        """Refuse at ``fit`` what :meth:`decode` would refuse at prediction: the
        parameters, the forbidden pairs and an allowed table, read against the schema
        learned from ``y``, and a decoder left with no combination to predict (an
        allowed table without rows, no fully annotated training row for
        ``allowed="observed"`` where ``observed`` is given, forbidden pairs that
        exclude every allowed or, where enumerated, every valid combination)."""
        self._check_params()
        forbidden = _forbidden_codes(self.forbidden, schema)
        if _is_table(self.allowed) or (self.allowed is not None and observed is not None):
            _left_after(self._candidates(schema, observed), forbidden, self, schema,
                        self.allowed)
        elif (self.allowed is None and forbidden
              and count_combinations(schema) <= self.max_combinations):
            _left_after(enumerate_combinations(schema), forbidden, self, schema, None)

    def candidates(self, schema, observed=None, max_combinations=4096):
        """The combinations :meth:`decode` takes its argmax over, as codes (C, n_tasks),
        in the order it scores them; None where there are more than
        ``max_combinations``, or where it searches by beam.

        With a finite allowed set (``"observed"``, a table) these are its combinations
        without the forbidden pairs: the ones :meth:`decode` scores. With gates only, every
        valid combination: :meth:`decode` finds the same maximum by dynamic programming
        (the two can part only where two combinations score exactly alike).

        Parameters
        ----------
        schema : Schema
            The tasks.
        observed : ndarray of shape (n_combinations, n_tasks), default=None
            Training combinations, for ``allowed="observed"``.
        max_combinations : int, default=4096
            The largest set returned.

        Returns
        -------
        ndarray of shape (C, n_tasks) or None
        """
        self._check_params()
        forbidden = _forbidden_codes(self.forbidden, schema)
        combos = self._candidates(schema, observed)
        if combos is None:
            limit = min(max_combinations, self.max_combinations if forbidden else np.inf)
            if count_combinations(schema) > limit:
                return None
            combos = enumerate_combinations(schema)
        combos = _drop_forbidden(combos, forbidden)
        if len(combos) == 0 or len(combos) > max_combinations:
            return None
        return np.asarray(combos, dtype=np.int64)

    def _candidates(self, schema, observed):
        if self.allowed is None:
            return None
        if _is_table(self.allowed):
            return table_to_combinations(self.allowed, schema)
        if observed is None:
            raise ValueError(
                "JointDecoder(allowed='observed') needs the label combinations seen in "
                "training: use it as a fitted estimator's decode parameter, or pass "
                "observed= to decode()."
            )
        observed = np.asarray(observed, dtype=np.int64)
        if observed.ndim != 2 or observed.shape[1] != len(schema):
            raise ValueError(
                f"observed must have shape (n_combinations, {len(schema)}); got {observed.shape}."
            )
        if len(observed) == 0:
            raise ValueError(
                "No fully annotated training row: there is no observed combination to allow "
                "(JointDecoder(allowed='observed') keeps the combinations of the training "
                "rows, of positive weight, that have every binary and multiclass label). "
                "Decode over every valid combination (allowed=None) or give a table."
            )
        return observed


def _left_after(combos, forbidden, decoder, schema, allowed):
    """``combos`` without those holding a ``forbidden`` pair (codes); a ValueError saying
    why where none is left, naming ``decoder``'s pairs (``allowed``: where ``combos``
    came from, a table, ``"observed"``, or None for every combination that respects the
    gates)."""
    if len(combos) == 0:  # (no observed combination is refused by _candidates)
        raise ValueError(
            "JointDecoder's allowed table has no row, so there is no combination to "
            "predict; give one row per allowed combination, one column per binary or "
            f"multiclass task {_clf_names(schema)}."
        )
    left = _drop_forbidden(combos, forbidden)
    if len(left) == 0:
        which = ("valid combination (respecting the gates)" if allowed is None
                 else "observed combination" if isinstance(allowed, str)
                 else "combination of the allowed table")
        raise ValueError(
            f"No allowed combination is left once forbidden pairs are removed: every "
            f"{which}, {len(combos)} in all, contains one of the forbidden pairs "
            f"{list(decoder.forbidden)}."
        )
    return left


# ------------------------------------------------------------------ combination spaces
def _parent_on(schema, j, combos_parent):
    """Bool: the gate of task ``j`` is on, given the parent's codes."""
    return np.isin(combos_parent, schema.gate_codes(schema[j]))


def count_combinations(schema):
    """Number of label combinations that respect the gates (binary/multiclass tasks).

    Multilabel and regression tasks count once (their applicability follows their gate).
    """
    subtree = {}
    for j in reversed(schema.order):
        task = schema[j]
        children = [schema.index(c) for c in schema.children(task.name)]
        if not task.is_classification:
            subtree[j] = 1
            continue
        # the ways below each value, Python ints (the count can pass int64); each
        # child's gate codes read once, not once per value (quadratic in the classes)
        ways = np.ones(len(task.classes), dtype=object)
        for c in children:
            ways[schema.gate_codes(schema[c])] *= subtree[c]
        subtree[j] = int(ways.sum())
    count = 1
    for j, task in enumerate(schema):
        if task.gate is None:
            count *= subtree[j]
    return count


def enumerate_combinations(schema):
    """All combinations that respect the gates, as codes (n_combinations, n_tasks)."""
    combos = np.zeros((1, len(schema)), dtype=np.int64)
    for j in schema.order:
        task = schema[j]
        if task.gate is None:
            on = np.ones(len(combos), dtype=bool)
        else:
            on = _parent_on(schema, j, combos[:, schema.index(task.gate[0])])
        if not task.is_classification:
            combos[:, j] = np.where(on, 0, NOT_APPLICABLE)
            continue
        k = len(task.classes)
        off_rows = combos[~on].copy()
        off_rows[:, j] = NOT_APPLICABLE
        on_rows = np.repeat(combos[on], k, axis=0)
        on_rows[:, j] = np.tile(np.arange(k), int(on.sum()))
        combos = np.concatenate([off_rows, on_rows])
    return combos


def table_to_combinations(table, schema):
    """Codes of a DataFrame of allowed combinations (labels; NaN where a gate is off)."""
    # a polars table reads as its pandas copy: null where a gate is off, as NaN / None
    table = to_pandas(table, "allowed", labels=True)
    names = set(schema.names)
    extra = [str(c) for c in table.columns if str(c) not in names]
    if extra:
        raise ValueError(
            f"The allowed combinations have column(s) {extra} that are not tasks; the tasks "
            f"are {schema.names}."
        )
    # a multilabel task's labels are decoded each on its own and a regression task keeps
    # its predicted value: the table cannot restrict them, and a column for one would be
    # a restriction that predict silently does not apply
    unrestricted = [f"{t.name!r} ({t.kind})" for t in schema
                    if not t.is_classification and t.name in {str(c) for c in table.columns}]
    if unrestricted:
        raise ValueError(
            f"The allowed combinations have column(s) for task(s) {', '.join(unrestricted)} "
            "that a table cannot restrict: it holds one column per binary or multiclass "
            f"task {_clf_names(schema)} (a multilabel task's labels are decoded each on its "
            "own, a regression task keeps its predicted value); drop those columns."
        )
    by_name = {str(c): c for c in table.columns}
    combos = np.zeros((len(table), len(schema)), dtype=np.int64)
    for j, task in enumerate(schema):
        if not task.is_classification:
            continue
        if task.name not in by_name:
            raise ValueError(
                f"The allowed combinations have no column for task {task.name!r}; expected "
                f"one column per binary or multiclass task {_clf_names(schema)}."
            )
        index = {c: i for i, c in enumerate(_plain(task.classes))}
        for row, value in enumerate(table[by_name[task.name]].tolist()):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                combos[row, j] = NOT_APPLICABLE
                continue
            value = value.item() if isinstance(value, np.generic) else value
            if value not in index:
                raise ValueError(
                    f"Allowed combination {row} gives task {task.name!r} the label {value!r}, "
                    f"which is not among its classes {_shown(task.classes)}."
                )
            combos[row, j] = index[value]
    _check_gated(combos, schema)
    return np.unique(combos, axis=0) if len(combos) else combos


def _check_gated(combos, schema):
    for j in schema.order:
        task = schema[j]
        if task.gate is None:
            on = np.ones(len(combos), dtype=bool)
        else:
            p = schema.index(task.gate[0])
            on = (combos[:, p] >= 0) & _parent_on(schema, j, combos[:, p])
        if not task.is_classification:
            combos[:, j] = np.where(on, 0, NOT_APPLICABLE)
            continue
        bad = on != (combos[:, j] >= 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            state = "on" if on[row] else "off"
            expected = "a label" if on[row] else "no label (NaN)"
            raise ValueError(
                f"Allowed combination {row} does not respect the gates: task {task.name!r} "
                f"has its gate {state}, so expected {expected}."
            )


def _checked_codes(combinations, schema):
    """``combinations`` as int64 codes, refused (a ValueError naming the row and the
    task) where they are not combinations of ``schema``: a code outside a task's
    classes, or a task given a value where its gate is off (or none where it is on),
    which would be scored as if it could be predicted."""
    combos = np.asarray(combinations)
    if combos.ndim != 2 or combos.shape[1] != len(schema) or (
            combos.size and combos.dtype.kind not in "iu"):
        raise ValueError(
            f"combinations must be integer codes of shape (n_combinations, {len(schema)}), "
            f"one column per task {schema.names} (NOT_APPLICABLE = {NOT_APPLICABLE} where "
            f"a task's gate is off); got {combos.dtype} of shape {combos.shape}."
        )
    combos = combos.astype(np.int64)
    for j in schema.order:
        task = schema[j]
        on = np.ones(len(combos), dtype=bool)
        if task.gate is not None:
            p = schema.index(task.gate[0])
            on = (combos[:, p] >= 0) & _parent_on(schema, j, combos[:, p])
        k = len(task.classes) if task.is_classification else 1
        bad = np.where(on, (combos[:, j] < 0) | (combos[:, j] >= k),
                       combos[:, j] != NOT_APPLICABLE)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            expected = (f"a code in 0..{k - 1}" if on[row]
                        else f"NOT_APPLICABLE ({NOT_APPLICABLE}), its gate being off")
            raise ValueError(
                f"Combination {row} gives task {task.name!r} the code "
                f"{int(combos[row, j])}; expected {expected}."
            )
    return combos


def _is_table(allowed):
    """Whether ``allowed`` is a table of allowed combinations: a pandas or a polars
    DataFrame."""
    if isinstance(allowed, pd.DataFrame):
        return True
    return is_polars(allowed) and type(allowed).__name__ == "DataFrame"


def _clf_names(schema):
    return [t.name for t in schema if t.is_classification]


def _forbidden_codes(forbidden, schema):
    """Forbidden pairs as [(task_a, code_a, task_b, code_b)] with a before b in gate order."""
    if forbidden is None:
        return []
    if isinstance(forbidden, Iterator):  # read at fit and at every prediction
        raise TypeError(
            "forbidden must be a list of pairs ((task, value), (task, value)); got a "
            f"{type(forbidden).__name__}, which can be read once only."
        )
    rank = {j: r for r, j in enumerate(schema.order)}
    pairs = []
    for pair in forbidden:
        try:
            (ta, va), (tb, vb) = pair
        except (TypeError, ValueError):
            raise ValueError(
                f"forbidden must be a list of pairs ((task, value), (task, value)); got {pair!r}."
            ) from None
        ends = []
        for name, value in ((ta, va), (tb, vb)):
            try:
                j = schema.index(name)
            except ValueError as exc:
                raise ValueError(f"forbidden pair {pair!r}: {exc}") from exc
            task = schema[j]
            if not task.is_classification:
                raise ValueError(
                    f"Forbidden pair {pair!r} names {task.kind} task {name!r}; only binary and "
                    "multiclass tasks can be constrained."
                )
            matches = [i for i, c in enumerate(task.classes) if c == value]
            if not matches:
                raise ValueError(
                    f"Forbidden pair {pair!r} gives task {name!r} the label {value!r}, which "
                    f"is not among its classes {_shown(task.classes)}."
                )
            ends.append((j, matches[0]))
        ends.sort(key=lambda e: rank[e[0]])
        pairs.append((*ends[0], *ends[1]))
    return pairs


def _drop_forbidden(combos, forbidden):
    keep = np.ones(len(combos), dtype=bool)
    for a, va, b, vb in forbidden:
        keep &= ~((combos[:, a] == va) & (combos[:, b] == vb))
    return combos[keep]


# ----------------------------------------------------------------------------- scoring
def _log_factors(outputs, schema, floor=False):
    """Per-task log P(value | on) (classification) and log score when on (multilabel).

    With ``floor`` (the searches), a probability of 0 scores the log of the smallest
    normal float64 rather than -inf: where every allowed combination holds such a label
    (a tree's or a nearest-neighbour model's probabilities), the one with the fewest
    still wins by the others' probabilities, instead of the first in the list.
    """
    low = np.finfo(np.float64).tiny if floor else 0.0
    logp, onscore = {}, {}
    with np.errstate(divide="ignore"):
        for j, (task, out) in enumerate(zip(schema, outputs, strict=True)):
            if task.is_classification:
                out = np.asarray(out, dtype=float)
                if out.ndim != 2 or out.shape[1] != len(task.classes):
                    raise ValueError(
                        f"Task {task.name!r} has outputs of shape {out.shape}; expected "
                        f"(n_samples, {len(task.classes)}) class probabilities."
                    )
                logp[j] = np.log(np.clip(out, low, 1.0))
            elif task.kind == "multilabel":
                out = np.asarray(out, dtype=float)
                onscore[j] = np.log(np.clip(np.maximum(out, 1.0 - out), 0.0, 1.0)).sum(axis=1)
    return logp, onscore


#: Largest (classes of all tasks) x (combinations) 0/1 matrix that :func:`_score` builds
#: to score every combination in one matrix product (128 MB of float64).
_ONEHOT_CELLS = 1 << 24


def _score(combos, logp, onscore, schema, rows=slice(None)):
    """Log score of every combination for every sample: (n, n_combinations)."""
    first = next(iter(logp.values()), None)
    n = len((first if first is not None else next(iter(onscore.values())))[rows])
    total = np.zeros((n, len(combos)))
    clf = [j for j in range(len(schema)) if j in logp]
    parts = [logp[j][rows] for j in clf]
    width = sum(part.shape[1] for part in parts)
    if clf and width * len(combos) <= _ONEHOT_CELLS and all(
        np.isfinite(part).all() for part in parts
    ):
        # One BLAS product, the log probabilities of every class (n, K) times the 0/1
        # matrix of the class each combination gives each task (K, C): gathering the
        # columns task by task passes over the (n, C) scores once per task (a minute on
        # 20,000 samples x 2,000 combinations of 300 tasks). A -inf (a probability of 0,
        # not floored) would make 0 * -inf = NaN there, so it is gathered instead.
        onehot = np.zeros((width, len(combos)))
        offset = 0
        for j, part in zip(clf, parts, strict=True):
            col = combos[:, j]
            on = np.flatnonzero(col >= 0)
            onehot[offset + col[on], on] = 1.0
            offset += part.shape[1]
        total += np.concatenate(parts, axis=1) @ onehot
    else:
        for j, lp in zip(clf, parts, strict=True):
            col = combos[:, j]
            ext = np.concatenate([lp, np.zeros((n, 1))], axis=1)
            total += ext[:, np.where(col >= 0, col, lp.shape[1])]
    for j, score in onscore.items():
        total += np.where(combos[:, j] >= 0, 1.0, 0.0)[None, :] * score[rows][:, None]
    return total


def _best_of(combos, logp, onscore, schema, n, chunk_cells=2_000_000):
    """Codes of the best candidate combination per sample (samples scored in chunks)."""
    if not logp and not onscore:
        return np.repeat(combos[:1], n, axis=0)
    best = np.empty(n, dtype=np.int64)
    step = max(1, chunk_cells // max(1, len(combos)))
    for start in range(0, n, step):
        rows = slice(start, min(n, start + step))
        scores = _score(combos, logp, onscore, schema, rows)
        best[rows] = np.argmax(scores, axis=1)
    return combos[best].copy()


def _tree_argmax(logp, onscore, schema, n):
    """Exact max-product over the gate forest (no constraint other than the gates)."""
    best_on = {}  # task -> (n,) best log score of its subtree given the task is on
    choice = {}
    for j in reversed(schema.order):
        task = schema[j]
        children = [schema.index(c) for c in schema.children(task.name)]
        if not task.is_classification:
            best_on[j] = onscore.get(j, np.zeros(n))
            continue
        values = logp[j].copy()
        for c in children:
            gate = schema.gate_codes(schema[c])
            values[:, gate] += best_on[c][:, None]
        choice[j] = np.argmax(values, axis=1)
        best_on[j] = values[np.arange(n), choice[j]]
    codes = np.zeros((n, len(schema)), dtype=np.int64)
    for j in schema.order:
        task = schema[j]
        if task.gate is None:
            on = np.ones(n, dtype=bool)
        else:
            p = schema.index(task.gate[0])
            on = (codes[:, p] >= 0) & _parent_on(schema, j, codes[:, p])
        value = choice[j] if task.is_classification else 0
        codes[:, j] = np.where(on, value, NOT_APPLICABLE)
    return codes


def _beam_search(logp, onscore, schema, forbidden, n, width, chunk_cells=1 << 22):
    """Approximate search: tasks in gate order, ``width`` best partial combinations kept.

    Samples go in chunks of at most ``chunk_cells`` (sample, beam entry, value) candidates
    of the task with the most classes; a candidate is a score and its (entry, value)
    index: only the ``width`` kept have their codes copied (copying every candidate's
    codes took samples x width x classes x tasks int64, 2 GB for 300 samples of two
    500-class tasks).
    """
    out = np.empty((n, len(schema)), dtype=np.int64)
    most = max([len(t.classes) for t in schema if t.is_classification], default=1)
    step = max(1, min(1024, chunk_cells // (width * most)))
    for start in range(0, n, step):
        rows = slice(start, min(n, start + step))
        m = rows.stop - rows.start
        codes = np.zeros((m, 1, len(schema)), dtype=np.int64)
        scores = np.zeros((m, 1))
        for j in schema.order:
            task = schema[j]
            if task.gate is None:
                on = np.ones(scores.shape, dtype=bool)
            else:
                p = schema.index(task.gate[0])
                on = (codes[:, :, p] >= 0) & _parent_on(schema, j, codes[:, :, p])
            if not task.is_classification:
                codes[:, :, j] = np.where(on, 0, NOT_APPLICABLE)
                if j in onscore:
                    scores = scores + np.where(on, onscore[j][rows][:, None], 0.0)
                continue
            k = len(task.classes)
            b = scores.shape[1]
            # candidate (beam entry, value): off entries keep one candidate, value NA
            gain = np.where(on[:, :, None], logp[j][rows][:, None, :], -np.inf)
            gain[:, :, 0] = np.where(on, gain[:, :, 0], 0.0)
            value = np.where(on[:, :, None], np.arange(k), NOT_APPLICABLE)  # (m, b, k)
            total = scores[:, :, None] + gain
            for a, va, bb, vb in forbidden:
                if bb == j:
                    left = value if a == j else codes[:, :, a][:, :, None]
                    total = np.where((left == va) & (value == vb), -np.inf, total)
            total = total.reshape(m, b * k)
            keep = np.argsort(-total, axis=1, kind="stable")[:, : min(width, b * k)]
            scores = np.take_along_axis(total, keep, axis=1)
            codes = np.take_along_axis(codes, (keep // k)[:, :, None], axis=1)
            codes[:, :, j] = np.take_along_axis(value.reshape(m, b * k), keep, axis=1)
        if not np.isfinite(scores[:, 0]).all():
            raise ValueError(
                "The beam search found no combination without a forbidden pair; increase "
                "beam_width."
            )
        out[rows] = codes[:, 0, :]
    return out


def _finish(codes, outputs, schema):
    n = len(codes)
    multilabel, regression = {}, {}
    for task, out in zip(schema, outputs, strict=True):
        if task.kind == "multilabel":
            multilabel[task.name] = (np.asarray(out) > 0.5).astype(np.int8)
        elif task.kind == "regression":
            regression[task.name] = np.asarray(out, dtype=float).reshape(n).copy()
    return finalize(codes, multilabel, regression, schema)


__all__ = [
    "JointDecoder",
    "count_combinations",
    "decode",
    "decode_independent",
    "enumerate_combinations",
    "finalize",
    "observed_combinations",
]
