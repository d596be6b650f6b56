"""Per-label decision thresholds tuned on cross-validated or held-out predictions."""

from __future__ import annotations

import functools
import inspect
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.metrics._scorer import _BaseScorer
from sklearn.model_selection import (
    GroupShuffleSplit,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
    check_cv,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    UNUSED,
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.parallel import Parallel, delayed  # passes on scikit-learn's config
from sklearn.utils.validation import _check_method_params, _num_samples, check_is_fitted

from ._base import BaseMultiTaskEstimator, check_same_length, delegate_input_tags
from ._decoding import check_thresholds
from ._frames import check_not_lazy
from ._validation import (
    check_groups,
    check_row_order,
    check_sample_weight,
    check_weight_order,
    groups_fit_params,
)
from .metrics._inputs import _in_fitted_frame
from .model_selection import (
    MultiTaskStratifiedGroupKFold,
    MultiTaskStratifiedKFold,
    some_splits,
)

METRICS = ("f1", "balanced_accuracy", "accuracy", "matthews")


class TaskThresholdTuner(BaseMultiTaskEstimator):
    """Tune the decision threshold of every binary task and multilabel label.

    The wrapped estimator's probabilities are collected on data it was not trained on
    (cross-validation folds, a held-out fraction, or the data given to ``fit`` when the
    estimator is already fitted); for each binary task and each label of each multilabel
    task, the threshold that maximises ``metric`` on those predictions is kept in
    ``thresholds_``. Only annotated, applicable labels count (a gated-off or missing label
    is left out). ``predict`` then decides "on" where P(label = 1) > threshold; multiclass
    and regression tasks are decided as by the wrapped estimator. Output forms
    (``predict``, ``predict_proba``, ``score``) are the wrapped estimator's.

    Parameters
    ----------
    estimator : sklearn-mtl estimator or Pipeline
        Any estimator of this package (:class:`~sklearn_mtl.MultiTaskClassifier`,
        :class:`~sklearn_mtl.IndependentTaskClassifier`, ...) with
        ``decode="independent"``: joint decoding maximises probability and has no
        thresholds. A :class:`~sklearn.pipeline.Pipeline` that ends in one is tuned as
        a whole: each fold refits its every step.
    metric : {"f1", "balanced_accuracy", "accuracy", "matthews"} or callable, \
            default="f1"
        Per-label score to maximise. A callable is called as
        ``metric(y_true, y_pred)`` (plus ``sample_weight=`` when weights are given) on 0/1
        arrays and returns a float, higher is better (NaN where it is undefined: that
        threshold is not picked); it is evaluated at 0.5 and at up to 256 thresholds
        spread over the distinct scores (the named metrics at every one). A scorer
        (``make_scorer``'s output) is refused: pass its score function.
        A binary task's positive class (scikit-learn's ``pos_label``), whose score
        ``"f1"`` maximises, is its second class ``classes_[1]``: the sorted labels' last
        (``"stay"`` of ``"churn"``/``"stay"``) unless the task declares its classes
        (``Task("y", classes=["stay", "churn"])`` makes ``"churn"`` the positive one).
    cv : int, float, cross-validation generator, iterable or "prefit", default=5
        Where the predictions come from. An int, a splitter or an iterable of (train, test)
        indices: out-of-fold predictions of clones. An int makes, for a 1-D binary or
        multiclass ``y``, ``StratifiedKFold`` folds, as scikit-learn's; otherwise (or
        where a label is missing)
        :class:`~sklearn_mtl.model_selection.MultiTaskStratifiedKFold` ones, which spread
        every task's and label's labelled rows over the folds and still put the others
        in folds (``KFold`` ones where no task is binary or multilabel); a splitter's
        ``split`` gets ``y``. A float in (0, 1): one held-out fraction of that size,
        stratified for a 1-D binary or multiclass ``y`` (as
        :class:`~sklearn.model_selection.TunedThresholdClassifierCV` holds it out). In
        both cases ``estimator_`` is a clone refitted on all the data.
        ``"prefit"``: ``estimator`` is fitted already and the thresholds are tuned on the
        data passed to ``fit``, which should be held out from its training data. A fitted
        estimator in a :class:`~sklearn.frozen.FrozenEstimator` (scikit-learn's other way
        to pass one) is never refitted: whatever ``cv``, its predictions on all the data
        passed to ``fit`` tune the thresholds (no fold or fraction is held out), as they
        do for a pipeline whose every step is one (or ``"passthrough"``). A pipeline with
        other steps is tuned by ``cv``: each fold refits those steps.
    n_jobs : int, default=None
        Number of folds fitted in parallel with joblib.
    random_state : int, RandomState instance or None, default=None
        Seeds the split when ``cv`` is a float.

    Attributes
    ----------
    estimator_ : estimator
        The estimator that predicts: refitted on all the data, or ``estimator`` itself
        with ``cv="prefit"``.
    thresholds_ : dict of str -> float or ndarray of shape (n_labels,)
        Tuned threshold of each binary task, and per label of each multilabel task. A
        label without both positive and negative examples keeps 0.5.
    best_scores_ : dict of str -> float or ndarray of shape (n_labels,)
        ``metric`` at the tuned thresholds, on the predictions used for tuning.
    default_scores_ : dict of str -> float or ndarray of shape (n_labels,)
        ``metric`` at 0.5, on the same predictions.
    encoder_ : StructuredLabelEncoder
        The wrapped estimator's fitted label encoder.
    schema_ : Schema
        The tasks, with kinds, classes and gates.
    tasks_ : list of Task
        ``schema_``'s tasks.
    classes_ : list of ndarray or ndarray
        The classes of each task (one array for a 1-D ``y``).
    n_tasks_ : int
        Number of tasks.
    observed_combinations_ : ndarray of shape (n_combinations, n_tasks)
        The wrapped estimator's observed label combinations.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.model_selection.TunedThresholdClassifierCV : one threshold of one binary
        classifier, for any scikit-learn scorer.

    Notes
    -----
    Class imbalance: :class:`~sklearn_mtl.MultiTaskClassifier` has ``class_weight`` and
    ``pos_weight``; for the baselines, give the base estimator its own ``class_weight``
    (e.g. ``LogisticRegression(class_weight="balanced")``): it is cloned per task and per
    label, so each task (label) is balanced on its own labels. Tuned thresholds are the
    complementary, post-hoc remedy.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mtl import IndependentTaskClassifier, TaskThresholdTuner
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> Y = np.column_stack([X[:, 0] > 1, X[:, 1] > 0]).astype(int)
    >>> tuner = TaskThresholdTuner(
    ...     IndependentTaskClassifier(LogisticRegression()), cv=3
    ... ).fit(X, Y)
    >>> sorted(tuner.thresholds_)
    ['task0', 'task1']
    >>> tuner.predict(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "metric": [StrOptions(set(METRICS)), callable],
        "cv": [
            "cv_object",
            Interval(Real, 0, 1, closed="neither"),
            StrOptions({"prefit"}),
        ],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    # with metadata routing, the groups are the splitter's and the estimator's to request
    # (see get_metadata_routing), not a request of the tuner's own fit
    __metadata_request__fit = {"groups": UNUSED}

    def __init__(self, estimator, *, metric="f1", cv=5, n_jobs=None, random_state=None):
        self.estimator = estimator
        self.metric = metric
        self.cv = cv
        self.n_jobs = n_jobs
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        """Fit the estimator and tune the thresholds.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training samples (with ``cv="prefit"``: held-out samples).
        y : DataFrame, array-like of shape (n_samples, n_tasks) or (n_samples,)
            Structured labels in any form the wrapped estimator takes. With
            ``cv="prefit"`` or a ``FrozenEstimator``, they are read as its ``score``
            reads them: for a model fitted on a DataFrame, an array of its columns
            (``Y_val.to_numpy()``) by position.
        sample_weight : array-like of shape (n_samples,), default=None
            Used to weight the metric, and passed to the estimator's ``fit`` (a
            pipeline's final step). With metadata routing enabled, the estimator gets
            them where it requests them (``set_fit_request(sample_weight=True)``).
        groups : array-like of shape (n_samples,), default=None
            Each sample's group (a patient, a store). The thresholds are then tuned on
            predictions for groups the fold's model never saw: an int ``cv`` makes the folds
            a :class:`~sklearn_mtl.model_selection.MultiTaskStratifiedGroupKFold` (a rare
            label spread over the folds), a float one ``GroupShuffleSplit`` (seeded by
            ``random_state``), and a splitter gets them in ``split``. The estimator's
            ``fit`` gets its training samples' groups where it takes them
            (:class:`~sklearn_mtl.MultiTaskClassifier`: its ensemble's held-out folds).
            With metadata routing enabled, a splitter gets them where it requests them
            (a group splitter does) and the estimator where it requests them.
        **fit_params : dict
            Only with metadata routing enabled: further parameters of the estimator's
            ``fit``, which it gets where it requests them (per-sample ones restricted to
            each fold's training samples).

        Returns
        -------
        self : TaskThresholdTuner
            The fitted meta-estimator.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        Y = y
        if isinstance(self.metric, _BaseScorer):
            # a scorer is called as scorer(estimator, X, y): it would fail in the first
            # candidate's call with "missing 1 required positional argument: 'y_true'"
            raise ValueError(
                "metric is called as metric(y_true, y_pred) on the 0/1 labels of each "
                f"binary task and multilabel label; got the scorer {self.metric!r}, "
                "which is called as scorer(estimator, X, y). Pass its score function "
                "instead, e.g. metric=functools.partial(fbeta_score, beta=2) for "
                "make_scorer(fbeta_score, beta=2)."
            )
        if (callable(self.metric) and sample_weight is not None
                and not _takes_sample_weight(self.metric)):
            raise ValueError(
                "The weights given to fit weigh the metric, which is then called as "
                f"metric(y_true, y_pred, sample_weight=w); {_name_of(self.metric)} takes "
                "no sample_weight argument. Give it one (def metric(y_true, y_pred, "
                "sample_weight=None)) or fit without sample_weight."
            )
        model = _final(self.estimator)
        if not callable(getattr(model, "_outputs", None)):
            raise ValueError(
                "TaskThresholdTuner tunes an estimator of sklearn-mtl (or a Pipeline that "
                f"ends in one); got {type(model).__name__}. Wrap a scikit-learn classifier "
                "in IndependentTaskClassifier."
            )
        if not _is_independent(model):
            raise ValueError(
                "TaskThresholdTuner tunes thresholds for decode='independent' (or 'auto'); "
                f"{type(model).__name__} has decode={model.decode!r}, "
                "which maximises the joint probability and uses no thresholds."
            )
        check_not_lazy(X, "X")  # (its folds cut a query plan: "Expected sequence")
        check_not_lazy(Y, "y")
        if self.cv == "prefit" or _holds_frozen(self.estimator):
            # no fit of the estimator sees X and y together here to warn of rows of y
            # shuffled apart from X's: the thresholds would be tuned on mismatched rows
            check_row_order(X, Y, names=("X", "y"), align="y = y.loc[X.index]")
            encoder = getattr(_final(self.estimator), "encoder_", None)
            if encoder is not None:
                # a model fitted on a DataFrame reads an array of its columns
                # (Y_test.to_numpy()) by position, as its score does, rather than
                # refusing it
                Y = _in_fitted_frame(Y, encoder)
        X, Y = _as_indexable(X), _as_indexable(Y)
        n = _num_samples(X)
        if sample_weight is not None:
            check_weight_order(X, sample_weight)
            sample_weight = check_sample_weight(sample_weight, np.empty((n, 0)))
        if groups is not None:
            groups = check_groups(groups, n)
        if _routing_enabled():
            # as TunedThresholdClassifierCV: the estimator's fit and the splitter's split
            # get what they request; the weights weight the metric as well
            given = {"sample_weight": sample_weight, "groups": groups, **fit_params}
            routed = process_routing(
                self, "fit", **{k: v for k, v in given.items() if v is not None})
            estimator_params = dict(routed.estimator.fit)
            fold_params = estimator_params
            split_groups = routed.splitter.split.get("groups")
        else:
            _raise_for_params(fit_params, self, "fit")
            estimator_params = _fit_params(self.estimator, sample_weight, groups)
            fold_params = None  # the fold model's (its fit may take the groups)
            split_groups = groups
        # a FrozenEstimator (a pipeline of them) is never refitted: whatever cv, its
        # predictions on all of X tune the thresholds, as with cv="prefit" (folds held out
        # only a float cv's fraction, or a splitter's test rows, and failed on fewer rows
        # than folds)
        frozen = self.cv != "prefit" and _never_refitted(self.estimator)
        if groups is not None and (self.cv == "prefit" or frozen):
            given = "a FrozenEstimator" if frozen else "cv='prefit'"
            warnings.warn(
                f"groups is unused with {given}: the thresholds are tuned on the "
                "data given to fit, which no fold splits.",
                UserWarning,
            )
        if self.cv == "prefit":
            try:
                check_is_fitted(self.estimator)
            except NotFittedError:
                # a clone is unfitted: cross_validate, GridSearchCV and clone() tune a
                # clone, where the error said only "call fit" of the wrapped estimator
                raise NotFittedError(
                    f"cv='prefit' tunes the thresholds of a fitted estimator, and "
                    f"{type(self.estimator).__name__} is not fitted. Fit it first; inside "
                    "cross_validate, GridSearchCV or clone(), which tune a clone (unfitted), "
                    "wrap the fitted estimator in sklearn.frozen.FrozenEstimator instead: "
                    "TaskThresholdTuner(FrozenEstimator(model)), which clones keep fitted."
                ) from None
            self.estimator_ = self.estimator
            rows = np.arange(n)
            outputs = _outputs_of(self.estimator_, X)
        elif frozen:
            self.estimator_ = clone(self.estimator).fit(X, Y, **estimator_params)  # (no-op)
            rows = np.arange(n)
            outputs = _outputs_of(self.estimator_, X)
        else:
            self.estimator_ = clone(self.estimator).fit(X, Y, **estimator_params)
            tasks = _final(self.estimator_).tasks_
            splits = self._splits(X, Y, split_groups)
            fold_model = clone(self.estimator)
            if not _holds_frozen(fold_model):  # a frozen model is the user's own, fitted
                _pin_schema(_final(fold_model), tasks)
            if fold_params is None:
                fold_params = _fit_params(fold_model, sample_weight, groups)
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(_fold_outputs)(fold_model, X, Y, fold_params, train, test)
                for train, test in splits
            )
            rows = np.concatenate([test for test, _ in results])
            outputs = [
                np.concatenate([out[j] for _, out in results]) for j in range(len(tasks))
            ]
        self._copy_fitted(self.estimator_)
        true = self.encoder_.transform(Y)
        # (with cv="prefit" or a FrozenEstimator no fit compares them: a longer y was
        # tuned on its first rows, a shorter one failed with an IndexError)
        check_same_length(X, true)
        weight = None if sample_weight is None else sample_weight[rows]
        self.thresholds_, self.best_scores_, self.default_scores_ = {}, {}, {}
        for j, task in enumerate(self.schema_):
            if task.kind == "binary":
                labels = true.codes[rows, j][:, None]
                scores = outputs[j][:, 1][:, None]
            elif task.kind == "multilabel":
                labels = true.multilabel[task.name][rows]
                scores = outputs[j]
            else:
                continue
            # a NaN probability would make a NaN threshold, which predict then refuses
            # without saying where it came from
            bad = np.isnan(np.asarray(scores, dtype=float)) & (labels >= 0)
            if bad.any():
                i, k = (int(v) for v in np.argwhere(bad)[0])
                label = f" (label {task.classes[k]!r})" if task.kind == "multilabel" else ""
                raise ValueError(
                    f"The probabilities that tune task {task.name!r}{label} are NaN for "
                    f"{int(bad.any(axis=1).sum())} sample(s), sample {int(rows[i])} first: "
                    f"{type(_final(self.estimator_)).__name__} predicted NaN for them, "
                    "and no threshold can be tuned on a NaN probability."
                )
            tuned = [
                _tune_label(labels[:, k], scores[:, k], weight, self.metric)
                for k in range(labels.shape[1])
            ]
            single = [k for k in range(labels.shape[1])
                      if _one_class(_tuning_labels(labels[:, k], weight), labels[:, k])]
            if single:  # no cut separates anything: 0.5 stays, and the scores are NaN
                which = (f"labels {[task.classes[k] for k in single]!r} of task "
                         f"{task.name!r}" if task.kind == "multilabel"
                         else f"task {task.name!r}")
                # (with cv="prefit" or a FrozenEstimator every row given tunes: no cv
                # gives more of them; an int cv or a splitter tunes on every row already)
                more = ("Use more folds' rows (an int cv rather than a held-out "
                        "fraction), or more data" if _is_fraction(self.cv) and not frozen
                        else "Tune on more data")
                if weight is not None and any(
                        not _one_class(_tuning_labels(labels[:, k], None), labels[:, k])
                        for k in single):
                    more = ("The rows of its other class all have sample_weight 0, which "
                            "leaves them out of the tuning. " + more)
                warnings.warn(
                    f"The tuning rows of {which} hold a single class (or none), so no "
                    f"threshold can be tuned: it stays 0.5 (best_scores_ NaN). {more}.",
                    UserWarning, stacklevel=3,  # (fit is wrapped by _fit_context)
                )
            undefined = [k for k in range(labels.shape[1])
                         if k not in single and np.isnan(tuned[k][1])]
            if undefined:  # a callable metric NaN at every cut: 0.5 stayed, unsaid
                which = (f"labels {[task.classes[k] for k in undefined]!r} of task "
                         f"{task.name!r}" if task.kind == "multilabel"
                         else f"task {task.name!r}")
                warnings.warn(
                    f"metric returned NaN at every candidate threshold of {which}, so no "
                    "threshold can be tuned: it stays 0.5 (best_scores_ NaN). Check that "
                    "the metric is defined on these labels (e.g. zero_division).",
                    UserWarning, stacklevel=3,
                )
            thr, best, default = (np.array(v, dtype=float) for v in zip(*tuned))
            if task.kind == "binary":
                thr, best, default = float(thr[0]), float(best[0]), float(default[0])
            self.thresholds_[task.name] = thr
            self.best_scores_[task.name] = best
            self.default_scores_[task.name] = default
        return self

    def _splits(self, X, Y, groups=None):
        if _is_fraction(self.cv):
            empty = np.empty((_num_samples(X), 0))
            if groups is not None:
                splitter = GroupShuffleSplit(1, test_size=self.cv, random_state=self.random_state)
                return list(splitter.split(empty, groups=groups))
            model = _final(self.estimator_)
            if _one_classification_task(model):
                # As TunedThresholdClassifierCV: a classifier's 1-D y is held out
                # stratified, so that a rare class is not left out of the held-out part by
                # chance (its threshold would stay 0.5). Missing labels are a stratum of
                # their own, or, fewer than two, join the largest class's.
                strata = np.maximum(model.encoder_.transform(Y).codes[:, 0], -1)
                gaps = strata < 0
                if 0 < gaps.sum() < 2 and not gaps.all():
                    strata[gaps] = np.bincount(strata[~gaps]).argmax()
                splitter = StratifiedShuffleSplit(
                    1, test_size=self.cv, random_state=self.random_state)
                try:
                    return list(splitter.split(empty, strata))
                except ValueError:  # a class of one sample, or more classes than rows
                    pass
            splitter = ShuffleSplit(1, test_size=self.cv, random_state=self.random_state)
            return list(splitter.split(empty))
        if self.cv is None or isinstance(self.cv, Integral):
            n_splits = 5 if self.cv is None else self.cv  # check_cv's default
            model = _final(self.estimator_)
            # the folds are made on the labels as the model reads them (its encoder's
            # gated_labels, missing_groups, from_groups), not re-read from the raw Y
            if groups is not None:
                # whole groups, each task's labels spread over the folds as the groups allow
                splitter = MultiTaskStratifiedGroupKFold(n_splits)
                return list(splitter.split(X, model.encoder_.transform(Y), groups))
            if _one_classification_task(model):
                # A classifier's 1-D y: stratified folds. check_cv would sort the raw
                # labels, and fail on a missing one.
                encoded = model.encoder_.transform(Y)
                codes = encoded.codes[:, 0]
                if (codes >= 0).all():  # scikit-learn's folds, as check_cv gives them
                    return list(StratifiedKFold(n_splits).split(X, codes))
                # a missing label counts for nothing; its row still goes to a fold
                return list(MultiTaskStratifiedKFold(n_splits).split(X, encoded))
            if any(task.kind in ("binary", "multilabel") for task in model.tasks_):
                # Several tasks (or label sets): every task's labels spread over the
                # folds. KFold's contiguous folds left a rare label of rows sorted by it
                # out of a fold's training part, whose model then scored all its
                # positives low (the tuned threshold put every sample on).
                encoded = model.encoder_.transform(Y)
                return list(MultiTaskStratifiedKFold(n_splits).split(X, encoded))
        # a splitter gets the labels (a splitter of this package reads them)
        return some_splits(check_cv(self.cv).split(X, Y, groups), self.cv)

    def _copy_fitted(self, est):
        for name in (
            "encoder_", "schema_", "tasks_", "classes_", "n_tasks_", "_single_output",
            "observed_combinations_", "n_features_in_", "feature_names_in_",
        ):
            # the labels' attributes are the model's, the features' a pipeline's own
            source = est if name.startswith(("n_features", "feature_names")) else _final(est)
            if hasattr(source, name):
                setattr(self, name, getattr(source, name))
            elif name == "feature_names_in_" and hasattr(self, name):
                delattr(self, name)

    def _outputs(self, X):
        check_is_fitted(self, "thresholds_")
        return _outputs_of(self.estimator_, X, thresholds=self._deciding_thresholds())

    def _deciding_thresholds(self):
        """The thresholds (checked) where they decide: a classifier chain's later links
        read the decisions of the tasks before them (``chain_method="predict"``, and
        their gates), which are these thresholds' and not the links' own ``predict``."""
        decoder = self._decoder()
        if not (isinstance(decoder, str) and decoder == "independent"):
            return None  # (a joint decoding maximises probability: no thresholds)
        return check_thresholds(self.thresholds_, self.schema_)

    def predict_encoded(self, X):
        check_is_fitted(self, "thresholds_")
        thresholds = self._deciding_thresholds()
        multiclass = [j for j, task in enumerate(self.schema_) if task.kind == "multiclass"]
        if not multiclass:
            return self._decode(_outputs_of(self.estimator_, X, thresholds=thresholds))
        outputs, decided = _outputs_of(self.estimator_, X, codes=multiclass,
                                       thresholds=thresholds)
        if decided is not None:
            # A multiclass task has no threshold: it is decided as the wrapped estimator
            # decides it, by its models' own predict where that is how it decides (an
            # SVC(probability=True) by its decision function), not by the argmax of their
            # probabilities; one-hot, so that the gates then apply to it as to the others
            outputs = list(outputs)
            for j in multiclass:
                onehot = np.zeros((len(decided), len(self.schema_[j].classes)))
                onehot[np.arange(len(decided)), decided[:, j]] = 1.0
                outputs[j] = onehot
        return self._decode(outputs)

    # its own: the API pages show a method by its own __doc__, not its base class's
    predict_encoded.__doc__ = BaseMultiTaskEstimator.predict_encoded.__doc__

    def _decoder(self):
        model = _final(self.estimator_)
        decode = getattr(model, "decode", "independent")
        if isinstance(decode, str) and decode == "auto":  # thresholds decide, task by task
            return "independent"
        return model._decoder()

    def __sklearn_tags__(self):
        return delegate_input_tags(super().__sklearn_tags__(), self.estimator)

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        As for :class:`~sklearn.model_selection.TunedThresholdClassifierCV`: ``fit``'s
        metadata go to the estimator's ``fit`` as it requests them, ``groups`` to the
        splitter's ``split`` as it requests them (an int ``cv`` with groups makes a
        :class:`~sklearn_mtl.model_selection.MultiTaskStratifiedGroupKFold`, a float one a
        ``GroupShuffleSplit``: both take them). The tuner's own ``fit`` weights the metric
        with ``sample_weight``, and its ``score`` takes the weights its
        ``set_score_request`` asks for.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        router = MetadataRouter(owner=self).add_self_request(self).add(
            estimator=self.estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
        if self.cv is None or isinstance(self.cv, Integral):
            splitter = MultiTaskStratifiedGroupKFold(5 if self.cv is None else self.cv)
        elif _is_fraction(self.cv):
            splitter = GroupShuffleSplit(1, test_size=self.cv)
        else:  # a splitter, an iterable, or "prefit" (no folds: it requests nothing)
            splitter = self.cv
        return router.add(
            splitter=splitter,
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )


def _is_fraction(cv):
    """Whether ``cv`` is a held-out fraction (a float in (0, 1))."""
    return isinstance(cv, Real) and not isinstance(cv, Integral)


def _is_independent(estimator):
    """Whether ``estimator`` decodes task by task: ``"independent"``, or ``"auto"`` (the
    network's default), which the tuner replaces by per-task thresholds."""
    decode = getattr(estimator, "decode", "independent")
    return isinstance(decode, str) and decode in ("independent", "auto")


def _as_indexable(A):
    """Array-likes known only by ``__array__`` become arrays, sparse matrices a row-indexable
    format (CSR unless CSC); others are kept as given."""
    if sp.issparse(A):
        return A if A.format in ("csr", "csc") else A.tocsr()
    if not hasattr(A, "shape") and not hasattr(A, "__len__") and hasattr(A, "__array__"):
        return np.asarray(A)
    return A


def _one_classification_task(model):
    """Whether ``model`` was fitted on a 1-D ``y`` of one binary or multiclass task (not
    label sets, an indicator matrix or values), as the fitted model read it."""
    return bool(getattr(model, "_single_output", False)) and model.tasks_[0].is_classification


def _pin_schema(estimator, tasks):
    """Give fold clones the full data's schema, so that a class missing from a fold
    cannot change the width of its outputs: the fitted ``tasks`` (the declared ones
    completed with their kinds and classes) replace what the estimator declares."""
    params = estimator.get_params(deep=False)
    encoder = params.get("encoder")
    if encoder is not None:
        if "tasks" in encoder.get_params():
            estimator.set_params(encoder=clone(encoder).set_params(tasks=list(tasks)))
    elif "tasks" in params:
        estimator.set_params(tasks=list(tasks))
    return estimator


def _fold_outputs(estimator, X, Y, fit_params, train, test):
    """The outputs on ``test`` of a clone of ``estimator`` fitted on ``train``, with
    ``fit_params`` (of all samples) restricted to its training samples."""
    est = clone(estimator)
    est.fit(_safe_indexing(X, train), _safe_indexing(Y, train),
            **_check_method_params(X, params=fit_params, indices=train))
    return test, _outputs_of(est, _safe_indexing(X, test))


def _final(estimator):
    """The model that a pipeline (of pipelines) ends in, or ``estimator`` itself, seen
    through a :class:`~sklearn.frozen.FrozenEstimator`: the one with tasks, per-task
    outputs and a decoding."""
    while isinstance(estimator, (Pipeline, FrozenEstimator)):
        estimator = estimator[-1] if isinstance(estimator, Pipeline) else estimator.estimator
    return estimator


def _holds_frozen(estimator):
    """Whether ``estimator`` is, or a pipeline ends in, a ``FrozenEstimator``."""
    while isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    return isinstance(estimator, FrozenEstimator)


def _never_refitted(estimator):
    """Whether fitting ``estimator`` (a clone of it) changes nothing: a
    ``FrozenEstimator``, or a pipeline (of pipelines) whose every step is one or
    ``"passthrough"``."""
    if isinstance(estimator, Pipeline):
        return all(step is None or isinstance(step, str) or _never_refitted(step)
                   for _, step in estimator.steps)
    return isinstance(estimator, FrozenEstimator)


def _outputs_of(fitted, X, codes=None, thresholds=None):
    """The per-task outputs of a fitted model, through a pipeline's transforms and a
    ``FrozenEstimator``; with ``codes`` (task positions), also the codes (n_samples,
    n_tasks) that its models' own ``predict`` decide for those tasks, before the gates,
    where the model decides by them (a baseline with ``decode="independent"``), else
    None. ``thresholds`` (checked) go to a classifier chain, whose later links read the
    decisions they make."""
    if isinstance(fitted, Pipeline):
        return _outputs_of(fitted[-1], fitted[:-1].transform(X), codes, thresholds)
    if isinstance(fitted, FrozenEstimator):
        return _outputs_of(fitted.estimator, X, codes, thresholds)
    # (a TaskChainClassifier: its links read the tasks' decisions before them)
    given = {} if thresholds is None or not hasattr(fitted, "_chain_outputs") else {
        "thresholds": thresholds}
    if codes is None:
        return fitted._outputs(X, **given)
    decided = None
    if getattr(fitted, "_decides_by_models", lambda: False)():
        decided = fitted._model_decisions(fitted._validate_X(X, reset=False),
                                          tasks=codes, **given)[0]
    return fitted._outputs(X, **given), decided


def _fit_params(estimator, sample_weight, groups):
    """The ``fit`` keyword arguments that give ``estimator`` the weights and groups
    without metadata routing: by name where its ``fit`` takes them (the weights always,
    the groups where they are read); to a pipeline as ``<step>__sample_weight`` for its
    final step and ``<step>__groups`` for each step that takes them, as a pipeline is
    given them by hand."""
    params = {} if groups is None else groups_fit_params(estimator, groups)
    if sample_weight is not None:
        if isinstance(estimator, Pipeline):
            params.update({f"{estimator.steps[-1][0]}__{key}": value for key, value
                           in _fit_params(estimator[-1], sample_weight, None).items()})
        else:
            params["sample_weight"] = sample_weight
    return params


def _tuning_labels(labels, weight):
    """Which of a label's 0/1 ``labels`` (negative: masked) tune its threshold: those
    labelled, of positive weight."""
    keep = labels >= 0
    if weight is not None:
        keep &= np.asarray(weight) > 0
    return keep


def _one_class(keep, labels):
    """Whether the tuning labels (``labels[keep]``) hold fewer than two classes."""
    return len(np.unique(labels[keep])) < 2


def _tune_label(labels, scores, weight, metric):
    """(threshold, metric at it, metric at 0.5) of one label.

    ``labels`` are 0/1 with negative values masked. The candidates are the midpoints
    between consecutive distinct scores (plus "none on" and "all on"); ties go to the
    threshold closest to 0.5. A sample of weight 0 is left out, as if dropped: its score
    is no candidate (it moved the threshold among those that score alike).
    """
    keep = _tuning_labels(labels, weight)
    y = labels[keep].astype(float)
    p = np.asarray(scores, dtype=float)[keep]
    w = np.ones_like(y) if weight is None else np.asarray(weight, dtype=float)[keep]
    if _one_class(keep, labels):
        return 0.5, np.nan, np.nan
    order = np.argsort(-p, kind="stable")
    p, y, w = p[order], y[order], w[order]
    last_of_value = np.r_[p[:-1] != p[1:], True]
    values = p[last_of_value]  # distinct scores, decreasing
    # Cut i puts the samples scoring >= values[i] on: halfway to the next distinct score;
    # the first candidate (1.0) puts none on, the last all.
    below = np.r_[values[1:], min(values[-1], 0.0) - 1.0]
    thresholds = np.r_[1.0, np.maximum((values + below) / 2, np.nextafter(0.0, -1.0))]
    if callable(metric):
        # a call per candidate: at most 256 cuts spread over the scores, and 0.5 itself,
        # so that the tuned threshold never scores below the default one
        candidates = np.r_[_subsample(thresholds), 0.5]
        sw = None if weight is None else w
        scores_ = np.array([_call_metric(metric, y, p > t, sw) for t in candidates])
        default = scores_[-1]  # at 0.5
        thresholds = candidates
    else:
        tp = np.r_[0.0, np.cumsum(w * y)[last_of_value]]
        fp = np.r_[0.0, np.cumsum(w * (1 - y))[last_of_value]]
        pos, neg = tp[-1], fp[-1]
        scores_ = _binary_metric(metric, tp, fp, pos - tp, neg - fp)
        on = p > 0.5
        tp5, fp5 = (w * y)[on].sum(), (w * (1 - y))[on].sum()
        default = float(
            _binary_metric(metric, np.r_[tp5], np.r_[fp5], np.r_[pos - tp5], np.r_[neg - fp5])[0]
        )
    # a callable may return NaN where it is undefined (precision_score(...,
    # zero_division=np.nan) with none on): such a cut is no candidate (np.argmax would
    # pick it); where every cut is undefined, 0.5 stays
    scored = ~np.isnan(scores_)
    if not scored.any():
        return 0.5, np.nan, float(default)
    best = np.flatnonzero(scored & (scores_ >= np.nanmax(scores_) - 1e-12))
    pick = best[np.argmin(np.abs(thresholds[best] - 0.5))]
    return float(thresholds[pick]), float(scores_[pick]), float(default)


def _subsample(thresholds, size=256):
    if len(thresholds) <= size:
        return thresholds
    return thresholds[np.unique(np.linspace(0, len(thresholds) - 1, size).round().astype(int))]


def _call_metric(metric, y, pred, weight):
    pred = pred.astype(int)
    y = y.astype(int)
    if weight is None:
        value = metric(y, pred)
    else:
        value = metric(y, pred, sample_weight=weight)
    try:
        if np.ndim(value) != 0:
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        shape = f" of shape {np.shape(value)}" if np.ndim(value) else ""
        raise ValueError(
            f"metric must return one number for the 0/1 labels of one binary task or "
            f"label; {_name_of(metric)} returned {type(value).__name__}{shape}: "
            f"{value!r:.80}."
        ) from None


def _takes_sample_weight(metric):
    """Whether the callable ``metric`` accepts a ``sample_weight`` keyword (or any
    keyword); one whose signature cannot be read is given the benefit of the doubt."""
    try:
        params = inspect.signature(metric).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "sample_weight" or p.kind is p.VAR_KEYWORD for p in params)


def _name_of(metric):
    name = getattr(metric, "__name__", None)
    if name is None and isinstance(metric, functools.partial):
        name = getattr(metric.func, "__name__", None)
    return f"metric {name}" if name else f"metric {metric!r}"


def _binary_metric(name, tp, fp, fn, tn):
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "f1":
            score = 2 * tp / (2 * tp + fp + fn)
        elif name == "balanced_accuracy":
            score = 0.5 * (tp / (tp + fn) + tn / (tn + fp))
        elif name == "accuracy":
            score = (tp + tn) / (tp + fp + fn + tn)
        else:  # matthews
            score = (tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return np.nan_to_num(score, nan=0.0)


__all__ = ["TaskThresholdTuner"]
