"""Training speed: ``MultiTaskClassifier.fit`` against a hand-written PyTorch loop.

100,000 x 64 float32 features, 2 multiclass tasks (5 and 3 classes), MLP trunk (128, 128),
one linear head per task, AdamW (multi-tensor step), the same learning rate, epochs, batch
size and threads for every contender:

- ``hand-written``: the reference, a loop that shuffles with ``randperm``, slices tensors
  and sums the two cross-entropies, over the same module as the estimator's
  (``MultiHeadModule``: the trunk, and the heads as one matrix product);
- ``MultiTaskClassifier``: the estimator's ``fit`` (label encoding, masked loss, skorch
  callbacks and history included);
- ``hand-written, nn.Linear per head``: the same loop over a module with one
  ``nn.Linear`` per task, as such loops are usually written, for scale;
- ``skorch NeuralNet``: plain skorch with its default per-sample ``DataLoader``, for scale.

The contenders take turns (reference, estimator, reference, ...; one warm-up each) and a
ratio is the median over the turns of estimator time / reference time, so that the drift
of a shared machine's speed cancels out.

Targets (ratio to the hand-written loop): <= 1.10 at batch 256, <= 1.25 at batch 64.
Exits 1 when one is missed; the last line is the worst ratio.

Usage::

    python benchmarks/bench_train.py [--threads 2] [--epochs 2] [--repeats 7]
"""

from __future__ import annotations

import numpy as np
import torch
from _common import (
    SINGLE_NETWORK,
    exit_with,
    interleaved_times,
    median_time,
    paired_ratio,
    parser,
    report,
    setup,
)
from skorch import NeuralNet
from torch import nn
from torch.nn import functional as F

from sklearn_mtl import MultiTaskClassifier
from sklearn_mtl.neural import MLPTrunk, MultiHeadModule

N_SAMPLES, N_FEATURES, CLASSES, HIDDEN, LR = 100_000, 64, (5, 3), (128, 128), 1e-3
TARGETS = {256: 1.10, 64: 1.25}


def make_data(n_samples=N_SAMPLES, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, N_FEATURES)).astype(np.float32)
    Y = np.column_stack(
        [np.argmax(X @ rng.normal(size=(N_FEATURES, k)), axis=1) for k in CLASSES]
    )
    return X, Y


def build_module(fuse=True):
    return MultiHeadModule(
        MLPTrunk(N_FEATURES, HIDDEN), HIDDEN[-1], [(k, ()) for k in CLASSES], fuse=fuse
    )


def hand_written(X, Y, batch_size, epochs, device, fuse=True):
    torch.manual_seed(0)
    module = build_module(fuse).to(device)
    # foreach=True, given to MultiTaskClassifier too: the same optimizer settings for both.
    optimizer = torch.optim.AdamW(module.parameters(), lr=LR, foreach=True)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y).long()
    generator = torch.Generator().manual_seed(0)
    module.train()
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=generator)
        for start in range(0, len(Xt), batch_size):
            rows = perm[start : start + batch_size]
            xb, yb = Xt.index_select(0, rows).to(device), Yt.index_select(0, rows).to(device)
            optimizer.zero_grad()
            outputs = module(xb)
            loss = sum(F.cross_entropy(out, yb[:, j]) for j, out in enumerate(outputs))
            loss.backward()
            optimizer.step()
            loss.item()  # the per-batch loss every trainer logs
    return module


class SumCrossEntropy(nn.Module):
    def forward(self, outputs, y):
        return sum(F.cross_entropy(out, y[:, j]) for j, out in enumerate(outputs))


def plain_skorch(X, Y, batch_size, epochs, device):
    torch.manual_seed(0)
    net = NeuralNet(
        build_module(), SumCrossEntropy(), optimizer=torch.optim.AdamW, lr=LR,
        batch_size=batch_size, max_epochs=epochs, train_split=None,
        iterator_train__shuffle=True, device=device, verbose=0, optimizer__foreach=True,
    )
    return net.fit(X, Y.astype(np.int64))


def multitask(X, Y, batch_size, epochs, device):
    clf = MultiTaskClassifier(
        hidden_layer_sizes=HIDDEN, lr=LR, batch_size=batch_size, max_epochs=epochs,
        device=device, random_state=0, optimizer_params={"foreach": True}, **SINGLE_NETWORK,
    )
    return clf.fit(X, Y)


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=2)
    p.set_defaults(repeats=7)
    p.add_argument("--n-samples", type=int, default=N_SAMPLES)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=sorted(TARGETS, reverse=True))
    p.add_argument("--skip-skorch", action="store_true", help="skip the slow skorch reference")
    args = p.parse_args()
    setup(args)
    X, Y = make_data(args.n_samples)
    print(f"# {len(X):,} x {X.shape[1]} features, tasks with {CLASSES} classes, "
          f"MLP {HIDDEN}, {args.epochs} epochs, {args.repeats} turns: median times, "
          "median paired ratios")
    rows, checks = [], []
    for bs in args.batch_sizes:
        times = interleaved_times({
            "ref": lambda bs=bs: hand_written(X, Y, bs, args.epochs, args.device),
            "ours": lambda bs=bs: multitask(X, Y, bs, args.epochs, args.device),
            "per_head": lambda bs=bs: hand_written(X, Y, bs, args.epochs, args.device, False),
        }, args.repeats, args.device)
        ref, ratio = np.median(times["ref"]), paired_ratio(times["ref"], times["ours"])
        rows += [
            (f"batch {bs}: hand-written loop", ref, None),
            (f"batch {bs}: MultiTaskClassifier", np.median(times["ours"]), ratio),
            (f"batch {bs}: hand-written, nn.Linear per head", np.median(times["per_head"]),
             paired_ratio(times["ref"], times["per_head"])),
        ]
        if not args.skip_skorch:
            sk = median_time(lambda bs=bs: plain_skorch(X, Y, bs, args.epochs, args.device),
                             1, args.device)
            rows.append((f"batch {bs}: skorch NeuralNet (DataLoader)", sk, sk / ref))
        checks.append((f"MultiTaskClassifier/hand-written at batch {bs}", ratio,
                       TARGETS.get(bs, 1.25)))
    exit_with(report(rows, checks))


if __name__ == "__main__":
    main()
