"""Mask-aware classification metrics over structured labels.

Missing labels (nobody annotated them) and gated-off labels (the task does not apply)
are left out of every metric: they are never counted as errors, and never as a class.
A prediction that is missing or gated off where the truth has a label is wrong, and so
is a predicted exclusive group with more than one active label: it has no single value,
and is read as a missing prediction of its task. Regression tasks are ignored by these
metrics.
"""

from __future__ import annotations

import numbers
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from .._schema import MISSING, NOT_APPLICABLE
from .._warnings import recording
from ._inputs import check_sample_weight, encode_pair, is_placeholder

_AVERAGES = ("macro", "micro", "weighted")
_CLASSIFICATION = ("binary", "multiclass", "multilabel")


def exact_match_rows(true, pred):
    """Per-sample bool: every applicable, annotated label of ``true`` equals ``pred``.

    Both are :class:`EncodedLabels` of the same schema. Regression tasks are ignored.
    """
    schema = true.schema
    ok = np.ones(true.n_samples, dtype=bool)
    for j, task in enumerate(schema):
        t = true.codes[:, j]
        p = pred.codes[:, j]
        if task.kind == "regression":
            continue
        off = t == NOT_APPLICABLE
        ok &= np.where(off, p == NOT_APPLICABLE, True)
        present = t >= 0
        if task.kind == "multilabel":
            tb, pb = true.multilabel[task.name], pred.multilabel[task.name]
            labelled = tb >= 0
            row_ok = ((tb == pb) | ~labelled).all(axis=1) & (p >= 0)
            ok &= np.where(present, row_ok, True)
        else:
            ok &= np.where(present, p == t, True)
    return ok


def _annotated_rows(true):
    """Rows with at least one label of a classification task (the others carry no label)."""
    cols = [j for j, t in enumerate(true.schema) if t.kind in _CLASSIFICATION]
    if not cols:
        raise ValueError("The schema has no classification task; these metrics need one.")
    return (true.codes[:, cols] >= 0).any(axis=1)


def exact_match_score(Y_true, Y_pred, *, schema=None, sample_weight=None):
    """Fraction of samples whose every applicable, annotated label is predicted right.

    A sample is an exact match when each task labelled in ``Y_true`` has the same value
    in ``Y_pred`` (all labels of a multilabel task), and each task that is gated off in
    ``Y_true`` is gated off in ``Y_pred`` too. Missing labels are ignored; samples with no
    label at all are left out. With one task this is scikit-learn's ``accuracy_score``; on
    a multilabel indicator matrix, its subset accuracy.

    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels, in any form a :class:`~sklearn_mtl.StructuredLabelEncoder` reads.
    Y_pred : DataFrame, array-like, list of sets or EncodedLabels
        Predicted labels, in the same form.
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones. ``None`` infers the tasks from the labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        The fraction of exact matches (NaN when no sample has a label).

    See Also
    --------
    hamming_loss : fraction of wrong labels.
    task_accuracy_score : accuracy of each task.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.metrics import exact_match_score
    >>> Y_true = pd.DataFrame({"car": ["yes", "no", "yes"], "color": ["red", None, None]})
    >>> Y_pred = pd.DataFrame({"car": ["yes", "no", "no"], "color": ["red", None, None]})
    >>> float(exact_match_score(Y_true, Y_pred))
    0.6666666666666666
    """
    true, pred = encode_pair(Y_true, Y_pred, schema)
    weight = check_sample_weight(sample_weight, true.n_samples)
    rows = _annotated_rows(true)
    if not (rows & (weight > 0)).any():
        return float("nan")
    correct = exact_match_rows(true, pred)
    return float(np.average(correct[rows], weights=weight[rows]))


def hamming_loss(Y_true, Y_pred, *, schema=None, sample_weight=None):
    """Fraction of wrong labels among the applicable, annotated ones.

    Each binary or multiclass task counts as one label per sample, each label of a
    multilabel task as one. Missing and gated-off true labels are left out. On a
    multilabel indicator matrix (or binary tasks only) without missing labels this is
    scikit-learn's ``hamming_loss``.

    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels.
    Y_pred : DataFrame, array-like, list of sets or EncodedLabels
        Predicted labels, in the same form.
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    loss : float
        Weighted fraction of wrong labels (NaN when there is no label).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mtl.metrics import hamming_loss
    >>> Y_true = np.array([["a", "x"], ["b", "y"]], dtype=object)
    >>> Y_pred = np.array([["a", "y"], ["b", "y"]], dtype=object)
    >>> float(hamming_loss(Y_true, Y_pred))
    0.25
    """
    true, pred = encode_pair(Y_true, Y_pred, schema)
    weight = check_sample_weight(sample_weight, true.n_samples)
    errors = 0.0
    total = 0.0
    for j, task in enumerate(true.schema):
        if task.kind in ("binary", "multiclass"):
            labelled = true.codes[:, j] >= 0
            wrong = pred.codes[:, j] != true.codes[:, j]
            errors += weight[labelled & wrong].sum()
            total += weight[labelled].sum()
        elif task.kind == "multilabel":
            tb, pb = true.multilabel[task.name], pred.multilabel[task.name]
            labelled = tb >= 0
            errors += (weight[:, None] * (labelled & (pb != tb))).sum()
            total += (weight[:, None] * labelled).sum()
    _annotated_rows(true)
    return float(errors / total) if total > 0 else float("nan")


class McNemarResult(NamedTuple):
    """The result of :func:`mcnemar_test`."""

    only_a: int
    only_b: int
    pvalue: float


def mcnemar_test(Y_true, Y_pred_a, Y_pred_b, *, schema=None):
    """McNemar's exact test of two models' exact matches on the same samples.

    Only the samples where one model alone has every label right tell the models apart
    (those both get right, or both wrong, are common ground). Were the models equally
    good, each of those samples would fall to either side with probability ½: the
    p-value is the two-sided binomial test of the split. Pair the predictions of one
    test set, or the out-of-fold predictions of one cross-validation (the same folds):
    on a table of a few hundred rows a lead of a few samples is often chance.

    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels.
    Y_pred_a, Y_pred_b : DataFrame, array-like, list of sets or EncodedLabels
        Two models' predictions of the same samples, in the same form.
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.

    Returns
    -------
    result : McNemarResult
        ``only_a`` and ``only_b``, the samples where model a (b) alone is an exact match,
        and ``pvalue``, McNemar's exact two-sided p-value (1.0 when neither count is
        above 0).

    See Also
    --------
    exact_match_score : the fraction of exact matches of one model.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.metrics import mcnemar_test
    >>> Y = pd.DataFrame({"car": ["yes", "no"] * 10, "color": ["red", None] * 10})
    >>> a, b = Y.copy(), Y.copy()
    >>> a.loc[[0, 2], "car"] = "no"  # a misses two samples
    >>> b.loc[[4, 6, 8, 10, 12], "color"] = "blue"  # b misses five others
    >>> mcnemar_test(Y, a, b)
    McNemarResult(only_a=5, only_b=2, pvalue=0.453125)
    """
    from scipy.stats import binomtest

    def exact_matches(Y_pred, name):
        # encode_pair's errors name "Y_pred": say which of the two it is
        try:
            return exact_match_rows(*encode_pair(Y_true, Y_pred, schema))
        except ValueError as exc:
            raise ValueError(str(exc).replace("Y_pred", name)) from None

    a, b = exact_matches(Y_pred_a, "Y_pred_a"), exact_matches(Y_pred_b, "Y_pred_b")
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    n = only_a + only_b
    pvalue = float(binomtest(min(only_a, only_b), n, 0.5).pvalue) if n else 1.0
    return McNemarResult(only_a, only_b, pvalue)


# ------------------------------------------------------------------------ per task
def _check_average(average):
    if average not in (*_AVERAGES, "samples"):
        raise ValueError(
            f"average must be one of {[*_AVERAGES, 'samples']}; got {average!r}."
        )


def _selected_tasks(schema, task):
    if task is None:
        return [t for t in schema if t.kind in _CLASSIFICATION]
    found = schema.named(task)
    if found.kind not in _CLASSIFICATION:
        raise ValueError(
            f"Task {task!r} is a {found.kind} task; classification metrics need a binary, "
            "multiclass or multilabel task."
        )
    return [found]


def _task_accuracy(true, pred, task, weight):
    j = true.schema.index(task.name)
    rows = true.codes[:, j] >= 0
    if not (rows & (weight > 0)).any():
        return float("nan")
    if task.kind == "multilabel":
        tb, pb = true.multilabel[task.name][rows], pred.multilabel[task.name][rows]
        correct = ((tb == pb) | (tb < 0)).all(axis=1) & (pred.codes[rows, j] >= 0)
        return float(np.average(correct, weights=weight[rows]))
    return float(
        accuracy_score(true.codes[rows, j], pred.codes[rows, j], sample_weight=weight[rows])
    )


def _check_zero_division(zero_division):
    if not (isinstance(zero_division, str) and zero_division == "warn"
            or isinstance(zero_division, numbers.Real) and (
                zero_division in (0, 1) or np.isnan(zero_division))):
        raise ValueError(
            f"zero_division must be 'warn', 0.0, 1.0 or np.nan, as in scikit-learn; got "
            f"{zero_division!r}."
        )


#: What ``precision_recall_fscore_support`` may warn about ("warn" zero division); a
#: single metric's function warns about its own, as scikit-learn's do.
_PRF = ("precision", "recall", "f-score")


def _task_prf(true, pred, task, weight, average, zero_division=0, warn_for=_PRF,
              scores=None):
    """(precision, recall, f1) of one task with one averaging (``scores``: a multilabel
    task's ``_labels_prf``, when already computed)."""
    j = true.schema.index(task.name)
    rows = true.codes[:, j] >= 0
    if not (rows & (weight > 0)).any():
        return (float("nan"),) * 3
    if task.kind == "multilabel":
        return _multilabel_prf(true, pred, task, weight, average, zero_division, warn_for,
                               scores)
    if average == "samples":
        raise ValueError(
            f"average='samples' averages over a sample's labels, so it needs a multilabel "
            f"task; task {task.name!r} is {task.kind} (score a multilabel task with "
            "task=..., or use another average)."
        )
    t = true.codes[rows, j]
    p = np.where(pred.codes[rows, j] >= 0, pred.codes[rows, j], MISSING)
    labels = np.union1d(t, p[p >= 0])
    # recorded in this thread only: catch_warnings would swap the process's filters and
    # showwarning under fits running in other threads (compare's folds)
    with recording() as caught:
        precision, recall, f1, _ = precision_recall_fscore_support(
            t, p, labels=labels, average=average, sample_weight=weight[rows],
            zero_division=zero_division, warn_for=warn_for,
        )
    for text, category, _, _ in caught:  # scikit-learn's words, and which task they are about
        message = (f"{text} (task {task.name!r})"
                   if issubclass(category, UndefinedMetricWarning) else text)
        warnings.warn(message, category, stacklevel=3)
    return float(precision), float(recall), float(f1)


def _label_arrays(true, pred, task, label_index):
    """(labelled, true 0/1, predicted 0/1 or ``MISSING``) of one label of a multilabel task.

    A prediction that does not give the label (missing, or the task gated off) is
    ``MISSING``: wrong where the truth has the label, and no positive prediction.
    """
    j = true.schema.index(task.name)
    tb = true.multilabel[task.name][:, label_index]
    pb = pred.multilabel[task.name][:, label_index]
    given = (pb >= 0) & (pred.codes[:, j] >= 0)
    return tb >= 0, tb, np.where(given, pb, MISSING).astype(np.int8)


def _label_counts(true, pred, task):
    """Masks of a multilabel task, samples x labels: (annotated, true positive, predicted
    positive; a prediction that is missing or gated off is no positive)."""
    j = true.schema.index(task.name)
    tb = true.multilabel[task.name]
    predicted = ((pred.multilabel[task.name] == 1) & (pred.codes[:, j] >= 0)[:, None])
    return tb >= 0, tb == 1, predicted & (tb >= 0)


def _labels_prf(true, pred, task, weight, zero_division=0, warn_for=_PRF):
    """Per-label precision, recall, F1 and weighted support of a multilabel task.

    Returns ``(precision, recall, f1, support, annotated)``: one entry per label (NaN
    and support 0 for a label that no sample of positive weight annotates, flagged
    False in ``annotated``). The values are those of scikit-learn's
    ``precision_recall_fscore_support`` on each label's annotated samples
    (``labels=[1]``), computed from the counts of all labels at once: one call per
    label was seconds on a few hundred labels. The weighted counts are summed sample
    after sample, as scikit-learn's ``np.bincount`` sums them (a sum over the first
    axis adds row after row), so the scores are equal to the last bit.
    """
    labelled, is_true, is_pred = _label_counts(true, pred, task)
    column = weight[:, None]

    def per_label(mask):
        return np.where(mask, column, 0.0).sum(axis=0)

    annotated = (labelled & (column > 0)).any(axis=0)
    # the support weights the "weighted" average: numpy's sum of each label's weights
    support = np.array([weight[col].sum() for col in is_true.T], dtype=float)
    support[~annotated] = 0.0
    precision, recall, f1 = _counts_prf(per_label(is_true & is_pred), per_label(is_pred),
                                        per_label(is_true), zero_division, warn_for,
                                        "labels", annotated)
    for values in (precision, recall, f1):
        values[~annotated] = np.nan
    return precision, recall, f1, support, annotated


def _micro_prf(true, pred, task, weight, zero_division=0, warn_for=_PRF):
    """The micro (precision, recall, f1) of a multilabel task: scikit-learn's on all
    labels' annotated samples stacked label after label, from the counts summed in that
    order."""
    labelled, is_true, is_pred = _label_counts(true, pred, task)
    if not labelled.any():
        return (float("nan"),) * 3

    def stacked(mask):  # the running sum, label after label, sample after sample
        return np.cumsum(np.where(mask, weight[:, None], 0.0).T)[-1:]

    return tuple(float(v[0]) for v in _counts_prf(
        stacked(is_true & is_pred), stacked(is_pred), stacked(is_true), zero_division,
        warn_for))


def _counts_prf(tp_sum, pred_sum, true_sum, zero_division, warn_for, where=None,
                scored=None):
    """Precision, recall and F1 from weighted counts, as scikit-learn's
    ``precision_recall_fscore_support`` computes them (``fp`` and ``fn`` first, then the
    sums back from them; a ratio that divides by zero scores ``zero_division``, and
    warns as scikit-learn does with ``"warn"``, for the entries in ``scored`` only)."""
    fp, fn = pred_sum - tp_sum, true_sum - tp_sum
    pred_sum, true_sum = tp_sum + fp, tp_sum + fn
    fill = 0.0 if isinstance(zero_division, str) else float(zero_division)  # "warn": 0

    def ratio(num, den, metric, modifier):
        zero = den == 0
        out = num / np.where(zero, 1.0, den)
        if zero.any():
            out[zero] = fill
            if (zero_division == "warn" and metric in warn_for
                    and (scored is None or (zero & scored).any())):
                reason = f"in {where} with" if where else "due to"
                warnings.warn(
                    f"{metric.capitalize()} is ill-defined and being set to 0.0 {reason} "
                    f"no {modifier} samples. Use `zero_division` parameter to control this "
                    "behavior.",
                    UndefinedMetricWarning, stacklevel=4,
                )
        return out

    return (ratio(tp_sum, pred_sum, "precision", "predicted"),
            ratio(tp_sum, true_sum, "recall", "true"),
            ratio(2.0 * tp_sum, 1.0 * true_sum + pred_sum, "f-score", "true nor predicted"))


def _samples_prf(true, pred, task, weight, zero_division=0, warn_for=_PRF):
    """(precision, recall, f1) of each sample over its annotated labels, averaged over the
    samples where the task applies, as scikit-learn's ``average="samples"`` (a sample
    with no true and no predicted label scores ``zero_division``, 0 for ``"warn"``)."""
    j = true.schema.index(task.name)
    rows = true.codes[:, j] >= 0
    tb = true.multilabel[task.name][rows]
    pb = (pred.multilabel[task.name][rows] == 1) & (pred.codes[rows, j] >= 0)[:, None]
    tp = ((tb == 1) & pb).sum(axis=1)
    fp = ((tb == 0) & pb).sum(axis=1)  # a missing true label counts neither way
    fn = ((tb == 1) & ~pb).sum(axis=1)

    fill = 0.0 if isinstance(zero_division, str) else float(zero_division)
    # A sample of weight 0 has no weighted count, as scikit-learn counts it: its ratios
    # score ``zero_division`` (NaN, left out, with np.nan) rather than its own values.
    # (scikit-learn warns of every sample that divides by zero, of weight 0 too.)
    weighed = weight[rows] > 0

    def ratio(num, den, what):
        if zero_division == "warn" and what.lower() in warn_for and (den == 0).any():
            warnings.warn(
                f"{what} is ill-defined and being set to 0.0 on samples with no "
                f"{_MISSING_LABELS[what]} labels of task {task.name!r}. Use `zero_division` "
                "to control this behavior.",
                UndefinedMetricWarning,
            )
        return np.divide(num, den, out=np.full(len(num), fill), where=(den > 0) & weighed)

    scores = (ratio(tp, tp + fp, "Precision"), ratio(tp, tp + fn, "Recall"),
              ratio(2 * tp, 2 * tp + fp + fn, "F-score"))
    return tuple(_nan_average(v, weight[rows]) for v in scores)


#: What a sample lacks where a ratio of ``average="samples"`` divides by zero.
_MISSING_LABELS = {"Precision": "predicted", "Recall": "true", "F-score": "true nor predicted"}


def _nan_average(values, weights):
    """The weighted mean of ``values`` without their NaN (``zero_division=np.nan``), as
    scikit-learn averages them: NaN where every value is NaN, the plain mean where every
    weight is 0."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    values, weights = values[keep], weights[keep]
    return float(np.average(values, weights=weights if weights.sum() > 0 else None))


def _multilabel_prf(true, pred, task, weight, average, zero_division=0, warn_for=_PRF,
                    scores=None):
    """(precision, recall, f1) of a multilabel task; ``scores``: its ``_labels_prf``."""
    if average == "samples":
        return _samples_prf(true, pred, task, weight, zero_division, warn_for)
    if average == "micro":
        return _micro_prf(true, pred, task, weight, zero_division, warn_for)
    if scores is None:
        scores = _labels_prf(true, pred, task, weight, zero_division, warn_for)
    precision, recall, f1, support, annotated = scores
    if not annotated.any():
        return (float("nan"),) * 3
    weights = (np.ones(int(annotated.sum())) if average == "macro"
               else support[annotated])
    return tuple(_nan_average(v[annotated], weights) for v in (precision, recall, f1))


def _per_task(func, Y_true, Y_pred, task, schema, sample_weight, name):
    true, pred = encode_pair(Y_true, Y_pred, schema)
    weight = check_sample_weight(sample_weight, true.n_samples)
    tasks = _selected_tasks(true.schema, task)
    values = {t.name: func(true, pred, t, weight) for t in tasks}
    if task is not None:
        return values[tasks[0].name]
    return pd.Series(values, name=name, dtype=float).rename_axis("task")


_PER_TASK_DOC = """
    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels.
    Y_pred : DataFrame, array-like, list of sets or EncodedLabels
        Predicted labels, in the same form.
    {average}task : str, default=None
        Score this task only (and return a float).
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    {zero_division}
    Returns
    -------
    score : pandas.Series or float
        One value per classification task (indexed by task name), or a float with
        ``task``. NaN for a task without any applicable, annotated sample.
"""

# The parameters of the precision, recall and F1 scores, in their signature's order:
# ``average`` before ``task``, ``zero_division`` after ``sample_weight``.
_AVERAGE_DOC = """average : {"macro", "micro", "weighted", "samples"}, default="macro"
        Averaging over the task's classes (the labels of a multilabel task), as in
        scikit-learn: classes are those seen in the task's true or predicted labels
        (all labels for a multilabel task); a class without true nor predicted
        sample scores ``zero_division``. ``"samples"`` (multilabel tasks only, as in scikit-learn)
        scores each sample over its annotated labels and averages over the samples.
    """

_ZERO_DIVISION_DOC = """zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        The score of a class (label, sample) whose ratio divides by zero (no predicted
        sample for precision, no true sample for recall, neither for F1), as in
        scikit-learn: ``"warn"`` scores 0 with an ``UndefinedMetricWarning``; with
        ``np.nan`` the averages leave it out.
"""


def task_accuracy_score(Y_true, Y_pred, *, task=None, schema=None, sample_weight=None):
    def func(true, pred, t, weight):
        return _task_accuracy(true, pred, t, weight)

    return _per_task(func, Y_true, Y_pred, task, schema, sample_weight, "accuracy")


task_accuracy_score.__doc__ = (
    """Accuracy of each task over its applicable, annotated samples.

    For a multilabel task, the fraction of samples whose labels are all right (subset
    accuracy). A missing or gated-off prediction where the truth has a label is wrong.
    """
    + _PER_TASK_DOC.format(average="", zero_division="")
    + """
    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.metrics import task_accuracy_score
    >>> Y_true = pd.DataFrame({"car": ["yes", "no", "yes"], "size": ["S", "L", None]})
    >>> Y_pred = pd.DataFrame({"car": ["yes", "yes", "yes"], "size": ["S", "L", "M"]})
    >>> task_accuracy_score(Y_true, Y_pred).round(3).to_dict()
    {'car': 0.667, 'size': 1.0}
    """
)


def mean_task_accuracy(Y_true, Y_pred, *, schema=None, sample_weight=None):
    """Mean over tasks of :func:`task_accuracy_score` (tasks without labels left out).

    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels.
    Y_pred : DataFrame, array-like, list of sets or EncodedLabels
        Predicted labels, in the same form.
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.metrics import mean_task_accuracy
    >>> Y_true = pd.DataFrame({"a": [0, 1, 1, 0], "b": ["x", "y", "x", "x"]})
    >>> Y_pred = pd.DataFrame({"a": [0, 1, 0, 0], "b": ["x", "y", "x", "y"]})
    >>> float(mean_task_accuracy(Y_true, Y_pred))
    0.75
    """
    scores = task_accuracy_score(Y_true, Y_pred, schema=schema, sample_weight=sample_weight)
    scores = scores.dropna()
    return float(scores.mean()) if len(scores) else float("nan")


def _make_prf(position, metric):
    def score(Y_true, Y_pred, *, average="macro", task=None, schema=None, sample_weight=None,
              zero_division="warn"):
        _check_average(average)
        _check_zero_division(zero_division)

        def func(true, pred, t, weight):
            return _task_prf(true, pred, t, weight, average, zero_division,
                             (_PRF[position],))[position]

        return _per_task(func, Y_true, Y_pred, task, schema, sample_weight, f"{metric}_{average}")

    return score


task_precision_score = _make_prf(0, "precision")
task_precision_score.__name__ = task_precision_score.__qualname__ = "task_precision_score"
task_precision_score.__doc__ = (
    """Precision of each task over its applicable, annotated samples.

    A missing or gated-off prediction is no prediction of any class: it lowers recall,
    not precision.
    """
    + _PER_TASK_DOC.format(average=_AVERAGE_DOC, zero_division=_ZERO_DIVISION_DOC)
    + """
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mtl.metrics import task_precision_score
    >>> Y_true = np.array([["a", 0], ["b", 1], ["b", 1]], dtype=object)  # a column per task
    >>> Y_pred = np.array([["a", 0], ["a", 1], ["b", 0]], dtype=object)
    >>> task_precision_score(Y_true, Y_pred, average="micro").round(3).to_dict()
    {'task0': 0.667, 'task1': 0.667}
    """
)

task_recall_score = _make_prf(1, "recall")
task_recall_score.__name__ = task_recall_score.__qualname__ = "task_recall_score"
task_recall_score.__doc__ = (
    """Recall of each task over its applicable, annotated samples.
    """
    + _PER_TASK_DOC.format(average=_AVERAGE_DOC, zero_division=_ZERO_DIVISION_DOC)
    + """
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mtl.metrics import task_recall_score
    >>> Y_true = np.array([["a", 0], ["b", 1], ["b", 1]], dtype=object)  # a column per task
    >>> Y_pred = np.array([["a", 0], ["a", 1], ["b", 0]], dtype=object)
    >>> task_recall_score(Y_true, Y_pred, average="macro").round(3).to_dict()
    {'task0': 0.75, 'task1': 0.75}
    """
)

task_f1_score = _make_prf(2, "f1")
task_f1_score.__name__ = task_f1_score.__qualname__ = "task_f1_score"
task_f1_score.__doc__ = (
    """F1 score of each task over its applicable, annotated samples.
    """
    + _PER_TASK_DOC.format(average=_AVERAGE_DOC, zero_division=_ZERO_DIVISION_DOC)
    + """
    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.metrics import task_f1_score
    >>> Y_true = pd.DataFrame({"color": ["red", "blue", None, "red"]})
    >>> Y_pred = pd.DataFrame({"color": ["red", "red", "blue", "red"]})
    >>> float(task_f1_score(Y_true, Y_pred, task="color", average="macro"))
    0.4
    """
)


def label_f1_score(Y_true, Y_pred, *, task=None, schema=None, sample_weight=None,
                   zero_division="warn"):
    """F1 score of each label of the multilabel tasks.

    Each label is a binary problem over the samples where it is annotated; a label
    without true nor predicted positive scores ``zero_division`` (0 with a warning by
    default), as in scikit-learn.

    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels.
    Y_pred : DataFrame, array-like, list of sets or EncodedLabels
        Predicted labels, in the same form.
    task : str, default=None
        Only this multilabel task (the result is then indexed by label).
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        The score of a label without true nor predicted positive, as in scikit-learn.

    Returns
    -------
    f1 : pandas.Series
        Indexed by (task, label), or by label with ``task``. Empty when there is no
        multilabel task.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl.metrics import label_f1_score
    >>> Y_true = pd.DataFrame({"tags": [["a"], ["a", "b"], ["b"], []]})
    >>> Y_pred = pd.DataFrame({"tags": [["a"], ["a"], ["b"], ["b"]]})
    >>> label_f1_score(Y_true, Y_pred, task="tags").round(3).to_dict()
    {'a': 1.0, 'b': 0.5}
    """
    _check_zero_division(zero_division)
    true, pred = encode_pair(Y_true, Y_pred, schema)
    weight = check_sample_weight(sample_weight, true.n_samples)
    if task is not None:
        found = true.schema.named(task)
        if found.kind != "multilabel":
            raise ValueError(
                f"Task {task!r} is a {found.kind} task; label_f1_score scores the labels of "
                "multilabel tasks (use task_f1_score for the others)."
            )
        tasks = [found]
    else:
        tasks = [t for t in true.schema if t.kind == "multilabel"]
    index, values = [], []
    for t in tasks:
        # the stand-in label of a task whose label sets are all empty is no label: not
        # scored either (its F1 warned of a label with no true nor predicted sample)
        shown = [k for k, label in enumerate(t.classes) if not is_placeholder(label)]
        if not shown:
            continue
        f1 = _labels_prf(true, pred, t, weight, zero_division, ("f-score",))[2]
        index.extend((t.name, t.classes[k]) for k in shown)
        values.extend(f1[k] for k in shown)
    if task is not None:
        return pd.Series(values, index=pd.Index([i[1] for i in index], name="label"),
                         name="f1", dtype=float)
    return pd.Series(values, index=pd.MultiIndex.from_tuples(index, names=["task", "label"])
                     if index else pd.MultiIndex.from_tuples([], names=["task", "label"]),
                     name="f1", dtype=float)


# -------------------------------------------------------------------------- report
REPORT_METRICS = [
    "accuracy",
    "precision_macro", "recall_macro", "f1_macro",
    "precision_micro", "recall_micro", "f1_micro",
    "precision_weighted", "recall_weighted", "f1_weighted",
]


def task_report(Y_true, Y_pred, *, schema=None, sample_weight=None, zero_division="warn"):
    """Per-task (and per-label for multilabel tasks) metrics in one table.

    Parameters
    ----------
    Y_true : DataFrame, array-like, list of sets or EncodedLabels
        True labels.
    Y_pred : DataFrame, array-like, list of sets or EncodedLabels
        Predicted labels, in the same form.
    schema : Schema, list of Task, StructuredLabelEncoder or fitted estimator, default=None
        Tells gated-off labels from missing ones.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        The score of a class (label) whose precision, recall or F1 divides by zero, as
        in scikit-learn's ``classification_report``.

    Returns
    -------
    report : DataFrame
        Indexed by (task, label): one row per classification task (label ``""``) and,
        after a multilabel task's row, one row per label. Columns: ``kind``,
        ``n_labelled`` (samples where the task -- or label -- is applicable and
        annotated), ``n_missing``, ``n_not_applicable``, ``accuracy`` and precision,
        recall and F1 with macro, micro and weighted averages. On a label's row the
        three averages coincide: they are the label's binary scores.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl import Task
    >>> from sklearn_mtl.metrics import task_report
    >>> tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    >>> Y_true = pd.DataFrame({"car": ["yes", "no", "yes", "yes"],
    ...                        "color": ["red", None, "blue", None]})
    >>> Y_pred = pd.DataFrame({"car": ["yes", "no", "yes", "no"],
    ...                        "color": ["red", None, "red", None]})
    >>> report = task_report(Y_true, Y_pred, schema=tasks)
    >>> columns = ["n_labelled", "n_missing", "n_not_applicable", "accuracy"]
    >>> report[columns]  # doctest: +NORMALIZE_WHITESPACE
                n_labelled  n_missing  n_not_applicable  accuracy
    task  label
    car                  4          0                 0      0.75
    color                2          1                 1      0.50
    """
    _check_zero_division(zero_division)
    true, pred = encode_pair(Y_true, Y_pred, schema)
    weight = check_sample_weight(sample_weight, true.n_samples)
    rows, index = [], []
    for task in _selected_tasks(true.schema, None):
        j = true.schema.index(task.name)
        codes = true.codes[:, j]
        row = {
            "kind": task.kind,
            "n_labelled": int((codes >= 0).sum()),
            "n_missing": int((codes == MISSING).sum()),
            "n_not_applicable": int((codes == NOT_APPLICABLE).sum()),
            "accuracy": _task_accuracy(true, pred, task, weight),
        }
        scores = (_labels_prf(true, pred, task, weight, zero_division)
                  if task.kind == "multilabel" else None)
        for average in _AVERAGES:
            p, r, f = _task_prf(true, pred, task, weight, average, zero_division,
                                scores=scores)
            row.update({f"precision_{average}": p, f"recall_{average}": r, f"f1_{average}": f})
        rows.append(row)
        index.append((task.name, ""))
        if task.kind != "multilabel":
            continue
        for k, label in enumerate(task.classes):
            if is_placeholder(label):  # the stand-in of label sets that are all empty
                continue
            labelled, tb, pb = _label_arrays(true, pred, task, k)
            n_na = int((codes == NOT_APPLICABLE).sum())
            p, r, f = (float(v[k]) for v in scores[:3])
            if scores[4][k]:
                acc = float(np.average(tb[labelled] == pb[labelled], weights=weight[labelled]))
            else:
                acc = float("nan")
            row = {
                "kind": "label",
                "n_labelled": int(labelled.sum()),
                "n_missing": int(len(codes) - labelled.sum() - n_na),
                "n_not_applicable": n_na,
                "accuracy": acc,
            }
            for average in _AVERAGES:
                row.update({f"precision_{average}": p, f"recall_{average}": r, f"f1_{average}": f})
            rows.append(row)
            index.append((task.name, _label_name(label)))
    columns = ["kind", "n_labelled", "n_missing", "n_not_applicable"] + REPORT_METRICS
    return pd.DataFrame(
        rows, columns=columns, index=pd.MultiIndex.from_tuples(index, names=["task", "label"])
    )


def _label_name(label):
    if isinstance(label, (np.generic,)):
        label = label.item()
    return label if isinstance(label, (str, numbers.Number)) else str(label)
