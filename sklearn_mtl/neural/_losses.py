"""The masked multi-task loss."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class MultiTaskLoss(nn.Module):
    """Σ_t w_t · (weighted) mean of loss_t over the task's applicable samples.

    The target batch is one float tensor (batch, width) in which each task owns a slice:
    its labels (a class code for a binary/multiclass task, a 0/1 block for a multilabel
    task, a value for a regression task) followed by as many columns of per-entry
    weights. A weight is the sample weight times the class weight of the label, and 0
    where the label is masked (missing or gated off): masking is precomputed once per
    fit, so a batch costs a handful of tensor operations per task. Masked labels are
    stored as 0 (a valid class/value) so that no loss term is NaN. A task whose weights
    sum to 0 in a batch contributes 0, never NaN.

    Parameters
    ----------
    specs : list of dict
        One per task: ``kind``, ``start`` (first label column), ``width`` (number of
        label columns; the weights follow), and optionally ``pos_weight`` (tensor,
        binary/multilabel).
    task_weights : sequence of float
        w_t, one per task.
    weighting : TaskWeightingModule, default=None
        A task-weighting strategy (see :mod:`sklearn_mtl.neural._weighting`) that turns
        the weighted losses w_t · loss_t into the total; ``None`` sums them. Its learnable
        parameters are the criterion's, so skorch's optimizer trains them.
    """

    def __init__(self, specs, task_weights, weighting=None):
        super().__init__()
        self.weighting = weighting
        self.specs = [
            {k: v for k, v in spec.items() if k not in ("class_weight", "pos_weight")}
            for spec in specs
        ]
        for j, spec in enumerate(specs):
            value = spec.get("pos_weight")
            self.register_buffer(f"pos_weight_{j}", None if value is None else value.float())
        self.register_buffer("task_weights", torch.as_tensor(task_weights, dtype=torch.float32))

    def per_task(self, outputs, target):
        """Per-task losses, a tensor of shape (n_tasks,)."""
        losses = []
        for j, (spec, out) in enumerate(zip(self.specs, outputs)):
            start, width, kind = spec["start"], spec["width"], spec["kind"]
            y = target[:, start : start + width]
            w = target[:, start + width : start + 2 * width]
            if kind == "multiclass":
                loss = F.cross_entropy(out, y[:, 0].long(), reduction="none")
            elif kind == "regression":
                loss = (out[:, 0] - y[:, 0]) ** 2
            else:  # binary: one logit; multilabel: one logit per label
                out = out[:, 0] if kind == "binary" else out
                y = y[:, 0] if kind == "binary" else y
                loss = F.binary_cross_entropy_with_logits(
                    out, y, reduction="none", pos_weight=getattr(self, f"pos_weight_{j}")
                )
            w = w.reshape(loss.shape)
            losses.append((loss * w).sum() / w.sum().clamp(min=torch.finfo(w.dtype).tiny))
        return torch.stack(losses)

    def forward(self, outputs, target):
        per_task = self.per_task(outputs, target)
        weighted = self.task_weights * per_task
        total = weighted.sum() if self.weighting is None else self.weighting(weighted)
        return total, per_task
