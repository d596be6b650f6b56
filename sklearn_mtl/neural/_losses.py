"""The masked multi-task loss."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._weighting import TaskWeightingModule

# Kinds whose tasks have one label column and can share one loss call when adjacent.
_STACKABLE = ("multiclass", "binary", "regression")


class MultiTaskLoss(nn.Module):
    """Σ_t w_t · (weighted) mean of loss_t over the task's applicable samples.

    The target batch is one float tensor (batch, width) in which each task owns columns:
    its labels (a class code for a binary/multiclass task, a 0/1 block for a multilabel
    task, a value for a regression task) and as many columns of per-entry weights (by
    default right after the labels). A weight is the sample weight times the class weight
    of the label, and 0 where the label is masked (missing or gated off): masking is
    precomputed once per fit. Masked labels are stored as 0 (a valid class/value) so that
    no loss term is NaN. A task whose weights sum to 0 in a batch contributes 0, never
    NaN.

    Adjacent tasks of the same kind and output width (e.g. five 4-class tasks) share one
    loss call over a (batch, n_tasks) block instead of one call each; with the heads'
    outputs side by side (:class:`~sklearn_mtl.neural.TaskOutputs` ``joined``) the block
    is a view. Tasks without any masked or weighted entry in the training target (see
    :meth:`prepare`) take the plain mean, which equals the weighted one.

    Parameters
    ----------
    specs : list of dict
        One per task: ``kind``, ``start`` (first label column), ``width`` (number of
        label columns), optionally ``weight_start`` (first weight column, default
        ``start + width``) and ``pos_weight`` (tensor, binary/multilabel).
    task_weights : sequence of float
        w_t, one per task.
    weighting : TaskWeightingModule, default=None
        A task-weighting strategy (see :mod:`sklearn_mtl.neural._weighting`) that turns
        the weighted losses w_t · loss_t into the total; ``None`` sums them. Its learnable
        parameters are the criterion's, so skorch's optimizer trains them.
    label_smoothing : float, default=0.0
        ε of label smoothing (Szegedy et al. 2016) for classification tasks: the target
        of a multiclass task puts 1 - ε on the label and ε spread over all classes
        (``cross_entropy(label_smoothing=ε)``); a binary target y becomes
        y (1 - ε) + ε / 2, and so does each label of a multilabel task.
    """

    def __init__(self, specs, task_weights, weighting=None, label_smoothing=0.0):
        super().__init__()
        self.weighting = weighting
        self.label_smoothing = float(label_smoothing)
        self.specs = []
        for spec in specs:
            spec = {k: v for k, v in spec.items() if k not in ("class_weight", "pos_weight")}
            spec.setdefault("weight_start", spec["start"] + spec["width"])
            self.specs.append(spec)
        for j, spec in enumerate(specs):
            value = spec.get("pos_weight")
            self.register_buffer(f"pos_weight_{j}", None if value is None else value.float())
        self.register_buffer("task_weights", torch.as_tensor(task_weights, dtype=torch.float32))
        self.unweighted = [False] * len(self.specs)
        self._runs = None

    def prepare(self, target):
        """Find the tasks whose weights in ``target`` (the whole training target) are all 1.

        Such a task (no masked label, no class or sample weight) takes the plain mean of
        its loss, which equals the weighted mean, in fewer operations per batch. Called
        by :class:`~sklearn_mtl.neural.MultiTaskNet` before training; a criterion that
        was never prepared always takes the weighted mean.
        """
        self.unweighted = [
            bool((target[:, s["weight_start"] : s["weight_start"] + s["width"]] == 1).all())
            for s in self.specs
        ]
        self._runs = None
        return self

    def _plan(self, outputs):
        """Runs of adjacent tasks computed by one loss call; made on the first call, for
        the output widths of the (fixed) module."""
        if self._runs is not None:
            return self._runs
        widths = [out.shape[1] if out.ndim > 1 else 1 for out in outputs]
        runs, offset = [], 0
        for j, (spec, width) in enumerate(zip(self.specs, widths)):
            run = runs[-1] if runs else None
            if (
                run is not None
                and spec["kind"] in _STACKABLE
                and spec["kind"] == run["kind"]
                and width == run["out_width"]
                and spec["width"] == 1
                and self.unweighted[j] == run["unweighted"]
                and _extends(run["label_cols"], spec["start"])
                and _extends(run["weight_cols"], spec["weight_start"])
            ):
                run["tasks"].append(j)
                run["label_cols"].append(spec["start"])
                run["weight_cols"].append(spec["weight_start"])
            else:
                runs.append({
                    "kind": spec["kind"], "tasks": [j], "out_width": width,
                    "out_start": offset, "unweighted": self.unweighted[j],
                    "label_cols": [spec["start"]], "weight_cols": [spec["weight_start"]],
                    "label_width": spec["width"],
                })
            offset += width
        task_weights = self.task_weights.tolist()
        for run in runs:
            # A run of one task: its weight. A longer run: 1 when every weight is 1 (a
            # plain sum), else None (a dot product with the weights).
            weights = [task_weights[j] for j in run["tasks"]]
            if len(weights) == 1:
                run["task_weights"] = weights[0]
            else:
                run["task_weights"] = 1 if all(w == 1 for w in weights) else None
            run["labels"] = _columns(run["label_cols"], run["label_width"])
            run["weights"] = _columns(run["weight_cols"], run["label_width"])
        self._runs = runs
        return runs

    def _pos_weight(self, run):
        values = [getattr(self, f"pos_weight_{j}") for j in run["tasks"]]
        if all(v is None for v in values):
            return None
        if len(values) == 1:
            return values[0]
        ones = self.task_weights.new_ones(1)
        return torch.cat([ones if v is None else v.reshape(1) for v in values])

    def per_task(self, outputs, target):
        """Per-task losses, a tensor of shape (n_tasks,)."""
        return _join(self._run_losses(outputs, target))

    def _run_losses(self, outputs, target, labelled=None):
        """The loss of each run of :meth:`_plan`: a scalar for a run of one task, a
        vector of the per-task losses for a longer run. A list given as ``labelled``
        gets, run by run, whether the batch holds a label of positive weight of each
        task (a bool, or a bool tensor)."""
        joined = getattr(outputs, "joined", None)
        pieces = []
        for run in self._plan(outputs):
            tasks, kind, n = run["tasks"], run["kind"], len(run["tasks"])
            if n == 1:
                out = outputs[tasks[0]]
            elif joined is not None:
                a = run["out_start"]
                out = joined[:, a : a + n * run["out_width"]]
            else:
                out = torch.cat([outputs[j] for j in tasks], dim=1)
            y = target[:, run["labels"]]
            reduction = "mean" if run["unweighted"] and (n == 1) else "none"
            if kind == "multiclass":
                if n > 1:
                    out = out.view(len(out), n, run["out_width"]).transpose(1, 2)
                loss = F.cross_entropy(
                    out, y.long(), reduction=reduction, label_smoothing=self.label_smoothing
                )
            elif kind == "regression":
                out = out[:, 0] if n == 1 and out.ndim > 1 else out
                loss = F.mse_loss(out, y, reduction=reduction)
            else:  # binary: one logit a task; multilabel: one logit per label
                # one column: a binary task, or a multilabel task of one label
                out = out[:, 0] if n == 1 and out.ndim > 1 and y.ndim == 1 else out
                if self.label_smoothing:
                    y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
                loss = F.binary_cross_entropy_with_logits(
                    out, y, reduction=reduction, pos_weight=self._pos_weight(run)
                )
            if run["unweighted"]:
                pieces.append(loss if n == 1 else loss.mean(0))
                if labelled is not None:  # every label weighs 1: all there
                    labelled.append(torch.ones(n, dtype=torch.bool, device=loss.device))
                continue
            w = target[:, run["weights"]].reshape(loss.shape)
            dims = 0 if n > 1 else None
            num = (loss * w).sum() if dims is None else (loss * w).sum(dims)
            den = w.sum() if dims is None else w.sum(dims)
            pieces.append(num / den.clamp(min=torch.finfo(w.dtype).tiny))
            if labelled is not None:
                labelled.append((den > 0).reshape(-1))
        return pieces

    def forward(self, outputs, target):
        if self.weighting is not None and type(self.weighting) is not TaskWeightingModule:
            # the strategy also learns which tasks the batch labels: a task without a
            # label there has a loss of 0, which is no evidence of its noise
            labelled = []
            per_task = _join(self._run_losses(outputs, target, labelled))
            return self.combine(per_task, torch.cat(labelled)), per_task
        pieces = self._run_losses(outputs, target)
        # The per-task vector is only reported here: no graph is built for it.
        per_task = _join([p.detach() for p in pieces])
        # Fixed weights: Σ_t w_t · loss_t, summed run by run (the backward pass then
        # skips the per-task vector, which is for logging and for the strategies).
        total = None
        for run, piece in zip(self._runs, pieces):
            weights = run["task_weights"]
            if piece.ndim:
                a, b = run["tasks"][0], run["tasks"][-1] + 1
                term = piece.sum() if weights == 1 else piece @ self.task_weights[a:b]
            else:
                term = piece if weights == 1 else piece * weights
            total = term if total is None else total + term
        return total, per_task


    def combine(self, per_task, labelled):
        """The total loss of the per-task losses ``per_task``: each times its
        ``task_weights``, then the weighting strategy's combination where there is one,
        told the tasks ``labelled`` (bool, per task) that also weigh; else their sum.

        The one place the tasks' losses are combined: a training batch
        (:meth:`forward`), the data-parallel step, whose per-task losses are scaled to
        the global batch first, and the validation score. A task of ``task_weights`` 0
        (a weighted loss of 0 on every batch) is not told to the strategy as labelled:
        counted in GradNorm's means (a loss ratio of 0) it moved the other tasks'
        targets, and its uncertainty ``s_t / 2`` pulled ``s_t`` down without end.
        """
        weighted = self.task_weights * per_task
        if self.weighting is not None and type(self.weighting) is not TaskWeightingModule:
            return self.weighting(weighted, labelled & (self.task_weights > 0))
        return weighted.sum()


def _join(pieces):
    """The per-task vector from the runs' losses (scalars and vectors, in task order)."""
    if len(pieces) == 1:
        return pieces[0].reshape(-1)
    if all(p.ndim == 0 for p in pieces):
        return torch.stack(pieces)
    return torch.cat([p.reshape(-1) for p in pieces])


def _extends(cols, col):
    """Whether ``col`` continues the arithmetic progression of ``cols``."""
    if len(cols) == 1:
        return col > cols[0]
    return col - cols[-1] == cols[1] - cols[0]


def _columns(cols, width):
    """A basic index of the target's columns (a view, no copy): ``cols`` of a run of
    one-column tasks, or the ``width`` columns of one multilabel task."""
    if width > 1:
        return slice(cols[0], cols[0] + width)
    if len(cols) == 1:
        return cols[0]
    step = cols[1] - cols[0]
    return slice(cols[0], cols[-1] + 1, step)
