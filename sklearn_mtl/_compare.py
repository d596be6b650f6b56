"""Compare estimators on structured labels with cross-validation."""

from __future__ import annotations

import re
import time
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning, UndefinedMetricWarning
from sklearn.model_selection._search import BaseSearchCV
from sklearn.pipeline import _name_estimators
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed  # passes on scikit-learn's config
from sklearn.utils.validation import _num_samples

from ._base import (
    _COMMON_CONSTRAINTS,
    BaseMultiTaskEstimator,
    check_same_length,
    validate_features,
)
from ._encoder import EncodedLabels
from ._frames import check_not_lazy
from ._leakage import warn_leaky_columns
from ._schema import MISSING
from ._validation import (
    check_groups,
    check_row_order,
    groups_fit_params,
)
from ._warnings import recording
from .metrics._classification import (
    _selected_tasks,
    _task_accuracy,
    _task_prf,
    exact_match_score,
    hamming_loss,
)
from .metrics._inputs import align_pred, fit_label_encoder
from .model_selection import fold_splits

#: compare's parameters, as scikit-learn's cross_validate validates its own.
_COMPARE_CONSTRAINTS = {
    "cv": ["cv_object"],
    "random_state": ["random_state"],
    "error_score": [StrOptions({"raise"}), Real],
    "progress": ["boolean"],
    "return_details": ["boolean"],
    "n_jobs": [Integral, None],
}


def compare(
    estimators,
    X,
    Y,
    *,
    cv=5,
    schema=None,
    random_state=0,
    error_score="raise",
    progress=True,
    return_details=False,
    n_jobs=None,
    groups=None,
):
    """Cross-validate several estimators on structured labels and tabulate the results.

    Each estimator is cloned and fitted on every training fold, then predicts the test
    fold (never refitted on it). Predictions are scored with the mask-aware metrics of
    :mod:`sklearn_mtl.metrics` against one schema learned from the whole ``Y`` (or the
    given ``schema``), so a class absent from a training fold does not break scoring.

    Parameters
    ----------
    estimators : dict of str -> estimator, list or estimator
        The models to compare, by name. Each must accept ``fit(X, Y)`` and return
        predictions in ``Y``'s form from ``predict(X)``. A list of (name, estimator)
        pairs names them too; a list of estimators (or one) names each after its class,
        lowercased and numbered where several share one, as ``make_pipeline`` does.
    X : array-like of shape (n_samples, n_features)
        Samples.
    Y : DataFrame, array-like, multi-hot matrix or list of sets
        Structured labels.
    cv : int, cross-validation generator, iterable or None, default=5
        ``None`` is 5, as in scikit-learn. An int is the number of folds of a shuffled
        :class:`~sklearn_mtl.model_selection.MultiTaskStratifiedKFold` seeded with
        ``random_state`` (every task's classes balanced across folds, missing labels
        included), or with ``groups`` of a shuffled
        :class:`~sklearn_mtl.model_selection.MultiTaskStratifiedGroupKFold` (no group in
        two folds, the groups placed so that every task's classes are balanced too).
        Otherwise a scikit-learn splitter or an iterable of (train, test) index arrays;
        either splitter of this package gets the encoded labels, another splitter's
        ``split`` receives the labels of the first task as ``y`` (so ``StratifiedKFold``
        stratifies on the first task, and refuses a multilabel or regression one, as
        scikit-learn's does); every splitter gets ``groups``.
    schema : Schema, list of Task or StructuredLabelEncoder, default=None
        The tasks the predictions are scored on; it tells gated-off labels from missing
        ones. ``None`` takes the schema the models declare (an ``encoder`` such as
        ``StructuredLabelEncoder.from_groups(...)``, or ``tasks``; also on a pipeline's
        final step or a wrapped estimator), so every
        model is scored on its own tasks; models declaring different schemas need an
        explicit ``schema``. Without any declaration the tasks are inferred from ``Y``.
    random_state : int, RandomState instance or None, default=0
        Seed of the shuffled folds when ``cv`` is an int.
    error_score : "raise" or float, default="raise"
        What a fold gets when fitting, predicting or scoring fails: raise (the error
        names the model and fold), or, with a ``FitFailedWarning``, this value for
        every score (exact match, accuracies, F1, R²) and NaN for the losses (Hamming
        loss, RMSE) and times. With NaN, as scikit-learn's ``cross_validate`` gives it, the model's
        means are NaN; with a number, the means count it.
    progress : bool, default=True
        Show a progress bar over folds x models.
    return_details : bool, default=False
        Also return the per-fold results, the out-of-fold predictions and the fitted
        estimators.
    n_jobs : int, default=None
        Fits (folds x models) run in parallel through joblib: ``None`` means 1 unless in
        a :func:`joblib.parallel_config` context, ``-1`` means all processors. Under
        ``joblib.parallel_config(backend="dask")`` the fits run on a Dask cluster (see
        the "Scaling out" guide); the results are the same as in one process. The
        fits' warnings are raised in the caller, each distinct one once, wherever the
        fits ran, when the fits are done (under the caller's warning filters); a model's
        warnings that differ only in their numbers are one, giving each number's range
        and the fits and model that raised it (``LabelProductClassifier left out 6–8 of
        273–274 samples ... (in 5 fits of model 'product')``).
    groups : array-like of shape (n_samples,), default=None
        The group of each sample (a patient, a store, a session), as for
        :func:`~sklearn.model_selection.cross_validate`: with an int ``cv`` the folds
        keep each group whole, so the scores say how the models do on groups they have
        not seen. Where rows of one subject share its labels, a plain shuffled split
        rewards a model for recognising the subject (a tree reads its identifier). An
        estimator whose ``fit`` takes ``groups`` (``MultiTaskClassifier``: its
        ensemble's held-out folds; ``TaskThresholdTuner`` and a ``TaskChainClassifier``
        with ``cv``: their folds; a ``GridSearchCV``: its ``cv``), or each step of a
        pipeline whose ``fit`` does (``TaskFeatureSelector``: its probes' folds), gets its
        training samples' groups.

    Returns
    -------
    table : DataFrame
        One row per estimator; columns are a MultiIndex (metric, ``"mean"`` | ``"std"``)
        over folds (std with ``ddof=0``). Metrics: ``exact_match``, ``hamming_loss``,
        ``mean_task_accuracy``, ``<task> accuracy`` and ``<task> f1_macro`` for every
        classification task, ``<task> rmse`` and ``<task> r2`` for every regression task
        (over the samples with a value; R² as :func:`sklearn.metrics.r2_score`; where
        a model predicts no value, its gate off, for a sample with one, both are NaN in
        that fold and in the model's mean and std, with an ``UndefinedMetricWarning``),
        ``fit_time`` and ``predict_time`` (seconds).
    details : dict
        Only with ``return_details=True``: ``"folds"`` (DataFrame, one row per model and
        fold), ``"predictions"`` (dict name -> out-of-fold :class:`EncodedLabels`, or
        ``None`` when the folds do not partition the samples), ``"estimators"`` (dict
        name -> list of fitted estimators, one per fold, None where it failed),
        ``"schema"`` and ``"Y"`` (the
        encoded labels).

    Warns
    -----
    LeakageWarning
        Before any fit, for a column of ``X`` (a pandas or polars DataFrame, or an array of
        integers or text; of floats, for the labels only) under which the folds' scores
        mislead: a different value in every row, as an identifier has (a model reading
        every column takes it for a feature), saying whether the rows follow a task's
        labels along it; a task's labels left in ``X``, as they are or recoded (one value
        for each class, a label set's label too; a regression task's values as they are or
        scaled and shifted); and, without ``groups``,
        values that come in groups of rows within which a task's labels agree (a subject's
        identifier, alone or restarting within another column, such as patients numbered
        from 1 in each centre), naming the ``groups`` to pass (the guide "Baselines and
        comparing models" says what each check counts).

    See Also
    --------
    format_comparison : the table as ``mean ± std`` strings.

    Examples
    --------
    >>> from sklearn_mtl import compare
    >>> from sklearn_mtl.datasets import make_multitask_classification
    >>> from sklearn_mtl._compare import MostFrequentBaseline
    >>> X, Y = make_multitask_classification(n_samples=60, n_classes=[2, 3], random_state=0)
    >>> table = compare({"prior": MostFrequentBaseline()}, X, Y, cv=3, progress=False)
    >>> bool(table.loc["prior", ("exact_match", "mean")] <= 1.0)
    True
    """
    # checked here rather than by scikit-learn's validate_params decorator, whose
    # wrapper the warnings below would then name as their caller (FitFailedWarning at
    # sklearn/utils/_param_validation.py), where they name the caller's line
    validate_parameter_constraints(_COMPARE_CONSTRAINTS, {
        "cv": cv, "random_state": random_state, "error_score": error_score,
        "progress": progress, "return_details": return_details, "n_jobs": n_jobs,
    }, caller_name="compare")
    estimators = _check_estimators(estimators)
    check_not_lazy(X, "X")
    check_not_lazy(Y, "Y")  # (named here: the scoring would call it Y_true)
    # no fold's fit sees Y shuffled apart from X (each gets other rows of each): warn here
    check_row_order(X, Y)
    if schema is None:
        schema = _declared_schema(estimators)
    encoder = fit_label_encoder(Y, None, schema)
    encoded = encoder.transform(Y)
    _check_multi_output(estimators, Y, encoded)
    # before the leakage check, which reads X's columns at the labels' rows
    check_same_length(X, encoded)
    if groups is not None:
        groups = check_groups(groups, encoded.n_samples)
    warn_leaky_columns(X, encoded, groups=groups)
    splits = fold_splits(cv, X, encoded, groups, random_state)
    tasks = [t.name for t in _selected_tasks(encoded.schema, None)]
    regression = [t.name for t in encoded.schema if t.kind == "regression"]
    records = []
    fitted = {name: [] for name in estimators}
    n_samples = encoded.n_samples
    coverage = np.zeros(n_samples, dtype=int)
    for _, test in splits:
        coverage[test] += 1
    partition = bool((coverage == 1).all())
    oof = {name: _empty_like(encoded) for name in estimators} if partition else None

    def jobs():
        for train, test in splits:
            X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
            Y_train = _rows(Y, train)
            for estimator in estimators.values():
                yield delayed(_fit_predict)(
                    clone(estimator), X_train, Y_train, X_test, return_details,
                    None if groups is None else groups[train],
                )

    keys = [(fold, name) for fold in range(len(splits)) for name in estimators]
    bar = _progress(total=len(keys), disable=not progress)
    # The fits' warnings, and this loop's, are raised once the fits are done: until then
    # the process shows every warning (see recording), whatever the caller's filters.
    recorded, failures, here = [], [], []
    # (model, regression task) -> (fold, samples) where its prediction is empty (its gate
    # off) on samples with a value: its metrics are undefined there, and so are their means
    undefined = {}
    try:
        with recording() as here:  # and fits in threads of this process record theirs
            try:  # results as they come, for the progress bar
                parallel = Parallel(n_jobs=n_jobs, return_as="generator")
            except TypeError:  # joblib < 1.3: all at the end
                parallel = Parallel(n_jobs=n_jobs)
            results = parallel(jobs())
            for (fold, name), result in zip(keys, results):
                recorded.extend((name, fold, w) for w in result.get("warnings", ()))
                bar.set_postfix_str(f"{name}, fold {fold + 1}/{len(splits)}")
                test = splits[fold][1]
                record = {"model": name, "fold": fold}
                error = result.get("error")
                if error is None:
                    try:
                        pred = encoder.transform(align_pred(_rows(Y, test), result["Y_hat"]))
                        scores = _fold_metrics(encoded[test], pred)
                        for task, n_empty in _empty_values(encoded[test], pred).items():
                            undefined.setdefault((name, task), []).append((fold, n_empty))
                    except Exception as exc:
                        error = exc
                hint = None if error is None else _missing_labels_hint(
                    estimators[name], error, encoded)
                if error is not None and error_score == "raise":
                    # Added here, not in the worker: a remote backend may drop the notes.
                    notes = [f"While fitting or predicting {name!r} on fold {fold}.",
                             *([hint] if hint else [])]
                    if hasattr(error, "add_note"):
                        for note in notes:
                            error.add_note(note)
                    else:  # Python 3.10: PEP 678's attribute, which its tracebacks do not print
                        error.__notes__ = [*getattr(error, "__notes__", []), *notes]
                    raise error
                if error is not None:
                    failures.append(
                        f"Model {name!r} failed on fold {fold} ({type(error).__name__}: {error}); "
                        f"its scores there are set to {error_score}."
                        + (f" {hint}" if hint else "")
                    )
                    record.update(_failed_metrics(tasks, error_score, regression))
                    records.append(record)
                    if return_details:
                        fitted[name].append(None)  # one entry per fold
                    bar.update(1)
                    continue
                record["fit_time"] = result["fit_time"]
                record["predict_time"] = result["predict_time"]
                record.update(scores)
                records.append(record)
                if return_details:
                    fitted[name].append(result["model"])
                if oof is not None:
                    _put_rows(oof[name], test, pred)
                bar.update(1)
    finally:
        bar.close()
        # the comparison's own registry: each once, a model's alike ones as one
        _warn_again(_grouped_warnings(recorded) + here, {})
        for message in failures:
            # scikit-learn's category for a failed fit (a RuntimeWarning), which
            # cross_validate and GridSearchCV warn with
            warnings.warn(message, FitFailedWarning, stacklevel=2)

    for (name, task), where in undefined.items():
        counts = ", ".join(f"{n} in fold {fold}" for fold, n in where)
        gated = encoded.schema.named(task).gate is not None
        why = "its gate predicted off" if gated else "NaN"
        warnings.warn(
            f"Model {name!r} predicts no value of regression task {task!r} ({why}) for "
            f"samples that have one ({counts}): its RMSE and R² there "
            "are undefined (NaN), and so are their mean and std over the folds, not those "
            "of the other folds alone." + (" The gate task's accuracy counts the gate's "
                                           "errors." if gated else ""),
            UndefinedMetricWarning, stacklevel=2,
        )

    folds = pd.DataFrame(records)
    metrics = [c for c in folds.columns if c not in ("model", "fold")]
    order = ["exact_match", "hamming_loss", "mean_task_accuracy"]
    order += [f"{t} {m}" for t in tasks for m in ("accuracy", "f1_macro")]
    order += [f"{t} {m}" for t in regression for m in _REGRESSION_METRICS]
    order += ["fit_time", "predict_time"]
    metrics = [m for m in order if m in metrics]
    grouped = folds.groupby("model", sort=False)[metrics]
    mean, std = grouped.mean(), grouped.std(ddof=0)
    if "failed" in folds:
        folds["failed"] = folds["failed"].fillna(False).astype(bool)
        if np.isnan(error_score):  # the model's means NaN, as cross_validate's would be
            failed = folds.groupby("model", sort=False)["failed"].any()
            mean.loc[failed[failed].index] = std.loc[failed[failed].index] = np.nan
    for name, task in undefined:  # as np.mean of cross_validate's scores: NaN
        for metric in _REGRESSION_METRICS:
            mean.loc[name, f"{task} {metric}"] = std.loc[name, f"{task} {metric}"] = np.nan
    table = pd.concat({"mean": mean, "std": std}, axis=1).swaplevel(axis=1)
    table = table.reindex(
        columns=pd.MultiIndex.from_product([metrics, ["mean", "std"]], names=["metric", None])
    ).reindex(list(estimators))
    table.index.name = "model"
    if not return_details:
        return table
    details = {
        "folds": folds,
        "predictions": oof,
        "estimators": fitted,
        "schema": encoded.schema,
        "Y": encoded,
    }
    return table, details


@validate_params(
    {"table": "no_validation", "decimals": [Interval(Integral, 0, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def format_comparison(table, decimals=3):
    """The table of :func:`compare` as ``"mean ± std"`` strings, one column per metric.

    Parameters
    ----------
    table : DataFrame
        The output of :func:`compare`.
    decimals : int, default=3
        Decimals shown (times, in seconds, always show 4; a regression task's RMSE, in
        the task's units, shows at least ``decimals`` significant digits: a target in
        tonnes, or of about 10⁻⁴, does not read 0.000).

    Returns
    -------
    formatted : DataFrame of str

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_mtl import format_comparison
    >>> table = pd.DataFrame(
    ...     [[0.9, 0.01]], index=["m"],
    ...     columns=pd.MultiIndex.from_tuples([("exact_match", "mean"), ("exact_match", "std")]))
    >>> format_comparison(table).loc["m", "exact_match"]
    '0.900 ± 0.010'
    """
    metrics = list(dict.fromkeys(table.columns.get_level_values(0)))
    out = {}
    for metric in metrics:
        mean, std = table[(metric, "mean")], table[(metric, "std")]
        cells = []
        for m, s in zip(mean, std):
            if metric.endswith("_time"):
                fmt = "{:.4f}"
            elif metric.endswith(" rmse"):  # in the task's units: 0.00012 is not 0.000
                fmt = f"{{:.{quantity_decimals(m, decimals)}f}}"
            else:
                fmt = f"{{:.{decimals}f}}"
            cells.append("nan" if pd.isna(m) else f"{fmt.format(m)} ± {fmt.format(s)}")
        out[metric] = cells
    return pd.DataFrame(out, index=table.index)


def quantity_decimals(value, decimals=3):
    """The decimals that show ``value``, a quantity in a regression task's units (an
    RMSE), with ``decimals`` decimals, or with ``decimals`` significant digits where
    fewer decimals would round it to 0: 0.000123 for 0.00012345 rather than 0.000."""
    if not np.isfinite(value) or value == 0:
        return decimals
    return max(decimals, decimals - 1 - int(np.floor(np.log10(abs(value)))))


# ---------------------------------------------------------------------------- helpers
def _fit_predict(model, X_train, Y_train, X_test, keep_model, groups=None):
    """One fit and prediction of :func:`compare` (run by joblib, maybe in another process
    or on another machine): the predictions and times, or the error (raised or scored by
    the caller), and the warnings raised (for the caller to raise again: a worker's
    would be lost). ``groups`` (the training samples') go to a ``fit`` that takes them."""
    fit_params = {} if groups is None else groups_fit_params(model, groups)
    with recording() as caught:
        try:
            start = time.perf_counter()
            model.fit(X_train, Y_train, **fit_params)
            fit_time = time.perf_counter() - start
            start = time.perf_counter()
            Y_hat = model.predict(X_test)
            predict_time = time.perf_counter() - start
        except Exception as exc:
            return {"error": exc, "warnings": caught}
    return {
        "Y_hat": Y_hat, "fit_time": fit_time, "predict_time": predict_time,
        "model": model if keep_model else None, "warnings": caught,
    }


#: A number in a warning's text: a model's warnings that differ only in these are one.
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _grouped_warnings(recorded):
    """The fits' warnings, ``(model, fold, (text, category, filename, lineno))``, as one
    per model and message: a model's warnings raised at one place whose texts differ
    only in their numbers (``left out 8 of 274 samples`` in one fold, ``6 of 273`` in
    another) are one, each number giving its range (``left out 6–8 of 273–274
    samples``), followed by the fits that raised it and the model's name (``(in 5 fits
    of model 'product')``): one line a model in a report, not one a fold. A warning that
    one fit raised alone stays as it is."""
    groups = {}
    for name, fold, (text, category, filename, lineno) in recorded:
        key = (name, category, filename, lineno, _NUMBER.sub("#", text))
        groups.setdefault(key, []).append((fold, text))
    grouped = []
    for (name, category, filename, lineno, _), seen in groups.items():
        texts = list(dict.fromkeys(text for _, text in seen))
        n_fits = len({fold for fold, _ in seen})
        if n_fits == 1 and len(texts) == 1:
            grouped.append((texts[0], category, filename, lineno))
            continue
        numbers = [_NUMBER.findall(text) for text in texts]
        ranges = []
        for values in zip(*numbers):
            low, high = min(values, key=float), max(values, key=float)
            ranges.append(low if float(low) == float(high) else f"{low}–{high}")
        pieces = _NUMBER.split(texts[0])
        text = pieces[0] + "".join(r + piece for r, piece in zip(ranges, pieces[1:]))
        times = f"{len(seen)} times " if len(seen) > n_fits else ""
        fits = f"{n_fits} fit{'s' if n_fits > 1 else ''}"
        grouped.append((f"{text} ({times}in {fits} of model {name!r})", category,
                        filename, lineno))
    return grouped


def _warn_again(recorded, registry):
    """Raise a fit's recorded warnings here, each once per ``registry`` (one comparison):
    the user's filters apply as to a warning raised in this process."""
    for text, category, filename, lineno in recorded:
        warnings.warn_explicit(text, category, filename, lineno, registry=registry)


def _check_estimators(estimators):
    """``{name: estimator}`` from a dict, a list of estimators or of (name, estimator)
    pairs, or one estimator; an unnamed estimator is named after its class, lowercased,
    numbered where several share one (as ``make_pipeline`` names its steps). A class
    given for an instance (``MultiTaskClassifier``, not ``MultiTaskClassifier()``) is
    refused by name: its ``fit`` is there, but unbound."""
    if hasattr(estimators, "fit"):
        _check_not_classes([("estimators", estimators)])
        estimators = [estimators]
    if isinstance(estimators, (list, tuple)) and estimators:
        pairs = all(isinstance(e, tuple) and len(e) == 2 and not hasattr(e, "fit")
                    for e in estimators)
        if pairs:
            names = [name for name, _ in estimators]
            dup = sorted({str(n) for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"Estimator names {dup} are given more than once.")
            estimators = dict(estimators)
        else:  # make_pipeline's names for its steps
            for i, e in enumerate(estimators):
                if isinstance(e, tuple):  # else named 'tuple', "with no fit/predict"
                    raise ValueError(
                        f"estimators holds a {len(e)}-tuple at position {i} among "
                        "estimators that are not (name, estimator) pairs; give every "
                        "one as a (name, estimator) pair, or none."
                    )
            _check_not_classes((f"Estimator at position {i}", e)
                               for i, e in enumerate(estimators))
            estimators = dict(_name_estimators(estimators))
    if not isinstance(estimators, dict) or not estimators:
        raise ValueError(
            "estimators must be a non-empty dict {name: estimator}, a list of estimators "
            f"or of (name, estimator) pairs, or one estimator; got {type(estimators).__name__}."
        )
    _check_not_classes((f"Estimator {name!r}", e) for name, e in estimators.items())
    for name, est in estimators.items():
        if not isinstance(name, str):
            raise ValueError(f"Estimator names must be strings; got {name!r}.")
        if not (hasattr(est, "fit") and hasattr(est, "predict")):
            raise ValueError(
                f"Estimator {name!r} ({type(est).__name__}) has no fit/predict; expected a "
                "scikit-learn estimator."
            )
    return dict(estimators)


def _check_not_classes(items):
    """Refuse an estimator class among ``items``, (what it is, estimator) pairs."""
    for shown, est in items:
        if isinstance(est, type):
            raise ValueError(
                f"{shown} is the class {est.__name__}, not an estimator; "
                f"pass an instance, {est.__name__}(...), with its parameters."
            )


def _final_model(estimator):
    """The model a pipeline ends with, or a search tunes (nested CV)."""
    final = estimator
    while True:
        if getattr(final, "steps", None):
            final = final.steps[-1][1]
        elif isinstance(final, BaseSearchCV):
            final = final.estimator
        else:
            return final


def _missing_labels_hint(estimator, error, encoded):
    """What to do where scikit-learn's own model (a ``RandomForestClassifier``, which
    fits several outputs but no gap in them) failed on the NaN of missing or gated-off
    labels in ``Y``: wrap it in :class:`IndependentTaskClassifier`, which masks them.
    None for another failure (NaN in ``X`` included) or another model."""
    text = str(error)
    if not isinstance(error, ValueError) or "NaN" not in text or "Input X" in text:
        return None
    final = _final_model(estimator)
    if not type(final).__module__.startswith("sklearn."):
        return None
    counts = {t.name: int((encoded.codes[:, j] < 0).sum())
              for j, t in enumerate(encoded.schema)}
    for task, block in encoded.multilabel.items():  # a label missing from a row's set
        counts[task] = max(counts[task], int((block < 0).any(axis=1).sum()))
    where = [f"{n} in {task!r}" for task, n in counts.items() if n]
    if not where:
        return None
    model = type(final).__name__
    return (f"Y has missing or gated-off labels ({', '.join(where)}), which scikit-learn's "
            f"{model} does not take (it reads them as NaN). Wrap it, e.g. "
            f"IndependentTaskClassifier({model}(...)), which fits each task on the rows "
            "where it has a label.")


def _check_multi_output(estimators, Y, encoded):
    """Refuse, by name, a single-output model (e.g. a plain classifier) on structured Y."""
    one_task = encoded.schema[0].kind in ("binary", "multiclass") and len(encoded.schema) == 1
    if one_task and _is_1d(Y):
        return
    for name, estimator in estimators.items():
        final = _final_model(estimator)
        # scikit-learn's own single-output models only: other classes speak for themselves.
        if not type(final).__module__.startswith("sklearn."):
            continue
        tags = get_tags(final)
        # MLPClassifier, RidgeClassifier: single-output, but multi-label, and so fitted on
        # a 0/1 indicator matrix by scikit-learn itself.
        if tags.classifier_tags is not None and tags.classifier_tags.multi_label and \
                _is_indicator_target(Y):
            continue
        if not tags.target_tags.multi_output:
            held = (f"{len(encoded.schema)} task(s) {encoded.schema.names}"
                    if not _is_indicator_target(Y) else  # one multilabel task 'labels'
                    f"a 0/1 indicator matrix of {np.shape(Y)[1]} labels")
            raise ValueError(
                f"Model {name!r} ({type(estimator).__name__}) predicts a single target, but Y "
                f"holds {held} in a {type(Y).__name__}. Wrap it, e.g. "
                f"IndependentTaskClassifier({type(estimator).__name__}(...)), or give it one "
                "task's 1-D y."
            )


def _is_indicator_target(Y):
    """Whether scikit-learn reads ``Y`` as a 0/1 indicator matrix (multi-label data)."""
    try:
        with recording():  # its casts of gaps (pd.NA) warn: recorded and dropped
            return type_of_target(Y) == "multilabel-indicator"
    except (ValueError, TypeError):  # label sets, ragged or mixed labels: not an indicator
        return False


def _is_1d(Y):
    try:
        return np.ndim(Y) == 1
    except ValueError:  # ragged lists
        return False


def _declared(estimator):
    """The ``encoder`` or ``tasks`` an (unfitted) estimator declares, or None."""
    steps = getattr(estimator, "steps", None)
    if steps:  # a Pipeline: its final step predicts
        return _declared(steps[-1][1])
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    if params.get("encoder") is not None:
        return params["encoder"]
    if params.get("tasks") is not None:
        return params["tasks"]
    inner = params.get("estimator")  # a wrapper such as TaskThresholdTuner
    if inner is not None and hasattr(inner, "fit") and inner is not estimator:
        return _declared(inner)
    return None


def _declared_schema(estimators):
    """The one schema the models declare (None when none does); raises if they differ."""
    found = {}
    for name, estimator in estimators.items():
        declared = _declared(estimator)
        if declared is not None:
            found[name] = declared
    if not found:
        return None
    described = {name: _describe(declared) for name, declared in found.items()}
    if len(set(described.values())) > 1:
        shown = "; ".join(f"{name!r}: {text}" for name, text in described.items())
        raise ValueError(
            "The models declare different schemas, so compare cannot score them alike ("
            f"{shown}). Pass schema= to choose the tasks they are scored on."
        )
    return next(iter(found.values()))


def _describe(declared):
    groups = getattr(declared, "groups", None)
    tasks = getattr(declared, "tasks", declared)
    text = repr(list(tasks)) if isinstance(tasks, (list, tuple)) else repr(tasks)
    if groups is not None:
        text = f"groups {dict(groups)!r}, tasks {text}"
    return text


def _progress(total, disable):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="compare", unit="fit", disable=disable, leave=False)


def _rows(Y, idx):
    if isinstance(Y, (pd.DataFrame, pd.Series)):
        return Y.iloc[idx]
    if isinstance(Y, list):
        return [Y[i] for i in idx]
    return _safe_indexing(Y, idx)


def _fold_metrics(true, pred):
    classified = _selected_tasks(true.schema, None)  # none: regression tasks only
    out = {"exact_match": exact_match_score(true, pred),
           "hamming_loss": hamming_loss(true, pred)} if classified else {}
    weight = np.ones(true.n_samples)
    accuracies = []
    per_task = {}
    for task in classified:
        acc = _task_accuracy(true, pred, task, weight)
        accuracies.append(acc)
        per_task[f"{task.name} accuracy"] = acc
        per_task[f"{task.name} f1_macro"] = _task_prf(true, pred, task, weight, "macro")[2]
    finite = [a for a in accuracies if not np.isnan(a)]
    if classified:
        out["mean_task_accuracy"] = float(np.mean(finite)) if finite else float("nan")
    out.update(per_task)
    for task in true.schema:
        if task.kind == "regression":
            out.update(_regression_metrics(true.regression[task.name],
                                           pred.regression[task.name], task.name))
    return out


#: Metrics of a regression task in the comparison: root mean squared error, R².
_REGRESSION_METRICS = ("rmse", "r2")


def _regression_metrics(true, pred, name):
    """RMSE and R² (scikit-learn's) of one regression task over the samples with a true
    value; NaN where there is none, or where a prediction is empty (its gate off)."""
    from sklearn.metrics import r2_score, root_mean_squared_error

    rows = ~np.isnan(true)
    if not rows.any() or np.isnan(pred[rows]).any():
        return {f"{name} {m}": float("nan") for m in _REGRESSION_METRICS}
    t, p = true[rows], pred[rows]
    return {f"{name} rmse": float(root_mean_squared_error(t, p)),
            f"{name} r2": float(r2_score(t, p))}


def _empty_values(true, pred):
    """{task: number of samples} of each regression task whose prediction is empty
    (NaN: its gate predicted off) on samples with a true value."""
    counts = {}
    for task in true.schema:
        if task.kind == "regression":
            empty = ~np.isnan(true.regression[task.name]) & np.isnan(pred.regression[task.name])
            if empty.any():
                counts[task.name] = int(empty.sum())
    return counts


def _failed_metrics(tasks, value, regression=()):
    """A failed fold's record: ``value`` for each score (higher is better), NaN for the
    losses and times, which a number such as 0 would make the best."""
    scores = ["exact_match", "mean_task_accuracy"] if tasks else []
    scores += [f"{t} {m}" for t in tasks for m in ("accuracy", "f1_macro")]
    scores += [f"{t} r2" for t in regression]
    losses = ["hamming_loss"] if tasks else []
    losses += [f"{t} rmse" for t in regression]
    return {**dict.fromkeys(scores, float(value)),
            **dict.fromkeys([*losses, "fit_time", "predict_time"], float("nan")),
            "failed": True}


def _empty_like(encoded):
    return EncodedLabels(
        np.full_like(encoded.codes, MISSING),
        {k: np.full_like(v, MISSING) for k, v in encoded.multilabel.items()},
        {k: np.full_like(v, np.nan) for k, v in encoded.regression.items()},
        encoded.schema,
    )


def _put_rows(target, rows, source):
    target.codes[rows] = source.codes
    for k, v in source.multilabel.items():
        target.multilabel[k][rows] = v
    for k, v in source.regression.items():
        target.regression[k][rows] = v


class MostFrequentBaseline(BaseMultiTaskEstimator):
    """Predicts each task's most frequent class (a reference for comparisons).

    The class frequencies are learned over each task's applicable, annotated training
    labels; the gates are applied as for any estimator. The structured counterpart of
    scikit-learn's ``DummyClassifier(strategy="prior")``.

    Parameters
    ----------
    tasks : list of Task or Schema, default=None
        The tasks; ``None`` infers them from ``Y``.
    encoder : StructuredLabelEncoder, default=None
        A label encoder to clone instead of building one from ``tasks``.
    decode : {"independent", "joint"} or decoder, default="independent"
        How outputs become labels.

    Attributes
    ----------
    priors_ : list of ndarray
        Per task, the class (or label, or mean value) frequencies.
    encoder_, schema_, tasks_, classes_, n_tasks_, n_features_in_
        As for every sklearn-mtl estimator.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_mtl._compare import MostFrequentBaseline
    >>> Y = pd.DataFrame({"a": ["x", "x", "y"], "b": [0, 1, 1]})
    >>> MostFrequentBaseline().fit(np.zeros((3, 1)), Y).predict(np.zeros((2, 1)))
       a  b
    0  x  1
    1  x  1
    """

    _parameter_constraints = dict(_COMMON_CONSTRAINTS)

    def __init__(self, tasks=None, *, encoder=None, decode="independent"):
        self.tasks = tasks
        self.encoder = encoder
        self.decode = decode

    def fit(self, X, Y, sample_weight=None):
        """Learn each task's label frequencies.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples (only their number of features is used).
        Y : DataFrame, array-like or list of sets
            Structured labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : MostFrequentBaseline
        """
        self._validate_params()
        X, encoded, sample_weight = self._check_fit_inputs(X, Y, sample_weight)
        weight = np.ones(_num_samples(X)) if sample_weight is None else sample_weight
        self.priors_ = []
        for j, task in enumerate(self.schema_):
            codes = encoded.codes[:, j]
            present = codes >= 0
            if task.kind == "regression":
                values = encoded.regression[task.name]
                ok = ~np.isnan(values)
                prior = np.array(np.average(values[ok], weights=weight[ok]) if ok.any() else 0.0)
            elif task.kind == "multilabel":
                block = encoded.multilabel[task.name]
                labelled = block >= 0
                num = (weight[:, None] * (block == 1)).sum(axis=0)
                den = (weight[:, None] * labelled).sum(axis=0)
                prior = np.where(den > 0, num / np.maximum(den, 1e-300), 0.0)
            else:
                prior = np.bincount(
                    codes[present], weights=weight[present], minlength=len(task.classes)
                )
                prior = prior / prior.sum() if prior.sum() > 0 else np.full(len(prior), 1.0)
            self.priors_.append(prior)
        return self

    def _validate_X(self, X, *, reset, fit_rows=None):
        # As DummyClassifier: the values are never read, so strings and gaps are taken
        # as they come; only the number (and names) of the columns are checked.
        return validate_features(self, X, reset=reset, skip_check_array=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _predict_outputs(self, X):
        n = _num_samples(X)
        outputs = []
        for task, prior in zip(self.schema_, self.priors_):
            if task.kind == "regression":
                outputs.append(np.full(n, float(prior)))
            else:
                outputs.append(np.tile(prior, (n, 1)))
        return outputs
