"""Scorers for model selection (``GridSearchCV(scoring=...)``, ``cross_validate``)."""

from __future__ import annotations

import copy
import functools
import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    fbeta_score,
    get_scorer,
    jaccard_score,
    precision_score,
    recall_score,
    zero_one_loss,
)
from sklearn.metrics import hamming_loss as _sklearn_hamming_loss
from sklearn.metrics._scorer import _BaseScorer, _Scorer
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples

from .._validation import check_row_order, check_weight_order
from ._classification import (
    exact_match_score,
    hamming_loss,
    mean_task_accuracy,
    task_accuracy_score,
    task_f1_score,
    task_precision_score,
    task_recall_score,
)
from ._inputs import _encoder_of, as_sample_weight, encode_pair, encode_truth


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
        _check_same_rows(X, y_true)
        # predict is called directly: scikit-learn's cached call reads classes_ as one
        # task's classes, which a multi-task estimator's (one array per task) are not
        Y_pred = estimator.predict(X)
        _check_scored_columns(estimator, y_true, Y_pred)
        # Rows are matched by position: warn, as score does, where X's and Y's indexes
        # hold the same rows in another order. Y_pred's rows are X's, whatever its index
        # (from 0 for an X without one): compared with Y's, it would warn of a
        # shuffled Y that is aligned with X, and advise mending Y_pred.
        check_row_order(X, y_true, names=("X", "y"), align="y = y.loc[X.index]")
        check_weight_order(X, kwargs.get("sample_weight"))  # as score checks them
        if isinstance(Y_pred, (pd.DataFrame, pd.Series)) and isinstance(
            y_true, (pd.DataFrame, pd.Series)
        ) and len(Y_pred) == len(y_true):
            Y_pred = Y_pred.set_axis(y_true.index, axis=0)
        encoder = _encoder_of(estimator)
        true, pred = encode_pair(y_true, Y_pred, encoder, extend_classes=True)
        scoring = dict(self._kwargs)
        if "task" in scoring and encoder is not None:
            scoring["task"] = _task_of_column(scoring["task"], encoder)
            _check_task_scored(scoring["task"], true.schema, encoder.schema_)
        return self._sign * self._score_func(true, pred, **{**scoring, **kwargs})

    def __repr__(self):
        if "task" in self._kwargs:
            return f"make_task_scorer({self._name!r}, task={self._kwargs['task']!r})"
        return f"<{self._name} scorer>"


def _check_same_rows(X, y_true):
    """scikit-learn's error where ``X`` and ``y`` have different numbers of samples: the
    predictions of ``X`` are compared with ``y`` row by row (a task's scored rows would
    pick predictions of other samples)."""
    try:
        lengths = [_num_samples(X), _num_samples(y_true)]
    except TypeError:  # a form without a length (a dict of inputs): the metric reads it
        return
    if lengths[0] != lengths[1]:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: {lengths} (X has "
            f"{lengths[0]} samples, y {lengths[1]}); expected one row of y per sample of X."
        )


def _check_scored_columns(estimator, y_true, Y_pred):
    """A ValueError about ``y`` (not the predictions, which the user did not pass) where
    its columns are not those the estimator predicts, the columns it was fitted on."""
    if not (isinstance(y_true, pd.DataFrame) and isinstance(Y_pred, pd.DataFrame)):
        return
    given, fitted = [str(c) for c in y_true.columns], [str(c) for c in Y_pred.columns]
    if set(given) != set(fitted):
        unknown = [c for c in given if c not in fitted]
        absent = [c for c in fitted if c not in given]
        raise ValueError(
            f"y has the columns {given}, but {type(estimator).__name__} was fitted on "
            f"{fitted}" + (f"; y lacks {absent}" if absent else "")
            + (f"; y has columns it was not fitted on: {unknown}" if unknown else "")
            + ". Expected y with the columns of the Y the estimator was fitted on."
        )


class _TaskResponses:
    """One task of a fitted multi-task estimator, seen by scikit-learn's scorers as a
    single-output classifier of that task's scored rows.

    Its methods take the positions of those rows in the ``X`` it was made with (the
    estimator predicts all of ``X``, as for any scorer, and the rows are picked from
    its output) and return that task's column: ``classes_`` is the task's fitted
    classes sorted, as a classifier fitted on the column alone has them, and the
    ``predict_proba`` columns follow, so that scikit-learn picks the positive class
    (``classes_[-1]``) and reads ``labels`` exactly as it does for that classifier. A
    multilabel task's ``predict_proba`` is its (n_samples, n_labels) block, as a
    multi-label classifier's; ``predict`` gives its 0/1 labels.
    """

    def __init__(self, estimator, X, position, task, predict, tasks):
        self._estimator, self._X, self._position = estimator, X, position
        self._task, self._predict, self._tasks = task, predict, list(tasks)
        self._order = slice(None)
        if task.kind != "multilabel":
            classes = np.asarray(list(task.classes))
            try:
                self._order = np.argsort(classes, kind="stable")
            except TypeError:  # classes that do not sort: the task's order
                self._order = np.arange(len(classes))
            # scikit-learn's metrics read probability columns in sorted class order
            # (np.unique of y, or of labels=), as a fitted classifier's classes_ are;
            # a task's classes are in its declared order (["r", "g", "b"]).
            self.classes_ = classes[self._order]

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        # A multilabel task is no classifier to scikit-learn's response helpers: they
        # would read classes_ as one output's; its block goes to the metric as it is.
        multilabel = self._task.kind == "multilabel"
        return Tags(estimator_type=None if multilabel else "classifier",
                    target_tags=TargetTags(required=True),
                    classifier_tags=None if multilabel else ClassifierTags())

    # Only the responses the estimator has, so that scikit-learn's scorers pick the one
    # they pick on a classifier of the column: "roc_auc", "average_precision" and
    # "top_k_accuracy" take decision_function first (the only one of a LinearSVC).
    @available_if(lambda self: hasattr(self._estimator, "predict_proba"))
    def predict_proba(self, rows):
        proba = self._estimator.predict_proba(self._X)
        if isinstance(proba, list):
            proba = proba[self._position]
        return np.asarray(proba)[rows][:, self._order]

    @available_if(lambda self: hasattr(self._estimator, "decision_function"))
    def decision_function(self, rows):
        decision = self._estimator.decision_function(self._X)
        if isinstance(decision, list):
            decision = decision[self._position]
        elif np.ndim(decision) == 2 and all(t.kind == "binary" for t in self._tasks):
            # one column per task where every task is binary (scikit-learn's multi-label
            # layout, which a 1-column DataFrame Y of one binary task gets too)
            decision = np.asarray(decision)[:, self._position]
        decision = np.asarray(decision)[rows]
        if self._task.kind == "multilabel" or decision.ndim == 2:
            return decision[:, self._order]
        # a binary task's score is its second declared class's: that of the last sorted
        # class (scikit-learn's positive class) where the declared order is sorted
        return decision if self._order[-1] == len(self._order) - 1 else -decision

    def predict(self, rows):
        return self._predict(rows)


def _indicator_frame(Y, names):
    """A 0/1 indicator matrix (an array, a sparse matrix) as a DataFrame of the fitted
    task ``names``; a DataFrame as it is."""
    if isinstance(Y, (pd.DataFrame, pd.Series)):
        return Y
    values = Y.toarray() if sp.issparse(Y) else np.asarray(Y)
    if values.ndim != 2 or values.shape[1] != len(names):
        return Y  # not the fitted matrix's form: refused as it was
    return pd.DataFrame(values, columns=list(names))


def _proba_task_score(estimator, X, y_true, *, scorer, task, metric, **kwargs):
    """scikit-learn's ``scorer`` on one task's column: over the samples whose label of
    ``task`` is known and applicable (every label known, for a multilabel task), with
    ``sample_weight`` and other routed metadata cut to those samples."""
    encoder = _encoder_of(estimator)
    if encoder is None:
        raise ValueError(
            f"make_task_scorer({metric!r}, task={task!r}) scores a fitted sklearn-mtl "
            f"estimator (one with encoder_, possibly in a pipeline, search or wrapper); "
            f"got {type(estimator).__name__}."
        )
    task = _task_of_column(task, encoder)
    fitted = encoder.schema_
    indicator = getattr(getattr(encoder, "_reader", None), "indicator", False)
    if indicator and task == "labels" and "labels" not in fitted.names:
        # The metrics' name of a 0/1 indicator matrix: scikit-learn's scorer on the whole
        # matrix, as it scores a MultiOutputClassifier fitted on it.
        return _indicator_score(estimator, X, y_true, encoder, scorer, metric, **kwargs)
    try:
        position = fitted.index(task)
    except ValueError:
        # a column of an indicator matrix, by position (as ClassifierChain's order names it)
        if not (indicator and isinstance(task, numbers.Integral) and 0 <= task < len(fitted)):
            raise
        position = task
    spec = fitted.tasks[position]
    if spec.kind == "regression" and metric not in _SKLEARN_SCORERS:
        # a scorer of make_scorer: scikit-learn's regression metrics run as on a regressor
        return _regression_task_score(estimator, X, y_true, encoder, spec, scorer, metric,
                                      kwargs)
    if spec.kind == "regression":
        raise ValueError(
            f"Task {spec.name!r} is a regression task; {metric!r} scores a classification "
            "task. For a regression task use 'r2', 'neg_mean_absolute_error', ..."
        )
    true = encode_truth(y_true, encoder)
    scored = true.schema.named(spec.name)
    codes = true.codes[:, position]
    # scikit-learn's precision, recall, F-beta or Jaccard averaged over classes: scored on
    # the class codes, with the classes shown passed as labels (_with_shown_labels)
    set_wise = spec.kind != "multilabel" and _averages_classes(scorer)
    if spec.kind == "multilabel":
        block = true.multilabel[spec.name]
        rows = np.flatnonzero((codes >= 0) & (block >= 0).all(axis=1))
        y = block[rows].astype(np.int64)
        unseen = list(scored.classes)[len(spec.classes):]
        if unseen and _response_methods(scorer) != ("predict",):
            # a label given only where this model was not trained (the label sets of a
            # test fold): its predicted labels never hold it, and score as errors, but
            # predict_proba has no column for it
            raise ValueError(
                f"Task {spec.name!r} has the label(s) {unseen} in y, which the estimator "
                f"did not see in training: its {_response_methods(scorer)[0]} has no column "
                f"for them, so {metric!r} cannot score them. Give the model every label of "
                "the whole Y, tasks=StructuredLabelEncoder().fit(Y).schema_, so that every "
                "fold learns the same labels."
            )
    else:
        rows = np.flatnonzero(codes >= 0)
        if (codes[rows] >= len(spec.classes)).any():
            seen = [scored.classes[c] for c in np.unique(codes[rows])
                    if c >= len(spec.classes)]
            raise ValueError(
                f"Task {spec.name!r} has the class(es) {seen} in y, which the estimator did "
                f"not see in training: its predict_proba has no column for them, so "
                f"{metric!r} cannot score them. Give the model every class of the whole Y, "
                "tasks=StructuredLabelEncoder().fit(Y).schema_, so that every fold learns "
                "the same classes."
            )
        y = codes[rows] if set_wise else np.asarray(list(spec.classes))[codes[rows]]

    def predicted(positions):
        # The task's predicted labels: a prediction that switched its gate off, where
        # the truth has a label, is wrong, a value outside the task's classes.
        pred = estimator.predict(X)
        if isinstance(pred, (pd.DataFrame, pd.Series)) and isinstance(
            y_true, (pd.DataFrame, pd.Series)
        ) and len(pred) == len(y_true):
            pred = pred.set_axis(y_true.index, axis=0)
        truth = y_true
        if indicator:  # read as the fitted columns, one binary task each: a bare 0/1
            # matrix is read here as one multilabel task, whose one column of codes
            # was scored as the task at ``position`` (0.0 for "f1", an IndexError past it)
            truth, pred = (_indicator_frame(v, fitted.names) for v in (y_true, pred))
        _, p = encode_pair(truth, pred, encoder, extend_classes=True)
        if spec.kind == "multilabel":
            # a task predicted gated off has none of its labels on: no positive
            # prediction, as task_precision_score counts it
            block = np.maximum(p.multilabel[spec.name][positions], 0).astype(np.int64)
            off = p.codes[positions, position] < 0
            if off.any() and getattr(scorer, "_score_func", None) in _COUNTS_NEGATIVES:
                # accuracy_score, zero_one_loss and hamming_loss count a label off in
                # both as right: an all-zero row would match an empty truth row. Wrong
                # on each label, as task_accuracy_score and hamming_loss count it.
                block[off] = 1 - true.multilabel[spec.name][positions][off]
            return block
        pcodes = p.codes[:, position][positions]
        if set_wise:
            # -1, a prediction that switched the gate off, is outside the labels: a
            # miss of the true class, no prediction of another, and no class of its
            # own in the average (as task_f1_score counts it)
            return np.where(pcodes >= 0, pcodes, -1)
        classes = np.asarray(list(spec.classes))
        if (pcodes >= 0).all():
            return classes[pcodes]
        if spec.kind == "binary":
            # a third value would make the column multiclass, which the binary metrics
            # ("f1", make_scorer(f1_score, pos_label=...)) refuse, and bools have none.
            # For those, which score the positive class alone, it is the negative class:
            # no prediction of the positive one, a false negative where the truth is
            # positive and no false positive, as task_precision_score counts it. For
            # the others ("matthews_corrcoef", "balanced_accuracy") it is the class the
            # truth is not: wrong.
            positive = _binary_positive(scorer, classes)
            fill = (np.where(codes[positions] == 0, 1, 0) if positive is None
                    else 1 - positive)
            return classes[np.where(pcodes >= 0, pcodes, fill)]
        if classes.dtype.kind in "iuf":
            off = classes.min() - 1
        else:
            off = "<gated off>" if classes.dtype.kind == "U" else None
            classes = classes.astype(object)
        out = classes[np.maximum(pcodes, 0)]
        out[pcodes < 0] = off
        return out

    view = _TaskResponses(estimator, X, position, spec, predicted, fitted.tasks)
    _check_responses(scorer, view, estimator, spec.name, metric)
    if set_wise:
        scorer = _with_shown_labels(scorer)
    try:
        return _call_on_rows(scorer, view, rows, y, len(codes), kwargs)
    except ValueError as exc:
        # scikit-learn's "average_precision" (pos_label=1) and "neg_brier_score" refuse
        # text labels without a positive class, as on a classifier of the column; say
        # which task it is, and how to name the class with this module's scorers
        if spec.kind != "binary" or "pos_label" in scorer._kwargs or "pos_label" not in str(
                exc):
            # scikit-learn's own words ("y_true contains only one label", "Number of
            # classes in y_true not equal to ..."), which named no task
            raise ValueError(f"{metric!r} of task {spec.name!r}: {exc}") from exc
        func = getattr(scorer._score_func, "__name__", "metric")
        classes = view.classes_.tolist()
        loss = ", greater_is_better=False" if scorer._sign < 0 else ""
        raise ValueError(
            f"{metric!r} of task {spec.name!r}, whose classes are {classes}: {exc} Name the "
            f"positive class as for scikit-learn's scorer: make_task_scorer(make_scorer("
            f"{func}, pos_label={classes[-1]!r}{loss}, response_method="
            f"{scorer._response_method!r}), task={task!r})."
        ) from exc


def _response_methods(scorer):
    """The methods ``scorer`` may call, as a tuple (scikit-learn's ``response_method``
    is a name or a list of names)."""
    methods = scorer._response_method
    return (methods,) if isinstance(methods, str) else tuple(methods)


#: scikit-learn's metrics that count each class (each label) apart, from the counts of
#: true and predicted positives: a prediction outside ``labels`` misses its true class
#: and is no prediction of any class given.
_SET_WISE = (f1_score, fbeta_score, precision_score, recall_score, jaccard_score)
#: scikit-learn's metrics that count a label off in truth and prediction as right.
_COUNTS_NEGATIVES = (accuracy_score, zero_one_loss, _sklearn_hamming_loss)


def _averages_classes(scorer):
    """Whether ``scorer``'s metric is scikit-learn's precision, recall, F-beta or Jaccard
    averaged over the classes (``average`` macro, micro, weighted or samples) and the
    user gave no ``labels`` (``labels=None``, scikit-learn's default, gives none)."""
    kwargs = getattr(scorer, "_kwargs", {})
    return (getattr(scorer, "_score_func", None) in _SET_WISE
            and kwargs.get("average", "binary") not in ("binary", None)
            and kwargs.get("labels") is None)


def _with_shown_labels(scorer):
    """A copy of ``scorer`` whose metric, given class codes, is given as ``labels`` the
    codes that the truth or the predictions show, as scikit-learn infers them from a
    classifier's column, less -1 (a prediction that switched the gate off): without it,
    -1 was a class of its own, which scored 0 in a macro average and took precision
    from a micro one."""
    func = scorer._score_func

    @functools.wraps(func)
    def score_func(y_true, y_pred, labels=None, **kwargs):
        shown = np.union1d(y_true, y_pred)
        return func(y_true, y_pred, labels=shown[shown >= 0], **kwargs)

    scorer = copy.copy(scorer)
    scorer._score_func = score_func
    return scorer


def _binary_positive(scorer, classes):
    """The code (0 or 1) of the positive class where ``scorer``'s metric scores it alone
    (scikit-learn's precision, recall, F-beta and Jaccard of ``average="binary"``, their
    default), else None (a ``pos_label`` outside ``classes`` is left to scikit-learn's
    error)."""
    if getattr(scorer, "_score_func", None) not in _SET_WISE:
        return None
    kwargs = scorer._kwargs
    if kwargs.get("average", "binary") != "binary":
        return None
    found = [code for code, value in enumerate(classes.tolist())
             if value == kwargs.get("pos_label", 1)]
    return found[0] if len(found) == 1 else None


def _regression_task_score(estimator, X, y_true, encoder, spec, scorer, metric, kwargs):
    """scikit-learn's ``scorer`` (of ``response_method="predict"``) on the regression
    task ``spec``'s column, as on a regressor fitted on it: over the samples with a true
    value, ``sample_weight`` cut to them; NaN where none has one or where a prediction is
    empty (its gate predicted off), as :func:`_regression_score` gives it."""
    methods = scorer._response_method
    if "predict" not in _response_methods(scorer):
        raise ValueError(
            f"Task {spec.name!r} is a regression task, which has no {methods!r}; "
            f"{metric} needs it. Score a regression task with a scorer of "
            "response_method='predict' (make_scorer's default), or 'r2', "
            "'neg_mean_absolute_error', ..."
        )
    true = encode_truth(y_true, encoder)
    values = true.regression[spec.name]
    rows = np.flatnonzero(~np.isnan(values))
    if not len(rows):
        return float("nan")
    pred = estimator.predict(X)
    if isinstance(pred, (pd.DataFrame, pd.Series)) and isinstance(
        y_true, (pd.DataFrame, pd.Series)
    ) and len(pred) == len(y_true):
        pred = pred.set_axis(y_true.index, axis=0)
    predicted = encode_pair(y_true, pred, encoder, extend_classes=True)[1].regression[
        spec.name]
    if np.isnan(predicted[rows]).any():
        return float("nan")
    view = _Multilabel(None, lambda positions: predicted[positions])  # no classifier
    return _call_on_rows(scorer, view, rows, values[rows], len(values), kwargs)


def _indicator_score(estimator, X, y_true, encoder, scorer, metric, **kwargs):
    """scikit-learn's ``scorer`` on a 0/1 indicator matrix, over its fully labelled rows:
    each column's P(label = 1) side by side, as scikit-learn stacks a
    ``MultiOutputClassifier``'s."""
    true = encode_truth(y_true, encoder)
    rows = np.flatnonzero((true.codes >= 0).all(axis=1))
    fitted = list(encoder.schema_.tasks)
    # the code of a column's class 1 (its classes are 0 and 1, or 1 alone)
    ones = [list(t.classes).index(1) if 1 in list(t.classes) else -3 for t in fitted]
    y = (true.codes[rows] == np.array(ones)).astype(np.int64)

    def decision(positions):
        # one column per label, the score of its class 1 (ClassifierChain's layout)
        values = np.asarray(estimator.decision_function(X), dtype=float)
        values = values.reshape(len(values), -1)[positions]
        sign = [1.0 if one == 1 else -1.0 if one == 0 and len(t.classes) == 2 else 0.0
                for one, t in zip(ones, fitted)]
        return values * np.array(sign)

    labels = _Multilabel(
        (lambda positions: np.column_stack([
            p[positions, ones[j]] if ones[j] >= 0 else np.zeros(len(positions))
            for j, p in enumerate(estimator.predict_proba(X))]))
        if hasattr(estimator, "predict_proba") else None,
        lambda positions: np.asarray(estimator.predict(X))[positions],
        decision if hasattr(estimator, "decision_function") else None,
    )
    _check_responses(scorer, labels, estimator, "labels", metric)
    return _call_on_rows(scorer, labels, rows, y, len(true.codes), kwargs)


class _Multilabel:
    """Responses of a multi-label model to scikit-learn's scorers: not a classifier to
    its response helpers, which would read ``classes_`` as one output's (nor those of a
    regression task, whose ``predict`` they read as a regressor's)."""

    def __init__(self, proba, predict, decision=None):
        self._proba, self._predict, self._decision = proba, predict, decision

    @available_if(lambda self: self._proba is not None)
    def predict_proba(self, rows):
        return self._proba(rows)

    @available_if(lambda self: self._decision is not None)
    def decision_function(self, rows):
        return self._decision(rows)

    def predict(self, rows):
        return self._predict(rows)

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=True))


def _check_responses(scorer, view, estimator, task, metric):
    """An AttributeError in scikit-learn's words, about the estimator (not this module's
    view of its task), where it has none of the responses ``scorer`` reads."""
    methods = scorer._response_method
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    if not any(hasattr(view, method) for method in methods):
        name = repr(metric) if metric in _SKLEARN_SCORERS else metric  # a name, or a repr
        raise AttributeError(
            f"{type(estimator).__name__} has none of the following attributes: "
            f"{', '.join(methods)}. {name} of task {task!r} needs one of them, as "
            "on a classifier of the task's column."
        )


def _call_on_rows(scorer, view, rows, y, n_samples, kwargs):
    """``scorer(view, rows, y)`` with the per-sample metadata (``sample_weight``) cut to
    ``rows``; NaN where no row is scored."""
    if not len(rows):
        return float("nan")
    cut = {k: (np.asarray(v)[rows] if v is not None and np.ndim(v) and len(v) == n_samples
               else v) for k, v in kwargs.items()}
    return scorer(view, rows, y, **cut)


class _StructuredTaskScorer(_BaseScorer):
    """``scorer(estimator, X, Y)``: scikit-learn's scorer on one task's column (see
    :func:`make_task_scorer`); sample weights are taken as :class:`_StructuredScorer`
    takes them."""

    def __init__(self, name, scorer, task):
        super().__init__(scorer._score_func, scorer._sign, dict(scorer._kwargs),
                         response_method=scorer._response_method)
        self._name, self._scorer, self._task = name, scorer, task
        requested = getattr(scorer, "_metadata_request", None)
        if requested is not None:
            # what the wrapped scorer's set_score_request asks for, as scikit-learn's
            # _CurveScorer.from_scorer carries it over (else cross_validate refused the
            # weights it asks for: "not explicitly set as requested")
            self._metadata_request = MetadataRequest(owner=self)
            for param, alias in requested.score.requests.items():
                self._metadata_request.score.add_request(param=param, alias=alias)

    def _accept_sample_weight(self):
        return self._scorer._accept_sample_weight()

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        _check_same_rows(X, y_true)
        check_row_order(X, y_true, names=("X", "y"), align="y = y.loc[X.index]")
        check_weight_order(X, kwargs.get("sample_weight"))
        if kwargs.get("sample_weight") is not None:
            # an error naming it, not numpy's; the floats read go on to scikit-learn's
            # metric (a list of Decimals, which the package's metrics take, failed there)
            kwargs["sample_weight"] = as_sample_weight(kwargs["sample_weight"])
        return _proba_task_score(estimator, X, y_true, scorer=self._scorer,
                                 task=self._task, metric=self._name if isinstance(
                                     self._name, str) else repr(self._scorer), **kwargs)

    def __repr__(self):
        metric = repr(self._name) if isinstance(self._name, str) else repr(self._scorer)
        return f"make_task_scorer({metric}, task={self._task!r})"


def _task_of_column(task, encoder):
    """The task named by ``task``: an int that names none of the tasks of a model fitted
    on a 2-D array ``Y`` (``task0``, ``task1``, ... or the declared names) is the
    position of its column, as ``MultiOutputClassifier.estimators_[j]`` is column j's."""
    if not isinstance(task, numbers.Integral) or isinstance(task, bool):
        return task
    if getattr(getattr(encoder, "_reader", None), "form", None) != "2d":
        return task
    names = encoder.schema_.names
    try:
        encoder.schema_.index(task)
        return task
    except ValueError:
        return names[task] if 0 <= task < len(names) else task


def _check_task_scored(task, scored, fitted):
    """A ValueError that says why ``task``, one of the estimator's tasks, is not among
    those ``Y`` is scored as: a 0/1 indicator matrix, which the estimator fitted as one
    binary task per column, is scored as multi-label data, one multilabel task."""
    if not (len(scored) == 1 and scored.tasks[0].kind == "multilabel"):
        return
    if list(fitted.names) == list(scored.names):
        return  # the estimator's own multilabel task (declared): no binary task to name
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
    weight = None if sample_weight is None else as_sample_weight(sample_weight)[rows]
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

#: scikit-learn's classification scorers, run on one task's column as scikit-learn runs
#: them on a single-output classifier's (probabilities, ranks and the like).
_SKLEARN_SCORERS = [
    "f1", "precision", "recall", "jaccard", "jaccard_macro", "jaccard_micro",
    "jaccard_weighted", "jaccard_samples",
    "balanced_accuracy", "matthews_corrcoef", "top_k_accuracy", "neg_log_loss",
    "neg_brier_score", "d2_log_loss_score", "d2_brier_score", "average_precision",
    "roc_auc", "roc_auc_ovr", "roc_auc_ovo", "roc_auc_ovr_weighted", "roc_auc_ovo_weighted",
]


def make_task_scorer(metric, *, task):
    """A scorer of one task's metric, for ``GridSearchCV(scoring=...)``.

    Parameters
    ----------
    metric : str or scorer
        ``"accuracy"``, or ``"precision_<average>"``, ``"recall_<average>"``,
        ``"f1_<average>"`` with ``<average>`` one of ``macro``, ``micro``, ``weighted``,
        or (for a multilabel task) ``samples``. For a regression task, one of
        scikit-learn's scorer names ``"r2"``, ``"neg_mean_absolute_error"``,
        ``"neg_mean_squared_error"``, ``"neg_root_mean_squared_error"``, or a scorer
        made with :func:`sklearn.metrics.make_scorer` (``response_method="predict"``,
        run as on a regressor of the task's column), over the samples with a value
        (NaN where a prediction is empty: its gate predicted off).

        For a classification task, also scikit-learn's scorer names
        ``"roc_auc"``, ``"roc_auc_ovr"``, ``"roc_auc_ovo"`` (and their ``_weighted``),
        ``"neg_log_loss"``, ``"average_precision"``, ``"neg_brier_score"``,
        ``"d2_log_loss_score"``, ``"d2_brier_score"``, ``"top_k_accuracy"``,
        ``"balanced_accuracy"``, ``"matthews_corrcoef"``, the binary ``"f1"``,
        ``"precision"``, ``"recall"`` and ``"jaccard"`` (positive class 1, as
        scikit-learn's), ``"jaccard_<average>"``, or a scorer made with
        :func:`sklearn.metrics.make_scorer` (``response_method="predict_proba"`` or
        ``"predict"``). scikit-learn's scorer then runs on the task's column alone, as on
        a classifier fitted on it: the samples whose label is known and applicable
        (missing and gated-off ones left out; for a multilabel task, those whose every
        label is known), the task's ``predict_proba`` (conditional on its gate being
        on) with its columns in sorted class order, as a classifier fitted on the
        column has them (the positive class of a binary task is the last, ``"yes"`` of
        ``"no"``/``"yes"``, as scikit-learn takes ``classes_[-1]``; a ``pos_label`` or
        ``labels`` of ``make_scorer`` is read as scikit-learn reads it) -- or its
        ``decision_function``, laid out alike, for the scorers that scikit-learn gives
        it first (``"roc_auc"``, ``"average_precision"``, ``"top_k_accuracy"``) where
        the estimator has one --, and
        ``sample_weight`` cut to those samples. A prediction that switched the task's
        gate off, where the truth has a label, is a label outside the task's classes:
        wrong (for a binary task, the class the truth is not: the binary ``"f1"``
        takes two classes; for the binary ``"f1"``, ``"precision"``, ``"recall"`` and
        ``"jaccard"``, which score the positive class alone, the negative class: it
        lowers recall, not precision, as in :func:`task_precision_score`). Averaged over
        the classes (``"jaccard_macro"``, ``make_scorer(f1_score, average="macro")``),
        scikit-learn's precision, recall, F-beta and Jaccard are given as ``labels`` the
        classes the truth or the predictions show, unless the scorer names its own: the
        prediction is a miss of the true class, as in :func:`task_f1_score`, and no
        class of its own. For a multilabel task it has no label on, and is wrong on each
        label for ``accuracy_score``, ``zero_one_loss`` and ``hamming_loss``, as
        :func:`task_accuracy_score` and :func:`hamming_loss` count it. A class of
        ``Y`` the estimator never saw in training raises (its ``predict_proba`` has no
        column for it). On a model fitted on a 0/1 indicator
        matrix, ``task="labels"`` scores the whole matrix as scikit-learn scores a
        ``MultiOutputClassifier``'s.
    task : str or int
        The task to score: its name, or its column label in ``Y`` (the ``0`` of
        ``pd.DataFrame(array)``); for a model fitted on a 2-D array ``Y``, also the
        position of its column (``task=1`` is ``"task1"``, as
        ``MultiOutputClassifier.estimators_[1]`` is that column's model).

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
    >>> make_task_scorer("roc_auc_ovr", task="color")
    make_task_scorer('roc_auc_ovr', task='color')
    """
    known = [*_TASK_METRICS, *_REGRESSION_SCORERS, *_SKLEARN_SCORERS]
    if not isinstance(metric, _Scorer) and metric not in known:
        raise ValueError(
            f"Unknown task metric {metric!r}; expected one of {known}, or a scorer made "
            "with sklearn.metrics.make_scorer."
        )
    if not isinstance(task, (str, numbers.Integral)) or isinstance(task, bool):
        raise ValueError(
            f"task must be a task name (a str, or the int column label of a Y such as "
            f"pd.DataFrame(array)); got {task!r}."
        )
    if isinstance(metric, _Scorer) or metric in _SKLEARN_SCORERS:
        return _StructuredTaskScorer(
            metric, get_scorer(metric) if isinstance(metric, str) else metric, task)
    if metric in _REGRESSION_SCORERS:
        name, sign = _REGRESSION_SCORERS[metric]
        return _StructuredScorer(metric, _regression_score, sign=sign,
                                 kwargs={"task": task, "metric": name, "scorer": metric})
    func, kwargs = _TASK_METRICS[metric]
    return _StructuredScorer(metric, func, kwargs={**kwargs, "task": task})


# The API pages inspect the package, where a scorer's documentation is its __doc__ (a
# "#:" comment is not read; without its own, an instance shows its class's).
_CALLED_AS = """

Called as ``scorer(estimator, X, y_true, sample_weight=None)``, as scikit-learn's
scorers are (``GridSearchCV(scoring=...)``, ``cross_validate``): predicts ``X`` with the
fitted ``estimator`` and compares the predictions with ``y_true``, whose gated-off labels
the estimator's schema tells from missing ones. Greater is better.

Parameters
----------
estimator : estimator instance
    A fitted sklearn-mtl estimator (also in a pipeline, search or wrapper).
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Samples.
y_true : DataFrame, array-like or list of sets
    The true labels ``Y``, in a form ``fit`` takes.
sample_weight : array-like of shape (n_samples,), default=None
    Sample weights.

Returns
-------
score : float
    %s

See Also
--------
make_task_scorer : a scorer of one task's metric.
"""

exact_match_scorer = _StructuredScorer("exact_match", exact_match_score)
exact_match_scorer.__doc__ = "Scorer of :func:`exact_match_score`." + _CALLED_AS % (
    "The fraction of samples whose every applicable, annotated label is predicted right.")
mean_task_accuracy_scorer = _StructuredScorer("mean_task_accuracy", mean_task_accuracy)
mean_task_accuracy_scorer.__doc__ = "Scorer of :func:`mean_task_accuracy`." + _CALLED_AS % (
    "The mean over tasks of each task's accuracy (tasks without labels left out).")
neg_hamming_loss_scorer = _StructuredScorer("neg_hamming_loss", hamming_loss, sign=-1)
neg_hamming_loss_scorer.__doc__ = "Scorer of minus :func:`hamming_loss`." + _CALLED_AS % (
    "Minus the fraction of wrong labels among the applicable, annotated ones (0 at best).")
