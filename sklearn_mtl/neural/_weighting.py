"""Task-weighting strategies: how per-task losses become one training signal.

``MultiTaskClassifier(loss_weighting=...)`` takes a name (``"fixed"``, ``"uncertainty"``,
``"dwa"``, ``"gradnorm"``, ``"pcgrad"``) or one of the strategy objects below. A strategy
object is a small scikit-learn estimator-like specification: its parameters are reachable
with nested ``set_params`` (``loss_weighting__temperature=1.0``), so ``GridSearchCV`` can
search them, and it is cloned with the classifier. At fit it builds a
:class:`TaskWeightingModule`, a ``torch.nn.Module`` that becomes the ``weighting``
submodule of :class:`~sklearn_mtl.neural.MultiTaskLoss`: learned weighting parameters
(uncertainty log-variances, GradNorm weights) are therefore parameters of skorch's
criterion, which skorch's ``get_all_learnable_params`` hands to the optimizer.

Every module sees the prior-weighted task losses ``task_weights[t] * loss_t`` and reports
its current strategy weights through :meth:`TaskWeightingModule.weights`;
:class:`TaskWeightRecorder` writes the effective weights (prior × strategy weight) into
the history as ``weight_<task>`` once per epoch.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval
from skorch.callbacks import Callback
from torch import nn

# ----------------------------------------------------------------------------- modules


class TaskWeightingModule(nn.Module):
    """Base module: ``forward(losses)`` returns the total loss to minimise.

    Subclasses override :meth:`weights` and :meth:`forward`; strategies that act on
    gradients set ``custom_backward = True`` and implement :meth:`backward`, which
    :class:`~sklearn_mtl.neural.MultiTaskNet` calls from ``train_step_single`` instead of
    ``loss.backward()`` (with ``member_wise = True`` also ``n_members=k`` in an ensemble
    of ``k`` members, whose trunk parameters stack the members' along their first
    axis, each held by a layer of ``k`` members, with ``n_members = k``).
    :meth:`on_epoch_begin` lets a strategy update its weights from the history (as
    dynamic weight average does); a module whose ``takes_prior`` is true is also given
    the criterion's ``task_weights`` there, as ``prior`` (a task of weight 0 is not
    trained).

    Under ``data_parallel=True`` each process's :meth:`forward` sees its own shard's
    losses, scaled by its share of each task's labels, and DDP averages the processes'
    gradients: those are the global batch's only for a :meth:`forward` affine in the
    losses, as the built-in strategies' are (a product or a logarithm of the losses
    trains otherwise than in one process).

    Parameters
    ----------
    n_tasks : int
        Number of tasks.
    """

    custom_backward = False
    #: whether :meth:`on_epoch_begin` is also given ``prior=``, the criterion's
    #: ``task_weights`` (a tensor of shape (n_tasks,))
    takes_prior = False

    def __init__(self, n_tasks):
        super().__init__()
        self.n_tasks = n_tasks

    def weights(self):
        """Current strategy weights, a detached tensor of shape (n_tasks,)."""
        return torch.ones(self.n_tasks)

    def forward(self, losses, labelled=None):
        """The total loss from the prior-weighted task losses ``losses`` (n_tasks,);
        ``labelled`` (bool, n_tasks), where given, tells the tasks the batch holds a
        label of (the others' losses are 0)."""
        return losses.sum()

    def on_epoch_begin(self, history, task_names):
        """Update the weights before an epoch (the history's last row is the new one)."""


class _UncertaintyModule(TaskWeightingModule):
    """Kendall et al.: s_t = log σ_t² learned; c_t e^{-s_t} L_t + s_t / 2 per task."""

    def __init__(self, n_tasks, regression, init_log_var=0.0):
        super().__init__(n_tasks)
        self.log_vars = nn.Parameter(torch.full((n_tasks,), float(init_log_var)))
        factor = torch.where(torch.as_tensor(regression), 0.5, 1.0)
        self.register_buffer("factor", factor.float())

    def weights(self):
        return (self.factor * torch.exp(-self.log_vars)).detach().cpu()

    def forward(self, losses, labelled=None):
        precision = self.factor * torch.exp(-self.log_vars)
        penalty = 0.5 * self.log_vars
        if labelled is not None:
            # s_t / 2 only where the batch labels task t: added on the batches without
            # its label (a loss of 0), it pulled s_t down, and the task's weight above
            # 1 / (2 L_t), the more the fewer batches label it
            penalty = torch.where(labelled, penalty, 0.0)
        return (precision * losses + penalty).sum()


class _DWAModule(TaskWeightingModule):
    """Liu et al.: w_t = K softmax(r / τ), r_t = L_t(e-1) / L_t(e-2), fixed per epoch,
    over the K tasks that train (a task of ``task_weights`` 0 takes no part)."""

    takes_prior = True

    def __init__(self, n_tasks, temperature=2.0):
        super().__init__(n_tasks)
        self.temperature = float(temperature)
        self.register_buffer("current", torch.ones(n_tasks))

    def weights(self):
        return self.current.detach().cpu()

    def forward(self, losses, labelled=None):
        return (self.current * losses).sum()

    def on_epoch_begin(self, history, task_names, prior=None):
        done = history[:-1]  # the last row is the epoch that starts now
        keys = [f"train_loss_{name}" for name in task_names]
        if len(done) < 2:
            return
        # a task of task_weights 0 is not trained: counted in K and in the softmax, its
        # rate shrank the weights of the tasks that train (it keeps its own, which its
        # prior of 0 cancels)
        trained = (range(len(keys)) if prior is None
                   else [j for j, w in enumerate(prior.tolist()) if w > 0])
        # a task without a label in either epoch (a partial_fit batch without one) has
        # no loss there, hence no rate: it keeps its weight, the others share the rest
        rated = [j for j in trained if keys[j] in done[-1] and keys[j] in done[-2]]
        if not rated:
            return
        last = [done[-1][keys[j]] for j in rated]
        before = [done[-2][keys[j]] for j in rated]
        new = torch.as_tensor(dwa_weights(last, before, self.temperature),
                              dtype=self.current.dtype)
        if len(rated) < len(trained):
            new = new * (self.current[rated].sum() / len(rated))
        self.current[rated] = new.to(self.current.device)


class _GradNormModule(TaskWeightingModule):
    """Chen et al.: learned weights whose gradient norms track relative training rates."""

    custom_backward = True
    last_shared_layer = True

    def __init__(self, n_tasks, alpha=1.5):
        super().__init__(n_tasks)
        self.alpha = float(alpha)
        self.task_weights = nn.Parameter(torch.ones(n_tasks))
        self.register_buffer("initial_losses", torch.zeros(n_tasks))

    def weights(self):
        w = self.task_weights.detach().clamp(min=0)
        return (w * self.n_tasks / w.sum().clamp(min=1e-12)).cpu()

    def forward(self, losses, labelled=None):
        # the criterion's call precedes backward in a training step: the tasks the
        # batch labels are kept for it
        self._batch_labelled = None if labelled is None else labelled.detach()
        # with the weights as the next step renormalises them (and as weights() reports
        # them): the optimizer's last step leaves their sum off the number of tasks
        w = self.task_weights.clamp(min=0)
        return (w * self.n_tasks / w.sum().clamp(min=1e-12) * losses).sum()

    def backward(self, losses, shared_parameters):
        """Set gradients: Σ w_t L_t for the network, the GradNorm loss for the weights.

        Parameters
        ----------
        losses : Tensor of shape (n_tasks,)
            Prior-weighted task losses of the batch, attached to the graph.
        shared_parameters : list of Parameter
            The last shared layer, W in the paper: gradient norms are taken there.

        Returns
        -------
        total : Tensor
            The weighted total loss of the batch.

        Notes
        -----
        The means (of the gradient norms, of the loss ratios) are over the tasks the
        batch labels (see :meth:`forward`): a task without a label in the batch has a
        loss and a gradient of 0, which skewed every other task's target.
        """
        labelled = self.__dict__.pop("_batch_labelled", None)
        if not shared_parameters:  # a frozen trunk: no norm to balance, the weights stay
            total = (self.weights().to(losses.device) * losses).sum()
            total.backward()
            return total
        if labelled is None:
            labelled = torch.ones(len(losses), dtype=torch.bool, device=losses.device)
        with torch.no_grad():  # renormalise after the optimizer's last step: Σ w = T
            self.task_weights.copy_(self.weights().to(self.task_weights.device))
            fresh = (self.initial_losses <= 0) & (losses > 0)
            self.initial_losses.copy_(torch.where(fresh, losses.detach(), self.initial_losses))
        norms = torch.stack([
            _flat_grad(loss, shared_parameters).norm() for loss in losses
        ])  # ||∇_W L_t||; ||∇_W w_t L_t|| = w_t ||∇_W L_t|| since w_t is a scalar
        grad_norms = self.task_weights * norms
        if bool(labelled.any()):
            ratio = losses.detach() / self.initial_losses.clamp(min=1e-12)
            rate = ratio / ratio[labelled].mean().clamp(min=1e-12)
            target = (grad_norms[labelled].mean() * rate ** self.alpha).detach()
            gradnorm_loss = torch.where(labelled, (grad_norms - target).abs(), 0.0).sum()
        else:  # no task labelled (samples of weight 0 only): no gradient
            gradnorm_loss = (grad_norms * 0.0).sum()
        (self.task_weights.grad,) = torch.autograd.grad(gradnorm_loss, [self.task_weights])
        total = (self.task_weights.detach() * losses).sum()
        total.backward()
        return total


class _PCGradModule(TaskWeightingModule):
    """Yu et al.: project each task's shared gradient off the ones it conflicts with."""

    custom_backward = True
    #: an ensemble's members projected each on their own (see ``backward``)
    member_wise = True

    def backward(self, losses, shared_parameters, n_members=1):
        """Set gradients: plain for task-specific parameters, PCGrad for shared ones.

        Parameters
        ----------
        losses : Tensor of shape (n_tasks,)
            Prior-weighted task losses of the batch, attached to the graph.
        shared_parameters : list of Parameter
            The parameters every task trains (the trunk).
        n_members : int, default=1
            Members of an ensemble whose every shared parameter stacks theirs along its
            first axis: each member's task gradients are projected on its own only (a
            member trains as it would alone, not on the conflicts of the others).

        Returns
        -------
        total : Tensor
            Σ_t loss_t of the batch.
        """
        total = losses.sum()
        if not shared_parameters:  # a frozen trunk: no shared gradient to project
            total.backward()
            return total
        grads = torch.stack([_flat_grad(loss, shared_parameters, n_members)
                             for loss in losses], dim=-2)
        total.backward()
        order = [torch.randperm(len(losses)) for _ in range(len(losses))]
        merged = pcgrad_project(grads, order).sum(-2)
        offset = 0
        for p in shared_parameters:
            n = p.numel() // n_members
            p.grad = merged[..., offset : offset + n].reshape(p.shape).clone()
            offset += n
        return total


def _flat_grad(loss, parameters, n_members=1):
    """The gradient of ``loss`` on ``parameters``, flattened: (n_parameters,), or with
    ``n_members`` (n_members, n_parameters / n_members), each member's row its own."""
    grads = torch.autograd.grad(loss, parameters, retain_graph=True, allow_unused=True)
    shape = (-1,) if n_members == 1 else (n_members, -1)
    return torch.cat([
        (torch.zeros_like(p) if g is None else g).reshape(shape)
        for g, p in zip(grads, parameters)
    ], dim=-1)


def dwa_weights(last, before, temperature):
    """Dynamic weight average (Liu et al., 2019, eq. 7).

    Parameters
    ----------
    last, before : array-like of shape (n_tasks,)
        Each task's mean training loss in the last and in the previous epoch.
    temperature : float
        τ: a large temperature gives equal weights.

    Returns
    -------
    weights : ndarray of shape (n_tasks,)
        K · softmax(r / τ) with r_t = last_t / before_t; they sum to K = n_tasks.
    """
    last = np.asarray(last, dtype=float)
    before = np.asarray(before, dtype=float)
    rate = last / np.maximum(before, 1e-12)
    z = rate / temperature
    e = np.exp(z - z.max())
    return len(rate) * e / e.sum()


def pcgrad_project(grads, order=None):
    """Gradient surgery (Yu et al., 2020, Algorithm 1) on flattened task gradients.

    For each task i, in turn over the other tasks j (in ``order[i]``): when the projected
    g_i conflicts with g_j (g_i · g_j < 0), remove its component along g_j,
    g_i ← g_i − (g_i · g_j / ||g_j||²) g_j.

    Parameters
    ----------
    grads : Tensor of shape (n_tasks, n_parameters) or (n_members, n_tasks, n_parameters)
        One flattened gradient per task; with a leading axis, those of each member of
        an ensemble, each projected on its own member's gradients only.
    order : list of sequences of int, default=None
        For each task, the order in which the other tasks are visited (the paper samples
        it at random per step); ``None`` visits them in index order.

    Returns
    -------
    projected : Tensor of the shape of ``grads``
        The projected gradients; their sum over the tasks is the update direction.
    """
    if grads.ndim == 2:  # one network: an ensemble of one member
        return _pcgrad_members(grads[None], order)[0]
    return _pcgrad_members(grads, order)


def _pcgrad_members(grads, order=None):
    """:func:`pcgrad_project` of each member's gradients (members, tasks, parameters),
    all members in one operation per pair of tasks."""
    n = grads.shape[1]
    projected = grads.clone()
    sq_norms = (grads * grads).sum(2)
    for i in range(n):
        others = range(n) if order is None else [int(j) for j in order[i]]
        for j in others:
            if j == i:
                continue
            dot, sq = (projected[:, i] * grads[:, j]).sum(1), sq_norms[:, j]
            conflict = (dot < 0) & (sq > 0)
            scale = torch.where(conflict, dot / torch.where(sq > 0, sq, 1.0), 0.0)
            projected[:, i] = projected[:, i] - scale[:, None] * grads[:, j]
    return projected


# --------------------------------------------------------------------- specifications


class _Strategy(BaseEstimator):
    """A weighting strategy's parameters; :meth:`build` makes its module at fit."""

    _parameter_constraints: dict = {}
    #: learning rate of the strategy's own parameters, None: the net's
    lr = None

    def build(self, tasks):
        """The :class:`TaskWeightingModule` for these tasks (validates the parameters)."""
        self._validate_params()
        return self._build(list(tasks))


class FixedWeighting(_Strategy):
    """Constant weights: ``task_weights`` (1 by default), the total Σ_t w_t L_t.

    Examples
    --------
    >>> from sklearn_mtl.neural import FixedWeighting
    >>> FixedWeighting()
    FixedWeighting()
    """

    def _build(self, tasks):
        return TaskWeightingModule(len(tasks))


class UncertaintyWeighting(_Strategy):
    """Homoscedastic-uncertainty weighting (Kendall, Gal and Cipolla, CVPR 2018).

    Each task t learns s_t = log σ_t²; the loss is Σ_t c_t e^{-s_t} L_t + s_t / 2 with
    c_t = 1/2 for regression tasks and 1 for classification tasks, summed over the
    tasks the batch holds a label of (a batch without one adds no s_t / 2). At the
    optimum in
    s_t the weight c_t e^{-s_t} equals 1 / (2 L_t): inversely proportional to the task's
    loss, so a noisier task gets a smaller weight. The s_t are parameters of the
    criterion and are trained by the net's optimizer (without weight decay, unless a
    parameter group of ``optimizer_params`` takes them alone, ``("weighting.*", {...})``).

    Parameters
    ----------
    init_log_var : float in [-30, 30], default=0.0
        Initial s_t (0: every weight starts at c_t; beyond ±30, e^{-s_t} is no float32
        a loss can be trained with).
    lr : float, default=None
        Learning rate of the s_t; ``None`` uses the classifier's ``lr``.

    Examples
    --------
    >>> from sklearn_mtl.neural import UncertaintyWeighting
    >>> UncertaintyWeighting(lr=0.05)
    UncertaintyWeighting(lr=0.05)
    """

    _parameter_constraints = {
        "init_log_var": [Interval(Real, -30, 30, closed="both")],
        "lr": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(self, init_log_var=0.0, lr=None):
        self.init_log_var = init_log_var
        self.lr = lr

    def _build(self, tasks):
        regression = [t.kind == "regression" for t in tasks]
        return _UncertaintyModule(len(tasks), regression, self.init_log_var)


class DWAWeighting(_Strategy):
    """Dynamic weight average (Liu, Johns and Davison, CVPR 2019).

    Before epoch e ≥ 3, w_t = K exp(r_t / τ) / Σ_k exp(r_k / τ) with r_t =
    L_t(e-1) / L_t(e-2), each task's mean training loss (``train_loss_<task>`` of the
    history); the first two epochs use w_t = 1. K and the softmax count the tasks that
    train: a task whose ``task_weights`` entry is 0 takes no part, and the others get
    the weights that DWA gives over them alone. A task without a loss in either epoch
    (no label of it trained, as in a ``partial_fit`` batch without one) keeps its weight,
    and the other tasks share the rest of K. A task whose loss falls slowest gets the
    largest weight.

    Parameters
    ----------
    temperature : float, default=2.0
        τ; the larger, the closer the weights stay to 1.

    Examples
    --------
    >>> from sklearn_mtl.neural import DWAWeighting
    >>> DWAWeighting(temperature=1.0)
    DWAWeighting(temperature=1.0)
    """

    _parameter_constraints = {"temperature": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, temperature=2.0):
        self.temperature = temperature

    def _build(self, tasks):
        return _DWAModule(len(tasks), self.temperature)


class GradNormWeighting(_Strategy):
    """GradNorm (Chen, Badrinarayanan, Lee and Rabinovich, ICML 2018).

    The task weights w_t are learned: at every step, the gradient norm of w_t L_t at the
    last shared layer, G_t, is pulled towards mean(G) · r_t^α, where r_t is the task's
    loss ratio L_t / L_t(0) relative to the mean ratio (its inverse training rate); the
    means are over the tasks the batch holds a label of (a task without one gets no
    gradient on its weight), and whose ``task_weights`` entry is not 0 (Chen et al.
    balance the tasks that are trained: one of weight 0 has no training rate). The
    network is trained on Σ_t w_t L_t, the weights on Σ_t |G_t − target_t| only, and
    the weights are renormalised to sum to the number of tasks.

    Parameters
    ----------
    alpha : float, default=1.5
        Strength of the pull towards equal training rates (0: equal gradient norms).
    lr : float, default=None
        Learning rate of the weights; ``None`` uses the classifier's ``lr``.

    Examples
    --------
    >>> from sklearn_mtl.neural import GradNormWeighting
    >>> GradNormWeighting(alpha=0.5)
    GradNormWeighting(alpha=0.5)
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(self, alpha=1.5, lr=None):
        self.alpha = alpha
        self.lr = lr

    def _build(self, tasks):
        return _GradNormModule(len(tasks), self.alpha)


class PCGradWeighting(_Strategy):
    """Projecting conflicting gradients, PCGrad (Yu et al., NeurIPS 2020).

    The weighted task losses keep their ``task_weights``; on the shared trunk, each
    task's gradient loses its component along any other task's gradient that it
    conflicts with (negative dot product), visiting the other tasks in a random order
    per step, and the projected gradients are summed. Task heads get their plain
    gradients. In the MLP ensemble each member's gradients are projected on its own
    (its trunk is its own: it trains as it would alone). Costs one backward pass per
    task.

    Examples
    --------
    >>> from sklearn_mtl.neural import PCGradWeighting
    >>> PCGradWeighting()
    PCGradWeighting()
    """

    def _build(self, tasks):
        return _PCGradModule(len(tasks))


STRATEGIES = {
    "fixed": FixedWeighting,
    "uncertainty": UncertaintyWeighting,
    "dwa": DWAWeighting,
    "gradnorm": GradNormWeighting,
    "pcgrad": PCGradWeighting,
}


def resolve_strategy(loss_weighting, params=None):
    """A strategy object from a name and ``loss_weighting_params``, or the object itself.

    Raises
    ------
    ValueError
        A strategy class for an object, parameters given with a strategy object, or
        unknown parameters for a name.
    """
    if isinstance(loss_weighting, type):
        # a class has build() too (the parameter constraint passes it): unbound, it
        # failed at fit with "build() missing 1 required positional argument: 'tasks'"
        raise ValueError(
            f"loss_weighting is the class {loss_weighting.__name__}; expected a strategy "
            f"object, e.g. loss_weighting={loss_weighting.__name__}(), or a name among "
            f"{sorted(STRATEGIES)}."
        )
    if not isinstance(loss_weighting, str):
        if params:
            raise ValueError(
                "loss_weighting_params is for a strategy given by name; set the parameters "
                f"of {loss_weighting!r} on the object itself."
            )
        return loss_weighting
    cls = STRATEGIES[loss_weighting]
    params = dict(params or {})
    accepted = set(cls().get_params())
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ValueError(
            f"loss_weighting_params has unknown parameter(s) {unknown} for "
            f"loss_weighting={loss_weighting!r}; it accepts {sorted(accepted)}."
        )
    return cls(**params)


# ---------------------------------------------------------------------------- callback


class TaskWeightRecorder(Callback):
    """Lets the weighting strategy update before each epoch (told the criterion's
    ``task_weights`` where it ``takes_prior``); records ``weight_<task>``.

    The recorded weight is the effective one: the criterion's ``task_weights`` (the
    prior) times the strategy's current weight, at the end of the epoch.
    """

    def on_epoch_begin(self, net, **kwargs):
        crit = net.criterion_
        weighting = getattr(crit, "weighting", None)
        if weighting is None:
            return
        if getattr(weighting, "takes_prior", False):
            weighting.on_epoch_begin(net.history, list(net.task_names),
                                     prior=crit.task_weights.detach().cpu())
        else:
            weighting.on_epoch_begin(net.history, list(net.task_names))

    def on_epoch_end(self, net, **kwargs):
        crit = net.criterion_
        weights = crit.task_weights.detach().cpu()
        weighting = getattr(crit, "weighting", None)
        if weighting is not None:
            weights = weights * weighting.weights()
        for name, w in zip(net.task_names, weights.tolist()):
            net.history.record(f"weight_{name}", w)


__all__ = [
    "DWAWeighting",
    "FixedWeighting",
    "GradNormWeighting",
    "PCGradWeighting",
    "STRATEGIES",
    "TaskWeightRecorder",
    "TaskWeightingModule",
    "UncertaintyWeighting",
    "dwa_weights",
    "pcgrad_project",
    "resolve_strategy",
]
