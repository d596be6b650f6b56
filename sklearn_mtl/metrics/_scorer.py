"""Scorers for model selection (``GridSearchCV(scoring=...)``, ``cross_validate``)."""

from __future__ import annotations

import numbers

import pandas as pd
from sklearn.metrics._scorer import _BaseScorer

from .._validation import check_row_order
from ._classification import (
    exact_match_score,
    hamming_loss,
    mean_task_accuracy,
    task_accuracy_score,
    task_f1_score,
    task_precision_score,
    task_recall_score,
)
from ._inputs import _encoder_of, encode_pair


class _StructuredScorer(_BaseScorer):
    """Callable ``scorer(estimator, X, Y)``: predict ``X``, compare with ``Y``.

    The estimator's schema (``encoder_``, also through a pipeline's final step, a
    search's ``best_estimator_`` or a wrapper's ``estimator_``: in nested
    cross-validation a fitted search scores as its best estimator does) tells gated-off
    labels from missing ones; a class of ``Y`` that the estimator never saw in
    its training fold is added to the schema rather than raising. Greater is better:
    losses are negated.

    A scikit-learn scorer in every other way: ``scorer(estimator, X, Y,
    sample_weight=w)``; in a dict of scorers (``cross_validate(scoring={...})``,
    ``permutation_importance(sample_weight=...)``) it takes the sample weights as
    scikit-learn's own scorers do; with metadata routing enabled,
    ``set_score_request(sample_weight=True)`` asks for them.
    """

    def __init__(self, name, func, sign=1, kwargs=None):
        super().__init__(func, sign, dict(kwargs or {}), response_method="predict")
        self._name = name

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        # predict is called directly: scikit-learn's cached call reads classes_ as one
        # task's classes, which a multi-task estimator's (one array per task) are not
        Y_pred = estimator.predict(X)
        # Rows are matched by position: warn, as score does, where X's and Y's indexes
        # hold the same rows in another order. Y_pred's rows are X's, whatever its index
        # (from 0 for an X without one): compared with Y's, it would warn of a
        # shuffled Y that is aligned with X, and advise mending Y_pred.
        check_row_order(X, y_true, names=("X", "y"), align="y = y.loc[X.index]")
        if isinstance(Y_pred, (pd.DataFrame, pd.Series)) and isinstance(
            y_true, (pd.DataFrame, pd.Series)
        ) and len(Y_pred) == len(y_true):
            Y_pred = Y_pred.set_axis(y_true.index, axis=0)
        encoder = _encoder_of(estimator)
        true, pred = encode_pair(y_true, Y_pred, encoder, extend_classes=True)
        if "task" in self._kwargs and encoder is not None:
            _check_task_scored(self._kwargs["task"], true.schema, encoder.schema_)
        return self._sign * self._score_func(true, pred, **{**self._kwargs, **kwargs})

    def __repr__(self):
        if "task" in self._kwargs:
            return f"make_task_scorer({self._name!r}, task={self._kwargs['task']!r})"
        return f"<{self._name} scorer>"


def _check_task_scored(task, scored, fitted):
    """A ValueError that says why ``task``, one of the estimator's tasks, is not among
    those ``Y`` is scored as: a 0/1 indicator matrix, which the estimator fitted as one
    binary task per column, is scored as multi-label data, one multilabel task."""
    if not (len(scored) == 1 and scored.tasks[0].kind == "multilabel"):
        return
    try:
        scored.index(task)
        return
    except ValueError:
        pass
    try:
        name = fitted.names[fitted.index(task)]
    except ValueError:
        # a column of the matrix, as ClassifierChain's order names it
        if not (isinstance(task, numbers.Integral) and 0 <= task < len(fitted)):
            return  # the metric's own error: a task of neither
        name = fitted.names[task]
    raise ValueError(
        f"Task {task!r} is the estimator's task {name!r} (of {fitted.names}), but a 0/1 "
        "indicator matrix Y is scored as multi-label data: one multilabel task "
        f"{scored.names[0]!r} whose labels are its columns. Score them together with "
        f"task={scored.names[0]!r}, or give Y as a DataFrame whose columns are the "
        f"task names (pd.DataFrame(Y, columns={fitted.names})) to score {name!r} as a "
        "binary task."
    )


def _regression_score(true, pred, *, task, metric, scorer, sample_weight=None):
    """scikit-learn's regression ``metric`` of the regression task ``task`` over the
    samples with a true value; NaN where none has one or where a prediction is empty
    (its gate predicted off), as :func:`~sklearn_mtl.compare` reports it."""
    import numpy as np
    from sklearn import metrics

    spec = true.schema.named(task)
    if spec.kind != "regression":
        raise ValueError(
            f"Task {task!r} is a {spec.kind} task; {scorer!r} scores a regression task. For "
            "a classification task use 'accuracy', 'f1_macro', ..."
        )
    t, p = true.regression[spec.name], pred.regression[spec.name]
    rows = ~np.isnan(t)
    if not rows.any() or np.isnan(p[rows]).any():
        return float("nan")
    weight = None if sample_weight is None else np.asarray(sample_weight)[rows]
    return float(getattr(metrics, metric)(t[rows], p[rows], sample_weight=weight))


_TASK_METRICS = {"accuracy": (task_accuracy_score, {})}
for _metric, _func in (
    ("precision", task_precision_score),
    ("recall", task_recall_score),
    ("f1", task_f1_score),
):
    for _average in ("macro", "micro", "weighted", "samples"):
        _TASK_METRICS[f"{_metric}_{_average}"] = (_func, {"average": _average})
#: A regression task's metrics, named as scikit-learn's scorers (losses negated).
_REGRESSION_SCORERS = {
    "r2": ("r2_score", 1),
    "neg_mean_absolute_error": ("mean_absolute_error", -1),
    "neg_mean_squared_error": ("mean_squared_error", -1),
    "neg_root_mean_squared_error": ("root_mean_squared_error", -1),
}


def make_task_scorer(metric, *, task):
    """A scorer of one task's metric, for ``GridSearchCV(scoring=...)``.

    Parameters
    ----------
    metric : str
        ``"accuracy"``, or ``"precision_<average>"``, ``"recall_<average>"``,
        ``"f1_<average>"`` with ``<average>`` one of ``macro``, ``micro``, ``weighted``,
        or (for a multilabel task) ``samples``. For a regression task, one of
        scikit-learn's scorer names ``"r2"``, ``"neg_mean_absolute_error"``,
        ``"neg_mean_squared_error"``, ``"neg_root_mean_squared_error"``, over the
        samples with a value (NaN where a prediction is empty: its gate predicted off).
    task : str or int
        The task to score: its name, or its column label in ``Y`` (the ``0`` of
        ``pd.DataFrame(array)``).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, Y, sample_weight=None)`` returning a float (greater is
        better).

    See Also
    --------
    exact_match_scorer, mean_task_accuracy_scorer, neg_hamming_loss_scorer

    Examples
    --------
    >>> from sklearn_mtl.metrics import make_task_scorer
    >>> make_task_scorer("f1_macro", task="color")
    make_task_scorer('f1_macro', task='color')
    """
    known = [*_TASK_METRICS, *_REGRESSION_SCORERS]
    if metric not in known:
        raise ValueError(f"Unknown task metric {metric!r}; expected one of {known}.")
    if not isinstance(task, (str, numbers.Integral)) or isinstance(task, bool):
        raise ValueError(
            f"task must be a task name (a str, or the int column label of a Y such as "
            f"pd.DataFrame(array)); got {task!r}."
        )
    if metric in _REGRESSION_SCORERS:
        name, sign = _REGRESSION_SCORERS[metric]
        return _StructuredScorer(metric, _regression_score, sign=sign,
                                 kwargs={"task": task, "metric": name, "scorer": metric})
    func, kwargs = _TASK_METRICS[metric]
    return _StructuredScorer(metric, func, kwargs={**kwargs, "task": task})


#: Scorer of :func:`exact_match_score`.
exact_match_scorer = _StructuredScorer("exact_match", exact_match_score)
#: Scorer of :func:`mean_task_accuracy`.
mean_task_accuracy_scorer = _StructuredScorer("mean_task_accuracy", mean_task_accuracy)
#: Scorer of minus :func:`hamming_loss` (greater is better).
neg_hamming_loss_scorer = _StructuredScorer("neg_hamming_loss", hamming_loss, sign=-1)
