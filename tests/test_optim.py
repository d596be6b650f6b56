"""The lean optimizer step: the same update as ``optimizer.step()``, bit for bit."""

import copy

import numpy as np
import pytest
import torch
from _classic import CLASSIC
from skorch.callbacks import Callback

from sklearn_mtl import MultiTaskClassifier
from sklearn_mtl.neural import _optim
from sklearn_mtl.neural._optim import LeanAdamStep, clear_grads


def _params(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(5, 3, generator=g).requires_grad_(),
            torch.randn(3, generator=g).requires_grad_(),
            torch.randn(2, 5, generator=g).requires_grad_()]


def _set_grads(params, step):
    g = torch.Generator().manual_seed(100 + step)
    for i, p in enumerate(params):
        # the last parameter gets no gradient on odd steps: skipped, as by Adam.step
        p.grad = None if (i == 2 and step % 2) else torch.randn(p.shape, generator=g)


@pytest.mark.parametrize("cls", [torch.optim.Adam, torch.optim.AdamW])
@pytest.mark.parametrize("options", [
    {"fused": True},
    {"foreach": True},
    {"foreach": False, "amsgrad": True, "weight_decay": 0.1},
    {"fused": True, "maximize": True, "betas": (0.8, 0.9)},
])
def test_lean_step_equals_optimizer_step(cls, options):
    reference, lean = _params(), _params()
    opt_ref = cls([{"params": reference[:2]}, {"params": reference[2:], "lr": 0.3}],
                  lr=0.01, **options)
    opt = cls([{"params": lean[:2]}, {"params": lean[2:], "lr": 0.3}], lr=0.01, **options)
    step = LeanAdamStep.for_optimizer(opt)
    assert step is not None
    for t in range(6):
        if t == 3:  # a schedule changes the learning rates between steps
            for o in (opt_ref, opt):
                for group in o.param_groups:
                    group["lr"] *= 0.5
        _set_grads(reference, t)
        _set_grads(lean, t)
        opt_ref.step()
        step()
    for a, b in zip(reference, lean):
        assert torch.equal(a, b)
    for a, b in zip(reference, lean):
        for key, value in opt_ref.state[a].items():
            assert torch.equal(value, opt.state[b][key])


def test_lean_step_only_for_adam_and_adamw():
    params = _params()

    class MyAdam(torch.optim.Adam):
        pass

    assert LeanAdamStep.for_optimizer(torch.optim.SGD(params, lr=0.1)) is None
    assert LeanAdamStep.for_optimizer(MyAdam(params)) is None
    assert LeanAdamStep.for_optimizer(torch.optim.Adam(params, differentiable=True)) is None


def test_lean_step_defers_to_step_with_hooks():
    params = _params()
    opt = torch.optim.Adam(params, lr=0.1)
    calls = []
    opt.register_step_post_hook(lambda *args: calls.append(1))
    step = LeanAdamStep.for_optimizer(opt)
    for t in range(3):
        _set_grads(params, t)
        step()
    assert len(calls) == 3


def test_clear_grads_sets_none():
    params = _params()
    opt = torch.optim.Adam(params)
    _set_grads(params, 0)
    clear_grads(opt)
    assert all(p.grad is None for p in params)


@pytest.mark.parametrize(
    "extra", [{}, {"optimizer": torch.optim.Adam}, {"lr_schedule": "warmup_cosine"}]
)
def test_fit_with_lean_step_equals_optimizer_step(monkeypatch, extra):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    Y = np.column_stack([(X[:, 0] > 0).astype(int), np.digitize(X[:, 1], [-0.5, 0.5])])
    params = {**CLASSIC, "hidden_layer_sizes": (16,), "max_epochs": 4, "batch_size": 32,
              "random_state": 0, **extra}
    calls = []
    original = _optim.LeanAdamStep.__call__
    monkeypatch.setattr(_optim.LeanAdamStep, "__call__",
                        lambda self: (calls.append(1), original(self))[1])
    lean = MultiTaskClassifier(**params).fit(X, Y)
    assert len(calls) == 4 * 4  # every step of the fit went through the lean step
    monkeypatch.setattr(_optim.LeanAdamStep, "for_optimizer", classmethod(lambda cls, o: None))
    plain = MultiTaskClassifier(**params).fit(X, Y)
    for a, b in zip(lean.net_.module_.parameters(), plain.net_.module_.parameters()):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(lean.predict_proba(X)[0], plain.predict_proba(X)[0])


def test_lean_step_follows_a_loaded_state():
    reference, lean = _params(), _params()
    opt_ref, opt = torch.optim.AdamW(reference, lr=0.05), torch.optim.AdamW(lean, lr=0.05)
    step = LeanAdamStep.for_optimizer(opt)
    for t in range(4):
        if t == 2:  # e.g. a checkpoint restored mid-training: new state tensors
            saved = copy.deepcopy(opt_ref.state_dict())
            opt_ref.load_state_dict(copy.deepcopy(saved))
            opt.load_state_dict(saved)
            assert opt.state[lean[0]]["exp_avg"] is not step._states[0][1][0][0]
        _set_grads(reference, 2 * t)  # even steps: every parameter has a gradient
        _set_grads(lean, 2 * t)
        opt_ref.step()
        step()
    for a, b in zip(reference, lean):
        assert torch.equal(a, b)


@pytest.mark.parametrize("precision, lean_expected", [
    (None, True),     # one float32 network: MultiTaskNet
    ("bf16", True),   # the recipe's ensemble under autocast: ParallelMultiTaskNet
    ("fp16", False),  # the loss scaler steps the optimizer itself: skorch's step
])
def test_lean_train_step_equals_skorch_step(monkeypatch, precision, lean_expected):
    from sklearn_mtl import _multitask
    from sklearn_mtl.neural import MultiTaskNet
    from sklearn_mtl.neural._distributed import ParallelMultiTaskNet

    net_class, name = ((MultiTaskNet, "MultiTaskNet") if precision is None
                       else (ParallelMultiTaskNet, "ParallelMultiTaskNet"))

    class PlainStepNet(net_class):
        def train_step(self, batch, **fit_params):  # an override: the regular path
            return super().train_step(batch, **fit_params)

    built = []
    original = MultiTaskNet._lean_train_step_for
    monkeypatch.setattr(MultiTaskNet, "_lean_train_step_for",
                        lambda self: built.append(original(self)) or built[-1])
    rng = np.random.default_rng(1)
    X = rng.normal(size=(96, 5)).astype(np.float32)
    Y = np.column_stack([(X[:, 0] > 0).astype(int), (X[:, 1] + X[:, 2] > 0).astype(int)])
    params = {"hidden_layer_sizes": (8,), "max_epochs": 3, "batch_size": 16,
              "random_state": 0, "mixed_precision": precision}
    if precision is None:
        params.update({**CLASSIC, "label_smoothing": 0.1})
    lean = MultiTaskClassifier(**params).fit(X, Y)
    monkeypatch.setattr(_multitask, name, PlainStepNet)
    plain = MultiTaskClassifier(**params).fit(X, Y)
    assert type(lean.net_) is net_class and type(plain.net_) is PlainStepNet
    assert (built[0] is not None) == lean_expected and built[1] is None
    for a, b in zip(lean.net_.module_.parameters(), plain.net_.module_.parameters()):
        assert torch.equal(a, b)
    assert lean.net_.history[:, "train_loss"] == plain.net_.history[:, "train_loss"]


def test_batch_losses_read_once_an_epoch_give_the_same_history(monkeypatch):
    from sklearn_mtl.neural import _net

    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    Y = np.column_stack([(X[:, 0] > 0).astype(int), np.digitize(X[:, 1], [-0.5, 0.5])])
    params = {**CLASSIC, "hidden_layer_sizes": (8,), "max_epochs": 2, "batch_size": 16,
              "random_state": 0, "early_stopping": True}
    per_batch = MultiTaskClassifier(**params).fit(X, Y)
    seen = []

    class Spy(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            seen.append(type(net.history[-1, "batches", -1, "train_loss" if training
                                         else "valid_loss"]))

    # what an accelerator does: the batch losses stay tensors until the epoch's end
    monkeypatch.setattr(_net, "_defers_reads", lambda device: True)
    per_epoch = MultiTaskClassifier(**params, callbacks=[("spy", Spy())]).fit(X, Y)
    assert set(seen) == {torch.Tensor}
    for key in ("train_loss", "train_task_losses", "valid_loss", "valid_task_losses",
                "valid_task_errors"):
        expected = per_batch.net_.history[:, "batches", :, key]
        got = per_epoch.net_.history[:, "batches", :, key]
        assert got == expected
        assert all(type(v) in (float, list) for epoch in got for v in epoch)
    assert per_epoch.net_.history[:, "train_loss"] == per_batch.net_.history[:, "train_loss"]
    assert per_epoch.history_[:, "valid_acc_task1"] == per_batch.history_[:, "valid_acc_task1"]


@pytest.mark.parametrize("optimizer", [torch.optim.Adam, torch.optim.LBFGS])
def test_train_loss_and_the_task_losses_come_from_one_evaluation(optimizer):
    """LBFGS calls skorch's closure several times a step; each call recorded the
    batch's per-task losses, so train_loss_<task> held the last call's next to the first
    call's train_loss (2.286 against 0.120 in the first epoch here). Now they are of the
    same evaluation, skorch's first, and relate as with Adam: every row labels both
    tasks with weight 1, so train_loss, the batches' totals averaged by batch size, is
    Σ_t task_weights[t] · train_loss_<task>, in each batch and each epoch."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3)).astype(np.float32)
    Y = np.column_stack([(X[:, 0] > 0).astype(int), (X[:, 1] > 0).astype(int)])
    clf = MultiTaskClassifier(**CLASSIC, hidden_layer_sizes=(4,), max_epochs=3, batch_size=8,
                              lr=0.1, random_state=0, optimizer=optimizer,
                              task_weights={"task1": 2.0}).fit(X, Y)
    if optimizer is torch.optim.LBFGS:  # several evaluations a step
        assert clf.net_.optimizer_.state_dict()["state"][0]["func_evals"] > 6
    for row in clf.history_:
        for batch in row["batches"]:
            a, b = batch["train_task_losses"]
            assert batch["train_loss"] == pytest.approx(a + 2 * b, rel=1e-6)
        expected = row["train_loss_task0"] + 2 * row["train_loss_task1"]
        assert row["train_loss"] == pytest.approx(expected, rel=1e-6)
