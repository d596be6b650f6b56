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

import contextlib
import copy
import functools
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import PredefinedSplit, StratifiedGroupKFold, check_cv
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRequest,
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    get_routing_for_object,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _ovr_decision_function, type_of_target
from sklearn.utils.parallel import Parallel, delayed  # passes on scikit-learn's config
from sklearn.utils.validation import (
    _check_method_params,
    _num_features,
    _num_samples,
    check_is_fitted,
    has_fit_parameter,
)

from ._base import (
    _COMMON_CONSTRAINTS,
    BaseMultiTaskEstimator,
    check_same_classes,
    check_same_length,
    delegate_input_tags,
    encode_more,
    is_text,
    tasks_from_classes,
    validate_features,
)
from ._decoding import _merged_combinations, finalize
from ._encoder import EncodedLabels
from ._frames import check_not_lazy, is_polars, to_pandas
from ._schema import MISSING, NOT_APPLICABLE
from ._validation import (
    check_groups,
    check_row_order,
    check_sample_weight,
    first_bad_value,
    same_kind,
    takes_groups,
    value_error_kinds,
)

# ------------------------------------------------------------------------------ helpers


def _fit_inputs(estimator, X, y, sample_weight, fit_params, method="fit"):
    """The shared input checks of the baselines' ``fit``: validated ``X``, the encoded
    labels and the keyword arguments of the base estimator's ``method`` (all samples)."""
    _check_classifier(estimator)
    X, encoded, sample_weight = estimator._check_fit_inputs(X, y, sample_weight)
    _check_kinds(estimator, estimator.schema_)
    return X, encoded, _route(estimator, X, method, sample_weight, fit_params)


def _route(estimator, X, method, sample_weight, params):
    """Keyword arguments of the base estimator's ``method``, as MultiOutputClassifier
    routes them: through metadata routing when it is enabled, else ``sample_weight``
    (refused when the base cannot take it) plus every other fit parameter."""
    params = dict(params)
    if _routing_enabled():
        if sample_weight is not None:
            params["sample_weight"] = sample_weight
        routed = process_routing(estimator, method, **params)
        return dict(routed.estimator[method])
    _check_sample_weight_support(estimator.estimator, sample_weight)
    kwargs = dict(_check_method_params(X, params=params))
    if sample_weight is not None:
        kwargs["sample_weight"] = sample_weight
    return kwargs


@contextlib.contextmanager
def _tasks_set_to(estimator, tasks):
    """``estimator.tasks`` replaced by ``tasks`` (when not None) inside the block only."""
    if tasks is None:
        yield
        return
    user_tasks, estimator.tasks = estimator.tasks, tasks
    try:
        yield
    finally:
        estimator.tasks = user_tasks


def _base_has(attr):
    """``available_if`` check: the (fitted) base estimator has ``attr``."""

    def check(self):
        fitted = _first_fitted(self)
        return hasattr(self.estimator if fitted is None else fitted, attr)

    return check


def _check_importances(estimator, fitted):
    """An AttributeError (``hasattr`` is then false) where the fitted base estimator
    has no ``feature_importances_`` (the base estimator's class, where every model is a
    stand-in for a single class, whose importances are zeros)."""
    if fitted is None:
        fitted = type(estimator.estimator)
    if not hasattr(fitted, "feature_importances_"):
        name = fitted.__name__ if isinstance(fitted, type) else type(fitted).__name__
        raise AttributeError(
            f"{type(estimator).__name__} has feature_importances_ only where its base "
            f"estimator has them; {name} has none."
        )


def _first_fitted(est):
    """A fitted base estimator of ``est`` (not a stand-in for a single class), or None
    before ``fit``."""
    found = est.estimator_ if hasattr(est, "estimator_") else getattr(est, "estimators_", None)
    return next(_fitted_models(found), None)


def _fitted_models(found):
    if isinstance(found, list):
        for entry in found:
            yield from _fitted_models(entry)
    elif found is not None and not isinstance(found, _ConstantClassifier):
        yield found


def _locating(method):
    """``method(self, X, ...)`` whose base estimator's error on the values of a
    ``X`` passed as it is (NaN, text) also says where the first such entry is, as the
    errors of ``X`` validated here do."""

    @functools.wraps(method)
    def located(self, X, *args, **kwargs):
        try:
            return method(self, X, *args, **kwargs)
        except (ValueError, TypeError) as exc:  # numpy's TypeError: a date, an object
            message = str(exc)
            kinds = value_error_kinds(message)
            # rows given as lists reach the base estimator with NaN and infinity, as arrays do
            where = (first_bad_value(X, kinds, message=message)
                     if kinds and (_passed_as_given(X) or isinstance(X, (list, tuple)))
                     else None)
            if where is None or "The first bad entry" in message:
                raise
            if any(f"holds {kind}(" in where for kind in ("Timestamp", "Timedelta", "Period")):
                where += (
                    " Date, period and duration columns reach the base estimator as they are: "
                    "convert them to numbers (e.g. days since a date) in a pipeline step."
                )
            elif "text" in kinds and "not a finite number" in where:  # text, as given
                where += (
                    " Text columns reach the base estimator as they are: encode them in a "
                    "pipeline step (a ColumnTransformer with a OneHotEncoder), or give them "
                    "the 'category' dtype for an estimator that reads categories "
                    "(HistGradientBoostingClassifier)."
                )
            raise same_kind(exc, f"{message.rstrip()}\n{where}") from exc

    return located


def _passed_as_given(X):
    """Whether ``X`` may go to the base estimator unconverted, as MultiOutputClassifier
    passes it: a DataFrame, pandas or polars (so that the base estimator sees the same
    columns, names and dtypes in ``fit`` and ``predict``), or a 2-D array whose values
    are not all finite numbers (it goes as it is where they do not all read as numbers:
    strings for a ColumnTransformer). Other arrays, sparse matrices and lists are
    validated (and converted) here."""
    if _is_frame(X):
        return min(X.shape) >= 1
    if not isinstance(X, np.ndarray) or X.ndim != 2 or min(X.shape) < 1:
        return False
    if X.dtype.kind in "biuf":
        return not np.isfinite(X).all()
    return X.dtype.kind == "O"


def _rows_as_array(X):
    """Rows given as a list (or tuple) of lists as the 2-D object array of the same
    values (``np.asarray(X, dtype=object)``), ``X`` itself otherwise (an array, or lists
    that make no 2-D array: ragged rows, a 1-D list). Rows holding text thus go to the
    base estimator as that array goes, as a Pipeline's OneHotEncoder reads lists of
    text (as an object array) on its own (rows of numbers alone are validated as
    numbers first)."""
    if not isinstance(X, (list, tuple)):
        return X
    try:
        rows = np.asarray(X, dtype=object)
    except ValueError:  # rows nesting sequences of unequal lengths
        return X
    return rows if rows.ndim == 2 else X


def _is_frame(X):
    """Whether ``X`` is a pandas or a polars DataFrame."""
    return isinstance(X, pd.DataFrame) or (is_polars(X) and type(X).__name__ == "DataFrame")


class _BaselineMethods(BaseMultiTaskEstimator):
    """``predict_proba`` (and its log) only where the base estimator has it; ``X`` as
    the base estimator reads it."""

    #: ``fit`` parameters the estimator uses itself (with metadata routing: requested
    #: whatever the base estimator requests).
    _own_fit_params: tuple = ()

    def _validate_X(self, X, *, reset, fit_rows=None):
        # A DataFrame goes to the base estimator as it comes, as MultiOutputClassifier
        # passes it: a Pipeline with a ColumnTransformer reads its strings, gradient
        # boosting its gaps and categories. So does an array of objects that are not all
        # numbers, and rows given as lists holding them, as that object array (a Pipeline's
        # OneHotEncoder reads lists of text on its own). Dense numbers, an array or rows
        # given as lists, are validated here in one pass that leaves NaN and infinity to the
        # base estimator, which validates them as it would on its own
        # (HistGradientBoostingClassifier reads both, LogisticRegression neither): a list
        # and an array of the same values fare alike. A base estimator that cannot read X
        # raises its own error, which names the task and (see _locating) the first bad
        # entry. A sparse matrix's NaN and infinity are refused here, naming the entry.
        # Text, one string a sample, goes as it is too, to a base estimator that vectorizes
        # it (a Pipeline that starts with a TfidfVectorizer), as MultiOutputClassifier
        # passes it; read as rows of features it was "ragged" (a string is a sequence of
        # characters).
        if is_polars(X) and type(X).__name__ == "Series":  # a polars frame's text column
            X = to_pandas(X)  # as a pandas one's, one document a sample
        if _is_frame(X) and min(X.shape) >= 1:
            # A text vectorizer reads a pandas frame as the list of its column names (one
            # document: "inconsistent numbers of samples: [1, n]" in fit, one row of
            # predictions for n samples), a polars one as its columns ("'Series' object
            # has no attribute 'lower'"): refused, whatever the method, naming the column
            reader = _document_reader(self.estimator)
            if reader is not None:
                self._refuse_frame_of_text(X, reader)
        if is_text(X):
            self._check_reads_text(X)
            validate_features(self, X, reset=reset, skip_check_array=True)
            return X
        if not (_is_frame(X) and _passed_as_given(X)):
            try:
                if sp.issparse(X):
                    return super()._validate_X(X, reset=reset)
                check_not_lazy(X, "X")
                return validate_features(self, X, reset=reset, ensure_all_finite=False)
            except (ValueError, TypeError):  # numpy's TypeError: a date among objects
                rows = _rows_as_array(X)
                if not _passed_as_given(rows):
                    raise
                X = rows
        validate_features(self, X, reset=reset, skip_check_array=True)  # names, width
        return X

    def _check_reads_text(self, X):
        """Where the estimator cannot pass text on as it is (the chain), a ValueError."""

    def _refuse_frame_of_text(self, X, reader):
        """A ValueError for the DataFrame ``X`` given to a base estimator that reads one
        text document a sample (``reader``, its text vectorizer)."""
        raise ValueError(
            f"X is a DataFrame, but the base estimator {type(self.estimator).__name__} "
            "reads one text document a sample."
            f"{_text_hint(X, f'Its {type(reader).__name__}')}"
        )

    @_locating
    def _outputs(self, X):
        return super()._outputs(X)

    def _decides_by_models(self):
        """Whether ``predict`` is each base model's own ``predict``, as in
        ``MultiOutputClassifier`` and ``ClassifierChain`` (a ``FixedThresholdClassifier``'s
        threshold, an ``SVC``'s decision function): where the tasks are decided one by one
        and the estimator has a model per task."""
        return False

    def predict_encoded(self, X):
        check_is_fitted(self)
        if self._decides_by_models():
            return self._models_decide(X)
        return super().predict_encoded(X)

    # its own: the API pages show a method by its own __doc__, not its base class's
    predict_encoded.__doc__ = BaseMultiTaskEstimator.predict_encoded.__doc__

    @_locating
    def _models_decide(self, X):
        X = self._validate_X(X, reset=False)
        codes, multilabel = self._model_decisions(X)
        return finalize(codes, multilabel, {}, self.schema_)

    def __sklearn_tags__(self):
        return delegate_input_tags(super().__sklearn_tags__(), self.estimator)

    @available_if(_base_has("predict_proba"))
    def predict_proba(self, X, task=None):
        """Per-task probabilities (only when the base estimator has ``predict_proba``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        task : str, default=None
            Return the probabilities of this task only.

        Returns
        -------
        proba : list of ndarray, or ndarray
            One array per task in ``tasks_`` order: (n_samples, n_classes) for a binary or
            multiclass task (conditional on its gate being on), (n_samples, n_labels) of
            P(label = 1) for a multilabel task. A single array for a 1-D ``y`` or when
            ``task`` is given.
        """
        return super().predict_proba(X, task=task)

    @available_if(_base_has("predict_proba"))
    def predict_log_proba(self, X, task=None):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        task : str, default=None
            Return the log-probabilities of this task only.

        Returns
        -------
        log_proba : list of ndarray, or ndarray
            As :meth:`predict_proba`, in log space.
        """
        return super().predict_log_proba(X, task=task)

    def _decision_output(self, outputs, task):
        """``decision_function``'s return: one task's values, the single task's, one
        (n_samples, n_tasks) array where every task is binary (scikit-learn's multi-label
        convention, which its ``roc_auc`` and ``average_precision`` scorers read), or one
        array per task."""
        if task is not None:
            return outputs[self.schema_.index(task)]
        if self._single_output:
            return outputs[0]
        if all(t.kind == "binary" for t in self.schema_):
            return np.column_stack(outputs)
        return outputs

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``fit`` (and ``partial_fit``) parameters go to the base estimator's method of
        the same name, as for :class:`~sklearn.multioutput.MultiOutputClassifier`;
        ``score`` takes the ``sample_weight`` requested with ``set_score_request``.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        # This estimator consumes what its own score requests; fit's sample_weight is
        # the base estimator's to request (an unset request of this estimator's fit
        # would refuse the weights the base estimator asks for).
        own = super().get_metadata_routing()
        empty = MetadataRequest(owner=self)
        own.fit, own.partial_fit = empty.fit, empty.partial_fit
        for param in self._own_fit_params:  # what fit uses itself, whatever the base asks
            own.fit.add_request(param=param, alias=True)
        return MetadataRouter(owner=self).add_self_request(own).add(
            estimator=self.estimator,
            method_mapping=MethodMapping()
            .add(caller="fit", callee="fit")
            .add(caller="partial_fit", callee="partial_fit"),
        )


def _check_classifier(estimator):
    """A regressor as the base estimator is refused by name: its predictions are no
    class labels and it has no classes_ (it would fail only at prediction)."""
    base = estimator.estimator
    if is_regressor(base):
        raise ValueError(
            f"{type(estimator).__name__} fits {_what_it_fits(estimator)}, but its "
            f"estimator {type(base).__name__} is a regressor; give a classifier (e.g. "
            "LogisticRegression for Ridge, RandomForestClassifier for "
            "RandomForestRegressor). For a quantity among the targets, "
            "MultiTaskClassifier learns a regression task (Task(name, kind='regression'))."
        )


def _check_kinds(estimator, schema):
    """The baselines fit classifiers: refuse regression tasks with a clear message."""
    for task in schema:
        if task.kind == "regression":
            name = type(estimator).__name__
            raise ValueError(
                f"Task {task.name!r} is a regression task, but {name} fits "
                f"{_what_it_fits(estimator)} and handles binary, multiclass and multilabel "
                "tasks only. Fit the regression task with a regressor of its own, or use "
                "MultiTaskClassifier."
            )


def _what_it_fits(estimator):
    """What a baseline fits, in words: one classifier over the label combinations (the
    label product), one per task (per label) otherwise."""
    if isinstance(estimator, LabelProductClassifier):
        return "one scikit-learn classifier over the tasks' label combinations"
    return "one scikit-learn classifier per task (per label)"


def _check_sample_weight_support(estimator, sample_weight):
    if sample_weight is not None and not has_fit_parameter(estimator, "sample_weight"):
        hint = ""
        steps = getattr(estimator, "steps", None)
        if (isinstance(steps, list) and steps and isinstance(steps[-1], tuple)
                and hasattr(steps[-1][1], "fit")
                and has_fit_parameter(steps[-1][1], "sample_weight")):
            # Pipeline.fit takes no sample_weight, but routes <step>__sample_weight (to a
            # last step that takes it: a KNeighborsClassifier's fit would refuse it too)
            name = steps[-1][0]
            hint = (
                f" Pass them to its last step as {name}__sample_weight=w (restricted to "
                "each model's samples, as sample_weight is), or enable metadata routing "
                "(sklearn.set_config(enable_metadata_routing=True)) and request them with "
                "the step's set_fit_request(sample_weight=True)."
            )
        raise ValueError(
            f"Underlying estimator {type(estimator).__name__} does not support sample "
            f"weights.{hint}"
        )


class _ConstantClassifier(ClassifierMixin, BaseEstimator):
    """What a model whose training labels hold a single class is: that class for every
    sample, with probability 1, as scikit-learn's ``OneVsRestClassifier`` does for a label
    present (or absent) in every training sample. Most classifiers refuse to fit one
    class (``LogisticRegression``, ``SVC``); in a cross-validation fold of multi-label
    data a rare label often has no positive sample."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        with contextlib.suppress(TypeError):  # text has no number of features
            self.n_features_in_ = _num_features(X)
        return self

    def predict(self, X):
        return np.repeat(self.classes_, _num_samples(X))

    def predict_proba(self, X):
        return np.ones((_num_samples(X), 1))

    def decision_function(self, X):
        return np.zeros((_num_samples(X), 1))

    @property
    def feature_importances_(self):
        return np.zeros(self.n_features_in_)


#: The decision value of a binary model certain of its class: the log-odds of the
#: largest probability below 1 that float64 holds.
_CERTAIN = float(-np.log(np.finfo(np.float64).eps))


def _fit_values(task):
    """The labels a task's models are fitted on, indexed by code: the task's classes,
    so that the base estimator speaks the user's labels as it does inside
    ``MultiOutputClassifier`` (``class_weight={label: w}``, ``DummyClassifier(
    constant=label)``, a threshold's ``pos_label``, ``estimators_[j].classes_``). None
    (the codes themselves) for a multilabel task's labels (0/1, as in an indicator
    matrix), and for classes that scikit-learn would not read as class labels
    (fractional numbers, values of mixed types)."""
    if task.kind == "multilabel" or len({type(c) for c in task.classes}) != 1:
        return None
    values = np.asarray(task.classes)
    try:
        kind = type_of_target(values)
    except (TypeError, ValueError):
        return None
    return values if kind in ("binary", "multiclass") else None


def _codes(values, labels):
    """The codes of ``labels`` (a model's ``classes_`` or predictions), fitted on
    ``values`` (:func:`_fit_values`; None: they are codes)."""
    labels = np.asarray(labels)
    if values is None:
        return labels.astype(np.int64)
    lookup = {v: i for i, v in enumerate(values.tolist())}
    return np.array([lookup[v] for v in labels.tolist()], dtype=np.int64)


def _label_models(estimator):
    """(model, values) of every base model of an IndependentTaskClassifier or a
    TaskChainClassifier fitted on a task's labels (:func:`_fit_values`)."""
    schema = estimator.schema_
    if isinstance(estimator, TaskChainClassifier):
        pairs = [(schema[name], link) for order, links in
                 zip(estimator.orders_, estimator.estimators_, strict=True)
                 for name, link in zip(order, links, strict=True)]
    elif isinstance(estimator, IndependentTaskClassifier):
        pairs = zip(schema, estimator.estimators_, strict=True)
    else:
        pairs = []
    for task, model in pairs:
        values = _fit_values(task)
        if values is not None:
            yield model, values


def in_codes(estimator, error=ValueError):
    """``estimator`` itself, or where its base models speak the tasks' labels, or one of
    them is a search, a copy whose models have their class codes as ``classes_`` (their
    ``predict`` gives codes): what an ONNX graph's class indices are. A search
    (``GridSearchCV``, ``RandomizedSearchCV``, ... as a base model, a pipeline's step, or
    the model a ``FixedThresholdClassifier`` or ``TunedThresholdClassifierCV`` thresholds)
    becomes the model it refitted (``best_estimator_``), which it predicts as; one fitted
    with ``refit=False`` cannot predict: ``error`` (an exception class) names its task. A
    threshold classifier's positive label (``pos_label``) becomes its code, so that it
    still picks its class among the codes. The user's model is left as it is."""
    if hasattr(estimator, "_check_models_trained"):  # a partial_fit waiting for labels
        estimator._check_models_trained()
    if (not any(_has_search(holder[key]) for _, _, holder, key in _model_slots(estimator))
            and next(_label_models(estimator), None) is None):
        return estimator
    estimator = copy.deepcopy(estimator)
    for _, where, holder, key in _model_slots(estimator):
        holder[key] = _refitted(holder[key], where, error)
    for model, values in _label_models(estimator):
        codes, target = _codes(values, model.classes_), model
        while True:  # a Pipeline's or a wrapper's classes_ is its inner model's
            _code_positive_label(target, values)
            try:
                target.classes_ = codes
                break
            except AttributeError:
                target = target.steps[-1][1] if hasattr(target, "steps") else target.estimator_
    return estimator


def _model_slots(estimator):
    """(task, what names it, holder, key) of every base model of a baseline:
    ``holder[key]`` is the model (a multilabel task's: each label's; a label product's
    one model has no task: None)."""
    if isinstance(estimator, (IndependentTaskClassifier, TaskChainClassifier)):
        schema = estimator.schema_
        chains = ([estimator.estimators_] if isinstance(estimator, IndependentTaskClassifier)
                  else estimator.estimators_)
        orders = ([schema.names] if isinstance(estimator, IndependentTaskClassifier)
                  else estimator.orders_)
        for order, links in zip(orders, chains, strict=True):
            for i, name in enumerate(order):
                task = schema[name]
                if isinstance(links[i], list):
                    for label in range(len(links[i])):
                        yield task, _where(task, label).rstrip(","), links[i], label
                else:
                    yield task, _where(task), links, i
    elif isinstance(estimator, LabelProductClassifier) and hasattr(estimator, "estimator_"):
        yield None, f"{type(estimator).__name__}'s model", vars(estimator), "estimator_"


def _threshold_classes():
    from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV

    return FixedThresholdClassifier, TunedThresholdClassifierCV


def _has_search(model):
    """Whether a fitted model is a search or holds one (a pipeline's step, the model a
    threshold classifier thresholds)."""
    from sklearn.model_selection._search import BaseSearchCV

    if isinstance(model, BaseSearchCV):
        return True
    if hasattr(model, "steps"):
        return any(_has_search(step) for _, step in model.steps)
    if isinstance(model, _threshold_classes()):
        return _has_search(getattr(model, "estimator_", None))
    return False


def _refitted(model, where, error):
    """``model`` (a copy: changed in place) with each search in it as the model it
    refitted (see :func:`in_codes`); ``error`` for a search fitted with ``refit=False``."""
    from sklearn.model_selection._search import BaseSearchCV

    if isinstance(model, BaseSearchCV):
        best = getattr(model, "best_estimator_", None)
        if best is None:
            raise error(
                f"{where}: its base estimator {type(model).__name__} was fitted with "
                f"refit={model.refit!r}, so it has no best_estimator_ and cannot predict. "
                "Fit it with refit=True (the default), or give the baseline its best "
                "parameters (estimator.set_params(**search.best_params_))."
            )
        return _refitted(best, where, error)
    if hasattr(model, "steps"):
        model.steps = [(name, _refitted(step, where, error)) for name, step in model.steps]
    elif isinstance(model, _threshold_classes()) and hasattr(model, "estimator_"):
        model.estimator_ = _refitted(model.estimator_, where, error)
    return model


def _code_positive_label(model, values):
    """A threshold classifier's positive label (``pos_label``, or its scorer's for a
    ``TunedThresholdClassifierCV``; a copy, changed in place) as its code among
    ``values``, as its ``classes_`` become (see :func:`in_codes`); none: its last
    class, whatever the codes."""
    fixed, tuned = _threshold_classes()
    if isinstance(model, fixed) and model.pos_label is not None:
        model.pos_label = _codes(values, [model.pos_label])[0]
    elif isinstance(model, tuned) and hasattr(model, "_curve_scorer"):
        scorer = model._curve_scorer  # where predict reads its positive label
        positive = scorer._get_pos_label()
        if positive is not None:
            scorer._kwargs = {**scorer._kwargs,
                              "pos_label": _codes(values, [positive])[0]}


def _fit_one(estimator, X, y, rows, fit_kwargs, where, method="fit", values=None, **extra):
    """Fit a clone (or ``partial_fit`` ``estimator`` itself) on the selected rows, with the
    per-sample fit parameters of those rows; errors name the task (and label). ``y``
    holds codes; the model is fitted on their ``values`` (:func:`_fit_values`). Where
    ``fit``'s labels hold one class, the model is a :class:`_ConstantClassifier` (the
    label checks have warned)."""
    est = clone(estimator) if method == "fit" else estimator
    if not rows.all():
        fit_kwargs = _check_method_params(X, params=fit_kwargs, indices=np.flatnonzero(rows))
        X, y = _safe_indexing(X, rows), y[rows]
    if len(y) == 0:
        raise ValueError(f"{where} has no annotated, applicable sample to train on.")
    constant = method == "fit" and y.min() == y.max()
    if values is not None:
        y = values[y]
    if constant:
        return _ConstantClassifier().fit(X, y)
    try:
        getattr(est, method)(X, y, **fit_kwargs, **extra)
    except (ValueError, TypeError) as exc:  # the task named, the error's type kept
        raise _named(exc, where) from exc
    return est


def _named(exc, where, hint=""):
    """``exc`` (its type kept) with the task (and label) ``where`` names in front."""
    return same_kind(exc, f"{where.rstrip(',')}: {exc}{hint}")


class _RowCountError(ValueError):
    """A base model's output of another number of rows than X (:func:`_one_row_each`),
    whose message names the model and the rows already."""


@contextlib.contextmanager
def _predicting(where):
    """An error of a base model's prediction inside the block names the task (and
    label) ``where`` whose model raised it, as the errors of ``fit`` do: each model is
    fitted on its task's applicable, labelled samples only, so a category that only the
    others hold (a gated task's model never saw the samples of its gate off) is unknown
    to its encoder, even on the training samples."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        if isinstance(exc, _RowCountError):
            raise
        hint = ""
        if "unknown categor" in str(exc):
            hint = (
                ("" if str(exc).rstrip().endswith(".") else ".")
                + " Its model was fitted on the samples where the task applies (its gate "
                "on) and is labelled, which hold none of these categories: give the "
                "encoder handle_unknown='ignore' (or 'infrequent_if_exist')."
            )
        raise _named(exc, where, hint) from exc


def _decision(est, X, n_classes, values=None):
    """Decision values over codes 0..n_classes-1: (n,) for two classes (the score of code
    1), else (n, n_classes) with -inf for a class the model never saw."""
    d = np.asarray(_one_row_each(est, X, est.decision_function(X), "decision_function"),
                   dtype=float)
    classes = _codes(values, est.classes_)
    if n_classes == 2 and len(classes) == 1:  # a _ConstantClassifier
        return np.full(_num_samples(X), _CERTAIN if classes[0] == 1 else -_CERTAIN)
    if n_classes == 2 and len(classes) == 2:
        return d if classes[1] == 1 else -d
    out = np.full((_num_samples(X), n_classes), -np.inf)
    if d.ndim == 1:  # a model that saw two of the classes: score of its classes_[1]
        out[:, classes[0]], out[:, classes[1]] = -d, d
    else:
        out[:, classes] = _per_class(est, d, len(classes))
    return out


def _per_class(est, d, n_seen):
    """A model's 2-D decision values ``d`` as one column per class of its ``classes_``:
    the pairwise values of a one-vs-one model (``SVC(decision_function_shape="ovo")``,
    one column per pair of classes) become the per-class values that
    ``decision_function_shape="ovr"`` gives, as ``SVC`` computes them; other shapes are
    refused, never written into the wrong classes' columns."""
    pairs = n_seen * (n_seen - 1) // 2
    if d.shape[1] == n_seen and not (pairs == n_seen and _one_vs_one(est)):  # 3 classes
        return d
    if n_seen > 2 and d.shape[1] == pairs:
        return _ovr_decision_function(d < 0, -d, n_seen)
    raise ValueError(
        f"{type(est).__name__}.decision_function returned {d.shape[1]} columns for the "
        f"{n_seen} classes of its model; expected one column per class (or one per pair "
        "of classes, for a one-vs-one model)."
    )


def _one_vs_one(est):
    """Whether ``est`` (a Pipeline's last step, a search's best estimator) gives
    one-vs-one decision values: ``decision_function_shape="ovo"`` (not that of a model
    wrapped by another, ``OneVsRestClassifier(SVC(...))``, whose values are per class)."""
    for _ in range(100):  # (a chain of wrappers, never a cycle)
        if hasattr(est, "best_estimator_"):
            est = est.best_estimator_
        elif isinstance(getattr(est, "steps", None), list) and est.steps:
            est = est.steps[-1][1]
        else:
            break
    shape = getattr(est, "decision_function_shape", None)
    return isinstance(shape, str) and shape == "ovo"


def _augment(X, feats):
    """``X`` followed by the chain's feature columns ``feats`` (sparse stays sparse)."""
    if feats.shape[1] == 0:
        return X
    if sp.issparse(X):
        return sp.hstack((X, sp.csr_matrix(feats)), format="csr")
    return np.hstack((X, feats))


def _where(task, label=None):
    if label is None:
        return f"Task {task.name!r}"
    return f"Task {task.name!r}, label {task.classes[label]!r},"


def _proba(est, X, n_classes, values=None):
    """Class probabilities over codes 0..n_classes-1 (one-hot of predict without proba)."""
    out = np.zeros((_num_samples(X), n_classes))
    if hasattr(est, "predict_proba"):
        out[:, _codes(values, est.classes_)] = _one_row_each(
            est, X, est.predict_proba(X), "predict_proba")
    else:
        out[np.arange(_num_samples(X)),
            _codes(values, _one_row_each(est, X, est.predict(X), "predict"))] = 1.0
    return out


def _one_row_each(est, X, output, method):
    """``output``, what ``est.method(X)`` returned, where it has one row per sample of
    ``X``; else a ValueError: written into the rows of all of ``X``, one row would be
    repeated on every sample, silently (a TfidfVectorizer fitted on text reads a
    DataFrame as the list of its column names: one document). Not worded as an error
    on X's values, which :func:`_locating` would add an entry of X to."""
    n, got = _num_samples(X), _num_samples(output)
    if got != n:
        hint = _text_hint(X) if _is_frame(X) else ""
        raise _RowCountError(
            f"{type(est).__name__}.{method} returned {got} row(s) for the {n} samples of "
            f"X; expected one row per sample.{hint}"
        )
    return output


def _text_hint(X, reader="A text vectorizer (TfidfVectorizer)"):
    """What to pass in place of the DataFrame ``X`` to a model that reads text (a polars
    frame iterates over its columns, a pandas one over its column names)."""
    read_as = "its columns" if is_polars(X) else "its column names"
    return (f" {reader} reads a DataFrame as {read_as}, one document each: pass the "
            f"column of text, {_text_column(X)}, one document a sample.")


def _document_reader(estimator):
    """The text vectorizer that ``estimator`` reads ``X`` with, one document a sample
    (scikit-learn's ``CountVectorizer``, ``TfidfVectorizer``, ``HashingVectorizer``:
    tagged as reading strings, not a 2-D array): ``estimator`` itself, a Pipeline's first
    step (not "passthrough"), one part of a FeatureUnion, or that of the estimator a
    meta-estimator wraps (``FixedThresholdClassifier``, ``GridSearchCV``); else None."""
    from sklearn.utils import get_tags

    seen = set()
    while id(estimator) not in seen:
        seen.add(id(estimator))
        if hasattr(estimator, "steps") and estimator.steps:
            # its first step that is an estimator ("passthrough" passes X on as it is)
            steps = [s for _, s in estimator.steps if s is not None and not isinstance(s, str)]
            if not steps:
                return None
            estimator = steps[0]
            continue
        if hasattr(estimator, "transformer_list"):
            # a FeatureUnion gives X to each of its parts (word and character n-grams)
            parts = [t for _, t in estimator.transformer_list if not isinstance(t, str)]
            return next(filter(None, map(_document_reader, parts)), None)
        try:
            tags = get_tags(estimator).input_tags
        except (AttributeError, TypeError):  # not a scikit-learn estimator
            return None
        if tags.string and not tags.two_d_array:
            return estimator
        inner = getattr(estimator, "estimator", None)
        if inner is None or isinstance(inner, str):
            return None
        estimator = inner
    return None


def _text_column(X):
    """How to select the text column of the DataFrame ``X``, by its own name
    (``X['review']``): the column of strings, or the first of several (``X[...]`` where
    none holds strings)."""
    frame = to_pandas(X)
    text = [c for c in frame.columns if is_text(frame[c].dropna())]
    if not text:
        return "X[...]"
    chosen = f"X[{text[0]!r}]"
    return chosen if len(text) == 1 else (
        f"one of X's text columns {[str(c) for c in text]}, e.g. {chosen}")


def _width(task):
    """Columns a task adds to the chain's features."""
    return 1 if task.kind == "binary" else len(task.classes)


# ------------------------------------------------------------------ independent tasks


class IndependentTaskClassifier(_BaselineMethods):
    """One classifier per task: binary relevance, generalised to structured labels.

    A binary or multiclass task gets one clone of ``estimator`` (a multiclass model for a
    multiclass task); a multilabel task gets one binary clone per label. A gated task
    trains only on the samples where its gate is on, and a missing label leaves its
    sample out of that task only. On binary multilabel data this is exactly scikit-learn's
    :class:`~sklearn.multioutput.MultiOutputClassifier`.

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn classifier implementing ``fit`` and ``predict``. ``predict_proba``,
        ``decision_function`` and ``partial_fit`` exist when it has them.
    n_jobs : int, default=None
        Number of jobs fitting the per-task (per-label) models in parallel with joblib.
        ``None`` means 1 unless in a :obj:`joblib.parallel_backend` context.
    tasks : list of Task or Schema, default=None
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
        task (trained on the task's labels as they are in ``Y``: its ``classes_`` are
        labels, not codes), a list of fitted clones (one per label, trained on 0/1) for a
        multilabel task. Where a model's training labels hold a single
        class, a constant stands in for the clone: that class with probability 1, as in
        :class:`~sklearn.multiclass.OneVsRestClassifier`.
    feature_importances_ : ndarray of shape (n_features_in_,)
        The tasks' mean importance of each feature, where the base estimator has
        ``feature_importances_``.
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
    @_locating
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit one model per task (per label for a multilabel task).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples; a sparse matrix, a DataFrame (strings, categories
            and gaps included, for a base estimator that reads them), or text (a list,
            array or Series of strings, one a sample, for a base Pipeline that
            vectorizes it), is passed on to the base estimator as it is.
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Structured labels (``Y``) in any form :class:`~sklearn_mtl.StructuredLabelEncoder`
            reads.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to each model's ``fit``; raises if ``estimator`` does not accept it.
        **fit_params : dict
            Further parameters of the base estimator's ``fit`` (per-sample ones are
            restricted to the samples each model trains on). With metadata routing
            enabled, the parameters the base estimator requests.

        Returns
        -------
        self : IndependentTaskClassifier
            The fitted estimator.
        """
        X, encoded, fit_kwargs = _fit_inputs(self, X, y, sample_weight, fit_params)
        jobs = self._jobs(encoded)
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_one)(self.estimator, X, y, rows, fit_kwargs, where, values=values)
            for _, _, y, rows, where, values in jobs
        )
        self.estimators_ = [[] if t.kind == "multilabel" else None for t in self.schema_]
        self.__dict__.pop("_untrained", None)  # (left by a partial_fit before)
        for (j, *_), est in zip(jobs, fitted, strict=True):
            if self.schema_[j].kind == "multilabel":
                self.estimators_[j].append(est)
            else:
                self.estimators_[j] = est
        return self

    @property
    def feature_importances_(self):
        """The features' importances averaged over the tasks, where the base estimator
        has ``feature_importances_`` (a forest, boosted trees).

        A multilabel task's labels are averaged first, so that each task counts once.
        ``SelectFromModel(IndependentTaskClassifier(RandomForestClassifier()),
        max_features=k)`` keeps the ``k`` columns the tasks use most, missing labels and
        gates included (a forest of its own would refuse a missing label).

        Returns
        -------
        ndarray of shape (n_features_in_,)
        """
        check_is_fitted(self)
        _check_importances(self, _first_fitted(self))
        per_task = [
            np.mean([e.feature_importances_ for e in est], axis=0)
            if task.kind == "multilabel" else est.feature_importances_
            for task, est in zip(self.schema_, self.estimators_, strict=True)
        ]
        return np.mean(per_task, axis=0)

    def _jobs(self, encoded):
        """(task index, label or None, codes, rows to train on, where, the values the
        codes stand for) for every model."""
        jobs = []
        for j, task in enumerate(self.schema_):
            if task.kind == "multilabel":
                block = encoded.multilabel[task.name]
                for label in range(block.shape[1]):
                    y = block[:, label]
                    jobs.append((j, label, y, y >= 0, _where(task, label), None))
            else:
                y = encoded.codes[:, j]
                jobs.append((j, None, y, y >= 0, _where(task), _fit_values(task)))
        return jobs

    @available_if(_base_has("partial_fit"))
    @_locating
    def partial_fit(self, X, y, classes=None, sample_weight=None, **partial_fit_params):
        """Update every model with one batch (only when the base estimator has
        ``partial_fit``).

        The first call learns the schema from ``y``, completed by ``classes`` (or from
        ``tasks``/``encoder``, which must then list every class); later calls must fit
        that schema. A task (label) with no annotated, applicable sample of positive
        ``sample_weight`` in a later batch is left as it is; one with none in the first
        batch (its classes declared) has no model until a batch labels it, and
        predicting before then raises ``NotFittedError`` naming it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            One batch of samples.
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Its structured labels.
        classes : list of array-like or dict of str -> array-like, default=None
            The classes of every task, one array per task in column order (one array
            for a 1-D ``y``), as for :class:`~sklearn.multioutput.MultiOutputClassifier`,
            or ``{task: classes}``: read on the first call; a later call may repeat
            them, and raises a ValueError where they differ.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to each model's ``partial_fit``.
        **partial_fit_params : dict
            Further parameters of the base estimator's ``partial_fit`` (routed as in
            :meth:`fit`).

        Returns
        -------
        self : IndependentTaskClassifier
            The updated estimator.
        """
        _raise_for_params(partial_fit_params, self, "partial_fit")
        first = not hasattr(self, "estimators_")
        if first:
            self._validate_params()
            _check_classifier(self)
            tasks = None if classes is None else tasks_from_classes(self, y, classes)
            with _tasks_set_to(self, tasks):
                X, encoded, sample_weight = self._check_fit_inputs(
                    X, y, sample_weight, warn_single_class=False, batch=True
                )
            _check_kinds(self, self.schema_)
        else:
            check_is_fitted(self)
            self._require_y(y)  # as the first batch's (not "fitted on a DataFrame; got None")
            check_same_classes(self, y, classes)  # refused, not ignored, if they differ
            check_row_order(X, y)  # (the first batch's is checked in _check_fit_inputs)
            X = self._validate_X(X, reset=False)
            encoded = encode_more(self, y)
            check_same_length(X, encoded)
            if sample_weight is not None:  # checked as the first batch's are
                sample_weight = check_sample_weight(sample_weight, X)
            # this batch's combinations join those seen before, as the network's do
            self.observed_combinations_ = _merged_combinations(
                self.observed_combinations_, encoded, sample_weight)
        kwargs = _route(self, X, "partial_fit", sample_weight, partial_fit_params)
        if first:
            self.estimators_ = [
                [clone(self.estimator) for _ in t.classes] if t.kind == "multilabel"
                else clone(self.estimator)
                for t in self.schema_
            ]
        if first:  # the models of tasks (labels) this batch does not label yet
            self._untrained = set()
        untrained = self.__dict__.setdefault("_untrained", set())  # (none after a fit)
        # a sample of weight 0 is as if absent: a task with none of positive weight is
        # left as it is (its model's partial_fit refused the weights, SGD's "at least
        # one non-zero")
        weighted = None if sample_weight is None else np.asarray(sample_weight) > 0
        for j, label, y_job, rows, where, values in self._jobs(encoded):
            if not (rows if weighted is None else rows & weighted).any():
                if first:
                    untrained.add((j, label))
                continue
            untrained.discard((j, label))
            est = self.estimators_[j] if label is None else self.estimators_[j][label]
            if isinstance(est, _ConstantClassifier):  # fit saw one class: a model starts
                est = clone(self.estimator)
                if label is None:
                    self.estimators_[j] = est
                else:
                    self.estimators_[j][label] = est
            n_classes = 2 if label is not None else len(self.schema_[j].classes)
            _fit_one(est, X, y_job, rows, kwargs, where, method="partial_fit", values=values,
                     classes=np.arange(n_classes) if values is None else values)
        return self

    def _decides_by_models(self):
        return isinstance(self.decode, str) and self.decode == "independent"

    def _check_models_trained(self):
        """The first ``partial_fit`` batch may hold no label of a task whose classes
        were declared: its models are fitted by the first batch that does."""
        untrained = {j for j, _ in getattr(self, "_untrained", ())}
        waiting = [task.name for j, task in enumerate(self.schema_) if j in untrained]
        if waiting:
            raise NotFittedError(
                f"Task(s) {waiting} had no annotated, applicable sample in the batches "
                f"given to partial_fit so far, so {type(self).__name__} has no model for "
                "them yet; call partial_fit with a batch that labels them first."
            )

    def _model_decisions(self, X, tasks=None):
        """Each task's codes (multilabel: 0/1 blocks) from its models' ``predict``; with
        ``tasks`` (positions), those tasks' only (the others' codes stay 0)."""
        self._check_models_trained()
        codes = np.zeros((_num_samples(X), len(self.schema_)), dtype=np.int64)
        multilabel = {}
        for j, (task, est) in enumerate(zip(self.schema_, self.estimators_, strict=True)):
            if tasks is not None and j not in tasks:
                continue
            with _predicting(_where(task)):
                if task.kind == "multilabel":
                    multilabel[task.name] = np.column_stack(
                        [_codes(None, _one_row_each(e, X, e.predict(X), "predict"))
                         for e in est]
                    ).astype(np.int8)
                else:
                    codes[:, j] = _codes(_fit_values(task),
                                         _one_row_each(est, X, est.predict(X), "predict"))
        return codes, multilabel

    def _predict_outputs(self, X):
        self._check_models_trained()
        outputs = []
        for task, est in zip(self.schema_, self.estimators_, strict=True):
            with _predicting(_where(task)):
                if task.kind == "multilabel":
                    outputs.append(np.column_stack([_proba(e, X, 2)[:, 1] for e in est]))
                else:
                    outputs.append(_proba(est, X, len(task.classes), _fit_values(task)))
        return outputs

    @available_if(_base_has("decision_function"))
    @_locating
    def decision_function(self, X, task=None):
        """Per-task decision values (only when the base estimator has them).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        task : str, default=None
            Return the values of this task only.

        Returns
        -------
        decision : list of ndarray, or ndarray
            One array per task in ``tasks_`` order: (n_samples,) for a binary task (the
            score of its second class, as scikit-learn's binary classifiers), (n_samples,
            n_classes) for a multiclass task (-inf for a class its model never saw; a
            one-vs-one model's pairwise values, ``SVC(decision_function_shape="ovo")``,
            become the per-class values that ``"ovr"`` gives),
            (n_samples, n_labels) for a multilabel task. Where every task is binary
            (scikit-learn's multi-label case, e.g. a 0/1 indicator ``Y``), one array of
            shape (n_samples, n_tasks), as ``ClassifierChain.decision_function`` returns
            and the ``roc_auc`` and ``average_precision`` scorers read.
        """
        check_is_fitted(self)
        self._check_models_trained()
        X = self._validate_X(X, reset=False)
        outputs = []
        for t, est in zip(self.schema_, self.estimators_, strict=True):
            with _predicting(_where(t)):
                if t.kind == "multilabel":
                    outputs.append(np.column_stack([_decision(e, X, 2) for e in est]))
                else:
                    outputs.append(_decision(est, X, len(t.classes), _fit_values(t)))
        return self._decision_output(outputs, task)


# ------------------------------------------------------------------------------ chains


class TaskChainClassifier(_BaselineMethods):
    """A classifier chain over tasks: each link sees X and the earlier tasks' outputs.

    Links are taken in ``order``; link ``t`` is a clone of ``estimator`` fitted on ``X``
    plus one block of features per earlier task: a binary task adds one column (its class
    1), a multiclass task one column per class, a multilabel task one per label. The
    features are predictions (one-hot) or probabilities (``chain_method``), so multiclass
    links work, unlike scikit-learn's binary-only
    :class:`~sklearn.multioutput.ClassifierChain`. On binary multilabel data with a fixed
    order and the same ``chain_method`` it is exactly ``ClassifierChain`` (whose default
    is ``"predict"``, where this chain's is ``"predict_proba"``). That data is one binary
    task per label (a 0/1 indicator ``Y``): the labels of one multilabel task (label
    sets) are one link, whose labels see the earlier tasks' outputs but not each other,
    so on label sets alone the chain is binary relevance (``MultiLabelBinarizer`` turns
    them into the indicator ``Y`` that chains them).

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
        ``predict_proba`` for ``chain_method="predict_proba"``). ``predict_proba`` and
        ``decision_function`` exist when it has them.
    order : None, "random" or array-like of str or int, default=None
        Order of the links. ``None``: the tasks' order, with gate parents moved before
        their children where needed. ``"random"``: a random order (from ``random_state``)
        in which parents still come before children; without gates, the order that
        ``ClassifierChain(order="random")`` draws from the same ``random_state``. An
        array-like of task names or indices (a list, or e.g.
        ``np.random.permutation(n_tasks)``, as for
        :class:`~sklearn.multioutput.ClassifierChain`): that order, which must put
        every gate parent before its children (else a ``ValueError``).
    cv : int, cross-validation generator or iterable, default=None
        ``None``: later links train on the earlier tasks' true labels. Otherwise later
        links train on cross-validated outputs (``cross_val_predict``) of the earlier
        links, which matches what they see at prediction. With ``groups`` in ``fit``, an
        int is a :class:`~sklearn.model_selection.StratifiedGroupKFold` and a splitter
        gets the groups. An iterable of ``(train, test)`` index arrays (or a
        ``PredefinedSplit``) indexes the samples given to ``fit``: a link that trains on
        some of them (a gated task, missing labels) uses each fold's samples among them.
    chain_method : {"predict_proba", "predict"}, default="predict_proba"
        What each link passes on: class probabilities or one-hot predictions.
    n_chains : int, default=1
        Number of chains. With more than one, each chain draws a random order (``order``
        must then be ``None`` or ``"random"``) and the probabilities are averaged.
    random_state : int, RandomState instance or None, default=None
        Seeds the random orders.
    tasks : list of Task or Schema, default=None
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
        task, a list of fitted clones (one per label) per multilabel task (a constant
        where a link's training labels hold a single class).
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

    _own_fit_params = ("groups",)  # the folds of cv

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "order": ["array-like", StrOptions({"random"}), None],
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
    @_locating
    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        """Fit the chain(s), link by link.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples. A sparse matrix stays sparse: each link gets it
            horizontally stacked with the earlier links' outputs, as in
            :class:`~sklearn.multioutput.ClassifierChain`; a DataFrame gets them as
            columns of its own, ``chain0``, ``chain1``, ...
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Structured labels (``Y``) in any form :class:`~sklearn_mtl.StructuredLabelEncoder`
            reads.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to each link's ``fit``; raises if ``estimator`` does not accept it.
        groups : array-like of shape (n_samples,), default=None
            Each sample's group (a patient, a store). With ``cv``, the features that
            the later links train on are predicted for each group by earlier links
            fitted without that group, as they will be for a new group at prediction
            (an int ``cv`` becomes a ``StratifiedGroupKFold``, a splitter's ``split``
            gets the groups); ``cv=None`` uses none. Passed on to each link's ``fit``
            where the base estimator's ``fit`` takes ``groups`` (a search over group
            folds), or, with metadata routing enabled, where it requests them.
        **fit_params : dict
            Further parameters of the base estimator's ``fit`` (per-sample ones are
            restricted to the samples each link trains on). With metadata routing
            enabled, the parameters the base estimator requests.

        Returns
        -------
        self : TaskChainClassifier
            The fitted estimator.
        """
        if groups is not None:
            groups = check_groups(groups, _num_samples(X))
            if _routing_enabled() or takes_groups(self.estimator):
                fit_params = {**fit_params, "groups": groups}
        X, encoded, fit_kwargs = _fit_inputs(self, X, y, sample_weight, fit_params)
        if self.chain_method == "predict_proba" and not hasattr(self.estimator, "predict_proba"):
            raise ValueError(
                f"chain_method='predict_proba' needs a base estimator with predict_proba; "
                f"{type(self.estimator).__name__} has none. Use chain_method='predict'."
            )
        orders = self._resolve_orders(check_random_state(self.random_state))
        X = _chain_input(X)
        self.orders_ = [[self.schema_[j].name for j in order] for order in orders]
        # an iterable of splits (KFold(3).split(X), a generator) is read once here: each
        # cross-validated link, in every chain, gets the same folds (a generator would
        # be used up by the first link)
        cv = self.cv
        if cv is not None and not isinstance(cv, Integral) and not hasattr(cv, "split"):
            cv = list(cv)
        self.estimators_ = [self._fit_chain(X, encoded, fit_kwargs, order, groups, cv)
                            for order in orders]
        return self

    def _check_reads_text(self, X):
        raise ValueError(
            f"TaskChainClassifier got X as text ({len(X)} strings, one a sample), but "
            "each link reads X with the earlier links' outputs as columns added to it, "
            "which text has none of; vectorize the text in front of the chain: "
            "make_pipeline(TfidfVectorizer(), TaskChainClassifier(...))."
        )

    def _refuse_frame_of_text(self, X, reader):
        raise ValueError(
            f"TaskChainClassifier got X as a DataFrame, but its base estimator "
            f"{type(self.estimator).__name__} reads one text document a sample "
            f"({type(reader).__name__}), and each link reads X with the earlier links' "
            "outputs as columns added to it; vectorize the text in front of the chain, "
            "make_pipeline(TfidfVectorizer(), TaskChainClassifier(...)), and pass it the "
            f"column of text, {_text_column(X)}, one document a sample."
        )

    # ------------------------------------------------------------------------ orders
    def _resolve_orders(self, rng):
        schema = self.schema_
        order = self.order
        is_random = isinstance(order, str) and order == "random"
        if self.n_chains > 1:
            if order is not None and not is_random:
                raise ValueError(
                    f"n_chains={self.n_chains} draws a random order per chain; order must be "
                    f"None or 'random', got {order!r}."
                )
            return [_random_gate_order(schema, rng) for _ in range(self.n_chains)]
        if order is None:
            return [list(schema.order)]
        if is_random:
            return [_random_gate_order(schema, rng)]
        return [_check_order(schema, order)]

    # ----------------------------------------------------------------------- fitting
    def _fit_chain(self, X, encoded, fit_kwargs, order, groups, cv):
        schema = self.schema_
        chain = _ChainInput(X, sum(_width(schema[j]) for j in order))
        col = 0
        links = []
        for pos, j in enumerate(order):
            task = schema[j]
            width = _width(task)
            X_link = chain.upto(col)
            last = pos == len(order) - 1
            codes = encoded.codes[:, j]
            if task.kind == "multilabel":
                block = encoded.multilabel[task.name]
                ests = []
                for label in range(block.shape[1]):
                    y = block[:, label]
                    rows = y >= 0
                    est = _fit_one(
                        self.estimator, X_link, y, rows, fit_kwargs, _where(task, label)
                    )
                    ests.append(est)
                    if not last:
                        missing = (y < 0) & (codes != NOT_APPLICABLE)
                        chain.feats[:, col + label] = self._train_features(
                            est, X_link, y, rows, missing, fit_kwargs, 2, binary=True,
                            where=_where(task, label), groups=groups, cv=cv,
                        )[:, 0]
                links.append(ests)
            else:
                rows = codes >= 0
                values = _fit_values(task)
                est = _fit_one(self.estimator, X_link, codes, rows, fit_kwargs, _where(task),
                               values=values)
                links.append(est)
                if not last:
                    chain.feats[:, col : col + width] = self._train_features(
                        est,
                        X_link,
                        codes,
                        rows,
                        codes == MISSING,
                        fit_kwargs,
                        len(task.classes),
                        binary=task.kind == "binary",
                        where=_where(task),
                        groups=groups,
                        values=values,
                        cv=cv,
                    )
            col += width
        return links

    def _train_features(self, est, X, y, rows, missing, fit_kwargs, n_classes, binary,
                        where, *, cv, groups=None, values=None):
        """Features a link passes on during training (zeros where its gate is off); an
        error of the cross-validated links names the task (``where``). With ``groups``,
        the cross-validated outputs come from group folds. ``y`` holds codes, the links
        are fitted on their ``values`` (:func:`_fit_values`); ``cv`` is ``self.cv``, an
        iterable of splits read into a list."""
        feats = np.zeros((X.shape[0], n_classes))
        if cv is None or isinstance(est, _ConstantClassifier):
            feats[rows, y[rows].astype(np.int64)] = 1.0
        else:
            all_rows = rows.all()
            X_rows = X if all_rows else _safe_indexing(X, rows)
            codes = y[rows]
            params = fit_kwargs
            if not all_rows:
                params = _check_method_params(X, params=fit_kwargs, indices=np.flatnonzero(rows))
            split = {}
            if groups is not None:
                cv = StratifiedGroupKFold(cv) if isinstance(cv, Integral) else cv
                if not _routing_enabled() or get_routing_for_object(cv).consumes(
                    "split", ["groups"]
                ):
                    split = {"groups": groups if all_rows else groups[rows]}
            if not all_rows and _splits_by_position(cv):
                cv = _splits_of_rows(cv, rows)
            part = self._cross_fitted(X_rows, codes, params, cv, split, n_classes, values,
                                      f"{where.rstrip(',')}, cross-validated (cv={self.cv!r}) "
                                      "for the later links' features")
            feats[rows] = part
        if missing.any():
            with _predicting(where):
                feats[missing] = self._link_features(
                    est, _safe_indexing(X, missing), n_classes, values
                )[0]
        return feats[:, 1:2] if binary else feats

    def _cross_fitted(self, X, codes, params, cv, split, n_classes, values, where):
        """The link's out-of-fold features (probabilities, or one-hot decisions) on
        ``X``, each fold's model fitted by :func:`_fit_one`: a training fold that holds
        a single class (a rare label's one positive in the test fold) gets a constant
        model, as a whole task of one class does (``cross_val_predict`` failed there)."""
        y = codes if values is None else values[codes]
        cv = check_cv(cv, y, classifier=True)
        part = np.zeros((len(codes), n_classes))
        tested = np.zeros(len(codes), dtype=np.int64)
        try:
            folds = list(cv.split(X, y, **split))
        except ValueError as exc:
            raise same_kind(exc, f"{where}: {exc}") from exc
        for k, (train, test) in enumerate(folds):
            in_train = np.zeros(len(codes), dtype=bool)
            in_train[train] = True
            seen = np.unique(codes[train])
            if len(seen) == 1:  # (scikit-learn's fold warning names no task)
                label = seen[0] if values is None else values[seen[0]]
                label = label.item() if isinstance(label, np.generic) else label
                warnings.warn(
                    f"{where}: training fold {k} holds a single class {label!r} (the "
                    "others are in its test fold); its model predicts that class with "
                    "probability 1.", UserWarning,
                )
            fold = _fit_one(self.estimator, X, codes, in_train, params, where, values=values)
            X_test = _safe_indexing(X, test)
            with _predicting(where):
                if self.chain_method == "predict_proba":
                    part[test] = _proba(fold, X_test, n_classes, values)
                else:
                    part[test, _codes(values, fold.predict(X_test))] = 1.0
            tested[test] += 1
        if not (tested == 1).all():
            raise ValueError(
                f"{where}: cv={self.cv!r} must give test folds that hold every sample "
                "exactly once (a partition), as cross_val_predict requires."
            )
        return part

    def _link_features(self, est, X, n_classes, values=None, threshold=None):
        """(features over all classes, probabilities, the link's decisions as codes) of
        a fitted link: the features are its probabilities, or with
        ``chain_method="predict"`` the one-hot of its decisions. The decisions are its
        own ``predict``, or with a ``threshold`` (a binary task's or label's, a float64
        0-d array) whether its probability is above it, as the tuner decides."""
        proba = _proba(est, X, n_classes, values)
        if threshold is None:
            pred = _codes(values, est.predict(X))
        else:
            pred = (np.asarray(proba[:, 1], dtype=np.float64) > threshold).astype(np.int64)
        if self.chain_method == "predict":
            feats = np.zeros_like(proba)
            feats[np.arange(len(pred)), pred] = 1.0
            return feats, proba, pred
        return proba, proba, pred

    # -------------------------------------------------------------------- prediction
    def _outputs(self, X, thresholds=None):
        check_is_fitted(self)
        return self._predict_outputs(self._validate_X(X, reset=False), thresholds=thresholds)

    def _predict_outputs(self, X, method="proba", thresholds=None):
        X = _chain_input(X)
        outputs = None
        for order_names, links in zip(self.orders_, self.estimators_, strict=True):
            chain_out, _ = self._chain_outputs(
                X, [self.schema_.index(t) for t in order_names], links, method, thresholds
            )
            if outputs is None:
                outputs = chain_out
            else:
                outputs = [a + b for a, b in zip(outputs, chain_out, strict=True)]
        if len(self.estimators_) > 1:
            outputs = [o / len(self.estimators_) for o in outputs]
        return outputs

    def _decides_by_models(self):
        # several chains: their probabilities are averaged, then decided
        return (isinstance(self.decode, str) and self.decode == "independent"
                and len(self.estimators_) == 1)

    def _model_decisions(self, X, tasks=None, thresholds=None):
        """Each task's codes (multilabel: 0/1 blocks) from its links' ``predict`` (every
        link's, whatever ``tasks`` names: a link reads the earlier links' outputs), those
        of the tasks ``thresholds`` gives from their probabilities."""
        order = [self.schema_.index(t) for t in self.orders_[0]]
        _, decision = self._chain_outputs(_chain_input(X), order, self.estimators_[0],
                                          thresholds=thresholds)
        codes = np.zeros((_num_samples(X), len(self.schema_)), dtype=np.int64)
        multilabel = {}
        for j, task in enumerate(self.schema_):
            if task.kind == "multilabel":
                multilabel[task.name] = decision[j].astype(np.int8)
            else:
                codes[:, j] = decision[j]
        return codes, multilabel

    def _chain_outputs(self, X, order, links, method="proba", thresholds=None):
        """Per-task outputs of one chain: probabilities, or with ``method="decision"``
        the links' decision values (on the same chained features); and each task's
        decisions, its links' ``predict`` as codes (a multilabel task: a 0/1 block).

        ``thresholds`` (checked, see :func:`~sklearn_mtl._decoding.check_thresholds`):
        a tuner's, which decide the binary tasks and labels they give, so that the later
        links read those decisions (with ``chain_method="predict"``, and through the
        gates), the decisions that the tuner's ``predict`` gives for them."""
        thresholds = thresholds or {}
        schema = self.schema_
        n = X.shape[0]
        chain = _ChainInput(X, sum(_width(schema[j]) for j in order))
        col = 0
        outputs = [None] * len(schema)
        on, decision = {}, {}
        for j, link in zip(order, links, strict=True):
            task = schema[j]
            width = _width(task)
            X_link = chain.upto(col)
            if task.gate is None:
                gate_on = np.ones(n, dtype=bool)
            else:
                p = schema.index(task.gate[0])
                gate_on = on[p] & np.isin(decision[p], schema.gate_codes(task))
            on[j] = gate_on
            if task.kind == "multilabel":
                feats = np.zeros((n, width))
                out = np.zeros((n, width))
                decision[j] = np.zeros((n, width), dtype=np.int64)
                thr = thresholds.get(task.name)
                for label, est in enumerate(link):
                    with _predicting(_where(task, label)):
                        f, proba, decision[j][:, label] = self._link_features(
                            est, X_link, 2, threshold=None if thr is None
                            else thr if thr.ndim == 0 else thr[label])
                        feats[:, label] = f[:, 1]
                        out[:, label] = (
                            proba[:, 1] if method == "proba" else _decision(est, X_link, 2)
                        )
            else:
                values = _fit_values(task)
                with _predicting(_where(task)):
                    feats, out, decision[j] = self._link_features(
                        link, X_link, len(task.classes), values,
                        thresholds.get(task.name) if task.kind == "binary" else None,
                    )
                    if method != "proba":
                        out = _decision(link, X_link, len(task.classes), values)
                if task.kind == "binary":
                    feats = feats[:, 1:2]
            outputs[j] = out
            chain.feats[:, col : col + width] = np.where(gate_on[:, None], feats, 0.0)
            col += width
        return outputs, decision

    @available_if(_base_has("decision_function"))
    @_locating
    def decision_function(self, X, task=None):
        """Per-task decision values of the links (only when the base estimator has them).

        Each link is evaluated on ``X`` and the earlier links' outputs, as in
        :meth:`predict`; with several chains the values are averaged.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        task : str, default=None
            Return the values of this task only.

        Returns
        -------
        decision : list of ndarray, or ndarray
            One array per task in ``tasks_`` order: (n_samples,) for a binary task (the
            score of its second class), (n_samples, n_classes) for a multiclass task
            (-inf for a class its link never saw; a one-vs-one link's pairwise values
            become per-class ones), (n_samples, n_labels) for a multilabel task. Where
            every task is binary, one array of shape (n_samples, n_tasks), as
            ``ClassifierChain.decision_function`` returns.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._decision_output(self._predict_outputs(X, method="decision"), task)


def _splits_by_position(cv):
    """Whether ``cv`` names the samples of ``fit`` by their positions, whatever ``X`` it
    splits (an iterable of ``(train, test)`` index arrays, a ``PredefinedSplit``), rather
    than splitting the samples it is given (an int, a splitter such as ``KFold``)."""
    if isinstance(cv, PredefinedSplit):
        return True
    return not (cv is None or isinstance(cv, Integral) or hasattr(cv, "split"))


def _splits_of_rows(cv, rows):
    """The splits of ``cv`` (:func:`_splits_by_position`), which index every sample of
    ``fit``, restricted to the samples ``rows`` that a link trains on, as positions among
    them: a split's gated-off or unlabelled samples are left out of its folds."""
    n = len(rows)
    local = np.cumsum(rows) - 1
    splits = []
    for train, test in check_cv(cv).split(np.zeros((n, 1))):
        train, test = np.asarray(train, dtype=np.int64), np.asarray(test, dtype=np.int64)
        for fold in (train, test):
            if fold.size and not (-n <= fold.min() and fold.max() < n):
                bad = fold.max() if fold.max() >= n else fold.min()
                raise ValueError(
                    f"cv gives a fold with the index {bad}, but fit has {n} samples: "
                    "cv's splits index the samples given to fit."
                )
        splits.append((local[train[rows[train]]], local[test[rows[test]]]))
    return splits


def _chain_input(X):
    """``X`` as the chain reads it: a DataFrame (a polars one as pandas, which takes the
    chain's columns) or a sparse matrix as it is, anything else as an array."""
    X = to_pandas(X)
    return X if sp.issparse(X) or isinstance(X, pd.DataFrame) else np.asarray(X)


class _ChainInput:
    """``X`` followed by the chain's feature columns ``feats`` (filled link by link).

    Dense ``X`` is copied once into a wider array whose leading columns each link
    reads as a view; sparse ``X`` stays sparse and is stacked with the features the
    link needs; a DataFrame (read by the base estimator as it comes) gets the features
    as columns of its own, named after their place in the chain (``chain0``, ...): pandas
    sparse columns where all of X's are (``pd.get_dummies(..., sparse=True)``), which
    scikit-learn reads as a sparse matrix (a frame of sparse and dense columns it makes
    dense whole, with a warning), as ``ClassifierChain`` stacks them.
    """

    def __init__(self, X, width):
        self.sparse = sp.issparse(X)
        self.frame = isinstance(X, pd.DataFrame)
        self.sparse_frame = self.frame and X.shape[1] > 0 and all(
            isinstance(dtype, pd.SparseDtype) for dtype in X.dtypes)
        self.n_features = X.shape[1]
        if self.sparse or self.frame:
            self.X, self.feats = X, np.zeros((X.shape[0], width))
        else:
            self.X = np.hstack((X, np.zeros((X.shape[0], width))))
            self.feats = self.X[:, self.n_features :]
        if self.frame:
            names = [str(c) for c in X.columns]
            if all(isinstance(c, str) for c in X.columns):
                prefix = "chain"
                while any(name.startswith(prefix) for name in names):
                    prefix = "_" + prefix  # never one of X's own names
                self.names = [f"{prefix}{i}" for i in range(width)]
            else:  # integer column names: the next integers
                start = 1 + max((c for c in X.columns if isinstance(c, Integral)), default=-1)
                self.names = list(range(start, start + width))

    def upto(self, k):
        """``X`` and the first ``k`` feature columns."""
        if self.sparse:
            return _augment(self.X, self.feats[:, :k])
        if self.frame:
            if not k:
                return self.X
            feats = pd.DataFrame(self.feats[:, :k], index=self.X.index, columns=self.names[:k])
            if self.sparse_frame:
                feats = feats.astype(pd.SparseDtype(np.float64, 0.0))
            return pd.concat([self.X, feats], axis=1)
        return self.X[:, : self.n_features + k]


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
            try:
                indices.append(schema.index(item))
            except ValueError as exc:
                raise ValueError(
                    f"order lists {item!r}, which is no task: expected task names or "
                    f"positions of the tasks {schema.names}."
                ) from exc
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
    """A random order of the tasks in which every gate parent comes before its children.

    ``rng.permutation(n_tasks)``, as ``ClassifierChain(order="random")`` draws it, so
    that the same ``random_state`` gives the same chain as scikit-learn's where no task
    is gated; a child drawn before its parent waits for it (the next task is always the
    first one of the permutation whose parent is placed).
    """
    pending = [int(j) for j in rng.permutation(len(schema))]
    placed, order = set(), []
    while pending:
        j = next(
            j for j in pending
            if schema[j].gate is None or schema.index(schema[j].gate[0]) in placed
        )
        pending.remove(j)
        placed.add(j)
        order.append(j)
    return order


# ------------------------------------------------------------------------ label product


class LabelProductClassifier(_BaselineMethods):
    """All tasks as one single-label problem over the label combinations seen in training.

    Each distinct combination of the training labels (label powerset) becomes one class of
    a single clone of ``estimator``. Gated-off tasks collapse: with ``car`` binary and
    ``color`` (4 classes), ``body`` (4) and ``driver`` (binary) all gated on
    ``car == "yes"``, there are at most 1 + 4·4·2 = 33 combinations. A multilabel task
    enters the combination with all its labels.

    ``predict_proba`` marginalises the combination probabilities back to per-task
    probabilities, a gated task's conditional on its gate being on. By default
    (``decode="joint"``) ``predict`` returns the combination that the model predicts
    (its own ``predict``, the most probable combination for most classifiers): the
    classic label-powerset prediction, which never predicts an unseen combination and
    is what maximises the expected exact match. ``decode="independent"`` lets each task take its
    own most probable marginal value instead.

    A sample with a missing label (on an applicable task) has no combination: it is left
    out of training with a ``UserWarning`` that says how many samples were left out; if
    every sample has a missing label, ``fit`` raises.

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn classifier (multiclass) implementing ``fit`` and ``predict``.
        ``predict_proba`` exists when it has one (without it, ``predict`` decides on the
        one-hot predictions of the combination).
    tasks : list of Task or Schema, default=None
        The tasks; ``None`` infers them from ``Y``. Regression tasks are refused.
    encoder : StructuredLabelEncoder, default=None
        An encoder to clone and fit instead of ``StructuredLabelEncoder(tasks=tasks)``.
    decode : {"joint", "independent"} or decoder object, default="joint"
        ``"joint"``: the combination the model predicts (its own ``predict``).
        ``"independent"`` or a decoder object: applied to the marginal per-task
        probabilities.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone; its classes are the indices of ``combinations_``.
    combinations_ : EncodedLabels
        The distinct label combinations of the training samples, one per class
        (``encoder_.inverse_transform(combinations_)`` shows them as labels).
    n_combinations_ : int
        Number of combinations (classes of ``estimator_``).
    feature_importances_ : ndarray of shape (n_features_in_,)
        ``estimator_``'s, where the base estimator has ``feature_importances_``.
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
    >>> clf.predict([[0.05], [2.05]]).fillna("(off)")  # color is gated off where car is no
       car  color
    0   no  (off)
    1  yes   blue
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
    @_locating
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit one classifier over the training label combinations.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples; a sparse matrix, a DataFrame (strings, categories
            and gaps included, for a base estimator that reads them), or text (a list,
            array or Series of strings, one a sample, for a base Pipeline that
            vectorizes it), is passed on to the base estimator as it is.
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Structured labels (``Y``) in any form :class:`~sklearn_mtl.StructuredLabelEncoder`
            reads. Samples with a missing applicable label are left out (with a warning).
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the estimator's ``fit``; raises if it does not accept it.
        **fit_params : dict
            Further parameters of the base estimator's ``fit`` (per-sample ones are
            restricted to the samples it trains on). With metadata routing enabled, the
            parameters the base estimator requests.

        Returns
        -------
        self : LabelProductClassifier
            The fitted estimator.
        """
        X, encoded, fit_kwargs = _fit_inputs(self, X, y, sample_weight, fit_params)
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
        weight = fit_kwargs.get("sample_weight")
        if weight is not None and np.ndim(weight) == 1 and len(weight) == len(codes):
            # a sample of weight 0 is as if dropped: a combination seen only on such
            # samples is no class of the model (one of no weight, which "balanced" class
            # weights divide by, NaN, and which the model could still predict)
            weighted = complete & (np.asarray(weight, dtype=float) > 0)
            if not weighted.any():
                raise ValueError(
                    f"sample_weight is 0 for each of the {int(complete.sum())} fully "
                    "annotated sample(s), so no label combination would train "
                    "LabelProductClassifier; expected a positive weight on at least one "
                    "of them."
                )
            complete = weighted
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
            self.estimator, X, y, complete, fit_kwargs, "The label combinations"
        )
        return self

    @property
    def feature_importances_(self):
        """The features' importances in the model of the combinations, where the base
        estimator has ``feature_importances_`` (a forest, boosted trees).

        Returns
        -------
        ndarray of shape (n_features_in_,)
        """
        check_is_fitted(self)
        _check_importances(self, _first_fitted(self))
        return self.estimator_.feature_importances_

    def _combination_proba(self, X):
        return _proba(self.estimator_, X, self.n_combinations_)

    def _memberships(self):
        """For each task, ``(member, on)`` as floats: ``member`` (C, K) marks the class (a
        multilabel task: the labels) each combination gives the task, ``on`` (C,) the
        combinations where the task applies (its gate on)."""
        combos = self.combinations_
        for j, task in enumerate(self.schema_):
            on = combos.codes[:, j] >= 0
            if task.kind == "multilabel":
                member = (combos.multilabel[task.name] == 1) & on[:, None]
            else:
                member = combos.codes[:, j][:, None] == np.arange(len(task.classes))
            yield member.astype(float), on.astype(float)

    def _predict_outputs(self, X):
        proba = self._combination_proba(X)
        return [_conditional(proba, member, on) for member, on in self._memberships()]

    @_locating
    def predict_encoded(self, X):
        """Predictions as :class:`~sklearn_mtl.EncodedLabels` (codes, blocks, masks).

        With ``decode="joint"``, the training combination that the model of the
        combinations predicts for each sample (its own ``predict``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        encoded : EncodedLabels
            The predicted codes of every task (the gated-off ones ``NOT_APPLICABLE``),
            the multilabel blocks and the regression values.
        """
        if isinstance(self.decode, str) and self.decode == "joint":
            check_is_fitted(self)
            X = self._validate_X(X, reset=False)
            # the model's own predict, as a label powerset built by hand decides (an
            # SVC(probability=True) by its decision function, a threshold held); the
            # most probable combination for a model that predicts its probabilities'
            # argmax (logistic regression, forests, boosted trees)
            best = _codes(None, _one_row_each(self.estimator_, X,
                                              self.estimator_.predict(X), "predict"))
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
