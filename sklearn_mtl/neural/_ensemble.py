"""An ensemble of MLPs trained as one network: k members, one batched product per layer."""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from skorch.callbacks import Callback
from torch import nn

from ._modules import ACTIVATIONS, TaskOutputs, _check_activation, split_heads


class MemberLinear(nn.Module):
    """``n_members`` independent linear layers applied to their own batches at once.

    Input of shape (n_members, batch, in_features), output (n_members, batch,
    out_features): member ``m`` multiplies its batch by its own weights, all members in
    one batched matrix product (``torch.baddbmm``). Each member is initialised as
    ``nn.Linear`` initialises itself.

    Parameters
    ----------
    n_members : int
        Number of members.
    in_features, out_features : int
        Widths of each member's layer.
    """

    def __init__(self, n_members, in_features, out_features):
        super().__init__()
        self.n_members = int(n_members)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = nn.Parameter(torch.empty(self.n_members, self.in_features, self.out_features))
        self.bias = nn.Parameter(torch.empty(self.n_members, 1, self.out_features))
        self.reset_parameters()

    def reset_parameters(self):
        # nn.Linear's initialisation (kaiming_uniform with a=sqrt(5)) gives weights and
        # biases uniform in ±1/sqrt(in_features).
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features else 0.0
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return torch.baddbmm(self.bias, x, self.weight)


def member_mlp_layers(n_members, in_features, hidden_layer_sizes, activation="relu",
                      dropout=0.0):
    """``n_members`` MLPs side by side: ``MemberLinear -> activation -> [Dropout]`` per
    hidden layer, as :func:`~sklearn_mtl.neural._modules.mlp_layers` builds one.

    Returns the ``nn.Sequential`` and its output width (``in_features`` when there is no
    hidden layer).
    """
    _check_activation(activation)
    layers, width = [], int(in_features)
    for size in hidden_layer_sizes:
        layers.append(MemberLinear(n_members, width, size))
        layers.append(ACTIVATIONS[activation]())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = int(size)
    return nn.Sequential(*layers), width


class EnsembleMLPTrunk(nn.Module):
    """``n_members`` independent MLPs over the same input, computed side by side.

    The ensemble of the TabM paper's "MLP×k" baseline (Gorishniy et al. 2025): each member
    has its own weights; the members see the same mini-batches and are trained by one
    optimizer on the mean of their losses, and their logits are averaged at prediction
    (:func:`pooled_probabilities`). Output of shape (n_members, batch, hidden_layer_sizes[-1]).

    Parameters
    ----------
    n_features : int
        Width of a flattened input sample.
    hidden_layer_sizes : tuple of int or int
        Widths of each member's hidden layers (at least one); one int is one layer.
    n_members : int
        Number of members.
    activation : str, default="relu"
        Activation after each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each activation.
    member_inputs : array-like of bool of shape (n_members, n_features), default=None
        Which input columns each member reads (the others it sees as zeros); ``None``:
        every member reads every column. Members that read the same columns share an
        input *view*; :class:`MemberHoldout` keeps the view that does best on held-out
        samples. Kept in the buffer ``input_mask``, of shape (n_members, 1, n_features).
    """

    def __init__(self, n_features, hidden_layer_sizes, n_members, activation="relu", dropout=0.0,
                 member_inputs=None):
        super().__init__()
        from .._validation import check_layer_sizes

        # a tuple, list or 1-D array of ints, or one int, as hidden_layer_sizes is read
        # by MultiTaskClassifier and MLPClassifier (an int failed: "has no len()")
        hidden_layer_sizes = check_layer_sizes("hidden_layer_sizes", hidden_layer_sizes)
        if not len(hidden_layer_sizes):
            raise ValueError("An ensemble trunk needs at least one hidden layer.")
        if isinstance(n_members, (bool, np.bool_)) or not isinstance(
                n_members, numbers.Integral) or n_members < 1:
            raise ValueError(
                f"n_members must be a positive integer (the number of MLPs); got "
                f"{n_members!r}."
            )
        self.n_members = int(n_members)
        mask = None
        if member_inputs is not None:
            mask = torch.as_tensor(np.asarray(member_inputs, dtype=bool), dtype=torch.float32)
            if mask.shape != (self.n_members, int(n_features)):
                raise ValueError(
                    f"member_inputs must have shape (n_members, n_features) = "
                    f"({self.n_members}, {int(n_features)}); got {tuple(mask.shape)}."
                )
            mask = mask[:, None, :]
        self.register_buffer("input_mask", mask)
        self.layers, self.out_features = member_mlp_layers(
            self.n_members, n_features, hidden_layer_sizes, activation, dropout)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        x = x.unsqueeze(0).expand(self.n_members, *x.shape)
        return self.layers(x if self.input_mask is None else x * self.input_mask)

    def forward_members(self, x):
        """Each member on its own samples: input (n_members, batch, ...), member ``m``
        reading ``x[m]``; output (n_members, batch, hidden_layer_sizes[-1])."""
        x = x.reshape(x.shape[0], x.shape[1], -1)
        return self.layers(x if self.input_mask is None else x * self.input_mask)

    def member_views(self):
        """Each member's input view, a tensor (n_members,) of ints: members reading the
        same columns share a number, numbered in order of first appearance."""
        if self.input_mask is None:
            return torch.zeros(self.n_members, dtype=torch.long)
        rows = [tuple(r) for r in self.input_mask[:, 0, :].bool().tolist()]
        first = {}
        return torch.tensor([first.setdefault(r, len(first)) for r in rows], dtype=torch.long)


class MemberLinearHeads(MemberLinear):
    """Every task's output layer for every member, as one batched product.

    Input (n_members, batch, in_features); output a
    :class:`~sklearn_mtl.neural.TaskOutputs` whose tensors have n_members × batch rows,
    member by member (row ``m * batch + i`` is member ``m``'s output for sample ``i``).

    Parameters
    ----------
    n_members : int
        Number of members.
    in_features : int
        Width of the trunk's output.
    out_features : list of int
        Output width of each task's head.
    """

    def __init__(self, n_members, in_features, out_features):
        self.head_widths = [int(n) for n in out_features]
        super().__init__(n_members, in_features, sum(self.head_widths))

    def forward(self, z):
        joined = super().forward(z).reshape(-1, self.out_features)
        return TaskOutputs(split_heads(joined, self.head_widths), joined=joined)


class MemberHeads(nn.ModuleList):
    """One head per task for every member, each head's parameters its own.

    Task ``j``'s head (``heads[j]``) is an ``nn.Sequential`` of :class:`MemberLinear`
    layers: its hidden layers, each followed by the activation, then its output layer.
    What :class:`MemberLinearHeads` computes in one product, task by task, so that a head
    can have hidden layers (``head_hidden``) or a learning rate of its own (``head_lr``,
    an optimizer parameter group ``heads.<j>.*``) while every member keeps its own
    weights. Input (n_members, batch, in_features); output a
    :class:`~sklearn_mtl.neural.TaskOutputs` whose tensors have n_members × batch rows,
    member by member, as :class:`MemberLinearHeads`' have.

    Parameters
    ----------
    n_members : int
        Number of members.
    in_features : int
        Width of the trunk's output.
    head_specs : list of (n_outputs, hidden_layer_sizes)
        Each task's output width and its head's hidden layers (empty: one linear layer).
    activation : str, default="relu"
        Activation after each hidden layer.
    """

    def __init__(self, n_members, in_features, head_specs, activation="relu"):
        heads = []
        for n_outputs, hidden in head_specs:
            body, width = member_mlp_layers(n_members, in_features, hidden, activation)
            heads.append(nn.Sequential(*body, MemberLinear(n_members, width, n_outputs)))
        super().__init__(heads)
        self.head_widths = [int(n) for n, _ in head_specs]

    def forward(self, z):
        return TaskOutputs(head(z).reshape(-1, width)
                           for head, width in zip(self, self.head_widths))


#: Task kinds with one class code per sample.
BLENDABLE = ("binary", "multiclass")


def member_forward(module, xb):
    """Each member's features ``(k, batch, h)`` and raw task outputs for one batch."""
    z = module.trunk(xb)
    return z, module.heads(z)


def probabilities(kind, out, k):
    """Per-member class probabilities ``(k, batch, classes)`` of one task's raw output."""
    out = out.float().reshape(k, -1, out.shape[-1])
    if kind == "multiclass":
        return torch.softmax(out, dim=-1)
    p = torch.sigmoid(out[..., :1])
    return torch.cat([1.0 - p, p], dim=-1)


def pooled_probabilities(kind, out, k):
    """The ensemble's class probabilities ``(batch, classes)`` of one task's raw output:
    the softmax (a binary task: the sigmoid) of the members' mean logits.

    That is the normalised geometric mean of the members' probabilities (log-linear
    pooling): a class keeps a high probability only where the members agree on it. On
    the four small tables of the development suite, with two seeds, it decoded as well
    as or better than the mean of the probabilities (see "What the defaults do" in the
    docs).
    """
    return probabilities(kind, member_mean(out.float(), k), 1)[0]


def held_out_pass(module, X, folds, kinds, batch_size, device):
    """Each member's features of the training table ``X`` and each sample's class
    probabilities from the member that held it out.

    Returns ``features`` (k, n, h) float32 on CPU and, per task, (n, classes)
    probabilities for the kinds in ``BLENDABLE`` (``None`` for the others): sample ``i``
    read from member ``folds[i]``, which never trained on it (the rows of a sample of
    fold -1, held out by no member, are not held-out probabilities).
    """
    k = int(module.trunk.n_members)
    folds = torch.as_tensor(folds, dtype=torch.long)
    feats, held_out = [], [[] for _ in kinds]
    module.eval()
    with torch.inference_mode():
        for i in range(0, X.shape[0], batch_size):
            xb = X[i : i + batch_size]
            xb = torch.from_numpy(xb.toarray() if hasattr(xb, "toarray") else xb)
            z, raw = member_forward(module, xb.to(device))
            feats.append(z.float().cpu())
            own = folds[i : i + batch_size]
            for j, (kind, out) in enumerate(zip(kinds, raw)):
                if kind in BLENDABLE:
                    p = probabilities(kind, out, k).cpu()
                    held_out[j].append(p[own, torch.arange(len(own))])
    return torch.cat(feats, dim=1), [torch.cat(h) if h else None for h in held_out]


def keep_members(module, index):
    """Keep only the members ``index`` (in that order) of an ensemble ``module``: every
    :class:`MemberLinear`'s weights, the trunk's input mask and the member counts.

    The parameters are new tensors: an optimizer built on the old ones must be rebuilt
    (:func:`carry_member_state` gives it the kept members' share of the old one's state).
    Returns the ``(old, new)`` parameter pairs.
    """
    index = torch.as_tensor(np.asarray(index), dtype=torch.long)
    pairs = []
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, MemberLinear):
                for name in ("weight", "bias"):
                    old = getattr(layer, name)
                    setattr(layer, name, nn.Parameter(old[index.to(old.device)].clone()))
                    pairs.append((old, getattr(layer, name)))
                layer.n_members = len(index)
        trunk = module.trunk
        if trunk.input_mask is not None:
            trunk.input_mask = trunk.input_mask[index.to(trunk.input_mask.device)].clone()
        trunk.n_members = module.n_members = len(index)
    return pairs


def carry_member_state(optimizer, state, pairs, index):
    """Give ``optimizer``, built on the parameters :func:`keep_members` made, the kept
    members' share of ``state`` (the old optimizer's ``state``): a moment of a parameter's
    shape (Adam's averages, SGD's momentum) keeps the rows ``index``, a scalar (Adam's
    step count) is copied. A parameter whose state holds anything else (LBFGS's history
    of the whole flattened network) starts afresh, as it would with a new optimizer."""
    index = torch.as_tensor(np.asarray(index), dtype=torch.long)
    for old, new in pairs:
        values = state.get(old)
        if not values:
            continue
        carried = {}
        for key, value in values.items():
            if torch.is_tensor(value) and value.shape == old.shape:
                carried[key] = value[index.to(value.device)].clone()
            elif torch.is_tensor(value) and value.dim() == 0:
                carried[key] = value.clone()
            elif isinstance(value, (bool, int, float)):
                carried[key] = value
            else:
                break
        else:
            optimizer.state[new] = carried


def n_members(module):
    """The number of ensemble members whose outputs ``module`` stacks (1 for a plain net)."""
    return int(getattr(module, "n_members", 1))


def member_mean(values, k):
    """Average over the members of stacked outputs (k × batch rows, member by member)."""
    if k == 1:
        return values
    return values.reshape(k, -1, *values.shape[1:]).mean(0)


class MemberHoldout(Callback):
    """Ensemble members keep their weights of the epoch the ensemble did best on unseen
    samples.

    The members of a :class:`MemberLinear`-only network (an
    :class:`EnsembleMLPTrunk` with :class:`MemberLinearHeads`) split the training samples
    into ``n_members`` folds by the fold column of the target (its last column): member
    ``m`` trains on every fold but fold ``m`` (:class:`~sklearn_mtl.neural.MultiTaskNet`
    zeroes the loss weights of the rest), and after each epoch its loss on fold ``m`` is
    measured. Together the members see every sample, and the training length is chosen on
    data the scored member never trained on: cross-validation bagging with best-epoch
    selection, as RealMLP and TabM select epochs on held-out data (Holzmüller et al. 2024;
    Gorishniy et al. 2025).

    With ``select="shared"`` (the default) the epoch is chosen once for the whole
    ensemble, by the members' mean held-out score: an estimate over every training sample
    (each one scored by the member that never trained on it), and every member gets back
    its weights of that epoch. With ``select="member"`` each member gets back its weights
    of its own best epoch, chosen on its fold alone: one ``n_members``-th of the samples,
    which on a small table is a handful of rows, too few to tell epochs apart (on the
    93-row ``Cars93`` a fold is 9 rows, and the per-member choice cost 0.05 exact match,
    see "What the defaults do" in the docs).

    When the trunk's members read different input columns (``EnsembleMLPTrunk``'s
    ``member_inputs``: input *views*, e.g. the features with and without their
    piecewise-linear encoding), each view's epoch is
    chosen on its own members' mean score, and ``history`` records each view's score at
    its epoch (``member_view_scores``, views numbered as
    ``EnsembleMLPTrunk.member_views`` numbers them): its members' mean held-out score plus
    their mean held-out exact-match error (the share of their held-out samples with any
    label wrong), both at the view's epoch. With ``views="best"`` the view with the lower
    score is kept:
    the other views' members become copies of its members (weights and input mask), so
    the ensemble predicts as the kept view's members, and ``member_view`` records it;
    with ``views="all"`` every member stays in the ensemble.

    ``history`` records ``member_valid_loss`` (the members' mean held-out loss) per epoch,
    ``member_valid_acc_<task>`` (each classification task's accuracy over the members'
    labelled held-out samples, unweighted; a multilabel task's over its labels) and, at
    the end,
    ``member_best_epochs`` (each member's restored epoch, counted from 1 as ``history``
    counts them: a warm start chooses among its own epochs, after those trained before,
    and so does a fit that resumes a saved history, e.g. with skorch's ``LoadInitState``;
    all equal with ``select="shared"``, except 0 for a member that never saw a held-out
    label and keeps its last weights).

    A callback after this one that restores weights of its own choice at the end of
    training (skorch's ``EarlyStopping`` or ``Checkpoint`` with ``load_best=True``, e.g.
    among the estimator's ``callbacks``) wins, as an explicit setting: this one then
    restores nothing (nor keeps one input view), records that callback's restored epoch
    as every member's ``member_best_epochs`` and its name as ``member_restored_by``.

    The held-out evaluation reads the training data through the net's own iterator (in
    order, in batches of ``batch_size``), so arrays, sparse matrices and datasets alike
    are evaluated batch by batch.

    Parameters
    ----------
    metric : {"error", "loss"}, default="error"
        What picks the epoch: the held-out error rate, summed over the tasks with
        their weights (the loss breaks ties), or the held-out loss. The error follows
        what ``predict`` is judged on; the loss keeps falling for longer on noisy labels
        and rises early once a member grows over-confident.
    select : {"shared", "member"}, default="shared"
        One epoch for every member (of a view), chosen by the members' mean held-out
        score, or each member's own best epoch.
    views : {"best", "all"}, default="best"
        With members in several input views: keep only the view with the best held-out
        score (its members copied over the others'), or every member.
    """

    def __init__(self, metric="error", select="shared", views="best"):
        self.metric = metric
        self.select = select
        self.views = views

    def __getstate__(self):
        # a net pickled while it trains (skorch's Checkpoint(f_pickle=...) at an epoch's
        # end) leaves out the training data held until on_train_end (and its regrouping):
        # each such checkpoint was of the size of the data, not of the network, and
        # held the data. A training resumed from it reads them anew (on_train_begin).
        state = dict(self.__dict__)
        for key in ("X_", "y_", "fold_rows_"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        # A model saved before ``select`` existed chose each member's own epoch; it keeps
        # doing so when its training is continued (``warm_start``).
        state.setdefault("select", "member")
        state.setdefault("views", "best")
        self.__dict__.update(state)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if not isinstance(self.metric, str) or self.metric not in ("error", "loss"):
            # any other value (a typo, "Error", None) picked the epoch by the loss
            raise ValueError(
                f"MemberHoldout's metric must be 'error' or 'loss'; got {self.metric!r}."
            )
        if self.select not in ("shared", "member"):
            raise ValueError(
                f"MemberHoldout's select must be 'shared' or 'member'; got {self.select!r}."
            )
        if self.views not in ("all", "best"):
            raise ValueError(
                f"MemberHoldout's views must be 'all' or 'best'; got {self.views!r}."
            )
        self.active_ = y is not None and holdout_active(net.module_)
        if not self.active_:
            return
        self.X_, self.y_ = X, torch.as_tensor(y)
        self.__dict__.pop("fold_rows_", None)  # the regrouping of a previous fit's samples
        trunk = net.module_.trunk
        self.member_views_ = trunk.member_views() if hasattr(trunk, "member_views") else None
        self._start(_member_parameters(net.module_, net.module_.n_members))

    def _start(self, params):
        """Track ``params`` (each of shape (n_members, ...)) from their current values."""
        k = params[0].shape[0]
        self.params_ = params
        self.best_loss_ = torch.full((k,), float("inf"))
        self.best_epoch_ = torch.zeros(k, dtype=torch.long)
        self.best_exact_ = torch.zeros(k)  # held-out exact-match error at the best epoch
        self.best_state_ = [p.detach().clone() for p in self.params_]
        self.best_mean_ = float("inf")  # the lowest ``member_valid_loss`` so far
        self.epoch_ = 0

    def on_epoch_end(self, net, **kwargs):
        if not self.active_:
            return
        # the epochs of a warm start (or of partial_fit) are chosen among its own, and
        # numbered as history numbers them, after the epochs trained before: read here,
        # not in on_train_begin, which a callback after this one (skorch's LoadInitState)
        # may follow by loading an earlier history
        self.epoch_ = len(net.history)
        self.held_out_exact_, self.held_out_accuracy_ = None, {}  # set by member_losses
        losses = self.member_losses(net)
        exact = self.held_out_exact_
        exact = torch.zeros_like(losses) if exact is None else exact.to(losses)
        finite = torch.isfinite(losses)
        mean = losses[finite].mean() if finite.any() else torch.tensor(float("nan"))
        if self.select == "shared":
            # every member that has held-out labels is scored by the mean of its view's
            losses = torch.where(finite, _view_means(losses, self._views()), losses)
        better = losses < self.best_loss_
        self.best_loss_ = torch.where(better, losses, self.best_loss_)
        self.best_epoch_[better] = self.epoch_
        self.best_exact_ = torch.where(better, exact, self.best_exact_)
        if better.any():
            with torch.no_grad():
                for best, p in zip(self.best_state_, self.params_):
                    best[better] = p.detach()[better].to(best.device)
        net.history.record("member_valid_loss", float(mean))
        for name, accuracy in self.held_out_accuracy_.items():
            net.history.record(f"member_valid_acc_{name}", accuracy)
        # as skorch's scorings mark their best epoch (shown highlighted by ``verbose=1``)
        is_best = bool(mean < getattr(self, "best_mean_", float("inf")))
        if is_best:
            self.best_mean_ = float(mean)
        net.history.record("member_valid_loss_best", is_best)

    def on_train_end(self, net, **kwargs):
        if not getattr(self, "active_", False):
            return
        deferred = self._restored_after(net)
        if deferred is not None:
            # a callback after this one restores weights of its own choice at the end
            # (skorch's EarlyStopping or Checkpoint with load_best=True): an explicit
            # setting wins, and history says what the members end with, not our epoch
            self._defer(net, *deferred)
        else:
            self._restore(net)
        del self.X_, self.y_, self.params_, self.best_state_
        self.__dict__.pop("fold_rows_", None)

    def _restore(self, net):
        """Each member's weights of its best held-out epoch (kept where it never saw a
        held-out label), the input view chosen, recorded in ``member_best_epochs``."""
        keep = torch.isfinite(self.best_loss_)  # a member that never saw a held-out label
        with torch.no_grad():
            for best, p in zip(self.best_state_, self.params_):
                p[keep] = best[keep].to(p.device)
        views = self._views()
        if int(views.max()) > 0:
            self._score_views(net, views)
        net.history.record("member_best_epochs", self.best_epoch_.tolist())
        if getattr(net, "verbose", 0):
            print(self._restored_message(net))

    def _restored_after(self, net):
        """``(name, callback)`` of the last callback after this one in ``net`` that
        restores the weights at the end of training (``load_best=True``), or None."""
        found, after = None, False
        for name, callback in getattr(net, "callbacks_", None) or []:
            if callback is self:
                after = True
            elif after and getattr(callback, "load_best", False) and (
                    getattr(callback, "monitor", None) is not None):
                found = (name, callback)
        return found

    def _defer(self, net, name, callback):
        """Leave the weights to ``callback``, which restores its own best epoch: record
        that epoch for every member (when the callback tells it) and ``name`` as
        ``member_restored_by``, and print both with ``verbose``."""
        epochs = self.best_epoch_.tolist()
        epoch = getattr(callback, "best_epoch_", None)  # skorch's EarlyStopping
        monitor = getattr(callback, "monitor", None)
        if epoch is None and isinstance(monitor, str):  # a Checkpoint: its last save
            saved = [row.get("epoch", i + 1) for i, row in enumerate(net.history)
                     if row.get(monitor) is True]
            epoch = saved[-1] if saved else None
        if epoch is not None and epoch <= 0:  # nothing stored: the last epoch's weights
            epoch = len(net.history)
        records = {} if epoch is None else {"member_best_epochs": [int(epoch)] * len(epochs)}
        records["member_restored_by"] = name
        for key, value in records.items():
            net.history.record(key, value)
        # a Checkpoint loads the history it saved with its weights (skorch's load_params
        # with f_history), which holds neither: the net records them again after it
        net.__dict__.setdefault("train_end_records_", {}).update(records)
        if getattr(net, "verbose", 0):
            chosen = "" if epoch is None else f" (epoch {epoch})"
            ours = (f"epoch {epochs[0]}" if len(set(epochs)) == 1 and epochs[0] > 0
                    else "epochs " + ", ".join(str(e) if e else "last" for e in epochs))
            print(f"The members keep the weights that callback {name!r} restores"
                  f"{chosen}, as its load_best=True asks; the ensemble's held-out score "
                  f"was lowest at {ours} of {self.epoch_}.")

    def _restored_message(self, net):
        """What ``on_train_end`` restored, in one line (printed with ``verbose``), as
        skorch's ``EarlyStopping(load_best=True)`` says which epoch it restored."""
        epochs = self.best_epoch_.tolist()
        total = f"{self.epoch_} epoch{'s' if self.epoch_ != 1 else ''}"
        kept = net.history[-1].get("member_view")
        view = "" if kept is None else f" of input view {kept} (kept on its held-out score)"
        if len(set(epochs)) == 1 and epochs[0] > 0:
            return (
                f"Restored the {len(epochs)} members' weights{view} of epoch {epochs[0]} "
                f"of {total}, where their mean held-out score was lowest."
            )
        listed = ", ".join(str(e) if e else "last" for e in epochs)
        return f"Restored each member's weights{view} of its own epoch ({total}): {listed}."

    def _views(self):
        views = getattr(self, "member_views_", None)
        k = self.best_loss_.shape[0]
        return torch.zeros(k, dtype=torch.long) if views is None else views

    def _score_views(self, net, views):
        """Records each view's mean held-out score (at its restored epochs); with
        ``views="best"`` the view with the lowest is kept: the other views' members become
        copies of its members as restored (a member without held-out labels with its last
        weights), weights and input mask alike, so the ensemble's mean is the kept view's
        mean."""
        scores = _view_means(self.best_loss_ + self.best_exact_, views)
        net.history.record("member_view_scores", [float(v) for v in _per_view(scores, views)])
        finite = torch.isfinite(scores)
        if self.views == "all" or not finite.any():
            return
        kept = int(views[int(torch.argmin(torch.where(finite, scores, torch.inf)))])
        winners = torch.nonzero(views == kept)[:, 0]
        losers = torch.nonzero(views != kept)[:, 0]
        source = winners[torch.arange(len(losers)) % len(winners)]
        mask = net.module_.trunk.input_mask
        with torch.no_grad():
            for p in [*self.params_, mask]:
                p[losers.to(p.device)] = p[source.to(p.device)]
        self.best_loss_[losers] = self.best_loss_[source]
        self.best_exact_[losers] = self.best_exact_[source]
        self.best_epoch_[losers] = self.best_epoch_[source]
        net.history.record("member_view", kept)

    def _held_out_batches(self, net, k, own_folds):
        """The training samples, ``(x, y, held)`` batch by batch on the net's device.

        With ``own_folds`` each batch is regrouped by held-out fold (:func:`_by_fold`:
        shapes (k, m, ...)); otherwise ``held`` is ``None`` and the batch is as the
        net's iterator gives it. An in-memory tensor ``X`` is regrouped once a fit, in
        chunks of up to ``_HELD_OUT_ROWS`` samples (fewer for wide rows), and each epoch
        only gathers the rows: a small table's evaluation is then one forward pass, not
        one a mini-batch with its regrouping.
        """
        X, y, device = self.X_, self.y_, net.device
        if not (own_folds and isinstance(X, torch.Tensor)):
            for xb, yb in net.get_iterator(net.get_dataset(X, y), training=False):
                xb, yb = xb.to(device), yb.to(device)
                yield _by_fold(xb, yb, k) if own_folds else (xb, yb, None)
            return
        index = self.__dict__.get("fold_rows_")
        if index is None:
            row_bytes = max(X[:1].nbytes, 1)
            chunk = max(net.batch_size, min(_HELD_OUT_ROWS, _HELD_OUT_BYTES // row_bytes))
            index = self.fold_rows_ = []
            for start in range(0, X.shape[0], chunk):
                rows, held = _fold_rows(y[start : start + chunk, -1], k)
                index.append((rows + start, held))
        for rows, held in index:
            yb = y[rows].to(device)
            yield X[rows].to(device), yb, held.to(device=device, dtype=yb.dtype)

    def member_losses(self, net):
        """Each member's score on its own held-out fold, a tensor (n_members,).

        Per task, the weighted mean over the member's held-out, applicable samples of its
        loss (cross-entropy, or squared error for a regression task), and with
        ``metric="error"`` of its error rate plus ``0.01 ×`` that loss, which breaks ties
        between epochs of equal error; summed over the tasks with their weights. When the
        trunk can run each member on samples of its own (``forward_members``, as
        :class:`EnsembleMLPTrunk` does), member ``m`` is run on the samples of fold ``m``
        only, about a ``1 / n_members`` of the arithmetic of running every member on
        every sample; otherwise all members are run on every batch.
        """
        module, criterion = net.module_, net.criterion_
        k = module.n_members
        n_tasks = len(criterion.specs)
        was_training = module.training
        module.eval()
        losses = torch.zeros(k, n_tasks, dtype=torch.float64)
        errors = torch.zeros_like(losses)
        plain = [0.0] * n_tasks  # unweighted (wrong, labelled), kept on the device
        counts = torch.zeros_like(losses)
        # the exact-match error only scores views: measured where there are several
        exact = getattr(self, "best_loss_", None) is not None and int(self._views().max()) > 0
        exact_wrong = torch.zeros(k, dtype=torch.float64)
        exact_count = torch.zeros(k, dtype=torch.float64)
        members = torch.arange(k)[:, None]
        own_folds = callable(getattr(module.trunk, "forward_members", None))
        with torch.no_grad():
            for xb, yb, held in self._held_out_batches(net, k, own_folds):
                if own_folds:
                    outputs = module.heads(module.trunk.forward_members(xb))
                else:
                    outputs = module(xb)
                    held = (yb[:, -1].long()[None, :] == members.to(yb.device)).to(yb.dtype)
                    yb = yb[None].expand(k, *yb.shape)
                any_wrong = any_given = None
                for j, spec in enumerate(criterion.specs):
                    loss, wrong, weight = _member_terms(spec, outputs[j], yb, held, k)
                    losses[:, j] += (loss * weight).flatten(1).double().sum(1).cpu()
                    errors[:, j] += (wrong * weight).flatten(1).double().sum(1).cpu()
                    labelled = (weight > 0).to(wrong.dtype)
                    plain[j] = plain[j] + torch.stack([(wrong * labelled).sum(),
                                                       labelled.sum()]).double()
                    counts[:, j] += weight.flatten(1).double().sum(1).cpu()
                    if exact:
                        given = (weight > 0).reshape(k, weight.shape[1], -1).any(-1)
                        bad = ((wrong * weight) > 0).reshape(k, weight.shape[1], -1).any(-1)
                        any_wrong = bad if any_wrong is None else any_wrong | bad
                        any_given = given if any_given is None else any_given | given
                if any_given is not None:
                    exact_wrong += any_wrong.sum(1).double().cpu()
                    exact_count += any_given.sum(1).double().cpu()
        module.train(was_training)
        # each member's held-out exact-match error: the share of its held-out samples
        # with a label wrong (read by the choice between input views)
        self.held_out_exact_ = (exact_wrong / exact_count.clamp(min=1)).float() if exact else None
        # each classification task's accuracy over every member's labelled held-out
        # samples (a multilabel task's over its labels), unweighted, as skorch records
        # ``valid_acc``
        names = list(getattr(net, "task_names", None) or
                     [f"task{j}" for j in range(len(criterion.specs))])
        plain = torch.stack([torch.as_tensor(p, dtype=torch.float64).cpu().expand(2)
                             for p in plain], 1)  # read once an epoch
        self.held_out_accuracy_ = {
            names[j]: float(1.0 - plain[0, j] / plain[1, j])
            for j, spec in enumerate(criterion.specs)
            if spec["kind"] != "regression" and plain[1, j] > 0
        }
        present = counts > 0
        safe = counts.clamp(min=1e-12)
        score = losses / safe
        if self.metric == "error":
            regression = torch.tensor([s["kind"] == "regression" for s in criterion.specs])
            score = torch.where(regression, score, errors / safe + 0.01 * score)
        score = torch.where(present, score, torch.zeros_like(score))
        total = (score * criterion.task_weights.cpu().double()).sum(1).float()
        return torch.where(present.any(1), total, torch.full_like(total, float("inf")))


#: The held-out evaluation of an in-memory table regroups at most this many samples, and
#: this many bytes of features, at a time (see ``MemberHoldout._held_out_batches``).
_HELD_OUT_ROWS = 8192
_HELD_OUT_BYTES = 32 * 2**20


def _view_means(scores, views):
    """Each member's entry replaced by the mean of the finite entries of its view."""
    out = scores.clone()
    for v in torch.unique(views):
        members = views == v
        finite = torch.isfinite(scores) & members
        if finite.any():
            out[members] = scores[finite].mean()
    return out


def _per_view(member_scores, views):
    """One value per view from per-member values that are equal within a view."""
    return [member_scores[views == v][0] for v in range(int(views.max()) + 1)]


def _by_fold(x, y, k):
    """One batch regrouped by held-out fold (the last column of ``y``).

    Returns ``(x, y, held)`` of shapes (k, m, ...), (k, m, columns) and (k, m): row ``i``
    of member ``j`` is the ``i``-th sample of fold ``j`` in the batch, ``m`` the largest
    fold's count; shorter folds are padded with one of the batch's samples, ``held`` 0.
    """
    rows, held = _fold_rows(y[:, -1], k)
    return x[rows], y[rows], held.to(y.dtype)


def _fold_rows(fold, k):
    """``(rows, held)``, both (k, m): row ``i`` of member ``j`` is the index of the
    ``i``-th sample of fold ``j`` among ``fold`` (each sample's fold), ``m`` the largest
    fold's count; shorter folds are padded with another sample's index, ``held`` False
    there. A sample of fold -1 (after a warm start of a kept input view: held out by no
    kept member) is no member's."""
    fold = fold.long()
    own = fold >= 0
    order = torch.argsort(torch.where(own, fold, k), stable=True)  # fold -1 last
    counts = torch.bincount(fold[own], minlength=k)[:k]
    m = max(int(counts.max()), 1)
    starts = torch.cumsum(counts, 0) - counts
    slot = torch.arange(m, device=fold.device)
    held = slot[None, :] < counts[:, None]
    index = torch.where(held, starts[:, None] + slot[None, :], torch.zeros_like(slot)[None, :])
    return order[index.clamp(max=len(order) - 1)], held


def _member_terms(spec, out, target, held, k):
    """Per member and sample (and label): loss, wrong (0/1) and weight of one task.

    ``out`` stacks the members' rows (k × n); ``target`` (k, n, columns) holds each
    member's samples' targets and ``held`` (k, n) is 1 where the sample is in the member's
    held-out fold. Shapes (k, n) or, for a multilabel task, (k, n, labels).
    """
    n = target.shape[1]
    y = target[..., spec["start"] : spec["start"] + spec["width"]]
    w = target[..., spec["weight_start"] : spec["weight_start"] + spec["width"]]
    out = out.reshape(k, n, -1)
    if spec["kind"] == "multiclass":
        labels = y[..., 0].long()
        logp = torch.log_softmax(out, dim=-1)
        loss = -logp.gather(-1, labels[..., None])[..., 0]
        wrong = (out.argmax(-1) != labels).to(w.dtype)
        return loss, wrong, w[..., 0] * held
    if spec["kind"] == "regression":
        loss = (out[..., 0] - y[..., 0]) ** 2
        return loss, torch.zeros_like(loss), w[..., 0] * held
    # binary: one logit; multilabel: one logit per label
    width = y.shape[-1]
    logits = out[..., :width]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
    wrong = ((logits > 0).to(y.dtype) != y).to(w.dtype)
    weight = w * held[..., None]
    if spec["kind"] == "binary":
        return loss[..., 0], wrong[..., 0], weight[..., 0]
    return loss, wrong, weight


def holdout_active(module):
    """Whether ``module`` is an ensemble whose every parameter belongs to one member."""
    k = n_members(module)
    return k > 1 and isinstance(getattr(module, "heads", None),
                                (MemberLinearHeads, MemberHeads)) and all(
        isinstance(m, MemberLinear) or not list(m.parameters(recurse=False))
        for m in module.modules()
    )


def _member_parameters(module, k):
    return [p for p in module.parameters() if p.ndim >= 1 and p.shape[0] == k]


