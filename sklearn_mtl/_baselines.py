"""Baselines built from any scikit-learn classifier.

- :class:`IndependentTaskClassifier`: one model per task (binary relevance, generalised).
- :class:`TaskChainClassifier`: a classifier chain whose links can be multiclass, gated
  links included.
- :class:`LabelProductClassifier`: the whole label structure as one single-label problem
  (label powerset over the combinations seen in training).

They share the schema, the ``Y`` forms and the output forms of every sklearn-mtl
estimator (:class:`~sklearn_mtl._base.BaseMultiTaskEstimator`).
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import _fit_context, clone
from sklearn.model_selection import cross_val_predict
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from ._base import _COMMON_CONSTRAINTS, BaseMultiTaskEstimator
from ._encoder import EncodedLabels
from ._schema import MISSING, NOT_APPLICABLE

# ------------------------------------------------------------------------------ helpers


def _fit_inputs(estimator, X, y, sample_weight):
    """The shared input checks of the baselines' ``fit``."""
    X, encoded, sample_weight = estimator._check_fit_inputs(X, y, sample_weight)
    _check_kinds(estimator, estimator.schema_)
    _check_sample_weight_support(estimator.estimator, sample_weight)
    return X, encoded, sample_weight


def _check_kinds(estimator, schema):
    """The baselines fit classifiers: refuse regression tasks with a clear message."""
    for task in schema:
        if task.kind == "regression":
            name = type(estimator).__name__
            raise ValueError(
                f"Task {task.name!r} is a regression task, but {name} fits one scikit-learn "
                "classifier per task and handles binary, multiclass and multilabel tasks "
                "only. Fit the regression task with a regressor of its own, or use "
                "MultiTaskClassifier."
            )


def _check_sample_weight_support(estimator, sample_weight):
    if sample_weight is not None and not has_fit_parameter(estimator, "sample_weight"):
        raise ValueError(
            f"Underlying estimator {type(estimator).__name__} does not support sample weights."
        )


def _fit_one(estimator, X, y, rows, sample_weight, where):
    """Fit a clone on the selected rows; errors name the task (and label)."""
    est = clone(estimator)
    if not rows.all():
        X, y = X[rows], y[rows]
        if sample_weight is not None:
            sample_weight = sample_weight[rows]
    if len(y) == 0:
        raise ValueError(f"{where} has no annotated, applicable sample to train on.")
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    try:
        est.fit(X, y, **kwargs)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    return est


def _where(task, label=None):
    if label is None:
        return f"Task {task.name!r}"
    return f"Task {task.name!r}, label {task.classes[label]!r},"


def _proba(est, X, n_classes):
    """Class probabilities over codes 0..n_classes-1 (one-hot of predict without proba)."""
    out = np.zeros((X.shape[0], n_classes))
    classes = np.asarray(est.classes_).astype(np.int64)
    if hasattr(est, "predict_proba"):
        out[:, classes] = est.predict_proba(X)
    else:
        out[np.arange(X.shape[0]), np.asarray(est.predict(X)).astype(np.int64)] = 1.0
    return out


def _width(task):
    """Columns a task adds to the chain's features."""
    return 1 if task.kind == "binary" else len(task.classes)


# ------------------------------------------------------------------ independent tasks


class IndependentTaskClassifier(BaseMultiTaskEstimator):
    """One classifier per task: binary relevance, generalised to structured labels.

    A binary or multiclass task gets one clone of ``estimator`` (a multiclass model for a
    multiclass task); a multilabel task gets one binary clone per label. A gated task
    trains only on the samples where its gate is on, and a missing label leaves its
    sample out of that task only. On binary multilabel data this is exactly scikit-learn's
    :class:`~sklearn.multioutput.MultiOutputClassifier`.

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn classifier implementing ``fit`` and ``predict`` (``predict_proba``
        for probabilities; without it, probabilities are the one-hot predictions).
    n_jobs : int, default=None
        Number of jobs fitting the per-task (per-label) models in parallel with joblib.
        ``None`` means 1 unless in a :obj:`joblib.parallel_backend` context.
    tasks : list of Task, default=None
        The tasks; ``None`` infers them from ``Y``. Regression tasks are refused (a
        classifier cannot fit them): fit them with a regressor of their own.
    encoder : StructuredLabelEncoder, default=None
        An encoder to clone and fit instead of ``StructuredLabelEncoder(tasks=tasks)``.
    decode : {"independent", "joint"} or decoder object, default="independent"
        How per-task probabilities become labels: independent decisions, the most probable
        valid combination (``"joint"``), or a :class:`~sklearn_mtl.JointDecoder`.

    Attributes
    ----------
    estimators_ : list
        One entry per task in ``tasks_`` order: a fitted clone for a binary or multiclass
        task (trained on the integer codes of its classes), a list of fitted clones (one
        per label) for a multilabel task.
    encoder_ : StructuredLabelEncoder
        The fitted label encoder.
    schema_ : Schema
        The tasks, with kinds, classes and gates.
    tasks_ : list of Task
        ``schema_``'s tasks.
    classes_ : list of ndarray or ndarray
        The classes of each task (one array for a 1-D ``y``).
    n_tasks_ : int
        Number of tasks.
    observed_combinations_ : ndarray of shape (n_combinations, n_tasks)
        Distinct label combinations (codes) of the fully annotated training samples.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    TaskChainClassifier : links see the earlier tasks' outputs.
    LabelProductClassifier : one model over the label combinations.
    sklearn.multioutput.MultiOutputClassifier : the binary-relevance reference.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mtl import IndependentTaskClassifier
    >>> X, Y = make_multilabel_classification(n_samples=50, n_classes=3, random_state=0)
    >>> clf = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    >>> clf.predict(X[:2])
    array([[0, 1, 0],
           [0, 1, 0]])
    >>> [p.shape for p in clf.predict_proba(X[:2])]
    [(2, 2), (2, 2), (2, 2)]
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "n_jobs": [Integral, None],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(self, estimator, *, n_jobs=None, tasks=None, encoder=None, decode="independent"):
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.tasks = tasks
        self.encoder = encoder
        self.decode = decode

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit one model per task (per label for a multilabel task).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Structured labels (``Y``) in any form :class:`~sklearn_mtl.StructuredLabelEncoder`
            reads.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to each model's ``fit``; raises if ``estimator`` does not accept it.

        Returns
        -------
        self : IndependentTaskClassifier
            The fitted estimator.
        """
        X, encoded, sample_weight = _fit_inputs(self, X, y, sample_weight)
        jobs = []
        for j, task in enumerate(self.schema_):
            if task.kind == "multilabel":
                block = encoded.multilabel[task.name]
                for label in range(block.shape[1]):
                    y = block[:, label]
                    jobs.append((j, y, y >= 0, _where(task, label)))
            else:
                y = encoded.codes[:, j]
                jobs.append((j, y, y >= 0, _where(task)))
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_one)(self.estimator, X, y, rows, sample_weight, where)
            for _, y, rows, where in jobs
        )
        self.estimators_ = [[] if t.kind == "multilabel" else None for t in self.schema_]
        for (j, *_), est in zip(jobs, fitted, strict=True):
            if self.schema_[j].kind == "multilabel":
                self.estimators_[j].append(est)
            else:
                self.estimators_[j] = est
        return self

    def _predict_outputs(self, X):
        outputs = []
        for task, est in zip(self.schema_, self.estimators_, strict=True):
            if task.kind == "multilabel":
                outputs.append(np.column_stack([_proba(e, X, 2)[:, 1] for e in est]))
            else:
                outputs.append(_proba(est, X, len(task.classes)))
        return outputs


# ------------------------------------------------------------------------------ chains


class TaskChainClassifier(BaseMultiTaskEstimator):
    """A classifier chain over tasks: each link sees X and the earlier tasks' outputs.

    Links are taken in ``order``; link ``t`` is a clone of ``estimator`` fitted on ``X``
    plus one block of features per earlier task: a binary task adds one column (its class
    1), a multiclass task one column per class, a multilabel task one per label. The
    features are predictions (one-hot) or probabilities (``chain_method``), so multiclass
    links work, unlike scikit-learn's binary-only
    :class:`~sklearn.multioutput.ClassifierChain`. On binary multilabel data with a fixed
    order it is exactly ``ClassifierChain``.

    During training the earlier tasks' features are their true labels (``cv=None``) or
    cross-validated outputs of their links (``cv``), and, where a label is missing, the
    output of its fitted link. A gated link is fitted on the samples where its gate is on;
    at prediction it is evaluated on every sample (its probabilities are conditional on
    the gate, as for every sklearn-mtl estimator) but, where its gate is predicted off,
    it passes zeros to later links and is decoded as not applicable. Features of a task
    whose gate is off are zeros in training too.

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn classifier implementing ``fit`` and ``predict`` (and
        ``predict_proba`` for ``chain_method="predict_proba"``).
    order : None, "random" or list of str, default=None
        Order of the links. ``None``: the tasks' order, with gate parents moved before
        their children where needed. ``"random"``: a random order (from ``random_state``)
        in which parents still come before children. A list of task names (or indices):
        that order, which must put every gate parent before its children (else a
        ``ValueError``).
    cv : int, cross-validation generator or iterable, default=None
        ``None``: later links train on the earlier tasks' true labels. Otherwise later
        links train on cross-validated outputs (``cross_val_predict``) of the earlier
        links, which matches what they see at prediction.
    chain_method : {"predict_proba", "predict"}, default="predict_proba"
        What each link passes on: class probabilities or one-hot predictions.
    n_chains : int, default=1
        Number of chains. With more than one, each chain draws a random order (``order``
        must then be ``None`` or ``"random"``) and the probabilities are averaged.
    random_state : int, RandomState instance or None, default=None
        Seeds the random orders.
    tasks : list of Task, default=None
        The tasks; ``None`` infers them from ``Y``. Regression tasks are refused.
    encoder : StructuredLabelEncoder, default=None
        An encoder to clone and fit instead of ``StructuredLabelEncoder(tasks=tasks)``.
    decode : {"independent", "joint"} or decoder object, default="independent"
        How per-task probabilities become labels (see :class:`~sklearn_mtl.JointDecoder`).

    Attributes
    ----------
    orders_ : list of list of str
        The order of each chain, as task names.
    estimators_ : list of list
        For each chain, its links in chain order: a fitted clone per binary or multiclass
        task, a list of fitted clones (one per label) per multilabel task.
    encoder_ : StructuredLabelEncoder
        The fitted label encoder.
    schema_ : Schema
        The tasks, with kinds, classes and gates.
    tasks_ : list of Task
        ``schema_``'s tasks.
    classes_ : list of ndarray or ndarray
        The classes of each task (one array for a 1-D ``y``).
    n_tasks_ : int
        Number of tasks.
    observed_combinations_ : ndarray of shape (n_combinations, n_tasks)
        Distinct label combinations (codes) of the fully annotated training samples.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    IndependentTaskClassifier : one model per task, no chaining.
    sklearn.multioutput.ClassifierChain : the binary-only reference.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mtl import TaskChainClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3))
    >>> Y = np.column_stack([np.digitize(X[:, 0], [-0.5, 0.5]),   # 3 classes
    ...                      np.digitize(X[:, 1], [-0.5, 0.5])])
    >>> chain = TaskChainClassifier(LogisticRegression(), order=["task1", "task0"]).fit(X, Y)
    >>> chain.orders_
    [['task1', 'task0']]
    >>> chain.predict(X[:3]).tolist() == Y[:3].tolist()
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "order": [list, tuple, StrOptions({"random"}), None],
        "cv": ["cv_object"],
        "chain_method": [StrOptions({"predict_proba", "predict"})],
        "n_chains": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(
        self,
        estimator,
        *,
        order=None,
        cv=None,
        chain_method="predict_proba",
        n_chains=1,
        random_state=None,
        tasks=None,
        encoder=None,
        decode="independent",
    ):
        self.estimator = estimator
        self.order = order
        self.cv = cv
        self.chain_method = chain_method
        self.n_chains = n_chains
        self.random_state = random_state
        self.tasks = tasks
        self.encoder = encoder
        self.decode = decode

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the chain(s), link by link.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Structured labels (``Y``) in any form :class:`~sklearn_mtl.StructuredLabelEncoder`
            reads.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to each link's ``fit``; raises if ``estimator`` does not accept it.

        Returns
        -------
        self : TaskChainClassifier
            The fitted estimator.
        """
        X, encoded, sample_weight = _fit_inputs(self, X, y, sample_weight)
        if self.chain_method == "predict_proba" and not hasattr(self.estimator, "predict_proba"):
            raise ValueError(
                f"chain_method='predict_proba' needs a base estimator with predict_proba; "
                f"{type(self.estimator).__name__} has none. Use chain_method='predict'."
            )
        orders = self._resolve_orders(check_random_state(self.random_state))
        X = np.asarray(X)
        self.orders_ = [[self.schema_[j].name for j in order] for order in orders]
        self.estimators_ = [self._fit_chain(X, encoded, sample_weight, order) for order in orders]
        return self

    # ------------------------------------------------------------------------ orders
    def _resolve_orders(self, rng):
        schema = self.schema_
        if self.n_chains > 1:
            if self.order is not None and not (
                isinstance(self.order, str) and self.order == "random"
            ):
                raise ValueError(
                    f"n_chains={self.n_chains} draws a random order per chain; order must be "
                    f"None or 'random', got {self.order!r}."
                )
            return [_random_gate_order(schema, rng) for _ in range(self.n_chains)]
        if self.order is None:
            return [list(schema.order)]
        if isinstance(self.order, str):
            return [_random_gate_order(schema, rng)]
        return [_check_order(schema, self.order)]

    # ----------------------------------------------------------------------- fitting
    def _fit_chain(self, X, encoded, sample_weight, order):
        schema = self.schema_
        n, n_features = X.shape
        X_aug = np.hstack((X, np.zeros((n, sum(_width(schema[j]) for j in order)))))
        col = n_features
        links = []
        for pos, j in enumerate(order):
            task = schema[j]
            width = _width(task)
            X_link = X_aug[:, :col]
            last = pos == len(order) - 1
            codes = encoded.codes[:, j]
            if task.kind == "multilabel":
                block = encoded.multilabel[task.name]
                ests = []
                for label in range(block.shape[1]):
                    y = block[:, label]
                    rows = y >= 0
                    est = _fit_one(
                        self.estimator, X_link, y, rows, sample_weight, _where(task, label)
                    )
                    ests.append(est)
                    if not last:
                        missing = (y < 0) & (codes != NOT_APPLICABLE)
                        X_aug[:, col + label] = self._train_features(
                            est, X_link, y, rows, missing, sample_weight, 2, binary=True
                        )[:, 0]
                links.append(ests)
            else:
                rows = codes >= 0
                est = _fit_one(self.estimator, X_link, codes, rows, sample_weight, _where(task))
                links.append(est)
                if not last:
                    X_aug[:, col : col + width] = self._train_features(
                        est,
                        X_link,
                        codes,
                        rows,
                        codes == MISSING,
                        sample_weight,
                        len(task.classes),
                        binary=task.kind == "binary",
                    )
            col += width
        return links

    def _train_features(self, est, X, y, rows, missing, sample_weight, n_classes, binary):
        """Features a link passes on during training (zeros where its gate is off)."""
        feats = np.zeros((X.shape[0], n_classes))
        if self.cv is None:
            feats[rows, y[rows].astype(np.int64)] = 1.0
        else:
            all_rows = rows.all()
            X_rows = X if all_rows else X[rows]
            y_rows = y[rows]
            params = {}
            if sample_weight is not None:
                params["sample_weight"] = sample_weight if all_rows else sample_weight[rows]
            cv_out = cross_val_predict(
                clone(self.estimator),
                X_rows,
                y_rows,
                cv=self.cv,
                method=self.chain_method,
                params=params,
            )
            part = np.zeros((len(y_rows), n_classes))
            if self.chain_method == "predict_proba":
                part[:, np.unique(y_rows).astype(np.int64)] = cv_out
            else:
                part[np.arange(len(y_rows)), np.asarray(cv_out).astype(np.int64)] = 1.0
            feats[rows] = part
        if missing.any():
            feats[missing] = self._link_features(est, X[missing], n_classes)[0]
        return feats[:, 1:2] if binary else feats

    def _link_features(self, est, X, n_classes):
        """(features over all classes, probabilities, decisions) of a fitted link."""
        proba = _proba(est, X, n_classes)
        if self.chain_method == "predict":
            if hasattr(est, "predict_proba"):
                pred = np.asarray(est.predict(X)).astype(np.int64)
            else:
                pred = np.argmax(proba, axis=1)
            feats = np.zeros_like(proba)
            feats[np.arange(len(pred)), pred] = 1.0
            return feats, proba, pred
        if n_classes == 2:
            decision = (proba[:, 1] > 0.5).astype(np.int64)
        else:
            decision = np.argmax(proba, axis=1)
        return proba, proba, decision

    # -------------------------------------------------------------------- prediction
    def _predict_outputs(self, X):
        X = np.asarray(X)
        outputs = None
        for order_names, links in zip(self.orders_, self.estimators_, strict=True):
            chain_out = self._chain_outputs(X, [self.schema_.index(t) for t in order_names], links)
            if outputs is None:
                outputs = chain_out
            else:
                outputs = [a + b for a, b in zip(outputs, chain_out, strict=True)]
        if len(self.estimators_) > 1:
            outputs = [o / len(self.estimators_) for o in outputs]
        return outputs

    def _chain_outputs(self, X, order, links):
        schema = self.schema_
        n, n_features = X.shape
        X_aug = np.hstack((X, np.zeros((n, sum(_width(schema[j]) for j in order)))))
        col = n_features
        outputs = [None] * len(schema)
        on, decision = {}, {}
        for j, link in zip(order, links, strict=True):
            task = schema[j]
            width = _width(task)
            X_link = X_aug[:, :col]
            if task.gate is None:
                gate_on = np.ones(n, dtype=bool)
            else:
                p = schema.index(task.gate[0])
                gate_on = on[p] & np.isin(decision[p], schema.gate_codes(task))
            on[j] = gate_on
            if task.kind == "multilabel":
                feats = np.zeros((n, width))
                out = np.zeros((n, width))
                for label, est in enumerate(link):
                    f, proba, _ = self._link_features(est, X_link, 2)
                    feats[:, label] = f[:, 1]
                    out[:, label] = proba[:, 1]
            else:
                feats, out, decision[j] = self._link_features(link, X_link, len(task.classes))
                if task.kind == "binary":
                    feats = feats[:, 1:2]
            outputs[j] = out
            feats = np.where(gate_on[:, None], feats, 0.0)
            X_aug[:, col : col + width] = feats
            col += width
        return outputs


def _check_order(schema, order):
    """Task indices of a user order; it must list every task once, parents first."""
    indices = []
    for item in order:
        if isinstance(item, Integral) and not isinstance(item, bool):
            if not 0 <= item < len(schema):
                raise ValueError(
                    f"order has index {item}, but there are {len(schema)} tasks {schema.names}."
                )
            indices.append(int(item))
        else:
            indices.append(schema.index(str(item)))
    if sorted(indices) != list(range(len(schema))):
        names = [schema[j].name for j in indices]
        raise ValueError(
            f"order must list every task exactly once; got {names} for the tasks {schema.names}."
        )
    placed = set()
    for j in indices:
        task = schema[j]
        if task.gate is not None and schema.index(task.gate[0]) not in placed:
            raise ValueError(
                f"order puts task {task.name!r} before {task.gate[0]!r}, the task its gate "
                f"depends on; expected {task.gate[0]!r} earlier in the chain."
            )
        placed.add(j)
    return indices


def _random_gate_order(schema, rng):
    """A random order of the tasks in which every gate parent comes before its children."""
    placed, order = set(), []
    while len(order) < len(schema):
        ready = [
            j
            for j, t in enumerate(schema)
            if j not in placed and (t.gate is None or schema.index(t.gate[0]) in placed)
        ]
        j = ready[rng.randint(len(ready))]
        placed.add(j)
        order.append(j)
    return order


# ------------------------------------------------------------------------ label product


class LabelProductClassifier(BaseMultiTaskEstimator):
    """All tasks as one single-label problem over the label combinations seen in training.

    Each distinct combination of the training labels (label powerset) becomes one class of
    a single clone of ``estimator``. Gated-off tasks collapse: with ``car`` binary and
    ``color`` (4 classes), ``body`` (4) and ``driver`` (binary) all gated on
    ``car == "yes"``, there are at most 1 + 4·4·2 = 33 combinations. A multilabel task
    enters the combination with all its labels.

    ``predict_proba`` marginalises the combination probabilities back to per-task
    probabilities, a gated task's conditional on its gate being on. By default
    (``decode="joint"``) ``predict`` returns the most probable combination: the classic
    label-powerset prediction, which never predicts an unseen combination and is what
    maximises the expected exact match. ``decode="independent"`` lets each task take its
    own most probable marginal value instead.

    A sample with a missing label (on an applicable task) has no combination: it is left
    out of training with a ``UserWarning`` that says how many samples were left out; if
    every sample has a missing label, ``fit`` raises.

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn classifier (multiclass) implementing ``fit`` and ``predict``
        (``predict_proba`` for probabilities; without it, the one-hot predictions).
    tasks : list of Task, default=None
        The tasks; ``None`` infers them from ``Y``. Regression tasks are refused.
    encoder : StructuredLabelEncoder, default=None
        An encoder to clone and fit instead of ``StructuredLabelEncoder(tasks=tasks)``.
    decode : {"joint", "independent"} or decoder object, default="joint"
        ``"joint"``: the most probable combination. ``"independent"`` or a decoder object:
        applied to the marginal per-task probabilities.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone; its classes are the indices of ``combinations_``.
    combinations_ : EncodedLabels
        The distinct label combinations of the training samples, one per class
        (``encoder_.inverse_transform(combinations_)`` shows them as labels).
    n_combinations_ : int
        Number of combinations (classes of ``estimator_``).
    encoder_ : StructuredLabelEncoder
        The fitted label encoder.
    schema_ : Schema
        The tasks, with kinds, classes and gates.
    tasks_ : list of Task
        ``schema_``'s tasks.
    classes_ : list of ndarray or ndarray
        The classes of each task (one array for a 1-D ``y``).
    n_tasks_ : int
        Number of tasks.
    observed_combinations_ : ndarray of shape (n_combinations, n_tasks)
        Distinct label combinations (codes) of the fully annotated training samples.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    IndependentTaskClassifier : one model per task.
    JointDecoder : the most probable valid combination from per-task probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mtl import LabelProductClassifier, Task
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [2.0], [2.1]])
    >>> Y = pd.DataFrame({"car": ["no", "no", "yes", "yes", "yes", "yes"],
    ...                   "color": [None, None, "red", "red", "blue", "blue"]})
    >>> tasks = [Task("car"), Task("color", gate=("car", "yes"))]
    >>> clf = LabelProductClassifier(LogisticRegression(), tasks=tasks)
    >>> clf.fit(X, Y).n_combinations_
    3
    >>> clf.predict([[0.05], [2.05]])
       car color
    0   no   NaN
    1  yes  blue
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        **_COMMON_CONSTRAINTS,
    }

    def __init__(self, estimator, *, tasks=None, encoder=None, decode="joint"):
        self.estimator = estimator
        self.tasks = tasks
        self.encoder = encoder
        self.decode = decode

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit one classifier over the training label combinations.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Structured labels (``Y``) in any form :class:`~sklearn_mtl.StructuredLabelEncoder`
            reads. Samples with a missing applicable label are left out (with a warning).
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the estimator's ``fit``; raises if it does not accept it.

        Returns
        -------
        self : LabelProductClassifier
            The fitted estimator.
        """
        X, encoded, sample_weight = _fit_inputs(self, X, y, sample_weight)
        schema = self.schema_
        codes = encoded.codes
        complete = (codes != MISSING).all(axis=1)
        multilabel = [t.name for t in schema if t.kind == "multilabel"]
        for name in multilabel:
            on = codes[:, schema.index(name)] != NOT_APPLICABLE
            complete &= ~(on & (encoded.multilabel[name] < 0).any(axis=1))
        n_left_out = int((~complete).sum())
        if n_left_out == len(codes):
            raise ValueError(
                f"Every one of the {len(codes)} samples has a missing label, so none forms "
                "a label combination; LabelProductClassifier needs fully annotated samples."
            )
        if n_left_out:
            warnings.warn(
                f"LabelProductClassifier left out {n_left_out} of {len(codes)} samples that "
                "have a missing label: a label combination needs every applicable label.",
                UserWarning,
            )
        keys = np.hstack(
            [codes[complete]] + [encoded.multilabel[name][complete] for name in multilabel]
        )
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        blocks, start = {}, len(schema)
        for name in multilabel:
            width = len(schema[name].classes)
            blocks[name] = uniq[:, start : start + width].astype(np.int8)
            start += width
        self.combinations_ = EncodedLabels(
            uniq[:, : len(schema)].astype(np.int64), blocks, {}, schema
        )
        self.n_combinations_ = len(uniq)
        y = np.full(len(codes), -1, dtype=np.int64)
        y[complete] = inverse
        self.estimator_ = _fit_one(
            self.estimator, X, y, complete, sample_weight, "The label combinations"
        )
        return self

    def _combination_proba(self, X):
        return _proba(self.estimator_, X, self.n_combinations_)

    def _predict_outputs(self, X):
        proba = self._combination_proba(X)
        combos = self.combinations_
        outputs = []
        for j, task in enumerate(self.schema_):
            on = combos.codes[:, j] >= 0
            if task.kind == "multilabel":
                member = (combos.multilabel[task.name] == 1) & on[:, None]
            else:
                member = combos.codes[:, j][:, None] == np.arange(len(task.classes))
            outputs.append(_conditional(proba, member.astype(float), on.astype(float)))
        return outputs

    def predict_encoded(self, X):
        """Predictions as :class:`~sklearn_mtl.EncodedLabels` (codes, blocks, masks).

        With ``decode="joint"``, the most probable training combination of each sample.
        """
        if isinstance(self.decode, str) and self.decode == "joint":
            check_is_fitted(self)
            X = self._validate_X(X, reset=False)
            best = np.argmax(self._combination_proba(X), axis=1)
            return self.combinations_[best]
        return super().predict_encoded(X)


def _conditional(proba, member, on):
    """P(value | task on) from combination probabilities; a combination-uniform fallback
    where the estimator puts no probability on the task being on."""
    joint = proba @ member
    p_on = proba @ on
    with np.errstate(invalid="ignore", divide="ignore"):
        cond = joint / p_on[:, None]
        prior = (
            member.sum(axis=0) / on.sum()
            if on.sum() > 0
            else np.full(member.shape[1], 1.0 / member.shape[1])
        )
    return np.where(p_on[:, None] > 0, cond, prior[None, :])


__all__ = ["IndependentTaskClassifier", "LabelProductClassifier", "TaskChainClassifier"]
