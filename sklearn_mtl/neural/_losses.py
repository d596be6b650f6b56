"""The masked multi-task loss."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class MultiTaskLoss(nn.Module):
    """Σ_t w_t · (weighted) mean of loss_t over the task's applicable samples.

    The target batch is one float tensor (batch, width): each task owns a slice of
    columns (a class code for binary/multiclass tasks, a 0/1 block for a multilabel task,
    a value for a regression task; negative codes, -1 labels and NaN values are masked),
    and the last column holds the sample weights. A task with no applicable sample in a
    batch contributes 0, never NaN.

    Parameters
    ----------
    specs : list of dict
        One per task: ``kind``, ``start``, ``width``, and optionally ``class_weight``
        (tensor of per-class weights) and ``pos_weight`` (tensor, binary/multilabel).
    task_weights : sequence of float
        w_t, one per task.
    """

    def __init__(self, specs, task_weights):
        super().__init__()
        self.specs = [
            {k: v for k, v in spec.items() if k not in ("class_weight", "pos_weight")}
            for spec in specs
        ]
        for j, spec in enumerate(specs):
            for key in ("class_weight", "pos_weight"):
                value = spec.get(key)
                self.register_buffer(f"{key}_{j}", None if value is None else value.float())
        self.register_buffer("task_weights", torch.as_tensor(task_weights, dtype=torch.float32))

    def per_task(self, outputs, target):
        """Per-task losses, a tensor of shape (n_tasks,)."""
        weight = target[:, -1]
        losses = []
        for j, (spec, out) in enumerate(zip(self.specs, outputs)):
            y = target[:, spec["start"] : spec["start"] + spec["width"]]
            kind = spec["kind"]
            class_weight = getattr(self, f"class_weight_{j}")
            if kind == "multiclass":
                code = y[:, 0]
                mask = code >= 0
                labels = code.clamp(min=0).long()
                loss = F.cross_entropy(out, labels, reduction="none")
                w = weight * mask
                if class_weight is not None:
                    w = w * class_weight[labels]
            elif kind == "binary":
                code = y[:, 0]
                mask = code >= 0
                labels = code.clamp(min=0)
                loss = F.binary_cross_entropy_with_logits(
                    out[:, 0], labels, reduction="none", pos_weight=getattr(self, f"pos_weight_{j}")
                )
                w = weight * mask
                if class_weight is not None:
                    w = w * class_weight[labels.long()]
            elif kind == "multilabel":
                mask = y >= 0
                loss = F.binary_cross_entropy_with_logits(
                    out, y.clamp(min=0), reduction="none",
                    pos_weight=getattr(self, f"pos_weight_{j}"),
                )
                w = weight[:, None] * mask
            else:  # regression
                mask = ~torch.isnan(y[:, 0])
                loss = (out[:, 0] - torch.nan_to_num(y[:, 0])) ** 2
                w = weight * mask
            loss = torch.where(w > 0, loss, torch.zeros_like(loss))
            losses.append((loss * w).sum() / w.sum().clamp(min=torch.finfo(w.dtype).tiny))
        return torch.stack(losses)

    def forward(self, outputs, target):
        per_task = self.per_task(outputs, target)
        return (self.task_weights * per_task).sum(), per_task
