"""The optimizer's step without the per-call machinery around it, for small networks."""

from __future__ import annotations

import functools
import inspect

import torch
from torch.optim import Adam, AdamW
from torch.optim.adam import adam
from torch.optim.optimizer import _global_optimizer_post_hooks, _global_optimizer_pre_hooks


def fast_step_kwargs(optimizer, device):
    """``{"fused": True}`` when ``optimizer`` has a fused step for ``device`` (AdamW and
    Adam on CPU since torch 2.4), else ``{"foreach": True}`` when it takes ``foreach``,
    else nothing.

    torch picks these by default on GPUs only, yet on CPU a small network spends most of
    its step in the optimizer (the ensemble's AdamW step: 3x faster fused than
    multi-tensor). The answer is asked of torch once per optimizer class and device.
    """
    device = str(torch.device("cpu" if device is None else device))
    try:
        return dict(_fast_step(optimizer, device))
    except TypeError:  # an optimizer factory that cannot be a key: asked every time
        return dict(_fast_step.__wrapped__(optimizer, device))


@functools.cache
def _fast_step(optimizer, device):
    try:
        accepted = inspect.signature(optimizer).parameters
    except (TypeError, ValueError):
        return ()
    if "fused" in accepted:
        try:
            probe = torch.zeros(1, device=device, requires_grad=True)
            optimizer([probe], fused=True)
            return (("fused", True),)
        except (RuntimeError, ValueError, TypeError):
            pass
    return (("foreach", True),) if "foreach" in accepted else ()


class LeanAdamStep:
    """``optimizer.step()`` of an ``Adam`` or ``AdamW``, calling torch's update directly.

    ``Optimizer.step`` wraps the update in a profiler record, hook dispatch and a rebuild
    of the parameter and state lists: about 70 µs a step on one CPU thread, as much as
    the fused update itself and a quarter of a small MLP's whole step. This callable
    passes the optimizer's own parameter groups and state to the same function
    (``torch.optim.adam.adam``) with the same arguments that ``Adam.step`` passes, so the
    result is identical, bit for bit.

    It defers to ``optimizer.step()`` whenever that could differ: before every
    parameter with a gradient has its state (the first step creates it), and whenever
    step hooks are registered (on the optimizer or globally).

    Parameters
    ----------
    optimizer : torch.optim.Adam or torch.optim.AdamW
        Build it with :meth:`for_optimizer`, which checks that the shortcut applies.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self._states = {}  # group index -> the state lists of its parameters, all with state

    @classmethod
    def for_optimizer(cls, optimizer):
        """A ``LeanAdamStep`` of ``optimizer``, or None where the shortcut does not apply:
        another optimizer class (a subclass may change ``step``), a differentiable step,
        or complex parameters."""
        if type(optimizer) not in (Adam, AdamW):
            return None
        for group in optimizer.param_groups:
            if group["differentiable"] or any(torch.is_complex(p) for p in group["params"]):
                return None
        return cls(optimizer)

    def __call__(self):
        opt = self.optimizer
        if (opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks
                or _global_optimizer_pre_hooks or _global_optimizer_post_hooks
                or getattr(opt, "grad_scale", None) is not None
                or getattr(opt, "found_inf", None) is not None):
            opt.step()
            return
        updates = []
        for i, group in enumerate(opt.param_groups):
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            lists = self._state_lists(i, group, params)
            if lists is None:  # the first step creates the state
                opt.step()
                return
            updates.append((group, params, lists))
        with torch.no_grad():
            for group, params, (exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps) in updates:
                beta1, beta2 = group["betas"]
                adam(
                    params,
                    [p.grad for p in params],
                    exp_avgs,
                    exp_avg_sqs,
                    max_exp_avg_sqs,
                    steps,
                    amsgrad=group["amsgrad"],
                    has_complex=False,
                    beta1=beta1,
                    beta2=beta2,
                    lr=group["lr"],
                    weight_decay=group["weight_decay"],
                    eps=group["eps"],
                    maximize=group["maximize"],
                    foreach=group["foreach"],
                    capturable=group["capturable"],
                    differentiable=False,
                    fused=group["fused"],
                    decoupled_weight_decay=group["decoupled_weight_decay"],
                )
        # what Optimizer.step does under a torch LR scheduler's wrapper: without it the
        # scheduler warns of a step "before optimizer.step()" (a loaded optimizer's state
        # takes this path from its first step). torch marks _opt_called; releases before
        # it counted the optimizer's steps in _step_count
        opt._opt_called = True
        if getattr(opt, "_step_count", 1) < 1:
            opt._step_count = 1


    def _state_lists(self, i, group, params):
        """(exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps) of ``params``, or None while
        one has no state yet. The lists of a group whose every parameter has a gradient
        are kept while they are the optimizer's: its steps update the state tensors in
        place."""
        everyone = len(params) == len(group["params"])
        cached = self._states.get(i) if everyone else None
        if cached is not None and cached[0] is group:
            # still the optimizer's tensors (``load_state_dict`` replaces them)?
            state = self.optimizer.state.get(params[0])
            if state and state.get("exp_avg") is cached[1][0][0]:
                return cached[1]
        states = [self.optimizer.state.get(p) for p in params]
        if not all(states):
            return None
        lists = ([s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                 [s["max_exp_avg_sq"] for s in states] if group["amsgrad"] else [],
                 [s["step"] for s in states])
        if everyone:
            self._states[i] = (group, lists)
        return lists


def clear_grads(optimizer):
    """``optimizer.zero_grad()`` (which sets every gradient to None) without its wrapper."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = None
