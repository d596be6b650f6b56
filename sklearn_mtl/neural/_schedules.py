"""Learning-rate schedules set per optimizer step."""

from __future__ import annotations

import math

from skorch.callbacks import Callback


class WarmupCosineSchedule(Callback):
    """Linear warm-up, then cosine decay of every parameter group's learning rate.

    Over the first ``warmup`` fraction of ``total_steps`` the rate rises linearly from
    ``lr / 100`` to the group's ``lr``; it then follows half a cosine down to
    ``final * lr`` at the last step (Loshchilov & Hutter 2017; with warm-up as in
    Goyal et al. 2017). Set per training batch; each group keeps its own base rate (e.g.
    a head's ``head_lr``). A ``fit`` that continues training (``warm_start``) starts the
    schedule again, over its own steps (the estimator sets ``total_steps`` anew).

    Parameters
    ----------
    total_steps : int
        Optimizer steps of one ``fit``.
    warmup : float, default=0.05
        Fraction of the steps spent warming up.
    final : float, default=0.0
        Last rate as a fraction of the base rate.
    """

    def __init__(self, total_steps, warmup=0.05, final=0.0):
        self.total_steps = total_steps
        self.warmup = warmup
        self.final = final

    def on_train_begin(self, net, **kwargs):
        self.step_ = 0
        self.base_lrs_ = [
            [group.get("initial_lr", group["lr"]) for group in opt.param_groups]
            for opt in self._optimizers(net)
        ]
        for opt in self._optimizers(net):
            for group in opt.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self._apply(net)

    def on_epoch_begin(self, net, **kwargs):
        # A callback after this one may set the rates in its own on_train_begin (skorch's
        # LoadInitState loads a checkpoint's optimizer, whose rates a schedule ended at 0):
        # the first step takes the schedule's rate all the same. (Once an epoch, not a
        # batch: a per-batch hook would cost every step a call.)
        if not self.step_:
            self._apply(net)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.step_ += 1
            self._apply(net)

    def factor(self, step):
        """The learning rate at ``step`` as a fraction of the base rate."""
        total = max(int(self.total_steps), 1)
        n_warm = int(self.warmup * total)
        if step < n_warm:
            return 0.01 + 0.99 * step / n_warm
        progress = min((step - n_warm) / max(total - n_warm, 1), 1.0)
        return self.final + (1.0 - self.final) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def _apply(self, net):
        f = self.factor(self.step_)
        for opt, bases in zip(self._optimizers(net), self.base_lrs_):
            for group, base in zip(opt.param_groups, bases):
                group["lr"] = base * f

    @staticmethod
    def _optimizers(net):
        return [getattr(net, name + "_") for name in net._optimizers]
