"""From per-task outputs (probabilities, values) to encoded labels.

Every estimator produces *outputs*: one array per task, in schema order:

- binary / multiclass: ``(n_samples, n_classes)`` class probabilities; a gated task's are
  conditional on its gate being on, P(color | car = yes);
- multilabel: ``(n_samples, n_labels)`` probabilities P(label = 1);
- regression: ``(n_samples,)`` predicted values.

A decoder turns them into :class:`~sklearn_mtl.EncodedLabels` that respect the gates.
"""

from __future__ import annotations

import numpy as np

from ._encoder import EncodedLabels
from ._schema import MISSING, NOT_APPLICABLE


def decode_independent(outputs, schema, thresholds=None):
    """Independent per-task decisions, then gates applied parents first.

    A binary task and each multilabel label are on when their probability is above the
    threshold (0.5 unless ``thresholds`` gives ``{task: value}`` or ``{task: array}``);
    a multiclass task takes its argmax. A child whose predicted parent switches its gate
    off is NOT_APPLICABLE.
    """
    thresholds = thresholds or {}
    n = _n_samples(outputs)
    codes = np.zeros((n, len(schema)), dtype=np.int64)
    multilabel, regression = {}, {}
    for j, (task, out) in enumerate(zip(schema, outputs)):
        if task.kind == "regression":
            regression[task.name] = np.asarray(out, dtype=float).reshape(n).copy()
        elif task.kind == "multilabel":
            multilabel[task.name] = (out > thresholds.get(task.name, 0.5)).astype(np.int8)
        elif task.kind == "binary":
            codes[:, j] = out[:, 1] > thresholds.get(task.name, 0.5)
        else:
            codes[:, j] = np.argmax(out, axis=1)
    return finalize(codes, multilabel, regression, schema)


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


def decode(outputs, schema, method="independent", thresholds=None):
    """Decode outputs with a named method or a decoder object (``decoder.decode(...)``)."""
    if method == "independent":
        return decode_independent(outputs, schema, thresholds=thresholds)
    if hasattr(method, "decode"):
        return method.decode(outputs, schema)
    raise ValueError(f"Unknown decode method {method!r}; expected 'independent' or a decoder.")
