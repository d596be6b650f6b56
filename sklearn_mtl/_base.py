"""What every sklearn-mtl estimator shares: labels in, outputs decoded, forms out.

A subclass's ``fit(X, y, sample_weight=None)`` starts with
``X, encoded, sample_weight = self._check_fit_inputs(X, y, sample_weight)`` (validated
``X``, :class:`~sklearn_mtl.EncodedLabels`, and the fitted ``encoder_``/``schema_``/
``classes_``) and fits on them; the subclass then implements

``_predict_outputs(self, X)``
    Per-task outputs for validated ``X`` (see :mod:`sklearn_mtl._decoding`),

and may override ``_validate_X`` (e.g. to accept images or a torch ``Dataset``).
``predict``, ``predict_proba``, ``score`` and decoding are shared.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data

from ._decoding import JointDecoder, decode, observed_combinations
from ._encoder import EncodedLabels, StructuredLabelEncoder, _is_label_container
from ._frames import check_not_lazy, to_pandas
from ._schema import NOT_APPLICABLE, Schema, Task, _plain
from ._validation import (
    check_row_order,
    check_sample_weight,
    check_weight_order,
    first_bad_value,
    refuse_mappings,
)
from .metrics._classification import exact_match_score
from .metrics._inputs import encode_truth

_COMMON_CONSTRAINTS = {
    "tasks": [list, tuple, Task, Schema, None],
    "encoder": [HasMethods(["fit_transform", "inverse_transform"]), None],
    "decode": [StrOptions({"independent", "joint"}), HasMethods(["decode"])],
}


class BaseMultiTaskEstimator(MultiOutputMixin, ClassifierMixin, BaseEstimator):
    """Base class: structured ``Y`` in, the same form out.

    Fitted attributes set here: ``encoder_``, ``schema_``, ``tasks_``, ``classes_``,
    ``n_tasks_``, ``observed_combinations_`` (the distinct label combinations of fully
    annotated training rows, used by ``JointDecoder(allowed="observed")``), plus
    ``n_features_in_`` / ``feature_names_in_`` from validation.
    """

    #: Whether the estimator learns regression tasks (the network), whose targets must
    #: then fit :data:`MAX_REGRESSION_TARGET`; the baselines refuse them by kind.
    _learns_regression = False

    # ----------------------------------------------------------------- labels in
    def _fit_labels(self, Y):
        if self.tasks is not None and self.encoder is not None:
            raise ValueError(
                "Pass either tasks or encoder, not both: give the tasks to the encoder."
            )
        if self.encoder is not None:
            self.encoder_ = clone(self.encoder)
        else:
            self.encoder_ = StructuredLabelEncoder(tasks=self.tasks)
        try:
            encoded = self.encoder_.fit_transform(Y)
        except ValueError as exc:
            hint = _integer_codes_hint(Y, self.encoder_, exc)
            if hint is None:
                raise
            raise ValueError(f"{exc} {hint}") from None
        if self._learns_regression:  # (the baselines refuse regression tasks by kind)
            check_regression_range(encoded)
        self.schema_ = self.encoder_.schema_
        decoder = getattr(self, "decode", None)
        if isinstance(decoder, JointDecoder):  # a typo is refused now, not after training
            decoder._check_schema(self.schema_)
        # Hook for decode=JointDecoder(allowed="observed"): the label combinations seen in
        # training (codes, one row per distinct fully annotated combination).
        self.observed_combinations_ = observed_combinations(encoded)
        self.tasks_ = list(self.schema_.tasks)
        self.n_tasks_ = len(self.tasks_)
        # One task read from a 1-D y or an indicator matrix: plain scikit-learn outputs.
        self._single_output = self.encoder_._reader.form in ("1d", "indicator")
        classes = self.encoder_.classes_
        self.classes_ = classes[0] if self._single_output else classes
        return encoded

    def _validate_X(self, X, *, reset, fit_rows=None):
        """``X`` checked (``reset``: in ``fit``). ``fit_rows``: in ``fit``, the mask of
        the rows of positive ``sample_weight`` (``None``: every row), for a subclass that
        fits something on ``X`` here (the network's preprocessing); not used here."""
        # Sparse X (TF-IDF, one-hot) is passed on to the base estimators as it comes,
        # in a row-indexable format, as MultiOutputClassifier passes it.
        check_not_lazy(X, "X")
        # NaN in a dense X where the tags say it is read (a tuner's: its estimator's,
        # such as a baseline around HistGradientBoostingClassifier), as an array holding
        # NaN goes to it as it is; a list of rows was refused ("... does not accept
        # missing values"). The baselines read dense X themselves, in one pass (see
        # _BaselineMethods._validate_X), and come here with a sparse matrix only, whose
        # NaN stays refused, naming its entry. The tags are
        # read only where X holds NaN, not on every call (get_tags walks a Pipeline's
        # steps: about 0.1 ms a call).
        try:
            return validate_features(self, X, reset=reset, accept_sparse=("csr", "csc"))
        except ValueError as exc:
            if ("Input X contains NaN" not in str(exc) or sp.issparse(X)
                    or not get_tags(self).input_tags.allow_nan):
                raise
        return validate_features(self, X, reset=reset, accept_sparse=("csr", "csc"),
                                 ensure_all_finite="allow-nan")

    def _require_y(self, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )

    def _check_fit_inputs(self, X, Y, sample_weight, *, warn_single_class=True,
                          batch=False):
        """``batch``: the first batch of ``partial_fit``, which may lack the labels of a
        binary, multiclass or multilabel task whose classes are known (later batches
        bring them)."""
        self._require_y(Y)
        check_row_order(X, Y)
        # The weights are checked first (they need only the number of samples), so that
        # what _validate_X fits on X leaves out the rows of weight 0; where they are
        # refused, X's own errors and the labels' come first (checked again below).
        weight = None
        if sample_weight is not None:
            try:
                weight = check_sample_weight(sample_weight, X)
            except (TypeError, ValueError):
                weight = None
        X = self._validate_X(X, reset=True, fit_rows=_positive_rows(weight))
        encoded = self._fit_labels(Y)
        check_same_length(X, encoded)
        _check_task_labels(encoded, warn_single_class=warn_single_class, batch=batch)
        if sample_weight is not None:
            sample_weight = (weight if weight is not None
                             else check_sample_weight(sample_weight, X))
            if not batch:
                _check_weighted_labels(encoded, sample_weight)
            # a row of weight 0 is as if dropped: its combination is not one "observed"
            # (decoding over the observed combinations would predict it)
            self.observed_combinations_ = observed_combinations(encoded, sample_weight)
        decoder = getattr(self, "decode", None)
        if isinstance(decoder, JointDecoder) and not batch:
            # allowed="observed" with no fully annotated row (of positive weight), or
            # forbidden pairs in every observed one: refused now, not by predict
            decoder._check_schema(self.schema_, self.observed_combinations_)
        return X, encoded, sample_weight

    # ---------------------------------------------------------------- outputs out
    def _outputs(self, X):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._predict_outputs(X)

    def _decode(self, outputs):
        thresholds = getattr(self, "thresholds_", None)
        return decode(
            outputs,
            self.schema_,
            method=self._decoder(),
            thresholds=thresholds,
            observed=getattr(self, "observed_combinations_", None),
        )

    def _decoder(self):
        return self.decode

    def predict_encoded(self, X):
        """Predictions as :class:`~sklearn_mtl.EncodedLabels` (codes, blocks, masks).

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
        return self._decode(self._outputs(X))

    def predict(self, X):
        """Predict every task.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        Y : DataFrame, ndarray or list of sets
            The form of the ``Y`` given to ``fit``: a DataFrame (original dtypes, a gap,
            the column's own missing value, where a task's predicted gate is
            off), a 2-D or 1-D array, or a multi-hot
            matrix / list of label sets for grouped labels. A DataFrame keeps the index
            of ``X`` when ``X`` is a DataFrame, so ``Y_test.join(model.predict(X_test))``
            aligns row by row.
        """
        encoded = self.predict_encoded(X)
        return _keep_index(self.encoder_.inverse_transform(encoded), X)

    def predict_proba(self, X, task=None):
        """Per-task probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        task : str, default=None
            Return the probabilities of this task only.

        Returns
        -------
        proba : list of ndarray, or ndarray
            One array per task in ``tasks_`` order: (n_samples, n_classes) for a binary or
            multiclass task (conditional on its gate being on), (n_samples, n_labels) of
            P(label = 1) for a multilabel task, (n_samples,) predicted values for a
            regression task. A single array for a 1-D ``y`` or when ``task`` is given.
        """
        outputs = self._outputs(X)
        if task is not None:
            return outputs[self.schema_.index(task)]
        if self._single_output:
            return outputs[0]
        return outputs

    def predict_log_proba(self, X, task=None):
        """Logarithm of :meth:`predict_proba`, for the classification tasks.

        A regression task's entry is its predicted values, as in :meth:`predict_proba`:
        they are no probabilities, and their logarithm would be NaN below 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        task : str, default=None
            Return the log-probabilities of this task only.

        Returns
        -------
        log_proba : list of ndarray, or ndarray
            The logarithm of each array of :meth:`predict_proba` (``-inf`` where a
            probability is 0), in the same form: one array per task, or a single array
            for a 1-D ``y`` or when ``task`` is given.
        """
        proba = self.predict_proba(X, task=task)
        single = not isinstance(proba, list)
        tasks = [self.schema_[task]] if task is not None else list(self.schema_)
        with np.errstate(divide="ignore"):
            logs = [
                p if t.kind == "regression" else np.log(p)
                for t, p in zip(tasks, [proba] if single else proba, strict=True)
            ]
        return logs[0] if single else logs

    def score(self, X, y, sample_weight=None):
        """Exact match: the fraction of samples whose applicable labels are all right.

        :func:`sklearn_mtl.metrics.exact_match_score`: missing labels are ignored (a
        sample with no label at all is left out); a gated-off true label counts as right
        only when the prediction also switches the gate off. ``y`` is read as
        :data:`~sklearn_mtl.metrics.exact_match_scorer` reads it, so the two give the
        same value: a label given where its gate is off is masked
        (``gated_labels="mask"``), and so is an exclusive group without an active label,
        whatever the encoder's options for training. Regression tasks are left out.
        With a 1-D ``y`` this is plain accuracy, as for any scikit-learn classifier.
        A label the estimator never saw in training counts as an error, as in
        scikit-learn's ``accuracy_score``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        y : DataFrame, array-like or list of sets
            True labels, in the form given to ``fit`` (named ``y`` as scikit-learn's
            scorers pass it). For a model fitted on a DataFrame, an array of its
            columns (``Y_test.to_numpy()``) is read by position, as
            ``MultiOutputClassifier.score`` reads it.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
        """
        check_row_order(X, y, names=("X", "y"), align="y = y.loc[X.index]")
        check_weight_order(X, sample_weight)
        pred = self.predict_encoded(X)
        true = encode_truth(y, self.encoder_)
        # named as the user passed them (the metric's words, "Y_true has 20 samples but
        # Y_pred has 30", named neither); pred has a row per sample of X
        check_same_length(pred, true, name="y")
        if all(task.kind == "regression" for task in self.schema_):
            raise ValueError(
                f"score is the exact match over the classification tasks, and this "
                f"{type(self).__name__} has regression tasks only "
                f"({[task.name for task in self.schema_]}). Score a regression task with "
                "sklearn_mtl.metrics.make_task_scorer('r2', task=...) (e.g. as a scoring= "
                "of cross_validate or GridSearchCV)."
            )
        return exact_match_score(true, pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.input_tags.sparse = True
        # A 0/1 indicator matrix is multi-label data: scikit-learn's multi-label checks run.
        tags.classifier_tags.multi_label = True
        tags.non_deterministic = False
        return tags


def delegate_input_tags(tags, estimator):
    """``tags`` (a meta-estimator's) with the ``allow_nan`` and ``sparse`` input tags of
    the ``estimator`` it fits, as scikit-learn's meta-estimators delegate them: a
    ``SelectFromModel`` or ``SequentialFeatureSelector`` around a baseline of forests
    then lets NaN through to them, as the forests do."""
    from sklearn.utils import get_tags

    inner = get_tags(estimator).input_tags
    tags.input_tags.allow_nan = inner.allow_nan
    tags.input_tags.sparse = inner.sparse
    return tags


def tasks_from_classes(estimator, Y, classes):
    """The tasks of ``Y`` with the classes given to ``partial_fit`` (one array per task).

    The first ``partial_fit`` batch need not show every class; ``classes`` (as for
    :class:`~sklearn.multioutput.MultiOutputClassifier`, one array per task in column
    order, or one array for a 1-D ``y``; or a dict ``{task: classes}``) completes the
    schema learned from it.
    """
    if estimator.tasks is not None or estimator.encoder is not None:
        # the declared tasks are the schema, which classes cannot complete: name those
        # that declare no classes (a regression task is declared this way only)
        given = "encoder" if estimator.encoder is not None else "tasks"
        tasks = estimator.tasks if given == "tasks" else []
        tasks = [tasks] if isinstance(tasks, Task) else list(tasks)
        bare = [t.name for t in tasks
                if t.classes is None and t.columns is None and t.kind != "regression"]
        raise ValueError(
            f"Pass classes to partial_fit only when tasks and encoder are None; {given} is "
            "set, so declare every task's classes there (tasks=[Task(name, classes=[...]), "
            "...]) and call partial_fit without classes"
            + (f"; no classes are declared for {bare}." if bare else ".")
        )
    return [Task(name, kind="multilabel" if sets else None, classes=values)
            for name, sets, values in _given_classes(Y, classes)]


def check_same_classes(estimator, Y, classes):
    """A ValueError where ``classes``, given to a later ``partial_fit`` call, are not the
    classes of the fitted tasks: scikit-learn's ``partial_fit`` raises, rather than
    ignoring the new ones."""
    if classes is None:
        return
    for name, _, values in _given_classes(Y, classes):
        fitted = list(estimator.schema_[name].classes)
        if set(values) != set(fitted):  # in any order: the declared order may be another
            raise ValueError(
                f"classes={values!r} for task {name!r} is not the same as on the first call "
                f"to partial_fit, was: {fitted!r}. A fitted model keeps its classes: fit "
                "again to learn others."
            )


def _given_classes(Y, classes):
    """``(task name, whether its labels are sets, its classes as a sorted list)`` of each
    task of ``Y``, from the ``classes`` given to ``partial_fit``."""
    names, set_valued = _column_names(Y)
    if isinstance(classes, Mapping):  # {task: its classes}
        given = {str(k): v for k, v in classes.items()}
        if sorted(given) != sorted(names):
            raise ValueError(
                f"classes names the tasks {sorted(given)}, but Y has the tasks {names}; "
                "expected one entry per task."
            )
        classes = [given[name] for name in names]
    if len(names) == 1 and len(classes) > 0 and np.ndim(classes[0]) == 0:
        classes = [classes]  # a 1-D y: one array of classes
    if len(classes) != len(names):
        flat = len(names) > 1 and all(np.ndim(c) == 0 for c in classes)
        raise ValueError(
            f"classes has {len(classes)} entries, but Y has {len(names)} tasks {names}; "
            "expected one array of classes per task."
            # scikit-learn's learning_curve(exploit_incremental_learning=True) passes
            # np.unique(Y): the classes of every task pooled, which names none's own
            + (" A flat array of classes, such as np.unique(Y) (what scikit-learn's "
               "learning_curve passes with exploit_incremental_learning=True), does "
               "not say which task each class is of: give {task: classes}, or use "
               "learning_curve without exploit_incremental_learning." if flat else "")
        )
    for name, values in zip(names, classes, strict=True):
        if np.ndim(values) != 1:
            raise ValueError(
                f"classes gives task {name!r} {values!r}; expected the array of its classes "
                "(classes is one array per task in Y's column order, or {task: classes})."
            )
    return [
        (name, sets, list(np.asarray(values if sets else _sorted_classes(values)).tolist()))
        for name, sets, values in zip(names, set_valued, classes, strict=True)
    ]


def _sorted_classes(values):
    """A task's classes sorted, as a scikit-learn classifier's ``partial_fit`` sorts the
    ``classes`` it is given (``unique_labels``), so that ``classes_`` and the columns of
    ``predict_proba`` come in the order they would; a multilabel task's labels keep
    theirs, as ``MultiLabelBinarizer(classes=...)`` does. Values of mixed types that
    cannot be sorted keep their order."""
    try:
        return unique_labels(np.asarray(values))
    except (TypeError, ValueError):
        return values


def _column_names(Y):
    """Task names of ``Y`` as the encoder names them (column names, ``task<j>`` for
    the columns of an array, ``y`` for a 1-D one), and whether a column holds sets."""
    Y = to_pandas(Y, "y", labels=True)
    if isinstance(Y, pd.DataFrame):
        columns = [Y[c] for c in Y.columns]
        names = [str(c) for c in Y.columns]
    elif isinstance(Y, pd.Series):
        columns, names = [Y], [str(Y.name) if Y.name is not None else "y"]
    else:
        arr = np.asarray(Y, dtype=object) if not hasattr(Y, "ndim") else np.asarray(Y)
        if arr.ndim == 1:
            columns, names = [pd.Series(arr)], ["y"]
        else:
            columns = [pd.Series(arr[:, j]) for j in range(arr.shape[1])]
            names = [f"task{j}" for j in range(arr.shape[1])]
    set_valued = []
    for column in columns:
        # (a 1-D array too: what ``pd.read_parquet`` makes of a list column)
        set_valued.append(any(_is_label_container(v) for v in column))
    return names, set_valued


#: scikit-learn's meta-estimators that fit their clones on a 1-D ``y`` encoded as integers
_ENCODING_WRAPPERS = (
    "VotingClassifier, StackingClassifier, BaggingClassifier, OneVsRestClassifier, "
    "CalibratedClassifierCV with method='temperature' or ensemble=False, "
    "cross_val_predict with method='predict_proba'"
)


def _integer_codes_hint(Y, encoder, exc):
    """Why a 1-D ``Y`` of integers is refused by a task whose declared classes hold no
    integer, or ``None`` where that is not the case of ``exc``: scikit-learn's
    meta-estimators encode ``y`` as 0, 1, ... before fitting their clones."""
    if "not among its classes" not in str(exc) or encoder.tasks is None:
        return None
    tasks = [encoder.tasks] if isinstance(encoder.tasks, Task) else list(encoder.tasks)
    if len(tasks) != 1 or tasks[0].classes is None:
        return None
    try:
        values = np.asarray(Y)
    except (TypeError, ValueError):
        return None
    if values.ndim != 1 or values.dtype.kind not in "iu":
        return None
    if any(isinstance(c, (int, np.integer)) for c in tasks[0].classes):
        return None  # integers are labels of this task: a wrong one is the user's
    return (
        f"y holds integers where task {tasks[0].name!r} declares its classes: "
        f"scikit-learn's meta-estimators ({_ENCODING_WRAPPERS}) fit their clones on y "
        "encoded as 0, 1, ..., which declared classes cannot read. Inside such a wrapper, "
        "leave the classes undeclared (tasks=None); for out-of-fold probabilities, "
        "sklearn_mtl.model_selection.cross_val_predict fits on y as it is."
    )


def _keep_index(Y, X):
    """``Y`` (a prediction) with the index of ``X`` when both are pandas objects."""
    if isinstance(Y, (pd.DataFrame, pd.Series)) and isinstance(X, (pd.DataFrame, pd.Series)):
        Y = Y.set_axis(X.index, axis=0)
    return Y


def encode_more(estimator, y):
    """``y`` encoded on the schema of the first fit, for a later ``partial_fit`` or a
    ``warm_start`` fit; a class that schema lacks is refused with the way to train it."""
    try:
        encoded = estimator.encoder_.transform(y)
        return check_regression_range(encoded) if estimator._learns_regression else encoded
    except ValueError as exc:
        if "not among its classes" not in str(exc):
            raise
        raise ValueError(
            f"{exc} A fit that continues (warm_start=True, partial_fit) trains the classes "
            "of the first one: declare every class at the first fit (tasks=[Task(name, "
            "classes=[...]), ...], or partial_fit(..., classes=...)), or fit anew "
            "(warm_start=False)."
        ) from None


#: The largest magnitude of a regression target. The network predicts in float32 (also
#: in ONNX), its output layer rescaled to the targets' units: it sums terms of their scale
#: over hidden units and ensemble members, so targets of 1.7e38, within float32's range
#: (3.4e38), already predicted infinity. 1e35 leaves that sum a headroom of over 3000.
MAX_REGRESSION_TARGET = 1e35


def check_regression_range(encoded):
    """``encoded``, or a ValueError naming the first regression task with a value beyond
    :data:`MAX_REGRESSION_TARGET`, its row, and how to rescale it.

    Beyond it float32 overflows: the predictions would be infinite or NaN (and at 1e300
    the target's variance overflows float64, and training failed as a diverging loss).
    The values are only read, never changed.
    """
    for name, values in encoded.regression.items():
        with np.errstate(invalid="ignore"):
            beyond = np.abs(values) > MAX_REGRESSION_TARGET  # NaN (missing): False
        if not beyond.any():
            continue
        row = int(np.flatnonzero(beyond)[0])
        finite = np.abs(values[np.isfinite(values)])  # (the encoder refuses infinity)
        largest = float(finite.max()) if finite.size else float("inf")
        # a power of ten that brings the largest value within the limit
        factor = 10.0 ** int(np.ceil(np.log10(largest / MAX_REGRESSION_TARGET))) \
            if np.isfinite(largest) else MAX_REGRESSION_TARGET
        raise ValueError(
            f"Regression task {name!r} has the value {values[row]:g} in row {row} (its "
            f"largest magnitude is {largest:g}); expected values of magnitude at most "
            f"{MAX_REGRESSION_TARGET:g}: the network predicts in float32, whose largest "
            "number is 3.4e+38, and targets near or beyond it predict infinity. Rescale "
            f"the task: e.g. divide its values by {factor:g} and multiply the predictions "
            f"by {factor:g}, as scikit-learn's TransformedTargetRegressor would."
        )
    return encoded


def check_same_length(X, encoded, name="Y"):
    """One row of labels per sample, or a ValueError saying both numbers (``name``: the
    labels' argument, as the user passed them)."""
    n_samples = _num_samples(X)
    if n_samples != encoded.n_samples:
        raise ValueError(
            f"X has {n_samples} samples, but {name} has {encoded.n_samples}; expected one row of "
            "labels per sample (found input variables with inconsistent numbers of "
            f"samples: [{n_samples}, {encoded.n_samples}])."
        )


#: Words of scikit-learn's errors on X's columns (their names, their number), raised
#: before (or without) its values are read.
_NOT_ABOUT_VALUES = ("feature names should match", "features as input")


def validate_features(estimator, X, **kwargs):
    """``validate_data`` whose errors on bad values name the first bad row and column.

    scikit-learn reports "Input X contains NaN" or "could not convert string to float"
    without saying where; the re-raised ``ValueError`` keeps that message and adds the
    position and value of the first offending entry (and, for reordered DataFrame
    columns, the expected order).
    """
    refuse_mappings(X)
    if isinstance(X, pd.DataFrame):  # scikit-learn's message prints the whole frame
        complex_columns = [c for c, dtype in X.dtypes.items()
                           if pd.api.types.is_complex_dtype(dtype)]
        if complex_columns:
            raise ValueError(
                f"Complex data not supported: X's column {complex_columns[0]!r} holds "
                "complex numbers; expected real numbers (its .real or abs(), as columns "
                "of their own)."
            )
    if not kwargs.get("skip_check_array"):  # values read as numbers here
        _check_no_columns(estimator, X, kwargs.get("ensure_min_features", 1))
        _check_no_time_columns(estimator, X)
        _check_sparse_fill(X)
    try:
        return validate_data(estimator, X, **kwargs)
    except ValueError as exc:
        message = str(exc)
        if "same order" in message and hasattr(X, "columns"):
            expected = list(getattr(estimator, "feature_names_in_", []))
            raise ValueError(
                f"{message.rstrip()}\nExpected the columns {expected}; got {list(X.columns)}."
            ) from exc
        if kwargs.get("skip_check_array") or any(
                words in message for words in _NOT_ABOUT_VALUES):
            # no entry is at fault (the values were not read: the columns' names, e.g.
            # "Expected unique column names"): one named would be read as the cause
            raise
        ragged = _ragged_row(X)
        if ragged is not None:
            raise ValueError(ragged) from exc
        # a NaN let through is not the bad entry (it was named before the infinity after it)
        kinds = (("inf", "text") if kwargs.get("ensure_all_finite") == "allow-nan"
                 else ("nan", "inf", "text"))
        where = first_bad_value(X, kinds, message=message)
        if where is None:
            raise
        raise ValueError(f"{message.rstrip()}\n{where}") from exc


def _check_sparse_fill(X):
    """A ValueError naming the first column of a DataFrame ``X`` of pandas sparse
    columns only, which scikit-learn reads as a sparse matrix (its entries not stored are
    0), whose fill value is not 0: pandas' own "fill value must be 0 when converting to
    COO matrix" named neither the column nor the way to store it."""
    if not (isinstance(X, pd.DataFrame) and X.shape[1] and all(
            isinstance(dtype, pd.SparseDtype) for dtype in X.dtypes)):
        return
    for column, dtype in X.dtypes.items():
        fill = dtype.fill_value
        if pd.isna(fill) or fill != 0:  # NaN: that of astype(pd.SparseDtype(float))
            raise ValueError(
                f"X's column {column!r} is {dtype}, a pandas sparse column whose fill "
                f"value is {fill!r}; a frame of sparse columns is read as a sparse "
                "matrix, whose entries not stored are 0, so every column's fill value "
                "must be 0. Store the columns with fill value 0, e.g. "
                f"X.astype(pd.SparseDtype({str(dtype.subtype)!r}, "
                f"{False if dtype.subtype.kind == 'b' else 0})) (a gap stays a "
                "stored NaN, refused as in any sparse matrix), or pass the dense frame, "
                "X.sparse.to_dense()."
            )


def _check_no_columns(estimator, X, ensure_min_features=1):
    """A ValueError for a DataFrame ``X`` (pandas or polars) with no column, in
    scikit-learn's words for an array of no feature: its check read the frame's dtypes
    first, and numpy said only "at least one array or dtype is required"."""
    if not (hasattr(X, "columns") and len(getattr(X, "shape", ())) == 2
            and X.shape[1] == 0 and ensure_min_features > 0):
        return
    raise ValueError(
        f"Found array with 0 feature(s) (shape={tuple(X.shape)}) while a minimum of "
        f"{ensure_min_features} is required by {type(estimator).__name__}: X is a "
        "DataFrame with no column; expected at least one feature column (a column "
        "selection such as X.select_dtypes(...) may have kept none)."
    )


def _check_no_time_columns(estimator, X):
    """A ValueError naming the first date, period or duration column of a DataFrame
    ``X``, which numeric validation cannot read (numpy has no common type for them and
    numbers)."""
    if not isinstance(X, pd.DataFrame):
        return
    for column, dtype in X.dtypes.items():
        date = pd.api.types.is_datetime64_any_dtype(dtype)
        period = isinstance(dtype, pd.PeriodDtype)
        if date or period or pd.api.types.is_timedelta64_dtype(dtype):
            hint = (", or leave preprocessing='auto', which reads dates, periods and "
                    "durations as days"
                    if getattr(estimator, "preprocessing", "auto") is None else "")
            what = "dates" if date else "periods" if period else "durations"
            raise ValueError(
                f"X's column {column!r} holds {what} ({dtype}); "
                f"{type(estimator).__name__} expected numbers here. Convert the column to "
                f"numbers first (e.g. days since a date){hint}."
            )


def is_text(X):
    """Whether ``X`` is text: a 1-D list, tuple, array or Series of strings, one
    document a sample (for a base estimator that vectorizes it)."""
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and all(isinstance(x, str) for x in X)
    if isinstance(X, (np.ndarray, pd.Series)) and X.ndim == 1 and len(X):
        return X.dtype.kind in "OUT" and all(isinstance(x, str) for x in X)
    return False


def _ragged_row(X):
    """A message naming the first row of a ragged ``X`` (rows of unequal lengths), or None."""
    if not isinstance(X, (list, tuple)) or not X:
        return None
    if is_text(X):  # one string a sample: not ragged
        return None
    try:
        lengths = [len(row) for row in X]
    except TypeError:  # scalars next to sequences
        row = next(i for i, r in enumerate(X) if not hasattr(r, "__len__"))
        return (
            f"X is ragged: row {row} is {X[row]!r}, not a sequence of features; expected "
            "one row of n_features numbers per sample."
        )
    bad = next((i for i, n in enumerate(lengths) if n != lengths[0]), None)
    if bad is None:
        return None
    return (
        f"X is ragged: row {bad} has {lengths[bad]} value(s), but row 0 has {lengths[0]}; "
        "expected the same number of features in every row."
    )


def _positive_rows(weight):
    """The mask of the rows of positive weight in the checked ``sample_weight``
    ``weight``, or None where every row is kept (no weights, none of weight 0)."""
    if weight is None:
        return None
    rows = np.asarray(weight) > 0
    return None if rows.all() else rows


def _check_task_labels(encoded, warn_single_class=True, batch=False):
    """Refuse a task with no training label; warn on a task with a single class.

    ``batch``: a first ``partial_fit`` batch, where a binary, multiclass or multilabel
    task whose classes are known (declared) may have no label yet, and one batch may
    well show a single class of a task (no warning: later batches bring the others)."""
    for j, task in enumerate(encoded.schema):
        codes = encoded.codes[:, j]
        present = codes >= 0
        if batch and not present.any() and task.kind != "regression" and (
            len(task.classes) >= (1 if task.kind == "multilabel" else 2)
        ):
            # its labels come in a later batch (a regression task's scaling is fitted
            # on the first batch: it needs values there)
            warnings.warn(
                f"Task {task.name!r} has no annotated, applicable label in the first "
                "partial_fit batch: it learns from the batches that label it, and its "
                "predictions mean nothing until one has.", UserWarning,
            )
            continue
        if not present.any():
            n_off = int((codes == NOT_APPLICABLE).sum())
            raise ValueError(
                f"Task {task.name!r} has no label in the training data: of its "
                f"{len(codes)} values, {len(codes) - n_off} are missing and {n_off} not "
                "applicable (gate off); expected at least one label per task. Drop the "
                f"task: remove {task.name!r} from Y (and from tasks=, with any gate on it) to "
                "train on the other tasks."
            )
        if task.is_classification and warn_single_class and not batch:
            seen = codes[present]
            if seen.min() == seen.max():
                label = task.classes[int(seen[0])]
                warnings.warn(
                    f"Task {task.name!r} has a single class {label!r} among its "
                    f"{int(present.sum())} training labels (its classes are "
                    f"{list(task.classes)}); a model can only learn to predict {label!r}.",
                    UserWarning,
                )
    if warn_single_class and not batch:  # (a multilabel task's, as a binary one's)
        for name, block in encoded.multilabel.items():
            _warn_constant_labels(encoded.schema[name], block)


def _check_weighted_labels(encoded, sample_weight):
    """Refuse a task whose training labels all have a zero ``sample_weight``: nothing
    would train it (as scikit-learn refuses an all-zero ``sample_weight``)."""
    weighted = np.asarray(sample_weight) > 0
    for j, task in enumerate(encoded.schema):
        present = encoded.codes[:, j] >= 0
        if not (present & weighted).any():
            raise ValueError(
                f"Task {task.name!r}: sample_weight is 0 for each of its "
                f"{int(present.sum())} labelled training sample(s), so nothing would train "
                "it; expected a positive weight on at least one of them. Give some of them "
                f"a weight, or drop the task: remove {task.name!r} from Y (and from tasks=, "
                "with any gate on it) to train on the other tasks."
            )


def _warn_constant_labels(task, block):
    """Warn once for a multilabel task some of whose labels are absent (or present) in
    every training sample that annotates them."""
    constant = {0: [], 1: []}
    for label, values in zip(task.classes, block.T, strict=True):
        seen = values[values >= 0]
        if len(seen) and seen.min() == seen.max():
            constant[int(seen[0])].append(label)
    parts = [f"labels {_plain(labels)!r} are {state}"
             for state, labels in (("absent", constant[0]), ("present", constant[1]))
             if labels]
    if parts:
        warnings.warn(
            f"Task {task.name!r}: {' and '.join(parts)} in every training sample that "
            "annotates them; a model can only learn to predict them as they were.",
            UserWarning,
        )


__all__ = ["BaseMultiTaskEstimator", "EncodedLabels", "_COMMON_CONSTRAINTS"]
