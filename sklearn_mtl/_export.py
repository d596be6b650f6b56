"""ONNX export: ``export_onnx(model, path)`` for fitted estimators and pipelines.

The graph has one output per task, named after it:

``<task>_probability``
    A binary or multiclass task's class probabilities, (n_samples, n_classes), and a
    multilabel task's P(label = 1), (n_samples, n_labels): ``predict_proba(X, task=...)``.
``<task>_value``
    A regression task's predicted values, (n_samples,).
``<task>_label``
    The decision, with the gates applied as :meth:`predict` applies them: the index of the
    predicted class in ``classes_`` (int64, (n_samples,)) for a binary or multiclass task,
    0/1 per label (int64, (n_samples, n_labels)) for a multilabel task, and the value for a
    regression task. Where the predicted parent switches the task's gate off, the label is
    ``NOT_APPLICABLE`` (-2) (a whole row of -2 for a multilabel task; NaN for a regression
    task). Binary tasks and multilabel labels use the estimator's ``thresholds_`` (0.5 by
    default). An estimator that decodes jointly (``decode="joint"``, a
    :class:`~sklearn_mtl.JointDecoder`, or ``"auto"`` when it picks decoding over the
    combinations seen in training) gets the codes of each sample's most probable
    combination, scored as ``JointDecoder`` scores them (with the network's combination
    probe where ``predict`` uses it; a ``LabelProductClassifier``'s: the combination its
    model predicts, as ``predict`` takes it). Left out, with a warning, for a decoder of another
    class, or one that searches more than ``MAX_ONNX_COMBINATIONS`` combinations.

The network part goes through ``torch.onnx.export`` of the whole ``net_.module_`` (with the
per-task nonlinearities after it), so a trunk or module that torch can export is exported
with no code here; the rest of a pipeline goes through skl2onnx, with converters registered
here for the sklearn-mtl estimators, so ``skl2onnx.to_onnx(pipeline, ...)`` also works once
this module is imported. The class names and the schema travel in the model's metadata.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import io
import json
import logging
import os
import re
import warnings

import numpy as np
import pandas as pd

from ._frames import to_pandas
from ._optional import import_optional
from ._schema import NOT_APPLICABLE, _gate_order

#: The default ONNX opset: the lowest that torch's exporter writes, read by every
#: onnxruntime since 1.14.
DEFAULT_OPSET = 18
_ML_OPSET = 3
_REGISTERED = []


class OnnxExportError(ValueError):
    """A part of the model cannot be written as ONNX; the message names the part."""


# ================================================================================ API
def export_onnx(
    model,
    path=None,
    *,
    X_sample=None,
    initial_types=None,
    target_opset=DEFAULT_OPSET,
    labels=True,
    quantize=False,
    check=True,
    atol=1e-5,
):
    """Write a fitted estimator or pipeline as one ONNX graph with an output per task.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted :class:`~sklearn_mtl.MultiTaskClassifier` (tabular, image or clip trunk),
        :class:`~sklearn_mtl.IndependentTaskClassifier`,
        :class:`~sklearn_mtl.LabelProductClassifier` or
        :class:`~sklearn_mtl.TaskChainClassifier` (one numeric input) whose base
        estimators skl2onnx converts (a scikit-learn ``FixedThresholdClassifier`` or
        ``TunedThresholdClassifierCV`` around one, with its threshold on the
        probabilities in the labels; a search, ``GridSearchCV`` or
        ``RandomizedSearchCV``, as the model it refitted, ``best_estimator_``),
        :class:`~sklearn_mtl.TaskThresholdTuner` around one of them, or a fitted
        :class:`~sklearn.pipeline.Pipeline` of scikit-learn transformers (``StandardScaler``,
        ``OneHotEncoder``, ``ColumnTransformer``, ...) ending with one of them. A
        :class:`~sklearn.frozen.FrozenEstimator` (the model, a step, or the model a
        tuner tuned) exports as the fitted model it wraps.
    path : str or path-like, default=None
        Where to write the ``.onnx`` file; ``None`` only returns the model.
    X_sample : array-like or DataFrame, default=None
        A few rows of input data. Gives the inputs' names (a DataFrame becomes one input
        per column, named exactly as the column, as a ``ColumnTransformer`` expects), each
        typed as the fitted model reads that column (float for a numeric column whose
        sample rows happen to be whole numbers; a column the model does not describe, such
        as a text vectorizer's, as the sample holds it), and, with ``check``, the rows on
        which onnxruntime must reproduce ``predict_proba``. A table must hold the
        columns the model was fitted on, no other (a ``ValueError`` names the others, as
        scikit-learn does at predict); a scipy sparse matrix is refused (``TypeError``):
        pass its rows dense (``X[:5].toarray()``), as the graph takes them.
    initial_types : list of (name, skl2onnx type), default=None
        The graph's inputs, as skl2onnx takes them, named as given (skl2onnx itself would
        write each name as a C identifier); overrides what ``X_sample`` gives. By default
        one float tensor ``"input"`` of shape (batch, n_features) (or (batch, channels,
        ...) for images and clips), or one input per column of the training DataFrame
        when the pipeline starts with a ``ColumnTransformer``.
    target_opset : int, default=18
        The ONNX opset of the default domain: 18 or higher for a network (the lowest that
        torch's exporter writes; a lower one is an ``OnnxExportError``).
    labels : bool, default=True
        Whether to add the ``<task>_label`` outputs.
    quantize : bool, default=False
        Quantize the weights of matrix products and convolutions to int8
        (``onnxruntime.quantization.quantize_dynamic``): a file about four times smaller,
        probabilities no longer equal to ``predict_proba`` (see the benchmark).
    check : bool, default=True
        Run the exported graph with onnxruntime and compare its probabilities with
        ``predict_proba`` (on ``X_sample``, else on random inputs for the network part),
        and on ``X_sample`` its ``<task>_label`` outputs with ``predict`` (see
        :func:`check_parity`): a probability off by more than ``atol``, or a label
        that differs, raises instead of writing a wrong model. Skipped for the
        comparison on ``X_sample`` when ``quantize``.
    atol : float, default=1e-5
        Largest difference accepted by ``check``: absolute for probabilities, relative
        for a regression task's values larger than 1 in magnitude.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The model (also written to ``path`` when given).

    Raises
    ------
    OnnxExportError
        A ``ValueError`` when a part cannot be exported (an estimator or transformer
        skl2onnx does not know, a module torch cannot export, a base model whose
        ``predict`` thresholds its ``decision_function``, a search fitted with
        ``refit=False``) or when onnxruntime does not reproduce ``predict_proba`` or
        ``predict``; the message names the part (the task, for a base model).
    ImportError
        When onnx, onnxruntime or skl2onnx is missing (``pip install "sklearn-mtl[onnx]"``).

    Warns
    -----
    UserWarning
        When the estimator decodes with a decoder of your own, which the graph cannot
        hold: the graph then has the ``<task>_probability`` outputs only, and you decode
        them as your decoder does.

    Notes
    -----
    ``<task>_label`` is the class *index* in ``classes_[task]`` (the class names are in
    the metadata entry ``"sklearn_mtl_schema"``), and -2 (``NOT_APPLICABLE``) where the
    task's gate is off.

    Examples
    --------
    >>> import numpy as np, onnxruntime as ort
    >>> from sklearn_mtl import MultiTaskClassifier, export_onnx
    >>> X = np.random.RandomState(0).normal(size=(40, 3)).astype("float32")
    >>> Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    >>> clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=2,
    ...                           decode="independent", random_state=0)
    >>> onx = export_onnx(clf.fit(X, Y))
    >>> session = ort.InferenceSession(onx.SerializeToString())
    >>> [o.name for o in session.get_outputs()]
    ['task0_probability', 'task1_probability', 'task0_label', 'task1_label']
    >>> proba = session.run(["task0_probability"], {"input": X})[0]
    >>> bool(np.abs(proba - clf.predict_proba(X, task="task0")).max() < 1e-5)
    True
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        # export_onnx(model, X) would otherwise write a file named by the table's repr
        raise TypeError(
            f"path must be a file path (str or os.PathLike) or None, got "
            f"{type(path).__name__}; pass sample rows as X_sample=..."
        )
    onnx, skl2onnx = _require()
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    X_sample = to_pandas(X_sample, "X_sample")  # a polars table's columns as pandas'
    model = _unfrozen(model)
    _check_sample(model, X_sample)
    model = _tuner_inside(model)
    final = model[-1] if isinstance(model, Pipeline) else model
    check_is_fitted(final)
    estimator, thresholds, decoder = _parts(final)
    inexact_steps = _inexact_steps(model)
    _check_lookup_alone(estimator, inexact_steps)
    _check_thresholds_in_graph(final, estimator, thresholds, decoder,
                               labels and _labels_ok(estimator, decoder))
    register_converters(type(final), type(estimator))
    if initial_types is None:
        initial_types = _initial_types(model, estimator, X_sample)
    options = _options(model, labels=labels)
    # a point mass is matched within a tolerance only behind a step that rounds in float32
    inexact = _INEXACT_STEPS.set(bool(inexact_steps))
    try:
        with _quiet():
            onx = skl2onnx.convert_sklearn(
                model, initial_types=initial_types,
                target_opset={"": int(target_opset), "ai.onnx.ml": _ML_OPSET},
                options=options,
            )
    except OnnxExportError:
        raise
    except Exception as exc:
        raise OnnxExportError(_skl2onnx_message(model, exc)) from exc
    finally:
        _INEXACT_STEPS.reset(inexact)
    _name_inputs(onx, [name for name, _ in initial_types])
    schema = estimator.schema_
    labels = labels and _labels_ok(estimator, decoder)
    expected = [name for name, _, _ in _outputs(schema, labels)]
    got = [o.name for o in onx.graph.output]
    if got != expected:
        raise OnnxExportError(
            f"The graph's outputs came out as {got}, not {expected}: a name is taken by "
            "another part of the pipeline; rename the task or the pipeline's inputs."
        )
    joint = _joint_plan(estimator, decoder) if labels else None
    _set_metadata(onnx, onx, schema, thresholds, labels=labels, joint=joint,
                  columns=_single_input_columns(model, onx))
    if quantize:
        onx = _quantize(onx)
    if check and X_sample is not None and not quantize:
        check_parity(model, onx, X_sample, atol=atol)
    if path is not None:
        onnx.save_model(onx, str(path))
    return onx


def _check_sample(model, X_sample):
    """Refuse an ``X_sample`` that is not rows the model reads as the graph will: a
    sparse matrix (the graph's input is a dense tensor), or a table with a column the
    model was not fitted on (which would become an input of its own that nothing
    reads), or without one it was, named as scikit-learn names them at predict."""
    import scipy.sparse as sp

    if X_sample is None:
        return
    if sp.issparse(X_sample):
        raise TypeError(
            f"X_sample is a scipy sparse {type(X_sample).__name__}; export_onnx takes a few "
            "rows as a dense array or a DataFrame (the graph's input is a dense tensor): "
            "pass X_sample=X[:5].toarray()."
        )
    names = getattr(model, "feature_names_in_", None)
    if names is None or not hasattr(X_sample, "columns"):
        return
    names = [str(c) for c in names]
    given = [str(c) for c in X_sample.columns]
    unseen = [c for c in given if c not in names]
    missing = [c for c in names if c not in given]
    if unseen or missing:  # both named at once, as scikit-learn's feature-name check does
        found = []
        if unseen:
            found.append(f"column(s) {unseen} that the model was not fitted on (feature "
                         "names unseen at fit time)")
        if missing:
            found.append(f"no column(s) {missing}, which the model was fitted on")
        hint = f": pass X_sample[{names!r}]" if not missing else ""
        raise ValueError(
            f"X_sample has {' and '.join(found)}; the model was fitted on the columns "
            f"{names}{hint}."
        )


def _check_lookup_alone(estimator, steps):
    """Refuse a pipeline whose steps before an estimator that reads the labels of
    repeated training rows (``lookup_tasks_``) transform the rows: ``predict`` compares
    their float64 output, cast to float32, with the training rows, where the graph's
    steps compute in float32, so a repeated row would differ in its last digit and read
    no lookup (the probabilities of such rows differ by up to 0.5). ``steps``: the names
    of those steps (see :func:`_inexact_steps`)."""
    lookup = getattr(estimator, "_lookup", None)
    if not steps or lookup is None or getattr(estimator, "_onnx_parts", None) is not None:
        return
    tasks = [t.name for t, c in zip(estimator.schema_, lookup.counts) if c is not None]
    if not tasks:
        return
    raise OnnxExportError(
        f"{type(estimator).__name__} reads the labels of training rows that a query "
        f"repeats for task(s) {tasks} (lookup_tasks_), comparing the rows that the "
        f"pipeline's step(s) {steps} give it; the graph computes those steps in float32, "
        "where they differ from scikit-learn's float64 in the last digit, so it would "
        "find no repeated row. Fit the pipeline's estimator with lookup=None to export "
        "the network alone, or fit it on the numeric table without the steps before it "
        "(its own TabularPreprocessor scales it)."
    )


def _inexact_steps(model):
    """The names of a pipeline's steps before its estimator that are not exact in
    float32 (see :func:`_exact_in_float32`); none for an estimator alone."""
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline):
        return []
    return [name for name, step in model.steps[:-1] if not _exact_in_float32(step)]


def _exact_in_float32(step):
    """Whether a fitted step's graph gives, in float32, the float32 values of its float64
    output: one-hot and ordinal encoding (whole numbers), imputation (the float32 value
    of its fill, the other values passed), columns passed through or dropped, and
    transformers (a ``ColumnTransformer``, a pipeline) made of these alone."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder

    if isinstance(step, str):
        return step in ("passthrough", "drop")
    if step is None or isinstance(step, (OneHotEncoder, OrdinalEncoder, SimpleImputer)):
        return True
    if isinstance(step, FunctionTransformer):  # a fitted ColumnTransformer's passthrough
        return step.func is None
    if hasattr(step, "steps"):
        return all(_exact_in_float32(inner) for _, inner in step.steps)
    if isinstance(step, ColumnTransformer):
        return all(_exact_in_float32(inner) for _, inner, _ in step.transformers_)
    return False


def check_parity(model, onnx_model, X, *, atol=1e-5):
    """Raise unless onnxruntime reproduces ``model.predict_proba(X)`` within ``atol``,
    and ``predict(X)`` in the graph's ``<task>_label`` outputs where it has them.

    The labels are compared as :meth:`predict_encoded` gives them: the class index of a
    binary or multiclass task and -2 (``NOT_APPLICABLE``) where its gate is off, a
    multilabel task's 0/1 per label and a row of -2 where its gate is off, a regression
    task's value (within ``atol``, relative above 1) and NaN where its gate is off.

    Parameters
    ----------
    model : estimator or Pipeline
        The fitted model that was exported.
    onnx_model : onnx.ModelProto
        Its export.
    X : array-like or DataFrame
        Input rows.
    atol : float, default=1e-5
        Largest difference accepted: absolute for probabilities, relative for a
        regression task's values larger than 1 in magnitude.

    Returns
    -------
    max_abs_diff : dict of str -> float
        The largest difference of the probabilities per task (absolute, relative
        above 1).

    Raises
    ------
    OnnxExportError
        Naming the first task whose probabilities or labels differ.
    """
    try:
        got = run_onnx(onnx_model, X)
    except Exception as exc:
        if not type(exc).__module__.startswith("onnxruntime"):
            raise
        # a graph that onnxruntime cannot load or run (an operator the build or the
        # machine lacks): the export's error, not a crash of the caller (the command
        # line's exit status 2)
        raise OnnxExportError(
            f"onnxruntime cannot run the exported graph, so its parity with "
            f"predict_proba cannot be checked: {type(exc).__name__}: {exc}"
        ) from exc
    estimator, _, _ = _parts(_final(model))
    diffs = {}
    for task in estimator.schema_:
        expected = np.asarray(model.predict_proba(X, task=task.name), dtype=np.float64) \
            if _takes_task(model) else _task_proba(model, X, estimator, task.name)
        name = _output_name(task, "probability")
        diff = _difference(got[name], expected)
        diffs[task.name] = diff
        if not diff <= atol:
            raise OnnxExportError(
                f"The ONNX graph does not reproduce predict_proba for task {task.name!r}: "
                f"max difference {diff:.3g} > atol={atol:g}. "
                + (_float32_loss(X) or _mismatch_cause(estimator))
            )
    _check_labels(model, got, X, estimator, atol)
    return diffs


def _check_labels(model, got, X, estimator, atol):
    """An ``OnnxExportError`` naming the first task whose ``<task>_label`` output in
    ``got`` (the graph's outputs on ``X``) differs from ``predict`` on ``X`` (see
    :func:`check_parity`); nothing for a graph without labels."""
    final = _final(model)
    names = [_output_name(task, "label") for task in estimator.schema_]
    if not any(name in got for name in names) or not hasattr(final, "predict_encoded"):
        return
    Xt = model[:-1].transform(X) if hasattr(model, "steps") and len(model) > 1 else X
    encoded = final.predict_encoded(Xt)
    for j, (task, name) in enumerate(zip(estimator.schema_, names)):
        if name not in got:
            continue
        graph = np.asarray(got[name])
        off = encoded.codes[:, j] == NOT_APPLICABLE
        if task.kind == "regression":
            expected = np.asarray(encoded.regression[task.name], dtype=np.float64)
            gap = np.isnan(expected)
            scale = np.maximum(1.0, np.abs(np.where(gap, 0.0, expected)))
            wrong = (np.isnan(graph) != gap) | (
                np.abs(np.where(gap, 0.0, graph - expected)) / scale > atol)
        elif task.kind == "multilabel":
            expected = np.where(off[:, None], NOT_APPLICABLE, encoded.multilabel[task.name])
            wrong = (graph != expected).any(axis=1)
        else:
            expected = encoded.codes[:, j]
            wrong = graph != expected
        if wrong.any():
            row = int(np.argmax(wrong))
            raise OnnxExportError(
                f"The ONNX graph's labels ({name}) do not reproduce predict for task "
                f"{task.name!r} on {int(wrong.sum())} of {len(wrong)} rows (row {row}: "
                f"{np.asarray(graph[row]).tolist()!r} where predict gives "
                f"{np.asarray(expected[row]).tolist()!r}; "
                f"{_labels_rule(estimator.schema_)}). "
                + _label_mismatch_cause(estimator)
            )


def _label_mismatch_cause(estimator):
    """Why the graph's labels may part from ``predict``'s, for the model's family."""
    models = sorted({type(est).__name__ for est in _link_estimators(estimator)})
    if models:
        return (
            f"skl2onnx computes the label of a base model ({', '.join(models)}) otherwise "
            "than its predict (a rule of the model that its converter leaves out), or a "
            "probability on that row lies within float32 rounding of the decision "
            "threshold."
        )
    if (getattr(estimator, "combination_weight_", 0.0) and hasattr(estimator, "_onnx_parts")
            and _joint_plan(estimator, estimator._decoder()) is not None):
        return (
            f"predict decodes with the network's combination probe (combination_weight_ "
            f"{float(estimator.combination_weight_):g}), which the module of "
            f"{type(estimator).__name__}._onnx_parts() does not give, so the graph "
            "decodes without it: export with labels=False (the probabilities alone), or "
            "set decode='independent'."
        )
    return ("A probability on that row lies within float32 rounding of the decision "
            "threshold, or a part of the model's decoding is not in the graph.")


def _mismatch_cause(estimator):
    """Why the graph may part from ``predict_proba``, for the model's family: the
    float32 thresholds of trees, a network's torch operators, or a part not in it."""
    trees = sorted({type(est).__name__ for est in _link_estimators(estimator)
                    if _is_tree_model(est)})
    if trees:
        return (
            f"The model decides with trees ({', '.join(trees)}): skl2onnx computes the "
            "inputs and the preprocessing before them (a scaler, an imputer) in float32, "
            "where scikit-learn computes in float64, and a tree compares each value with a "
            "threshold, so a sample whose value lies near a split can go the other way. "
            "Trees need no scaling: drop the scaler before them, or pass a looser atol."
        )
    if hasattr(estimator, "net_") or hasattr(estimator, "_onnx_parts"):
        return ("A part of the model is not in the graph (e.g. preprocessing inside the "
                "estimator that the exporter does not know), or an operator differs "
                "between torch and onnxruntime.")
    return ("A part of the model is not in the graph (e.g. preprocessing inside the "
            "estimator that the exporter does not know), or skl2onnx converts a step "
            "differently from how scikit-learn computes it.")


def _link_estimators(estimator):
    """The fitted scikit-learn models a baseline's graph runs: its base estimators, or a
    chain's links (pipelines as their final step)."""
    from ._baselines import TaskChainClassifier

    found = list(_base_estimators(estimator))
    if isinstance(estimator, TaskChainClassifier):
        for links in estimator.estimators_:
            for link in links:
                found.extend(link if isinstance(link, list) else [link])
    return [est.steps[-1][1] if hasattr(est, "steps") else est for est in found]


def _is_tree_model(est):
    """Whether a fitted scikit-learn model decides with decision trees (a tree, a
    forest, gradient boosting, or an ensemble of trees)."""
    from sklearn.tree import BaseDecisionTree

    if isinstance(est, BaseDecisionTree) or isinstance(
            getattr(est, "estimator_", None), BaseDecisionTree):
        return True
    members = getattr(est, "estimators_", None)
    while isinstance(members, (list, tuple, np.ndarray)) and len(members):
        members = members[0]  # a forest's list, boosting's array of trees
    return isinstance(members, BaseDecisionTree)


def _float32_loss(X):
    """Where a numeric column of ``X`` cannot be read in float32, as the graph reads its
    numbers, at its own scale (a timestamp in seconds: 1_700_000_001 reads 1_700_000_000)
    while the estimator reads it in float64: a sentence naming it, else ``""``."""
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X).reshape(len(X), -1))
    for name in frame.columns:
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column.dtype) or column.dtype == np.float32:
            continue
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        values = values[np.isfinite(values)]
        if len(values) < 2:
            continue
        spread = np.subtract(*np.percentile(values, [75, 25])) or np.ptp(values)
        lost = np.abs(values.astype(np.float32).astype(np.float64) - values)
        if spread > 0 and lost.max() > 1e-4 * spread:
            i = int(np.argmax(lost))
            return (
                f"The graph reads its inputs in float32, which cannot hold column {name!r} at "
                f"its scale ({float(values[i])!r} reads {float(np.float32(values[i]))!r}), "
                "while the estimator reads it in float64. Subtract an offset from that "
                "column (e.g. a timestamp's first value) before fitting, and from the "
                "graph's inputs."
            )
    return ""


def _difference(got, expected):
    """The largest difference of ``got`` from ``expected``: absolute, and relative to the
    expected value where it exceeds 1 in magnitude (a regression task's quantity, in
    grams or dollars, agrees with float32 arithmetic to a relative 1e-7, not to an
    absolute 1e-5); probabilities compare absolutely."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    scale = np.maximum(1.0, np.abs(expected))
    return float(np.max(np.abs(got - expected) / scale, initial=0.0))


def run_onnx(onnx_model, X):
    """Run an exported model with onnxruntime (on the CPU).

    Parameters
    ----------
    onnx_model : onnx.ModelProto or bytes
        A graph written by :func:`export_onnx` (or its serialized bytes).
    X : array-like, pandas or polars DataFrame
        Input rows. A DataFrame feeds one input per column when the graph has one per
        column, else its values feed the single input, its columns taken by name in the
        order the model was fitted on (the metadata's ``"columns"``; an
        ``OnnxExportError`` names one that is missing), each cast to the input's type:
        a gap of a nullable column (``pd.NA``) as NaN; a number that is not whole for
        an int64 input raises an ``OnnxExportError`` naming the column, rather than be
        truncated. A number or bool in a column that the estimator's own preprocessing
        one-hot encodes is written as the category it matches, as ``predict`` reads it
        (``2.0`` for a category ``2``, ``1`` for ``True``).

    Returns
    -------
    outputs : dict of str -> ndarray
        Every output of the graph by its name: ``<task>_probability`` and, where the
        graph has them, ``<task>_label``.
    """
    ort = import_optional("onnxruntime", feature="run_onnx", extra="onnx")

    data = onnx_model if isinstance(onnx_model, bytes) else onnx_model.SerializeToString()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = onnx_inputs(session, X, categories=_input_categories(onnx_model))
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds)))


def onnx_inputs(session, X, categories=None):
    """The feeds of ``session.run`` for ``X`` (a DataFrame or an array): a DataFrame's
    column of each input's name where the graph has one input per column; an
    ``OnnxExportError`` names a column that ``X`` lacks. ``categories``: the
    categories of the string inputs that the estimator's own preprocessing one-hot
    encodes, by input name (see :func:`_input_categories`)."""
    # a polars table as the pandas one predict reads (its dates, durations and gaps):
    # its own columns would reach the graph as values of another kind
    X = to_pandas(X, "X")
    inputs = session.get_inputs()
    one_named = (len(inputs) == 1 and hasattr(X, "columns") and X.shape[1] == 1
                 and inputs[0].name == str(X.columns[0]))  # a table of one column
    if len(inputs) > 1 and not hasattr(X, "columns"):
        # (its values would all go to the first input, which takes one column)
        raise OnnxExportError(
            f"The ONNX model takes one input per column {[inp.name for inp in inputs]}, "
            f"which X, {type(X).__name__} without column names, cannot feed: pass the rows "
            "(X, or export_onnx's X_sample) as a DataFrame with those columns."
        )
    if hasattr(X, "columns") and (len(inputs) > 1 or one_named):
        feeds = {}
        # each input is named as str() writes its column (an integer or a MultiIndex
        # column's tuple too)
        by_name = {str(c): c for c in X.columns}
        for inp in inputs:
            if inp.name not in by_name:
                raise OnnxExportError(
                    f"The ONNX model takes a column {inp.name!r}, which X lacks; X has "
                    f"{list(map(str, X.columns))}."
                )
            column = X[by_name[inp.name]]
            if "int64" in inp.type and _is_time_like(column):
                feeds[inp.name] = as_nanoseconds(column).reshape(-1, 1)
                continue
            values = _plain_values(column, inp.type)
            if categories and inp.name in categories:
                values = _as_categories(values, categories[inp.name])
            feeds[inp.name] = _as_input_type(values, inp.type,
                                             f"column {inp.name!r}").reshape(-1, 1)
        return feeds
    columns = _metadata_columns(session)
    if hasattr(X, "columns") and columns is not None:
        # the columns the model was fitted on, in its order, whatever the table's order
        # (predict refuses another order; the graph would read it silently)
        by_name = {str(c): c for c in X.columns}
        missing = [c for c in columns if c not in by_name]
        if missing:
            raise OnnxExportError(
                f"The ONNX model reads the columns {columns} (as one matrix input "
                f"{inputs[0].name!r}); X lacks {missing} (it has "
                f"{list(map(str, X.columns))})."
            )
        X = X[[by_name[c] for c in columns]]
    values = _as_input_type(_plain_values(X, inputs[0].type), inputs[0].type,
                            f"input {inputs[0].name!r}",
                            [str(c) for c in X.columns] if hasattr(X, "columns") else None)
    if values.ndim == 1 and len(inputs[0].shape) == 2:  # one text a sample: a column
        values = values.reshape(-1, 1)
    return {inputs[0].name: values}


def _input_categories(onnx_model):
    """The categories of each string input that the estimator's own preprocessing
    one-hot encodes, by input name: the keys of the graph's ``LabelEncoder`` that
    reads it (see ``_convert_raw_table_network``); empty for another graph."""
    import onnx

    model = (onnx.load_model_from_string(onnx_model) if isinstance(onnx_model, bytes)
             else onnx_model)
    inputs = {inp.name for inp in model.graph.input}
    found = {}
    for node in model.graph.node:
        if (node.op_type == "LabelEncoder" and node.name.startswith("mtl_")
                and node.input[0] in inputs):
            for attr in node.attribute:
                if attr.name == "keys_strings":
                    found[node.input[0]] = {key.decode() for key in attr.strings}
    return found


def _as_categories(values, known):
    """``values`` (objects) with each number or bool that is none of the ``known``
    categories as written, written as the one it matches, as ``predict`` reads a
    one-hot encoded column (``_categorical_block``): a category of integer codes given
    as floats (``2.0`` for ``2``), a bool column given as 0/1. Text stays as written."""
    from .neural._preprocessing import _spellings

    out = None
    for value in set(values.ravel().tolist()):  # few: the rows' distinct values
        if isinstance(value, str) or pd.isna(value) or str(value) in known:
            continue
        spelling = next((s for s in _spellings(value) if s in known), None)
        if spelling is not None:
            out = values.copy() if out is None else out
            out[values == value] = spelling
    return values if out is None else out


def _metadata_columns(session):
    """The training columns a graph of one matrix input reads, in order, from its
    metadata (``"columns"`` of ``sklearn_mtl_schema``), or None where it has none."""
    meta = session.get_modelmeta().custom_metadata_map
    try:
        return json.loads(meta["sklearn_mtl_schema"]).get("columns")
    except (KeyError, ValueError, AttributeError):
        return None


def _is_time_like(column):
    from .neural._preprocessing import is_text, is_time, is_time_of_day

    return is_time(column) or is_text(column) or is_time_of_day(column)


def as_nanoseconds(column):
    """A date column (any time zone, or ISO text; a period column as its periods'
    starts) as int64 nanoseconds since 1970-01-01 UTC, or a duration column (or its
    text) as int64 nanoseconds; a gap as the smallest int64 (``NaT``): what a date or
    duration input of the ONNX graph takes."""
    from .neural._preprocessing import (
        _is_date,
        is_text,
        is_time_of_day,
        read_time_text,
        since_midnight,
        utc_naive,
    )

    if is_time_of_day(column):  # a duration since midnight, as the model reads it
        column = since_midnight(column)
    elif is_text(column):
        column = read_time_text(column, column.name)
    if _is_date(column):
        column = utc_naive(column).astype("datetime64[ns]")
    else:
        column = column.astype("timedelta64[ns]")
    return column.to_numpy().view(np.int64)


def _plain_values(X, onnx_type):
    """The values of ``X`` (a DataFrame, a Series or an array) as a NumPy array for an
    input of ``onnx_type``: a table of numbers or bools whose nullable dtypes (``Int64``,
    ``Float64``, ``boolean``) hold ``pd.NA`` gives floats with NaN for a numeric input,
    not objects that no number type takes."""
    if not hasattr(X, "to_numpy"):
        return np.asarray(X)
    if "string" in onnx_type:
        # each value as itself, as predict reads it: to_numpy() of a category column
        # of integers with a gap gives floats, whose text "1.0" is no category "1"
        return X.astype(object).to_numpy()
    dtypes = X.dtypes if hasattr(X, "columns") else [X.dtype]
    numeric = len(dtypes) > 0 and all(
        pd.api.types.is_numeric_dtype(d) or pd.api.types.is_bool_dtype(d) for d in dtypes)
    if not numeric or not X.isna().to_numpy().any():
        return X.to_numpy()
    return X.to_numpy(dtype=np.float64, na_value=np.nan)


def _as_input_type(values, onnx_type, what="input", columns=None):
    """``values`` cast to the element type of an input of ``onnx_type``; an
    ``OnnxExportError`` names ``what`` (the column or input) where numbers that are not
    whole would reach an int64 input (the cast would truncate them), or where a value
    cannot be cast at all (text in a column of numbers: numpy's "could not convert
    string to float" named neither), naming the first such value, its row and, in a
    matrix, its column (of ``columns``, the names of the matrix's columns, if given)."""
    try:
        return _cast_input(values, onnx_type, what)
    except OnnxExportError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        target = _cast_input(np.zeros(1), onnx_type, what).dtype
        flat = np.ravel(values)
        for i, value in enumerate(flat):
            try:
                np.asarray([value], dtype=object).astype(target)
            except (TypeError, ValueError, OverflowError):
                where = f"row {i}"
                if values.ndim == 2:
                    row, column = divmod(i, values.shape[1])
                    name = column if columns is None else repr(columns[column])
                    where = f"row {row}, column {name}"
                value = value.item() if isinstance(value, np.generic) else value
                raise OnnxExportError(
                    f"The ONNX model's {what} is a {target} input, but X holds {value!r} "
                    f"there ({where}), which cannot be read as {target} ({exc}). Give "
                    "the values the fitted model reads in that column."
                ) from None
        raise


def _cast_input(values, onnx_type, what):
    """:func:`_as_input_type`'s cast, without naming a value that cannot be cast."""
    if "string" in onnx_type:
        return values.astype(str).astype(object)
    if "int64" in onnx_type:
        numbers = values
        if values.dtype.kind == "O":
            try:
                numbers = values.astype(np.float64)
            except (TypeError, ValueError):  # not numbers: the cast below says so
                pass
        if numbers.dtype.kind == "f":
            lossy = np.ravel(np.isfinite(numbers) & (numbers != np.round(numbers)))
            if lossy.any():
                bad = np.ravel(values)[int(np.argmax(lossy))]
                bad = bad.item() if isinstance(bad, np.generic) else bad
                raise OnnxExportError(
                    f"The ONNX model's {what} is an int64 input, but X holds {bad!r} there, "
                    "which is not a whole number: the cast would truncate it. Feed whole "
                    "numbers to an int64 input; where the model reads that column as real "
                    "numbers, export it again (its inputs are typed as the fitted model "
                    "reads them)."
                )
        return values.astype(np.int64)
    if "double" in onnx_type:
        return values.astype(np.float64)
    if "bool" in onnx_type:
        return values.astype(bool)
    return values.astype(np.float32)


# ============================================================ what the model is made of
def _require(feature="ONNX export"):
    onnx = import_optional("onnx", feature=feature, extra="onnx")
    import_optional("onnxruntime", feature=feature, extra="onnx")
    skl2onnx = import_optional("skl2onnx", feature=feature, extra="onnx")
    return onnx, skl2onnx


def _final(model):
    from sklearn.pipeline import Pipeline

    return model[-1] if isinstance(model, Pipeline) else model


def _unfrozen(model):
    """``model`` with each :class:`~sklearn.frozen.FrozenEstimator` replaced by the
    fitted model it wraps: the model itself, a pipeline's steps, a
    :class:`~sklearn_mtl.TaskThresholdTuner`'s fitted ``estimator_`` (a tuner around a
    frozen model, the usual way to tune the thresholds of a model trained once). A
    frozen model predicts as the model it wraps, so the graph is that model's. The
    user's objects are left as they are: a changed pipeline or tuner is a copy."""
    import copy

    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from ._thresholds import TaskThresholdTuner

    while isinstance(model, FrozenEstimator):
        model = model.estimator
    if isinstance(model, Pipeline):
        steps = [(name, _unfrozen(step)) for name, step in model.steps]
        if any(new is not old for (_, new), (_, old) in zip(steps, model.steps, strict=True)):
            model = copy.copy(model)  # keeps the fitted attributes (feature_names_in_...)
            model.steps = steps
        return model
    if isinstance(model, TaskThresholdTuner) and hasattr(model, "estimator_"):
        inner = _unfrozen(model.estimator_)
        if inner is not model.estimator_:
            model = copy.copy(model)
            model.estimator_ = inner
    return model


def _tuner_inside(model):
    """A fitted :class:`~sklearn_mtl.TaskThresholdTuner` around a pipeline (the model,
    or a pipeline's final step) as the pipeline it computes: the steps before the tuner,
    the tuned pipeline's own, then the tuner around the pipeline's final model."""
    import copy

    from sklearn.pipeline import Pipeline

    from ._thresholds import TaskThresholdTuner

    steps = list(model.steps) if isinstance(model, Pipeline) else [("model", model)]
    tuner = steps[-1][1]
    inner = getattr(tuner, "estimator_", None)
    if not (isinstance(tuner, TaskThresholdTuner) and isinstance(inner, Pipeline)):
        return model
    inner = _tuner_inside(inner) if isinstance(inner[-1], TaskThresholdTuner) else inner
    tuner = copy.copy(tuner)  # the user's tuner keeps its pipeline
    tuner.estimator_ = inner[-1]
    steps = steps[:-1] + list(inner.steps[:-1]) + [("tuner", tuner)]
    names = [f"{name}_{i}" for i, (name, _) in enumerate(steps)]  # unique
    return Pipeline(list(zip(names, (step for _, step in steps), strict=True)))


def _parts(est):
    """(estimator with the per-task outputs, thresholds, decoder) of a final step. A
    baseline whose base models speak the tasks' labels comes as a copy whose models
    speak their codes, the class indices the graph computes with
    (:func:`~sklearn_mtl._baselines.in_codes`)."""
    from ._baselines import in_codes
    from ._decoding import check_thresholds
    from ._thresholds import TaskThresholdTuner

    # a tuner's decoding, not its estimator's: a network's decode="auto" may decode
    # jointly on its own, where the tuner decides by the thresholds
    tuned = isinstance(est, TaskThresholdTuner)
    if not tuned and not hasattr(est, "schema_"):
        raise OnnxExportError(
            f"export_onnx needs an sklearn-mtl estimator as the model or the pipeline's last "
            f"step; got {type(est).__name__}."
        )
    inner = est.estimator_ if tuned else est
    # (a copy where it changes the models; a search as the model it refitted)
    coded = in_codes(inner, error=OnnxExportError)
    decoder = est._decoder()
    thresholds = dict(getattr(est, "thresholds_", None) or {})
    if isinstance(decoder, str) and decoder == "independent":
        # checked as predict checks them: a NaN, an unknown or a multiclass task's
        # threshold exported a graph that decides otherwise than predict (which refuses)
        # (by task name: a column label that is not a string names its task, and a
        # Series of a multilabel task's thresholds is read by label, as predict reads them)
        thresholds = check_thresholds(thresholds, est.schema_)
    return _int64_classes(coded, copy=coded is inner), thresholds, decoder


def _int64_classes(estimator, copy=True):
    """``estimator``, or (``copy``; else ``estimator`` is a copy already) a copy, whose
    base models' integer ``classes_`` are int64.

    A multilabel task's models are fitted on its 0/1 column of int8, so their
    ``classes_`` are int8, which some of skl2onnx's converters write as a constant that
    onnxruntime refuses (``KNeighborsClassifier``'s ``ArrayFeatureExtractor``); the graph's
    codes are int64 anyway. The user's model is left as it is."""
    from copy import deepcopy

    def models(est):
        for links in getattr(est, "estimators_", None) or []:
            for link in links if isinstance(links, list) else [links]:
                for model in link if isinstance(link, list) else [link]:
                    yield holder(model)
        if hasattr(est, "estimator_") and hasattr(est, "combinations_"):  # label product
            yield holder(est.estimator_)

    def holder(model):
        # a pipeline's classes_ are its model's, a threshold classifier's those of the
        # model it thresholds
        while hasattr(model, "steps") or _thresholded(model) is not None:
            model = model.steps[-1][1] if hasattr(model, "steps") else _threshold_inner(model)
        return model

    def narrow(model):
        classes = getattr(model, "classes_", None)
        return (isinstance(classes, np.ndarray) and classes.dtype.kind in "iub"
                and classes.dtype != np.int64)

    if not any(narrow(model) for model in models(estimator)):
        return estimator
    if copy:
        estimator = deepcopy(estimator)
    for model in models(estimator):
        if narrow(model):
            model.classes_ = model.classes_.astype(np.int64)
    return estimator


def _labels_ok(estimator, decoder):
    """Whether the graph can give ``predict``'s labels: task by task, or over a finite
    set of combinations (:func:`_joint_plan`)."""
    if isinstance(decoder, str) and decoder == "independent":
        return True
    return _joint_plan(estimator, decoder) is not None


#: The largest set of label combinations the graph's joint decoding scores.
MAX_ONNX_COMBINATIONS = 4096


def _joint_plan(estimator, decoder):
    """``(combinations, probe weight)`` of a joint decoding the graph can express: the
    codes (C, n_tasks) ``predict`` takes its argmax over and the weight of the network's
    combination probe (0 without one); None for another decoder. A label product's
    combinations are its own classes (its model's argmax, see ``_convert``)."""
    from ._decoding import JointDecoder

    if _product_mode(estimator, decoder):
        return estimator.combinations_.codes, 0.0
    if isinstance(decoder, str) and decoder == "joint":
        decoder = JointDecoder()
    if type(decoder) is not JointDecoder:
        return None
    observed = getattr(estimator, "observed_combinations_", None)
    weight = float(getattr(estimator, "combination_weight_", 0.0) or 0.0)
    decode = getattr(estimator, "decode", None)
    if weight and isinstance(decode, str) and decode == "auto":
        # predict scores the observed combinations with the probe (under "auto" only:
        # a decode set after fit decodes as it says)
        return np.asarray(observed, dtype=np.int64), weight
    try:
        combos = decoder.candidates(estimator.schema_, observed,
                                    max_combinations=MAX_ONNX_COMBINATIONS)
    except ValueError:
        return None
    return None if combos is None else (combos, 0.0)


def _takes_task(model):
    import inspect

    try:
        return "task" in inspect.signature(model.predict_proba).parameters
    except (TypeError, ValueError):
        return False


def _task_proba(model, X, estimator, task):
    """``predict_proba(X, task=...)`` through a pipeline (whose method takes no ``task``)."""
    Xt = model[:-1].transform(X) if len(model) > 1 else X
    return np.asarray(_final(model).predict_proba(Xt, task=task), dtype=np.float64)


def _output_name(task, what):
    if what == "probability" and task.kind == "regression":
        what = "value"
    return f"{task.name}_{what}"


def _outputs(schema, labels):
    """(name, kind, width) of each output, probabilities first then labels."""
    out = []
    for task in schema:
        width = None if task.kind == "regression" else len(task.classes)
        out.append((_output_name(task, "probability"), "float", width))
    if labels:
        for task in schema:
            if task.kind == "regression":
                out.append((_output_name(task, "label"), "float", None))
            else:
                width = len(task.classes) if task.kind == "multilabel" else None
                out.append((_output_name(task, "label"), "int64", width))
    return out


def _initial_types(model, estimator, X_sample):
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
    from sklearn.compose import ColumnTransformer

    from ._base import is_text as is_text_input
    from ._thresholds import TaskThresholdTuner
    from .neural._preprocessing import is_text

    first = model[0] if hasattr(model, "steps") else model
    if isinstance(first, TaskThresholdTuner):
        # the tuner reads the table as its model does (a tuned pipeline's steps are
        # the model's own here, see _tuner_inside)
        first = first.estimator_
    if first is estimator and _raw_table_preprocessor(estimator) is not None:
        names = None
        if (getattr(estimator, "feature_names_in_", None) is None
                and hasattr(X_sample, "columns")):
            # a table whose column names are not strings (integers, a MultiIndex):
            # scikit-learn keeps no names, the sample gives them, as str() writes them
            names = [str(c) for c in X_sample.columns]
        return _per_column_types(estimator, estimator.preprocessor_, names)
    if first is estimator and getattr(estimator, "preprocessor_", None) is not None:
        first = estimator.preprocessor_  # a user's step reads the table first
    first = _leading_step(first)
    # A ColumnTransformer that selects columns by name takes one input per column.
    per_column = isinstance(first, ColumnTransformer) and hasattr(first, "feature_names_in_")
    if X_sample is not None and hasattr(X_sample, "columns") and per_column:
        # The sample names the inputs; their types are what the fitted model reads (a
        # float column whose sample rows are whole numbers stays a float input). Only a
        # text column that no encoder of the model describes (a text vectorizer's) takes
        # its type from the sample (a column the model was not fitted on is refused).
        fitted = dict(_column_types(first))
        types = []
        for name in X_sample.columns:
            column = X_sample[name]
            t = fitted.get(str(name))
            sample_text = is_text(column) or isinstance(column.dtype, pd.CategoricalDtype)
            if t is None or (sample_text and isinstance(t, FloatTensorType)
                             and str(name) not in _column_categories(first)):
                kind = getattr(column.dtype, "kind", "O")
                t = (Int64TensorType([None, 1]) if kind in "iub"
                     else FloatTensorType([None, 1]) if kind == "f"
                     else StringTensorType([None, 1]))
            types.append((str(name), t))
        return types
    if per_column:
        return _column_types(first)
    if hasattr(first, "build_analyzer") or is_text_input(X_sample):
        # one text a sample (a text vectorizer first): skl2onnx's vectorizers read a
        # string tensor of one column, which a float input would not feed
        return [("input", StringTensorType([None, 1]))]
    if X_sample is not None:
        shape = np.shape(X_sample)[1:]
    else:
        shape = _input_shape(estimator) if first is estimator else None
        if shape is None:
            n = getattr(model, "n_features_in_", None)
            if n is None:
                raise OnnxExportError(
                    "The number of input features is unknown; pass X_sample (a few rows)."
                )
            shape = (int(n),)
    return [("input", FloatTensorType([None, *map(int, shape)]))]


def _column_types(transformer):
    """One typed input per column of a fitted ColumnTransformer, read from its encoders."""
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType

    types = {str(n): FloatTensorType([None, 1]) for n in transformer.feature_names_in_}
    for col, cats in _column_categories(transformer).items():
        kind = np.asarray(cats).dtype.kind
        types[col] = (
            StringTensorType([None, 1]) if kind in "OUS"
            else Int64TensorType([None, 1]) if kind in "iub"
            else FloatTensorType([None, 1])
        )
    return list(types.items())


def _column_categories(transformer):
    """The categories of each column that a fitted ColumnTransformer's encoders read
    (an encoder as a step, or first in a step's pipeline), by column name."""
    names = transformer.feature_names_in_
    out = {}
    for _, step, columns in transformer.transformers_:
        categories = getattr(step, "categories_", None)
        if categories is None and hasattr(step, "steps"):
            categories = getattr(step.steps[0][1], "categories_", None)
        if categories is None:
            continue
        cols = [names[c] if isinstance(c, (int, np.integer)) else c for c in np.atleast_1d(columns)]
        out.update({str(col): cats for col, cats in zip(cols, categories)})
    return out


def _leading_step(transformer):
    """The first step of a (nested) pipeline, or the transformer itself."""
    while hasattr(transformer, "steps"):
        transformer = transformer.steps[0][1]
    return transformer


def _network_probe(estimator, preprocessor, shape):
    """A few rows of the estimator's input on which its exported network is checked:
    random numbers, as a DataFrame where it was fitted on one; where its own
    preprocessing starts with a ColumnTransformer that encodes columns, those columns
    hold their categories."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer

    probe = np.random.RandomState(0).normal(size=(3, *shape)).astype(np.float32)
    columns = getattr(estimator, "feature_names_in_", None)
    if columns is None or probe.ndim != 2:
        return probe
    probe = pd.DataFrame(probe, columns=columns)
    first = _leading_step(preprocessor)
    if isinstance(first, ColumnTransformer) and hasattr(first, "feature_names_in_"):
        for col, cats in _column_categories(first).items():
            probe[col] = np.resize(np.asarray(cats), len(probe))
    return probe


def _base_estimators(estimator):
    """The fitted scikit-learn classifiers whose probabilities a baseline's graph reads:
    every per-task (per-label) model of an IndependentTaskClassifier, the one model of
    a LabelProductClassifier; none for the network."""
    from ._baselines import IndependentTaskClassifier, LabelProductClassifier

    if isinstance(estimator, LabelProductClassifier):
        return [estimator.estimator_]
    if isinstance(estimator, IndependentTaskClassifier):
        return [est for sub in estimator.estimators_
                for est in (sub if isinstance(sub, list) else [sub])]
    return []


def _product_mode(estimator, decoder):
    """Whether ``predict`` is the combination a LabelProductClassifier's model predicts."""
    from ._baselines import LabelProductClassifier

    return (isinstance(estimator, LabelProductClassifier) and isinstance(decoder, str)
            and decoder == "joint")


def _options(model, *, labels):
    """The labels flag of the final step (the parser turns zipmap off for the base
    models it converts, see :func:`_parse`). skl2onnx keys options by ``id()``: those of
    the base models of ``_parts``'s copy (made where the models speak labels or hold a
    search) named objects freed at return, whose ids later objects took (a
    ``StandardScaler`` refused "zipmap", now and then)."""
    options = {}
    estimator, _, decoder = _parts(_final(model))
    options[id(_final(model))] = {"labels": bool(labels)}
    if labels and not _labels_ok(estimator, decoder):
        warnings.warn(
            f"The estimator decodes with {decoder!r}, which the graph cannot express (a "
            "search beyond a set of at most "
            f"{MAX_ONNX_COMBINATIONS} label combinations, or a decoder of your own); the "
            "ONNX model has the probability outputs only (no <task>_label).",
            UserWarning,
        )
    return options


@contextlib.contextmanager
def _quiet():
    """Silence torch's exporter (progress lines, deprecation and torchvision notices)."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _skl2onnx_message(model, exc):
    text = _first_line(exc).rstrip(".") or type(exc).__name__
    steps = getattr(model, "steps", [(type(model).__name__, model)])

    try:  # skl2onnx's registry of converters, by class (StandardScaler is "Scaler")
        from skl2onnx._supported_operators import sklearn_operator_name_map as registry
    except ImportError:  # the registry moved: no step is blamed
        registry = None
    unknown = [
        f"{name} ({type(step).__name__})" for name, step in steps
        if registry is not None and step not in (None, "passthrough")
        and type(step) not in registry and type(step).__module__.split(".")[0] != "sklearn_mtl"
    ]
    where = f" The step(s) {unknown} have no skl2onnx converter." if unknown else ""
    failed = _failed_part(exc)
    if not unknown and failed is not None:
        shown = repr(failed) if len(repr(failed)) <= 80 else type(failed).__name__
        where = f" It failed converting {shown}."
    if _reads_like_the_command_line(model):
        read = _command_line_columns(model)
        where += (
            f" This baseline reads {read or 'text, bool and date columns'} the way "
            "`sklearn-mtl fit` builds it (text, category and bool columns as categories, "
            "the rare ones pooled; dates as days), through steps skl2onnx cannot convert. "
            "The mtl model of the same file exports, its own "
            "preprocessing in the graph (unless it reads the labels of repeated rows, "
            "lookup_tasks_: then fit MultiTaskClassifier(lookup=None) in Python and save "
            "it); or fit the baseline on the numeric columns (--features)."
        )
    return f"skl2onnx could not convert the model: {type(exc).__name__}: {text}.{where}"


def _failed_part(exc):
    """The scikit-learn object whose skl2onnx converter raised ``exc`` (a baseline's
    base estimator, a pipeline's step), read off the operator that skl2onnx was
    converting; None where the traceback holds none (or it is sklearn-mtl's own)."""
    failed, tb = None, exc.__traceback__
    while tb is not None:
        operator = tb.tb_frame.f_locals.get("operator")
        raw = getattr(operator, "raw_operator", None)
        if raw is not None:
            failed = raw  # the innermost one
        tb = tb.tb_next
    if failed is None or type(failed).__module__.split(".")[0] == "sklearn_mtl":
        return None
    return failed


def _reads_like_the_command_line(model):
    """Whether a pipeline starts with the command line's baseline preprocessing, whose
    FunctionTransformer steps (``sklearn_mtl.cli``'s) skl2onnx cannot convert."""
    first = model.steps[0][1] if hasattr(model, "steps") else None
    pending = list(getattr(first, "transformers_", ()))
    while pending:
        step = pending.pop()[1]
        if hasattr(step, "steps"):
            pending.extend(step.steps)
            continue
        func = getattr(step, "func", None)
        if getattr(func, "__module__", None) == "sklearn_mtl.cli":
            return True
    return False


def _command_line_columns(model):
    """Which columns the command line's baseline preprocessing reads through its own
    steps ("the columns ['flag'] as categories and ['when'] as days"), or None: the
    ColumnTransformer of ``sklearn_mtl.cli.baseline_preprocessing``, by its step names."""
    first = model.steps[0][1] if hasattr(model, "steps") else None
    found = {name: list(map(str, columns))
             for name, _, columns in getattr(first, "transformers_", ())
             if name in ("other", "times") and len(columns)}
    parts = [f"the columns {found['other']} as categories" if "other" in found else "",
             f"the columns {found['times']} as days" if "times" in found else ""]
    return " and ".join(p for p in parts if p) or None


def _name_inputs(onx, names):
    """Name the graph's inputs ``names`` (the columns, or the initial types' names), in
    order, as given: skl2onnx writes each as a C identifier (``"length (m)"`` ->
    ``"length__m_"``, ``"1st"`` -> ``"_1st"``, ``"v.2"`` -> ``"v_2"``), which a user's
    ``{column: values}`` would not find. The nodes reading an input, in subgraphs too,
    read its new name."""
    inputs = onx.graph.input
    if len(inputs) != len(names):
        raise OnnxExportError(
            f"skl2onnx gave the graph {len(inputs)} input(s) for the {len(names)} initial "
            f"type(s) {list(names)}; their names cannot be matched."
        )
    rename = {inp.name: str(name) for inp, name in zip(inputs, names) if inp.name != str(name)}
    if not rename:
        return
    graphs = list(_graphs(onx.graph))
    taken = {v for g in graphs for v in (*(i.name for i in g.input),
                                         *(i.name for i in g.initializer),
                                         *(o for node in g.node for o in node.output))}
    clash = sorted(set(rename.values()) & (taken - set(rename)))
    if clash:
        raise OnnxExportError(
            f"The graph's inputs cannot be named {clash}: other values of the graph have "
            "those names. Rename the columns."
        )
    for graph in graphs:
        for value in (*graph.input, *graph.value_info):
            value.name = rename.get(value.name, value.name)
        for node in graph.node:
            node.input[:] = [rename.get(name, name) for name in node.input]


def _graphs(graph):
    """``graph`` and the subgraphs of its nodes (a ``Loop``'s, a ``Scan``'s), nested."""
    import onnx

    yield graph
    for node in graph.node:
        for attr in node.attribute:
            subgraphs = ([attr.g] if attr.type == onnx.AttributeProto.GRAPH
                         else attr.graphs if attr.type == onnx.AttributeProto.GRAPHS else [])
            for sub in subgraphs:
                yield from _graphs(sub)


def _single_input_columns(model, onx):
    """The training columns, in order, that a graph of one matrix input reads (the
    model's ``feature_names_in_``), or None: a graph of one input per column, or a
    model fitted without column names. ``run_onnx`` feeds a table's columns by these
    names, as ``predict`` checks them, not by their position in the table."""
    names = getattr(model, "feature_names_in_", None)
    if names is None or len(onx.graph.input) != 1:
        return None
    names = [str(c) for c in names]
    if len(names) == 1 and onx.graph.input[0].name == names[0]:
        return None  # one input per column: a table of one column
    return names


def _labels_rule(schema):
    """What the ``<task>_label`` outputs hold, for the kinds of task in ``schema``: a
    multilabel task's are 0/1 per label and a regression task's its value, not an index."""
    kinds = {task.kind for task in schema}
    rules = []
    if kinds & {"binary", "multiclass"}:
        rules.append("index in the task's classes, -2 where the task's gate is off")
    if "multilabel" in kinds:
        rules.append("a multilabel task's 0/1 per label, a row of -2 where its gate is off")
    if "regression" in kinds:
        rules.append("a regression task's value, NaN where its gate is off")
    return "<task>_label: " + "; ".join(rules)


def _set_metadata(onnx, onx, schema, thresholds, *, labels, joint=None, columns=None):
    from . import __version__

    def plain(values):
        return [v.item() if isinstance(v, np.generic) else v for v in values]

    tasks = []
    for task in schema:
        gate = None
        if task.gate is not None:
            gate = [task.gate[0], sorted(plain(task.gate[1]), key=_gate_order)]
        tasks.append({
            "name": task.name, "kind": task.kind,
            "classes": None if task.classes is None else plain(list(task.classes)),
            "gate": gate,
        })
    entries = {
        "sklearn_mtl_version": __version__,
        "sklearn_mtl_schema": json.dumps(
            {"tasks": tasks, **({} if columns is None else {"columns": columns})},
            default=str),
        "sklearn_mtl_labels": (
            _labels_rule(schema) if labels
            else "none (the estimator's decoding is not in the graph)"
        ),
    }
    if joint is not None:
        combos, weight = joint
        entries["sklearn_mtl_labels"] += (
            f"; decided jointly: the most probable of {len(combos)} label combinations"
            + (f", with the combination probe at weight {weight:g}" if weight else "")
        )
    if thresholds:
        entries["sklearn_mtl_thresholds"] = json.dumps(
            {k: np.asarray(v).tolist() for k, v in thresholds.items()}
        )
    onnx.helper.set_model_props(onx, entries)


def _quantize(onx):
    import tempfile
    from pathlib import Path

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The learned weights only: the products the export writes itself (a label
    # product's marginals, a model's classes scattered to the task's) multiply
    # probabilities by a fixed 0/1 matrix ("mtl_const", "mtl_classes"), and quantized
    # they rounded a small probability to steps of 1/255 (a gated task's P(gate on) of
    # 0.0017 read as 0, its probabilities 0.5 and 0.5 where predict_proba gives 0.95)
    fixed = [node.name for node in onx.graph.node if node.op_type in ("MatMul", "Gemm")
             and any(name.startswith(("mtl_const", "mtl_classes")) for name in node.input)]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        onnx.save_model(onx, str(src))
        with _quiet():
            quantize_dynamic(
                str(src), str(dst), weight_type=QuantType.QInt8, nodes_to_exclude=fixed,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        return onnx.load_model(str(dst))


# ============================================================ the torch part
def inference_parts(estimator, *, probe=False, after_steps=False):
    """(sklearn preprocessor or None, torch module) computing the estimator's outputs.

    An estimator that computes part of its predictions outside ``net_.module_`` (input
    preprocessing, an ensemble) says how with a method ``_onnx_parts()`` returning the
    same pair: a fitted scikit-learn transformer applied to X first (converted by
    skl2onnx), and a module mapping its float32 output to the per-task outputs of
    ``_predict_outputs``. Otherwise the pair is ``(None, network_outputs_module(est))``,
    with the estimator's own ``TabularPreprocessor`` as torch operations in front where it
    has one, and the lookup of repeated training rows (``lookup_tasks_``) after it. With
    ``probe``, the module also gives the combination probe's log probabilities, last
    (see :func:`network_outputs_module`). ``after_steps``: the graph's input is the
    output of a pipeline's steps before the estimator, one of them not exact in float32
    (see :func:`_with_tabular_input`).
    """
    if np.any(getattr(estimator, "neighbor_weights_", 0)):
        raise OnnxExportError(
            f"{type(estimator).__name__} blends the network's probabilities with its "
            "nearest training samples' labels (neighbor_weights_ "
            f"{np.round(estimator.neighbor_weights_, 2).tolist()}), a search the export does "
            "not write; fit it with neighbors=None to export the network alone."
        )
    hook = getattr(estimator, "_onnx_parts", None)
    if hook is not None:
        return hook()
    preprocessor, module = _network_parts(estimator, probe, after_steps)
    lookup = getattr(estimator, "_lookup", None)
    if lookup is None:
        return preprocessor, module
    tasks = [t.name for t, c in zip(estimator.schema_, lookup.counts) if c is not None]
    # The graph compares the rows as one float tensor: not where the table has a string,
    # category, bool or date column (one graph input per column) or another preprocessing.
    if (lookup.rows is None or preprocessor is not None
            or _raw_table_preprocessor(estimator) is not None):
        raise OnnxExportError(
            f"{type(estimator).__name__} reads the labels of training rows that a query "
            f"repeats for task(s) {tasks} (lookup_tasks_), and compares rows as given; the "
            "export compares them only in a table of numeric columns (no string, "
            "category, bool or date column) that the estimator's own TabularPreprocessor "
            "(or none) reads. Fit it with lookup=None to export the network alone."
        )
    return None, _with_lookup(lookup, module)


def _network_parts(estimator, probe=False, after_steps=False):
    """``inference_parts`` without the lookup of rows seen in training."""
    module = network_outputs_module(estimator, probe=probe)
    preprocessor = getattr(estimator, "preprocessor_", None)
    if preprocessor is None:
        return None, module
    from .neural._preprocessing import TabularPreprocessor

    if type(preprocessor) is TabularPreprocessor:
        return None, _with_tabular_input(preprocessor, module, after_steps=after_steps)
    return preprocessor, module  # a scikit-learn transformer: converted by skl2onnx


def _raw_table_preprocessor(estimator):
    """The estimator's own TabularPreprocessor where it one-hot encodes columns or reads
    dates and durations, else None.

    Such a model takes one graph input per column of its training table (named after
    it): a float tensor for a numeric column, a string tensor for a categorical one, an
    int64 tensor of nanoseconds for a date (since 1970-01-01, UTC) or a duration.
    """
    from ._multitask import MultiTaskClassifier
    from .neural._preprocessing import TabularPreprocessor

    pre = getattr(estimator, "preprocessor_", None)
    if (
        isinstance(estimator, MultiTaskClassifier)
        and type(pre) is TabularPreprocessor
        and _per_column(pre)
    ):
        return pre
    return None


def _per_column(pre):
    """Whether the preprocessor's graph takes one input per column (strings, times)."""
    return pre.one_hot_ is not None or len(getattr(pre, "time_columns_", ())) > 0


def _input_names(estimator):
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return [f"x{j}" for j in range(int(estimator.n_features_in_))]
    return [str(n) for n in names]


def _per_column_types(estimator, pre, names=None):
    """One input per training column (named ``names``, by default as the estimator
    names its columns): string for the categorical ones, int64 nanoseconds for dates
    and durations, float otherwise."""
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType

    categorical = set(int(j) for j in pre.categorical_columns_)
    times = set(int(j) for j in getattr(pre, "time_columns_", ()))
    return [
        (name, StringTensorType([None, 1]) if j in categorical
         else Int64TensorType([None, 1]) if j in times else FloatTensorType([None, 1]))
        for j, name in enumerate(_input_names(estimator) if names is None else names)
    ]


#: How a gap may reach a string input (``str()`` of None, NaN, ``pd.NA``, NaT): each is
#: read as the missing category, as ``predict`` reads a missing value.
_MISSING_SPELLINGS = ("nan", "NaN", "None", "<NA>", "NaT", "")


def one_hot_lookup(one_hot, i):
    """``(keys, values, default, width)``: where each category string of input ``i`` of
    a fitted ``OneHotEncoder`` puts its 1, among the ``width`` output columns of input
    ``i``; ``default`` for any other string (the infrequent column where the encoder has
    one, else -1: all zeros), as ``transform`` with ``handle_unknown="infrequent_if_exist"``
    does. The missing category (``"<missing>"``) also answers to the spellings a gap
    takes as text."""
    n = len(one_hot.categories_)
    names = one_hot.get_feature_names_out([f"f{k}" for k in range(n)])
    start = sum(1 for k in range(i) for name in names if name.startswith(f"f{k}_"))
    width = sum(1 for name in names if name.startswith(f"f{i}_"))
    base = [str(c[0]) for c in one_hot.categories_]

    def column(value):
        row = np.array([base], dtype=object)
        row[0, i] = value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unknown category: the check is ours
            out = np.asarray(one_hot.transform(row))[0, start : start + width]
        return int(np.argmax(out)) if out.any() else -1

    keys = [str(c) for c in one_hot.categories_[i]]
    values = [column(key) for key in keys]
    default = column("\x00 a category never seen")
    if "<missing>" in keys:
        missing = values[keys.index("<missing>")]
        extra = [alias for alias in _MISSING_SPELLINGS if alias not in keys]
        keys, values = keys + extra, values + [missing] * len(extra)
    return keys, values, default, width


def _column_names(estimator, positions):
    """The input columns at ``positions``, by name where the estimator knows them."""
    names = getattr(estimator, "feature_names_in_", None)
    return [str(names[j]) if names is not None else int(j) for j in positions]


def _input_shape(estimator):
    """Shape of one input sample of the estimator (before its own preprocessing)."""
    if getattr(estimator, "preprocessor_", None) is not None:
        return (int(estimator.n_features_in_),)
    return tuple(getattr(estimator, "_sample_shape", None) or (estimator.n_features_in_,))


def network_outputs_module(estimator, *, probe=False):
    """A copy of ``net_.module_`` followed by the per-task nonlinearities (eval mode, CPU).

    It maps an input batch to a tuple of per-task outputs as ``_predict_outputs`` gives
    them: class probabilities ((batch, 2) for a binary task), P(label) for a multilabel
    task, values for a regression task. With ``probe`` (for an estimator with a
    combination probe, ``combination_weight_`` above 0), one more output: the probe's log
    probabilities of the observed combinations (batch, C), the members' averaged.
    """
    import torch

    net = getattr(estimator, "net_", None)
    module = getattr(net, "module_", None)
    if not isinstance(module, torch.nn.Module):
        raise OnnxExportError(
            f"{type(estimator).__name__} has no fitted torch module (net_.module_)."
        )
    weights = None
    if probe:
        if not getattr(estimator, "combination_weight_", 0.0):
            raise OnnxExportError(
                f"{type(estimator).__name__} has no combination probe "
                "(combination_weight_ is 0)."
            )
        weights = (estimator._probe_weight, estimator._probe_bias)
    return _PerTaskOutputs(copy.deepcopy(module).cpu().eval(),
                           [t.kind for t in estimator.schema_], weights)


def _probe_in_graph(estimator):
    """Whether ``predict`` reads the network's combination probe, which the graph's joint
    decoding then needs (see ``MultiTaskClassifier.combination_weight_``); never for an
    estimator whose ``_onnx_parts`` gives its module."""
    if not getattr(estimator, "combination_weight_", 0.0) or hasattr(estimator,
                                                                       "_onnx_parts"):
        return False
    return _joint_plan(estimator, estimator._decoder()) is not None


def _with_tabular_input(preprocessor, module, *, after_steps=False):
    """``module`` after the numeric part of a TabularPreprocessor, as torch operations.

    Centre and scale (and the robust soft clip) are computed in float64, as the
    preprocessor computes them, then cast to float32; NaN becomes 0 and adds its
    missing-value indicator column; the point-mass indicators, the piecewise-linear
    encoding (``n_bins``) and the log-ratios with their encoding (``ratios``) follow.
    Where the preprocessor one-hot encodes categorical columns or reads dates, the module
    takes the numeric columns alone, in order (the dates and durations as days, which
    the graph computes from their nanoseconds), and the one-hot block (which the graph
    computes from the string inputs, see :func:`one_hot_lookup`), placed after the
    point-mass indicators as ``transform`` places it.

    ``after_steps``: the input is the output of a pipeline's steps not exact in float32
    (a ``StandardScaler``, see :func:`_exact_in_float32`), which the graph computes in
    float32 where scikit-learn computes in float64 and the preprocessor compares that
    float64 value with its point mass; the graph's value can be a few float32 units off
    it, so a point mass is matched within ``_MASS_TOLERANCE`` (relative above 1) rather
    than exactly.
    """
    import torch

    from .neural._preprocessing import _CLIPPED

    class TabularInput(torch.nn.Module):
        def __init__(self, pre, module):
            super().__init__()
            columns = (np.arange(len(pre.numeric_columns_)) if _per_column(pre)
                       else pre.numeric_columns_)
            self.register_buffer("columns", torch.as_tensor(columns, dtype=torch.long))
            self.register_buffer("missing_columns", torch.as_tensor(pre.missing_columns_,
                                                                    dtype=torch.long))
            self.register_buffer("center", torch.as_tensor(pre.center_, dtype=torch.float64))
            self.register_buffer("scale", torch.as_tensor(pre.scale_, dtype=torch.float64))
            self.robust = pre.numeric == "robust"
            masses = getattr(pre, "point_mass_columns_", ())  # absent: an older model
            self.register_buffer("mass_columns", torch.as_tensor(masses, dtype=torch.long))
            self.register_buffer("mass_values", torch.as_tensor(
                getattr(pre, "point_mass_values_", ()), dtype=torch.float32))
            self.mass_tolerance = _MASS_TOLERANCE if after_steps else 0.0
            # the piecewise-linear encoding: per encoding column, its numeric column
            # (among the numeric ones), its bin's lower edge and width
            self._encoding("bin", getattr(pre, "bin_edges_", ()))
            # the log-ratios: numerator and denominator columns, centre and scale, and
            # the encoding of each ratio
            pairs = np.asarray(getattr(pre, "ratio_pairs_", np.empty((0, 2))), dtype=np.int64)
            self.register_buffer("ratio_pairs", torch.as_tensor(pairs.reshape(-1, 2)))
            self.register_buffer("ratio_center", torch.as_tensor(
                getattr(pre, "ratio_center_", ()), dtype=torch.float64))
            self.register_buffer("ratio_scale", torch.as_tensor(
                getattr(pre, "ratio_scale_", ()), dtype=torch.float64))
            self._encoding("ratio_bin", getattr(pre, "ratio_bin_edges_", ()))
            self.module = module

        def _encoding(self, name, edges):
            """Per encoding column: its source column, its bin's lower edge and width."""
            self.register_buffer(f"{name}_column", torch.as_tensor(
                [j for j, e in enumerate(edges) for _ in range(max(len(e) - 1, 0))],
                dtype=torch.long))
            self.register_buffer(f"{name}_low", torch.as_tensor(
                [v for e in edges for v in e[:-1]], dtype=torch.float64))
            self.register_buffer(f"{name}_width", torch.as_tensor(
                [v for e in edges for v in np.diff(e)], dtype=torch.float64))

        def _scale(self, values, center, scale):
            # as the preprocessor's _scaled: where the difference overflows, the value
            # and the centre scaled apart; beyond _CLIPPED the soft clip is ±3
            scaled = (values - center) / scale
            scaled = torch.where(torch.isinf(scaled), values / scale - center / scale,
                                 scaled)
            if self.robust:
                clipped = scaled / torch.sqrt(1.0 + (scaled / 3.0) ** 2)
                scaled = torch.where(scaled.abs() > _CLIPPED, 3.0 * torch.sign(scaled),
                                     clipped)
            return torch.where(torch.isnan(values), torch.zeros_like(scaled), scaled)

        @staticmethod
        def _encode(values, column, low, width):
            raw = values.index_select(1, column)
            z = torch.clamp((raw - low) / width, 0.0, 1.0) * 2.0 - 1.0
            return torch.where(torch.isnan(raw), torch.zeros_like(z), z).to(torch.float32)

        def forward(self, x, onehot=None):
            values = x.index_select(1, self.columns).to(torch.float64)
            missing = torch.isnan(values)
            blocks = [self._scale(values, self.center, self.scale).to(torch.float32)]
            if self.missing_columns.numel():
                blocks.append(missing.index_select(1, self.missing_columns).to(torch.float32))
            if self.mass_columns.numel():
                # in float32, as the preprocessor compares them (its inputs' precision)
                at = values.index_select(1, self.mass_columns).to(torch.float32)
                if self.mass_tolerance:
                    at = ((at - self.mass_values).abs() <= self.mass_tolerance
                          * torch.clamp(self.mass_values.abs(), min=1.0))
                else:
                    at = at == self.mass_values
                blocks.append(at.to(torch.float32))
            if onehot is not None:
                blocks.append(onehot)
            if self.bin_column.numel():
                blocks.append(self._encode(values, self.bin_column, self.bin_low,
                                           self.bin_width))
            if self.ratio_pairs.numel():
                logs = torch.log(torch.where(values > 0, values,
                                             torch.full_like(values, float("nan"))))
                ratios = (logs.index_select(1, self.ratio_pairs[:, 0])
                          - logs.index_select(1, self.ratio_pairs[:, 1]))
                blocks.append(self._scale(ratios, self.ratio_center,
                                          self.ratio_scale).to(torch.float32))
                if self.ratio_bin_column.numel():
                    blocks.append(self._encode(ratios, self.ratio_bin_column,
                                               self.ratio_bin_low, self.ratio_bin_width))
            return self.module(torch.cat(blocks, dim=1))

    return TabularInput(preprocessor, module)


#: How far (relative above 1) a value computed by a pipeline's steps in float32 may lie
#: from a point mass and match it (see ``_with_tabular_input``): some float32 units.
_MASS_TOLERANCE = 1e-6

#: Whether the pipeline being exported has a step before its estimator that is not exact
#: in float32 (see ``_exact_in_float32``): set by :func:`export_onnx` for the converter.
_INEXACT_STEPS = contextvars.ContextVar("_INEXACT_STEPS", default=False)


def _with_lookup(lookup, module):
    """``module``'s per-task outputs blended with the labels of the training rows a
    query repeats (see :mod:`sklearn_mtl.neural._lookup`): each query is compared with
    the distinct training rows one column at a time (equal values, or both missing), so
    a batch of ``b`` queries holds ``b x n_distinct`` booleans at a time."""
    import torch

    from .neural._lookup import repeat_blend

    class WithLookup(torch.nn.Module):
        def __init__(self, lookup, module):
            super().__init__()
            self.register_buffer("rows", torch.as_tensor(lookup.rows, dtype=torch.float32))
            self.tasks = [j for j, c in enumerate(lookup.counts) if c is not None]
            for j in self.tasks:
                self.register_buffer(f"counts{j}", torch.as_tensor(lookup.counts[j]))
            self.module = module

        def forward(self, x):
            outputs = list(self.module(x))
            same = None
            for j in range(self.rows.shape[1]):
                a, b = x[:, j : j + 1], self.rows[:, j][None]
                eq = (a == b) | (torch.isnan(a) & torch.isnan(b))
                same = eq if same is None else same & eq
            match = same.to(torch.float32)
            for j in self.tasks:
                outputs[j] = repeat_blend(outputs[j], match @ getattr(self, f"counts{j}"))
            return tuple(outputs)

    return WithLookup(lookup, module)


def _per_task_outputs_class():
    import torch

    from .neural._combinations import mean_log_proba
    from .neural._ensemble import BLENDABLE, member_forward, member_mean, pooled_probabilities

    class PerTaskOutputs(torch.nn.Module):
        """``module`` followed by each task's nonlinearity, as a plain tuple; with
        ``probe`` (its weight and bias), one more output: the combination probe's log
        probabilities (batch, C), the members' averaged, read from their features."""

        def __init__(self, module, kinds, probe=None):
            super().__init__()
            self.module = module
            self.kinds = list(kinds)
            self.probe = probe is not None
            if self.probe:
                self.register_buffer("probe_weight", torch.as_tensor(probe[0]).float())
                self.register_buffer("probe_bias", torch.as_tensor(probe[1]).float())

        def forward(self, x):
            if self.probe:
                features, raw = member_forward(self.module, x)
            else:
                raw = self.module(x)
            k = int(getattr(self.module, "n_members", 1))  # an ensemble: logits averaged
            outs = []
            for kind, z in zip(self.kinds, raw):
                if kind in BLENDABLE:  # the members' mean logits, as predict_proba
                    outs.append(pooled_probabilities(kind, z, k))
                elif kind == "multilabel":
                    outs.append(torch.sigmoid(member_mean(z, k)))
                else:
                    outs.append(member_mean(z[:, 0], k))
            if self.probe:
                outs.append(mean_log_proba(features, self.probe_weight, self.probe_bias))
            return tuple(outs)

    return PerTaskOutputs


def _PerTaskOutputs(module, kinds, probe=None):  # noqa: N802 (built on first use: torch is lazy)
    cls = globals().get("_PER_TASK_CLASS")
    if cls is None:
        cls = globals()["_PER_TASK_CLASS"] = _per_task_outputs_class()
    return cls(module, kinds, probe)


def _torch_to_onnx(module, sample, names, opset, what, input_names=("input",)):
    """``torch.onnx.export`` of ``module`` (inputs ``input_names``, one tensor each in
    ``sample`` (a tensor or a tuple), outputs ``names``), dynamic batch.

    torch.export first (torch's current exporter); the TorchScript exporter when it fails
    (a module with data-dependent Python control flow); a clear error when both fail.
    """
    import onnx
    import torch

    if opset is not None and int(opset) < DEFAULT_OPSET:
        # torch writes its nodes at its own lowest opset, which skl2onnx then refuses
        # for the graph's target, naming a node of the network ("Shape")
        raise OnnxExportError(
            f"target_opset={int(opset)} is below {DEFAULT_OPSET}, the lowest opset that "
            f"torch's exporter writes, which {what} needs: pass target_opset="
            f"{DEFAULT_OPSET} or higher (onnxruntime reads it since 1.14)."
        )
    sample = sample if isinstance(sample, tuple) else (sample,)
    input_names = list(input_names)
    errors = []
    with _quiet():
        try:
            batch = torch.export.Dim("batch")
            program = torch.onnx.export(
                module, sample, dynamo=True, input_names=input_names, output_names=names,
                dynamic_shapes=tuple({0: batch} for _ in sample), opset_version=opset,
                verbose=False,
            )
            model = program.model_proto
        except Exception as exc:
            errors.append(f"torch.export: {type(exc).__name__}: {_first_line(exc)}")
            if isinstance(exc, ImportError):  # onnxscript, which the onnx extra installs
                errors[-1] += ' (install it with `pip install "sklearn-mtl[onnx]"`)'
            model = None
        if model is None:
            buffer = io.BytesIO()
            try:
                torch.onnx.export(
                    module, sample, buffer, dynamo=False, input_names=input_names,
                    output_names=names, dynamic_axes={n: {0: "batch"} for n in input_names},
                    opset_version=opset,
                )
                model = onnx.load_model_from_string(buffer.getvalue())
            except Exception as exc:
                errors.append(f"TorchScript: {type(exc).__name__}: {_first_line(exc)}")
    if model is None:
        raise OnnxExportError(
            f"torch cannot export {what} to ONNX; the errors: " + " | ".join(errors)
            + " Use layers that torch.onnx exports, or export the trunk separately."
        )
    if model.functions:
        model = onnx.inliner.inline_local_functions(model)
    return model


def _first_line(exc):
    """The first line of an error, without terminal colours, plus the aten operators named."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    first = text.splitlines()[0][:300] if text else ""
    ops = sorted(set(re.findall(r"aten[.:]+(\w+)", text)))
    return first + (f" (operators: {', '.join(ops)})" if ops and len(ops) <= 5 else "")


# ============================================================ skl2onnx converters
def register_converters(*classes):
    """Register sklearn-mtl's estimators (and subclasses ``classes``) with skl2onnx.

    ``export_onnx`` calls it; after it, ``skl2onnx.to_onnx`` converts pipelines that end
    with an sklearn-mtl estimator too.
    """
    from skl2onnx import update_registered_converter
    from sklearn.impute import SimpleImputer

    from ._baselines import (
        IndependentTaskClassifier,
        LabelProductClassifier,
        TaskChainClassifier,
        _ConstantClassifier,
    )
    from ._multitask import MultiTaskClassifier
    from ._thresholds import TaskThresholdTuner

    if SimpleImputer not in _REGISTERED:
        # skl2onnx's own converter writes the imputed columns only: with add_indicator
        # (the command line's linear baselines on a table with gaps) its output is
        # narrower than scikit-learn's and the next step's shape check fails.
        update_registered_converter(SimpleImputer, "SklearnMtlSimpleImputer",
                                    _imputer_shape, _convert_imputer)
        _REGISTERED.append(SimpleImputer)
    if _ConstantClassifier not in _REGISTERED:
        update_registered_converter(
            _ConstantClassifier, "SklearnMtlConstantClassifier", _shape_calculator,
            _convert_constant, parser=_parse_constant,
            options={"zipmap": [False, True, "columns"], "nocl": [False, True]},
        )
        _REGISTERED.append(_ConstantClassifier)
    for cls in (MultiTaskClassifier, IndependentTaskClassifier, TaskThresholdTuner,
                TaskChainClassifier, LabelProductClassifier, *classes):
        if cls in _REGISTERED:
            continue
        update_registered_converter(
            cls, f"SklearnMtl{cls.__name__}", _shape_calculator, _convert, parser=_parse,
            # skl2onnx gives every classifier its own options (zipmap...): accepted and
            # ignored, the outputs are always plain tensors.
            options={"labels": [True, False], "zipmap": [False, True, "columns"],
                     "nocl": [False, True], "output_class_labels": [False, True]},
        )
        _REGISTERED.append(cls)


def _parse(scope, model, inputs, custom_parsers=None):
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    from ._baselines import (
        IndependentTaskClassifier,
        LabelProductClassifier,
        TaskChainClassifier,
    )
    from ._multitask import MultiTaskClassifier

    estimator, _, decoder = _parts(model)
    if not isinstance(estimator, (MultiTaskClassifier, IndependentTaskClassifier,
                                  LabelProductClassifier, TaskChainClassifier)):
        raise OnnxExportError(
            f"{type(estimator).__name__} cannot be exported to ONNX: only sklearn-mtl's "
            "estimators (MultiTaskClassifier and the baselines) can."
        )
    options = scope.get_options(model, {"labels": True}, fail=False)
    labels = bool((options or {}).get("labels", True)) and _labels_ok(estimator, decoder)
    operator = scope.declare_local_operator(f"SklearnMtl{type(model).__name__}", model)
    operator.inputs = list(inputs)
    if isinstance(estimator, TaskChainClassifier):
        # each link reads the input and the earlier links' outputs: converted in
        # _convert_chain, where those outputs exist
        _check_chain(estimator, inputs)
    elif isinstance(estimator, MultiTaskClassifier):
        preprocessor, _ = inference_parts(estimator)
        if preprocessor is not None:
            from skl2onnx._parse import _parse_sklearn

            operator.inputs = list(_parse_sklearn(scope, preprocessor, inputs, custom_parsers))
    else:
        # Each base estimator's probabilities, computed by skl2onnx's own converters.
        from skl2onnx._parse import _parse_sklearn

        subs, decided = [], []
        whose = type(estimator).__name__
        for est in _base_estimators(estimator):
            _require_proba(whose, est)
            # a threshold classifier as the model it thresholds (its labels: see
            # _threshold_label)
            est = _convertible(est)
            if isinstance(scope.options, dict):  # probabilities as a tensor, no ZipMap
                for part in (est, _final(est)):
                    scope.options.setdefault(id(part), {})["zipmap"] = False
            try:
                outs = _parse_sklearn(scope, est, inputs, custom_parsers)
            except Exception as exc:
                raise OnnxExportError(
                    f"skl2onnx cannot convert {whose}'s base estimator "
                    f"{type(est).__name__}: {_first_line(exc)}"
                ) from exc
            subs.append(outs[1])
            decided.append(outs[0])
        # then each model's labels, where predict is each model's own predict (a
        # label product's joint predict: its model's label, a combination's index)
        operator.inputs = list(operator.inputs) + subs + (
            decided if labels and (_decided_by_models(model, estimator)
                                   or _product_mode(estimator, decoder)) else [])
    for name, kind, width in _outputs(estimator.schema_, labels):
        shape = [None] if width is None else [None, width]
        dtype = FloatTensorType(shape) if kind == "float" else Int64TensorType(shape)
        operator.outputs.append(scope.declare_local_variable(name, dtype))
    operator._sklearn_mtl_labels = labels
    return list(operator.outputs)


def _shape_calculator(operator):
    """Output types are set by the parser."""


def _imputer_columns(imputer):
    """The input columns a fitted ``SimpleImputer`` keeps (all but those empty in
    training, unless ``keep_empty_features``) and those its missing indicator flags."""
    statistics = np.asarray(imputer.statistics_)
    kept = np.arange(statistics.size)
    if not imputer.keep_empty_features:  # NaN statistics (any dtype): dropped columns
        kept = np.flatnonzero(~pd.isna(statistics))
    indicator = getattr(imputer, "indicator_", None)
    flagged = np.asarray([] if indicator is None else indicator.features_, dtype=np.int64)
    return kept, flagged


def _imputer_shape(operator):
    """skl2onnx's shape for a ``SimpleImputer``, widened by its indicator columns and
    narrowed by the empty columns it drops, as ``transform`` returns them."""
    from skl2onnx.shape_calculators.imputer import calculate_sklearn_imputer_output_shapes

    calculate_sklearn_imputer_output_shapes(operator)
    kept, flagged = _imputer_columns(operator.raw_operator)
    output = operator.outputs[0]
    output.type.shape = [output.type.shape[0], len(kept) + len(flagged)]


def _convert_imputer(scope, operator, container):
    """A ``SimpleImputer`` as ``transform`` computes it: skl2onnx's imputation, then the
    columns kept, then (``add_indicator``) a 0/1 column of each gap flagged in training."""
    from types import SimpleNamespace

    from onnx import TensorProto
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType, guess_proto_type
    from skl2onnx.operator_converters.common import concatenate_variables
    from skl2onnx.operator_converters.imputer_op import convert_sklearn_imputer

    imputer = operator.raw_operator
    kept, flagged = _imputer_columns(imputer)
    if not len(flagged) and len(kept) == np.asarray(imputer.statistics_).size:
        return convert_sklearn_imputer(scope, operator, container)
    missing = imputer.missing_values
    if isinstance(operator.inputs[0].type, StringTensorType) or not (
            isinstance(missing, float) and np.isnan(missing)):
        raise NotImplementedError(
            "A SimpleImputer with add_indicator=True, or one that drops columns empty in "
            "training, converts to ONNX for numbers whose gaps are NaN "
            f"(missing_values=np.nan) only; got missing_values={missing!r}."
        )
    const, node = _graph_builders(scope, container)
    imputed = scope.get_unique_variable_name("mtl_imputed")
    convert_sklearn_imputer(scope, SimpleNamespace(
        inputs=operator.inputs, outputs=[SimpleNamespace(full_name=imputed)],
        raw_operator=imputer), container)
    if len(kept) < np.asarray(imputer.statistics_).size:
        imputed = node("Gather", [imputed, const(kept, np.int64)], axis=1)
    parts = [imputed]
    if len(flagged):
        values = concatenate_variables(scope, operator.inputs, container)
        if isinstance(operator.inputs[0].type, Int64TensorType):  # IsNaN takes floats
            values = node("Cast", [values], to=TensorProto.FLOAT)
        gaps = node("IsNaN", [node("Gather", [values, const(flagged, np.int64)], axis=1)])
        parts.append(node("Cast", [gaps], to=guess_proto_type(operator.outputs[0].type)))
    container.add_node("Concat", parts, [operator.outputs[0].full_name], axis=1,
                       name=scope.get_unique_operator_name("mtl_Concat"))
    return None


def _parse_constant(scope, model, inputs, custom_parsers=None):
    """A baseline's model of a single class: its label and probability outputs, read off
    the number of rows of the first input."""
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    operator = scope.declare_local_operator("SklearnMtlConstantClassifier", model)
    operator.inputs = list(inputs[:1])
    operator.outputs.append(scope.declare_local_variable("label", Int64TensorType([None])))
    operator.outputs.append(
        scope.declare_local_variable("probabilities", FloatTensorType([None, 1]))
    )
    return list(operator.outputs)


def _convert_constant(scope, operator, container):
    """Its class for every row, with probability 1 (``_ConstantClassifier``)."""
    from onnx import TensorProto, helper

    const, node = _graph_builders(scope, container)
    rows = node("Slice", [node("Shape", [operator.inputs[0].full_name]),
                          const([0], np.int64), const([1], np.int64)])
    label, proba = (v.full_name for v in operator.outputs)
    code = int(operator.raw_operator.classes_[0])
    columns = node("Concat", [rows, const([1], np.int64)], axis=0)
    for shape, out, value in (
        (rows, label, helper.make_tensor("c", TensorProto.INT64, [1], [code])),
        (columns, proba, helper.make_tensor("p", TensorProto.FLOAT, [1], [1.0])),
    ):
        container.add_node("ConstantOfShape", [shape], [out], value=value,
                           name=scope.get_unique_operator_name("mtl_ConstantOfShape"))


def _convert(scope, operator, container):
    from ._baselines import LabelProductClassifier, TaskChainClassifier
    from ._multitask import MultiTaskClassifier

    estimator, thresholds, decoder = _parts(operator.raw_operator)
    schema = estimator.schema_
    n = len(schema)
    proba_names = [v.full_name for v in operator.outputs[:n]]
    probe = decisions = None
    if isinstance(estimator, MultiTaskClassifier):
        probe = _convert_network(scope, operator, container, estimator, proba_names)
    elif isinstance(estimator, LabelProductClassifier):
        _convert_product(scope, container, estimator, operator.inputs[1].full_name,
                         proba_names)
    elif isinstance(estimator, TaskChainClassifier):
        independent = isinstance(decoder, str) and decoder == "independent"
        decisions = _convert_chain(scope, container, estimator,
                                   operator.inputs[0].full_name, proba_names,
                                   thresholds if independent else None)
    else:
        decisions = _convert_independent(scope, container, estimator, operator.inputs[1:],
                                         proba_names)
    if not getattr(operator, "_sklearn_mtl_labels", False):
        return
    label_names = [v.full_name for v in operator.outputs[n:]]
    const, node = _graph_builders(scope, container)
    if not _decided_by_models(operator.raw_operator, estimator):
        decisions = None  # decided from the probabilities, as predict does
    elif decisions is not None and _is_tuner(operator.raw_operator):
        # a tuner's thresholds decide its binary tasks and labels, its models the others
        decisions = {j: d for j, d in decisions.items() if schema[j].kind == "multiclass"}
    joint = None
    if _product_mode(estimator, decoder):  # the combination its model predicts
        combos = estimator.combinations_
        best = _threshold_label(const, node, estimator.estimator_,
                                operator.inputs[1].full_name)
        best = operator.inputs[2].full_name if best is None else best
        joint = (combos.codes, best, combos.multilabel)
    else:
        plan = _joint_plan(estimator, decoder)
        if plan is not None:
            combos, weight = plan
            joint = (combos, _best_combination(const, node, schema, proba_names, combos,
                                               weight, probe), None)
    _add_labels(scope, container, schema, thresholds, proba_names, label_names, joint,
                decisions)


def _decided_by_models(final, estimator):
    """Whether ``predict`` of the final step ``final`` is each base model's own
    ``predict`` (a baseline with ``decode="independent"``; a tuner's thresholds decide
    its binary tasks and labels instead, its models its multiclass tasks): the graph's
    labels are then the models' label outputs, which skl2onnx computes as ``predict``
    does (an ``SVC``'s decision function, not the argmax of its probabilities)."""
    if _is_tuner(final) and not any(t.kind == "multiclass" for t in estimator.schema_):
        return False
    return getattr(estimator, "_decides_by_models", lambda: False)()


def _is_tuner(final):
    from ._thresholds import TaskThresholdTuner

    return isinstance(final, TaskThresholdTuner)


def _convert_product(scope, container, estimator, sub_output, proba_names):
    """A label product's per-task probabilities from its model's probabilities of the
    combinations, as ``predict_proba`` marginalises them (a gated task's conditional on
    its gate, the combinations' share of the task where no probability reaches it);
    returns the graph name of the combinations' probabilities (n, C)."""
    from onnx import TensorProto

    from ._baselines import _conditional

    const, node = _graph_builders(scope, container)
    n_combinations = estimator.n_combinations_
    scatter = _class_scatter(estimator.estimator_.classes_, n_combinations)
    proba = node("MatMul", [node("Cast", [sub_output], to=TensorProto.FLOAT),
                            const(scatter, np.float32)])
    for j, (member, on) in enumerate(estimator._memberships()):
        # the fallback where the task's gate gets no probability: predict_proba's prior
        prior = _conditional(np.zeros((1, n_combinations)), member, on)
        joint = node("MatMul", [proba, const(member, np.float32)])
        p_on = node("MatMul", [proba, const(on[:, None], np.float32)])
        some = node("Greater", [p_on, const(0.0, np.float32)])
        safe = node("Where", [some, p_on, const(1.0, np.float32)])
        container.add_node(
            "Where", [some, node("Div", [joint, safe]), const(prior, np.float32)],
            [proba_names[j]], name=scope.get_unique_operator_name("mtl_Where"))
    return proba


def _network_output_names(estimator, proba_names, scope):
    """The torch part's output names and what each becomes in the graph: the per-task
    outputs, and the combination probe's log probabilities where the graph decodes with
    it (a fresh graph name, returned last, else None)."""
    names = [f"out{j}" for j in range(len(proba_names))]
    targets = dict(zip(names, proba_names))
    probe = None
    if _probe_in_graph(estimator):
        probe = scope.get_unique_variable_name("mtl_probe")
        names.append("probe")
        targets["probe"] = probe
    return names, targets, probe


def _convert_network(scope, operator, container, estimator, proba_names):
    """The network part; returns the graph name of the combination probe's log
    probabilities, or None."""
    import torch

    # a pipeline's steps before the estimator feed it (not a graph input), and one of
    # them rounds in float32 where predict computes in float64
    after_steps = _INEXACT_STEPS.get() and not operator.inputs[0].is_root
    preprocessor, module = inference_parts(estimator, probe=_probe_in_graph(estimator),
                                           after_steps=after_steps)
    if _raw_table_preprocessor(estimator) is not None:
        return _convert_raw_table_network(scope, operator, container, estimator, module,
                                          proba_names)
    from .neural._net import preprocess

    probe = _network_probe(estimator, preprocessor, _input_shape(estimator))
    inputs = (np.asarray(probe, dtype=np.float32) if preprocessor is None
              else preprocess(preprocessor, probe))
    names, targets, combinations = _network_output_names(estimator, proba_names, scope)
    core = _torch_to_onnx(
        module, torch.from_numpy(inputs), names, container.target_opset,
        f"{type(estimator).__name__}'s network ({type(estimator.net_.module_).__name__})",
    )
    _check_network(core, estimator, probe, {"input": inputs}, names)
    _splice(core, scope, container, {"input": operator.inputs[0].full_name}, targets)
    return combinations


def _convert_raw_table_network(scope, operator, container, estimator, module, proba_names):
    """The network of an estimator whose own preprocessor one-hot encodes columns or
    reads dates and durations.

    The graph takes one input per training column. The numeric ones, cast to double
    (a date or duration from its int64 nanoseconds to days, ``NaT`` to NaN) and side by
    side, feed the torch part as ``input``; each string column goes through an
    ``ai.onnx.ml`` ``LabelEncoder`` (category -> its one-hot column, see
    :func:`one_hot_lookup`) and a comparison with the column numbers, and the blocks, side
    by side, feed it as ``onehot``.
    """
    import torch
    from onnx import TensorProto

    pre = estimator.preprocessor_
    names_in = _input_names(estimator)
    if len(operator.inputs) != len(names_in):
        special = sorted(set(pre.categorical_columns_) | set(getattr(pre, "time_columns_", ())))
        raise OnnxExportError(
            f"{type(estimator).__name__}'s preprocessor_ (TabularPreprocessor) reads the "
            f"column(s) {_column_names(estimator, special)} as categories, dates or "
            f"durations: the graph takes one input per column of its table "
            f"({len(names_in)}), not {len(operator.inputs)}. Export the estimator itself "
            "(first in its pipeline), without initial_types."
        )
    const, node = _graph_builders(scope, container)

    def side_by_side(names):
        return names[0] if len(names) == 1 else node("Concat", names, axis=1)

    columns = [operator.inputs[j].full_name for j in range(len(names_in))]
    times = set(int(j) for j in getattr(pre, "time_columns_", ()))
    numeric = []
    for j in pre.numeric_columns_:
        value = node("Cast", [columns[j]], to=TensorProto.DOUBLE)
        if j in times:  # nanoseconds -> days; NaT (the smallest int64) -> NaN
            days = node("Div", [value, const(_NS_PER_DAY, np.float64)])
            nat = node("Equal", [columns[j], const(np.iinfo(np.int64).min, np.int64)])
            value = node("Where", [nat, const(np.nan, np.float64), days])
        numeric.append(value)
    numeric = side_by_side(numeric) if numeric else None
    blocks = []
    for i, j in enumerate(pre.categorical_columns_):
        keys, values, default, width = one_hot_lookup(pre.one_hot_, i)
        # LabelEncoder-2 (ai.onnx.ml): string keys to int64 values
        index = node("LabelEncoder", [columns[j]], domain="ai.onnx.ml", version=2,
                     keys_strings=keys, values_int64s=values, default_int64=default)
        hot = node("Equal", [index, const(np.arange(width), np.int64)])
        blocks.append(node("Cast", [hot], to=TensorProto.FLOAT))
    onehot = side_by_side(blocks) if blocks else None

    probe, x, hot = _raw_table_probe(estimator, names_in)
    names, targets, combinations = _network_output_names(estimator, proba_names, scope)
    what = f"{type(estimator).__name__}'s network ({type(estimator.net_.module_).__name__})"
    if numeric is None:  # categorical columns only: the numeric part reads no column
        core = _torch_to_onnx(_onehot_only(module), torch.from_numpy(hot), names,
                              container.target_opset, what, input_names=("onehot",))
        feeds, inputs = {"onehot": hot}, {"onehot": onehot}
    elif onehot is None:  # dates or durations, no categorical column
        core = _torch_to_onnx(module, torch.from_numpy(x), names, container.target_opset,
                              what)
        feeds, inputs = {"input": x}, {"input": numeric}
    else:
        core = _torch_to_onnx(module, (torch.from_numpy(x), torch.from_numpy(hot)), names,
                              container.target_opset, what, input_names=("input", "onehot"))
        feeds, inputs = {"input": x, "onehot": hot}, {"input": numeric, "onehot": onehot}
    _check_network(core, estimator, probe, feeds, names)
    _splice(core, scope, container, inputs, targets)
    return combinations


#: Nanoseconds in a day: a date or duration input (int64 nanoseconds) becomes days.
_NS_PER_DAY = 86_400 * 10**9


def _raw_table_probe(estimator, names_in):
    """A probe batch of the training table's kind (numbers; dates and durations; each
    categorical column's categories in turn), with the torch part's two inputs for it:
    the numeric block (float64, times as days) and the one-hot block (float32, or None)."""
    import pandas as pd

    from .neural._preprocessing import (
        _categorical_block,
        _numeric_block,
        as_periods,
        read_times,
    )

    pre = estimator.preprocessor_
    rng = np.random.RandomState(0)
    categories = [] if pre.one_hot_ is None else pre.one_hot_.categories_
    n = max([3] + [len(c) for c in categories])
    probe = pd.DataFrame({name: rng.normal(size=n) for name in names_in})
    for i, j in enumerate(pre.categorical_columns_):
        cats = [str(c) for c in categories[i]]
        probe[names_in[j]] = [cats[r % len(cats)] for r in range(n)]
    times = getattr(pre, "time_columns_", ())
    periods = getattr(pre, "_periods", None) or [None] * len(times)
    for j, date, period in zip(times, getattr(pre, "_dates", ()), periods):
        days = pd.to_timedelta(rng.uniform(0, 3000, size=n), unit="D")
        probe[names_in[j]] = pd.Timestamp("2000-01-01") + days if date else days
        if period is not None:  # a period column: periods, which the graph reads by start
            probe[names_in[j]] = as_periods(probe[names_in[j]], period, names_in[j])
    if getattr(estimator, "feature_names_in_", None) is None:
        # a table whose column names are not strings (integers, a MultiIndex), which
        # scikit-learn does not keep: the model reads it by position, as a table still
        probe = probe.set_axis(range(len(names_in)), axis=1)
    frame = read_times(probe, times, getattr(pre, "_dates", ()), getattr(pre, "_periods", ()))
    x = _numeric_block(frame, pre.numeric_columns_, times)
    hot = None
    if pre.one_hot_ is not None:
        hot = np.asarray(pre.one_hot_.transform(
            _categorical_block(frame, pre.categorical_columns_)), dtype=np.float32)
    return probe, x, hot


def _graph_builders(scope, container):
    """``const(value, dtype)`` and ``node(op, inputs, domain="", version=None, **attrs)``:
    add an initializer (float32, float64 or int64) or a node to a skl2onnx graph under a fresh
    name, and return that name."""
    from onnx import TensorProto

    def const(value, dtype):
        name = scope.get_unique_variable_name("mtl_const")
        value = np.asarray(value)
        onnx_type = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE,
                     np.int64: TensorProto.INT64}[dtype]
        container.add_initializer(name, onnx_type, list(value.shape),
                                  value.astype(dtype).ravel().tolist())
        return name

    def node(op, inputs, domain="", version=None, **attrs):
        out = scope.get_unique_variable_name(f"mtl_{op.lower()}")
        container.add_node(op, inputs, [out], op_domain=domain, op_version=version,
                           name=scope.get_unique_operator_name(f"mtl_{op}"), **attrs)
        return out

    return const, node


def _onehot_only(tabular):
    """``tabular`` (a module of the numeric columns and the one-hot block) for a table
    without numeric columns: one input, the one-hot block."""
    import torch

    class OneHotOnly(torch.nn.Module):
        def __init__(self, tabular):
            super().__init__()
            self.tabular = tabular

        def forward(self, onehot):
            return self.tabular(onehot[:, :0], onehot)

    return OneHotOnly(tabular)


def _check_network(core, estimator, probe, feeds, names):
    """The exported network against the estimator's own predict_proba on a probe batch."""
    import onnxruntime as ort

    session = ort.InferenceSession(core.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(names, feeds)
    expected = estimator.predict_proba(probe)
    expected = expected if isinstance(expected, list) else [expected]
    for task, a, b in zip(estimator.schema_, got, expected):
        diff = _difference(a, b)
        if not diff <= 1e-4:
            raise OnnxExportError(
                f"The exported network of {type(estimator).__name__} does not reproduce its "
                f"predict_proba for task {task.name!r} (max difference {diff:.3g}): the "
                "estimator computes part of its predictions outside net_.module_ (e.g. "
                "preprocessing or an ensemble), which the exporter does not know. Give the "
                "estimator an `_onnx_parts()` method returning (sklearn preprocessor or None, "
                "torch module of the per-task outputs)."
            )


def _splice(core, scope, container, inputs, outputs):
    """Copy the nodes and initializers of ``core`` into the skl2onnx graph, renamed."""
    import onnx

    rename = dict(inputs)
    rename.update(outputs)

    def name(old):
        if old == "":
            return old
        if old not in rename:
            rename[old] = scope.get_unique_variable_name(f"mtl_{old}")
        return rename[old]

    graph = core.graph
    for init in graph.initializer:
        tensor = onnx.TensorProto()
        tensor.CopyFrom(init)
        tensor.name = name(init.name)
        container.initializers.append(tensor)
    for node in graph.node:
        attrs = {}
        for attr in node.attribute:
            if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise OnnxExportError(
                    f"The exported network has a control-flow operator ({node.op_type}); the "
                    "export supports straight-line networks."
                )
            attrs[attr.name] = onnx.helper.get_attribute_value(attr)
        domain = node.domain or ""
        version = None
        for opset in core.opset_import:
            if opset.domain == domain:
                version = opset.version
        container.add_node(
            node.op_type, [name(i) for i in node.input], [name(o) for o in node.output],
            op_domain=domain, op_version=version,
            name=scope.get_unique_operator_name(f"mtl_{node.op_type}"), **attrs,
        )


def _check_chain(chain, inputs):
    """An ``OnnxExportError`` unless the chain's graph can be built: one numeric input
    (the links read it with the earlier links' outputs as one matrix, so no link may
    select columns by name) and links with ``predict_proba``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    one_input = ("TaskChainClassifier exports with one numeric input of shape (n_samples, "
                 "n_features), which its links read with the earlier links' outputs as one "
                 "matrix; ")
    if len(inputs) != 1:  # (its shape is known only after parsing)
        raise OnnxExportError(f"{one_input}got {len(inputs)} inputs.")
    for links in chain.estimators_:
        for link in links:
            for est in link if isinstance(link, list) else [link]:
                steps = [s for _, s in est.steps] if isinstance(est, Pipeline) else [est]
                if any(isinstance(s, ColumnTransformer) and hasattr(s, "feature_names_in_")
                       for s in steps):
                    raise OnnxExportError(
                        f"{one_input}its links select columns by name (a ColumnTransformer "
                        "fitted on a DataFrame). Fit the chain on the encoded numbers, with "
                        "the encoding in a pipeline step before it."
                    )
                _require_proba("TaskChainClassifier", est)


def _require_proba(whose, est):
    """An ``OnnxExportError`` for a base estimator without ``predict_proba``."""
    if not hasattr(est, "predict_proba"):
        raise OnnxExportError(
            f"{whose}'s base estimator {type(est).__name__} has no predict_proba; the ONNX "
            "export needs probabilities."
        )


def _thresholded(est):
    """The ``FixedThresholdClassifier`` or ``TunedThresholdClassifierCV`` that decides
    for a fitted base model (the model, or a pipeline's final step), or None."""
    from ._baselines import _threshold_classes

    while hasattr(est, "steps"):
        est = est.steps[-1][1]
    return est if isinstance(est, _threshold_classes()) else None


def _threshold_inner(thresholder):
    """The fitted model whose scores a threshold classifier thresholds."""
    from sklearn.frozen import FrozenEstimator

    inner = getattr(thresholder, "estimator_", None)
    inner = thresholder.estimator if inner is None else inner
    while isinstance(inner, FrozenEstimator):
        inner = inner.estimator
    return inner


def _threshold_response(thresholder):
    """The method whose scores a threshold classifier thresholds, as its ``predict``
    picks it: ``response_method``, ``"auto"`` being ``predict_proba`` where its model
    has it, else ``decision_function``."""
    method = thresholder.response_method
    if method == "auto":
        has = hasattr(_threshold_inner(thresholder), "predict_proba")
        method = "predict_proba" if has else "decision_function"
    return method


def _threshold_rule(thresholder):
    """``(threshold, positive, classes)`` of a threshold classifier that thresholds its
    model's probabilities: its ``predict`` gives ``classes[positive]`` where the
    probability of that class is at least ``threshold`` (float64), else the other class,
    as scikit-learn's ``FixedThresholdClassifier`` decides (``threshold="auto"``: 0.5;
    the positive class: ``pos_label``, by default the last of ``classes_``); None where it
    thresholds another score (``decision_function``)."""
    from sklearn.model_selection import TunedThresholdClassifierCV

    if _threshold_response(thresholder) != "predict_proba":
        return None
    if isinstance(thresholder, TunedThresholdClassifierCV):
        threshold = thresholder.best_threshold_
        positive = thresholder._curve_scorer._get_pos_label()  # as its predict reads it
    else:
        threshold = 0.5 if thresholder.threshold == "auto" else thresholder.threshold
        positive = thresholder.pos_label
    classes = np.asarray(thresholder.classes_)
    index = len(classes) - 1 if positive is None else int(
        np.flatnonzero(classes == positive)[0])
    return np.float64(threshold), index, classes


def _threshold_label(const, node, est, proba):
    """int64 (n,) graph labels of a base model ``est`` whose threshold classifier (see
    :func:`_thresholded`) thresholds its probabilities, from its probability output
    ``proba`` (n, 2), as its ``predict`` decides (:func:`_threshold_rule`): skl2onnx's
    own label output is the argmax, whatever the threshold. None for another model, or
    one whose rule the graph cannot write (refused by :func:`_check_thresholds_in_graph`
    where ``predict`` reads it)."""
    from onnx import TensorProto

    thresholder = _thresholded(est)
    rule = None if thresholder is None else _threshold_rule(thresholder)
    if rule is None:
        return None
    threshold, positive, classes = rule
    codes = np.asarray(classes).astype(np.int64)
    # in float64, as predict compares its probabilities with the threshold
    score = node("Gather", [node("Cast", [proba], to=TensorProto.DOUBLE),
                            const(positive, np.int64)], axis=1)
    above = node("GreaterOrEqual", [score, const(threshold, np.float64)])
    return node("Where", [above, const(codes[positive], np.int64),
                          const(codes[1 - positive], np.int64)])


def _convertible(est):
    """A fitted base model as skl2onnx converts it: one whose final model is a threshold
    classifier as the model it thresholds (its probabilities are that model's; its
    labels are computed by :func:`_threshold_label`), a pipeline's steps and those of
    the pipelines in it as one pipeline; else ``est``."""
    from sklearn.pipeline import Pipeline

    def flat(step):
        if not hasattr(step, "steps"):
            return [step]
        return [inner for _, s in step.steps for inner in flat(s)]

    thresholder = _thresholded(est)
    if thresholder is None:
        return est
    steps = flat(est)[:-1] + flat(_threshold_inner(thresholder))
    if len(steps) == 1:
        return steps[0]
    return Pipeline([(f"step{i}", step) for i, step in enumerate(steps)])


def _check_thresholds_in_graph(final, estimator, thresholds, decoder, labels):
    """An ``OnnxExportError`` naming the task where ``predict`` (or a chain's later
    links) reads the decision of a base model whose threshold classifier thresholds
    another score than its probabilities (``response_method="decision_function"``),
    which the graph does not compute."""
    from ._baselines import (
        IndependentTaskClassifier,
        LabelProductClassifier,
        TaskChainClassifier,
        _model_slots,
    )

    if isinstance(estimator, IndependentTaskClassifier):
        read = labels and _decided_by_models(final, estimator) and not _is_tuner(final)
        used = lambda task: read  # noqa: E731
    elif isinstance(estimator, TaskChainClassifier):
        parents = {task.gate[0] for task in estimator.schema_ if task.gate is not None}
        read = (labels and _decided_by_models(final, estimator)) \
            or estimator.chain_method == "predict"
        used = lambda task: task.name not in thresholds and (  # noqa: E731
            read or task.name in parents)
    elif isinstance(estimator, LabelProductClassifier):
        product = labels and _product_mode(estimator, decoder)
        used = lambda task: product  # noqa: E731
    else:
        return
    for task, where, holder, key in _model_slots(estimator):
        thresholder = _thresholded(holder[key])
        if thresholder is None or _threshold_rule(thresholder) is not None:
            continue
        if not used(task):
            continue
        raise OnnxExportError(
            f"{where}: its base estimator {type(thresholder).__name__} thresholds "
            f"{type(_threshold_inner(thresholder)).__name__}'s decision_function "
            f"(response_method={thresholder.response_method!r}), a score that the ONNX "
            "graph does not compute (it reads the models' probabilities), and predict "
            "decides by it. Fit it with response_method='predict_proba', or tune the "
            "thresholds with sklearn-mtl's TaskThresholdTuner (around the baseline), "
            "whose thresholds the graph carries."
        )


def _convert_chain(scope, container, chain, x_name, proba_names, thresholds=None):
    """A classifier chain's per-task probabilities, as ``_chain_outputs`` computes
    them: each link, converted by skl2onnx, reads the input and the earlier links'
    features (probabilities, or with ``chain_method="predict"`` its one-hot decision,
    one column for a binary task, zero where the task's gate is off); several chains'
    probabilities are averaged. Returns the first chain's codes of each task from its
    links' own labels (``{task index: graph name}``, a multilabel task's as an (n,
    n_labels) block): ``predict``'s decisions where the chain decides by its models.
    A tuner's ``thresholds`` (checked) decide the binary tasks and labels they give,
    whose decisions the later links read, as in ``_chain_outputs``."""
    from onnx import TensorProto
    from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
    from skl2onnx.algebra.onnx_ops import OnnxIdentity
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.pipeline import Pipeline

    from ._baselines import _width

    const, node = _graph_builders(scope, container)
    opv = container.target_opset
    schema = chain.schema_
    x = node("Cast", [x_name], to=TensorProto.FLOAT)
    n_features = int(chain.n_features_in_)
    one_hot = chain.chain_method == "predict"

    def converted(est, source, width, outputs):
        """The graph names of ``est``'s first ``outputs`` outputs on ``source``."""
        options = {"zipmap": False} if outputs == 2 else None  # a classifier's
        sub = OnnxSubEstimator(est, source, op_version=opv, options=options,
                               input_types=[FloatTensorType([None, width])])
        names = [scope.get_unique_variable_name("mtl_link") for _ in range(outputs)]
        for i, name in enumerate(names):
            out = sub if outputs == 1 else sub[i]
            OnnxIdentity(out, op_version=opv, output_names=[name]).add_to(scope, container)
        return names

    def link_outputs(est, link_in, width):
        """(labels, probabilities over the task's codes) of one fitted link; a
        pipeline's steps one after the other (skl2onnx converts a sub-estimator, not a
        sub-pipeline); a threshold classifier's labels by its threshold (see
        :func:`_threshold_label`)."""
        link, est = est, _convertible(est)
        source = link_in
        if isinstance(est, Pipeline):
            for _, step in est.steps[:-1]:
                if step is None or step == "passthrough":
                    continue
                (source,) = converted(step, source, width, 1)
                width = (len(step.get_feature_names_out())
                         if hasattr(step, "get_feature_names_out") else None)
            est = est.steps[-1][1]
        label, proba = converted(est, source, width, 2)
        thresholded = _threshold_label(const, node, link, proba)
        return (label if thresholded is None else thresholded), proba

    def scattered(est, proba, k):  # the model's classes (codes) to the task's k columns
        cast = node("Cast", [proba], to=TensorProto.FLOAT)
        return node("MatMul", [cast, const(_class_scatter(est.classes_, k), np.float32)])

    def one_hot_of(code, k):  # a one-hot (n, k) of a link's own prediction (int64 codes)
        return node("Cast", [node("Equal", [node("Unsqueeze", [code, const([1], np.int64)]),
                                            const(np.arange(k), np.int64)])],
                    to=TensorProto.FLOAT)

    def second(columns):  # column 1 of an (n, 2) block, as (n, 1)
        return node("Slice", [columns, const([1], np.int64), const([2], np.int64),
                              const([1], np.int64)])

    def above(probs, threshold):  # int64 (n,) codes: column 1 of probs above threshold
        # in float64, as _link_features compares them (see decode_independent)
        column = node("Gather", [node("Cast", [probs], to=TensorProto.DOUBLE),
                                 const(1, np.int64)], axis=1)
        return node("Cast", [node("Greater", [column, const(
            np.asarray(threshold, dtype=np.float64).reshape(()), np.float64)])],
            to=TensorProto.INT64)

    thresholds = thresholds or {}

    totals, first = [None] * len(schema), None
    for order, links in zip(chain.orders_, chain.estimators_, strict=True):
        feats, on, decision, width = [], {}, {}, n_features
        for name, link in zip(order, links, strict=True):
            j = schema.index(name)
            task = schema[j]
            link_in = x if not feats else node("Concat", [x, *feats], axis=1)
            gate_on = None
            if task.gate is not None:
                p = schema.index(task.gate[0])
                for g in schema.gate_codes(task):
                    eq = node("Equal", [decision[p], const(int(g), np.int64)])
                    gate_on = eq if gate_on is None else node("Or", [gate_on, eq])
                if on.get(p) is not None:
                    gate_on = node("And", [on[p], gate_on])
            on[j] = gate_on
            thr = thresholds.get(task.name)
            if task.kind == "multilabel":
                columns, feature_columns, codes = [], [], []
                for i, est in enumerate(link):
                    label, proba = link_outputs(est, link_in, width)
                    probs = scattered(est, proba, 2)
                    columns.append(second(probs))
                    code = (node("Cast", [label], to=TensorProto.INT64) if thr is None
                            else above(probs, thr if thr.ndim == 0 else thr[i]))
                    codes.append(node("Unsqueeze", [code, const([1], np.int64)]))
                    feature_columns.append(second(one_hot_of(code, 2) if one_hot else probs))
                out = node("Concat", columns, axis=1)
                feat = node("Concat", feature_columns, axis=1)
                decision[j] = node("Concat", codes, axis=1)
            else:
                k = len(task.classes)
                label, proba = link_outputs(link, link_in, width)
                out = scattered(link, proba, k)
                # The gates of later links open on the link's own predict, as in
                # _chain_outputs: not its probabilities' argmax, which differs for a model
                # that decides otherwise (an SVC(probability=True)).
                decision[j] = (node("Cast", [label], to=TensorProto.INT64)
                               if thr is None or task.kind != "binary" else above(out, thr))
                feat = one_hot_of(decision[j], k) if one_hot else out
                if task.kind == "binary":
                    feat = second(feat)
            if gate_on is not None:
                mask = node("Cast", [node("Unsqueeze", [gate_on, const([1], np.int64)])],
                            to=TensorProto.FLOAT)
                feat = node("Mul", [feat, mask])
            feats.append(feat)
            width += _width(task)
            totals[j] = out if totals[j] is None else node("Add", [totals[j], out])
        first = decision if first is None else first
    for j, total in enumerate(totals):
        mean = node("Div", [total, const(np.float32(len(chain.estimators_)), np.float32)])
        container.add_node("Identity", [mean], [proba_names[j]],
                           name=scope.get_unique_operator_name("mtl_Identity"))
    return first


def _class_scatter(classes, width):
    """(len(classes), width) float32 0/1: a base model's probability columns (its
    ``classes_``, codes) to the ``width`` codes of the task or combinations."""
    codes = np.asarray(classes).astype(np.int64)
    onehot = np.zeros((len(codes), width), dtype=np.float32)
    onehot[np.arange(len(codes)), codes] = 1.0
    return onehot


def _convert_independent(scope, container, estimator, sub_outputs, proba_names):
    """Per-task probabilities from the base estimators' own probability outputs,
    followed in ``sub_outputs`` by the models' label outputs where ``predict`` is
    theirs; returns each task's codes from those labels (``{task index: graph name}``,
    a multilabel task's labels as one (n, n_labels) block), or None."""
    from onnx import TensorProto

    n_models = len(_base_estimators(estimator))
    subs = iter(sub_outputs[:n_models])
    labels = iter(sub_outputs[n_models:])
    decisions = {} if len(sub_outputs) > n_models else None
    const, node = _graph_builders(scope, container)
    for j, (task, sub, out) in enumerate(zip(estimator.schema_, estimator.estimators_,
                                             proba_names)):
        ests = sub if isinstance(sub, list) else [sub]
        columns, probas = [], []
        for est in ests:
            k = 2 if task.kind == "multilabel" else len(task.classes)
            proba = next(subs).full_name
            probas.append(proba)
            # Scatter the model's classes (codes) to the task's k columns: proba @ onehot.
            onehot = _class_scatter(est.classes_, k)
            if task.kind == "multilabel":
                onehot = onehot[:, 1:2]
            matrix = scope.get_unique_variable_name("mtl_classes")
            container.add_initializer(matrix, TensorProto.FLOAT, list(onehot.shape),
                                      onehot.ravel().tolist())
            target = out if task.kind != "multilabel" else scope.get_unique_variable_name(
                "mtl_label_proba")
            cast = scope.get_unique_variable_name("mtl_proba_f32")
            container.add_node("Cast", [proba], [cast], to=TensorProto.FLOAT,
                               name=scope.get_unique_operator_name("mtl_Cast"))
            container.add_node("MatMul", [cast, matrix], [target],
                               name=scope.get_unique_operator_name("mtl_MatMul"))
            columns.append(target)
        if task.kind == "multilabel":
            container.add_node("Concat", columns, [out], axis=1,
                               name=scope.get_unique_operator_name("mtl_Concat"))
        if decisions is not None:
            # each model's label output, or where it thresholds its probabilities, the
            # threshold's decision (skl2onnx's label output is their argmax)
            codes = []
            for est, proba in zip(ests, probas):
                label = next(labels).full_name
                thresholded = _threshold_label(const, node, est, proba)
                codes.append(node("Cast", [label], to=TensorProto.INT64)
                             if thresholded is None else thresholded)
            decisions[j] = (node("Concat", [node("Unsqueeze", [c, const([1], np.int64)])
                                            for c in codes], axis=1)
                            if task.kind == "multilabel" else codes[0])
    return decisions


def _add_labels(scope, container, schema, thresholds, proba_names, label_names, joint=None,
                decisions=None):
    """Decisions then gates, parents first, as ``decode_independent`` does: from the
    probabilities, or the codes ``decisions`` (``{task index: graph name}``, the base
    models' own labels) where given. With
    ``joint`` (the combinations' codes (C, n_tasks), the graph name of each sample's
    best combination, and the combinations' multilabel blocks or None), the binary and
    multiclass tasks take the codes of the best combination, and a multilabel task its
    block there, or else its labels above 0.5 (as ``JointDecoder`` decides)."""
    from onnx import TensorProto

    const, node = _graph_builders(scope, container)
    best = blocks = None
    if joint is not None:
        combos, best, blocks = joint
        thresholds = {}  # joint decoding maximises probability: no thresholds
    decided = {}
    for j in schema.order:
        task = schema.tasks[j]
        proba = proba_names[j]
        from_combination = best is not None and task.kind in ("binary", "multiclass")
        if task.kind == "regression":
            code = proba
        elif from_combination:  # the best combination's code, -2 where its gate is off
            code = node("Gather", [const(combos[:, j], np.int64), best], axis=0)
        elif decisions is not None and j in decisions:
            code = decisions[j]
        elif task.kind == "multiclass":
            code = node("ArgMax", [proba], axis=1, keepdims=0)
        elif blocks is not None and task.kind == "multilabel":
            block = np.asarray(blocks[task.name], dtype=np.int64)
            code = node("Gather", [const(block, np.int64), best], axis=0)
        else:
            # predict compares the probabilities with the threshold in float64 (see
            # decode_independent): a threshold rounded to float32 can land on a
            # probability and flip its label
            thr = np.asarray(thresholds.get(task.name, 0.5), dtype=np.float64)
            proba64 = node("Cast", [proba], to=TensorProto.DOUBLE)
            if task.kind == "binary":
                column = node("Gather", [proba64, const(1, np.int64)], axis=1)
                above = node("Greater", [column, const(thr.reshape(()), np.float64)])
            else:
                above = node("Greater", [proba64, const(np.broadcast_to(
                    thr, (len(task.classes),)), np.float64)])
            code = node("Cast", [above], to=TensorProto.INT64)
        if task.gate is not None and not from_combination:
            parent = decided[task.gate[0]]
            on = None
            for g in schema.gate_codes(task):
                eq = node("Equal", [parent, const(int(g), np.int64)])
                on = eq if on is None else node("Or", [on, eq])
            if task.kind == "multilabel":
                on = node("Unsqueeze", [on, const([1], np.int64)])
            off_value = (
                const(np.float32(np.nan), np.float32) if task.kind == "regression"
                else const(NOT_APPLICABLE, np.int64)
            )
            code = node("Where", [on, code, off_value])
        decided[task.name] = code
        container.add_node("Identity", [code], [label_names[j]],
                           name=scope.get_unique_operator_name("mtl_Identity"))


def _best_combination(const, node, schema, proba_names, combos, weight, probe):
    """Each sample's index (int64, (n,)) in ``combos`` of the combination with the highest
    score, as ``JointDecoder`` scores them (in float64): the log probability of each
    binary or multiclass task's value in the combination (nothing where its gate is off
    there), the log of max(p, 1 - p) summed over a multilabel task's labels where it is
    on, and ``weight`` times the combination probe's log probability."""
    from onnx import TensorProto

    total = None
    for j, task in enumerate(schema):
        codes = combos[:, j]
        on = const((codes >= 0)[None, :].astype(np.int64), np.int64)
        on = node("Cast", [on], to=TensorProto.BOOL)
        zero = const(0.0, np.float64)
        proba = node("Cast", [proba_names[j]], to=TensorProto.DOUBLE)
        if task.kind in ("binary", "multiclass"):
            logp = node("Log", [node("Clip", [proba, zero, const(1.0, np.float64)])])
            picked = node("Gather", [logp, const(np.maximum(codes, 0), np.int64)], axis=1)
            term = node("Where", [on, picked, zero])
        elif task.kind == "multilabel":
            surer = node("Max", [proba, node("Sub", [const(1.0, np.float64), proba])])
            score = node("ReduceSum", [node("Log", [surer]), const([1], np.int64)],
                         keepdims=1)
            term = node("Where", [on, score, zero])
        else:
            continue
        total = term if total is None else node("Add", [total, term])
    if probe is not None and weight:
        scaled = node("Mul", [node("Cast", [probe], to=TensorProto.DOUBLE),
                              const(float(weight), np.float64)])
        total = scaled if total is None else node("Add", [total, scaled])
    return node("ArgMax", [total], axis=1, keepdims=0)


__all__ = [
    "DEFAULT_OPSET", "OnnxExportError", "check_parity", "export_onnx", "inference_parts",
    "network_outputs_module", "register_converters", "run_onnx",
]
