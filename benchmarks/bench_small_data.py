"""Speed on small data: ``MultiTaskClassifier.fit`` against scikit-learn's ``MLPClassifier``.

Where most users are: a table of 20,000 x 50 features, one binary task, one hidden layer
of 100, Adam at 1e-3, 20 epochs, one thread (torch's and the BLAS's, so that numpy gets
the same core as torch). Contenders, with the same hidden sizes, epochs and batch size:

- ``sklearn MLPClassifier``: the reference, scikit-learn's numpy network (its defaults
  otherwise; ``n_iter_no_change`` past the last epoch, so it trains every epoch);
- ``MultiTaskClassifier``: the estimator's ``fit`` with one plain network (the default
  recipe's ensemble, preprocessing and schedule off: ``SINGLE_NETWORK``), label
  encoding, masked loss, callbacks and history included;
- ``hand-written PyTorch loop``: ``randperm``, slicing, ``nn.Sequential``, fused Adam, for
  scale.

Then three ratios within the estimator:

- the default recipe's ensemble: ``MultiTaskClassifier()``'s ensemble
  (``ensemble_size="auto"``) against a single member of it (same widths,
  ``ensemble_size=1``), fit for the same epochs, hence the same optimizer steps, on a
  2,000-row table with three tasks, batch 128: the ratio is the cost per step, the
  members' held-out scoring included;
- the same two modules' forward and backward alone, on one batch of 128 (no loss
  bookkeeping, optimizer or data), each in the precision its fit trains in
  (``mixed_precision_``: the ensemble in bfloat16 on a CPU with bfloat16 products in
  hardware): the arithmetic floor under the ensemble's ratio, for scale (no target);
- one shared trunk for five tasks against five networks: ``bench_shared_trunk.py``'s
  problem, run here with its own settings.

The contenders take turns (after one warm-up each); a ratio is the median over the turns
of contender time / reference time. Targets: fit <= 1.0x ``MLPClassifier`` at batch 128,
<= 0.5x at batch 512; ensemble step <= 2x a member's; shared trunk <= 0.35x five
networks. Exits 1 when one is missed; the last line is the worst ratio.

``--profile`` prints ``torch.profiler``'s summary of one fit at batch 128 instead.
``--conv`` adds, for scale (no target), a convolutional trunk's fit in the channels-last
memory format against the default layout (2,000 RGB images of 32 x 32, batch 64).

Usage::

    python benchmarks/bench_small_data.py [--repeats 5] [--profile] [--conv]
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from _common import (
    SINGLE_NETWORK,
    exit_with,
    interleaved_times,
    paired_ratio,
    parser,
    report,
    setup,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits
from torch import nn
from torch.nn import functional as F

from sklearn_mtl import MultiTaskClassifier
from sklearn_mtl.neural._distributed import PRECISIONS

N_SAMPLES, N_FEATURES, HIDDEN, EPOCHS, LR = 20_000, 50, (100,), 20, 1e-3
TARGETS = {128: 1.0, 512: 0.5}
ENSEMBLE_TARGET, SHARED_TARGET = 2.0, 0.35


def make_data(n_samples=N_SAMPLES, n_features=N_FEATURES, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)).astype(np.float32)
    y = (np.tanh(X @ rng.normal(size=(n_features, 8))) @ rng.normal(size=8)
         + 0.5 * rng.normal(size=n_samples) > 0).astype(np.int64)
    return X, y


def sklearn_mlp(X, y, batch_size, epochs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(
            HIDDEN, batch_size=batch_size, max_iter=epochs, learning_rate_init=LR,
            n_iter_no_change=epochs + 1, random_state=0,
        ).fit(X, y)


def multitask(X, y, batch_size, epochs, device):
    return MultiTaskClassifier(
        hidden_layer_sizes=HIDDEN, lr=LR, batch_size=batch_size, max_epochs=epochs,
        device=device, random_state=0, **SINGLE_NETWORK,
    ).fit(X, y)


def hand_written(X, y, batch_size, epochs, device):
    torch.manual_seed(0)
    layers, width = [], X.shape[1]
    for size in HIDDEN:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    module = nn.Sequential(*layers, nn.Linear(width, 1)).to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=LR, fused=True)
    Xt, yt = torch.from_numpy(X).to(device), torch.from_numpy(y).float().to(device)
    generator = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=generator).to(device)
        for start in range(0, len(Xt), batch_size):
            rows = perm[start : start + batch_size]
            optimizer.zero_grad()
            logits = module(Xt.index_select(0, rows))[:, 0]
            loss = F.binary_cross_entropy_with_logits(logits, yt.index_select(0, rows))
            loss.backward()
            optimizer.step()
            loss.item()
    return module


def ensemble_data(n_samples=2_000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 12)).astype(np.float32)
    Y = np.column_stack([
        (X[:, :3].sum(1) > 0).astype(int),
        np.digitize(X[:, 3] * X[:, 4], [-0.3, 0.3]),
        (np.sin(2 * X[:, 5]) + 0.3 * rng.normal(size=n_samples) > 0).astype(int),
    ])
    return X, Y


def module_step_ratio(X, Y, repeats, device, batch_size=128, steps=50):
    """The ensemble's arithmetic against a member's: the fitted modules' forward and
    backward alone (no loss bookkeeping, no optimizer, no data), ``steps`` times on one
    batch, each in the precision its fit trained in (``mixed_precision_``). What a fit
    step cannot go below, whatever its framework overhead."""
    def module_steps(ensemble_size):
        est = MultiTaskClassifier(ensemble_size=ensemble_size, max_epochs=1, device=device,
                                  random_state=0).fit(X, Y)
        module = est.net_.module_.train()
        xb = torch.as_tensor(est.preprocessor_.transform(X[:batch_size])).to(device)
        dtype = PRECISIONS.get(est.mixed_precision_)

        def run():
            with torch.autocast(torch.device(device).type, dtype=dtype,
                                enabled=dtype is not None):
                for _ in range(steps):
                    module.zero_grad(set_to_none=True)
                    sum(out.float().sum() for out in module(xb)).backward()
        return run, est.mixed_precision_ or "float32"

    (member, _), (ensemble, precision) = module_steps(1), module_steps("auto")
    times = interleaved_times({"member": member, "ensemble": ensemble}, repeats, device)
    return times, paired_ratio(times["member"], times["ensemble"]), precision


def shared_trunk_ratio(args):
    import bench_shared_trunk as shared

    X, Y = shared.make_data(20_000)
    params = dict(hidden_layer_sizes=(128, 128), lr=1e-3, batch_size=128, max_epochs=10,
                  device=args.device, random_state=0, **SINGLE_NETWORK)
    times = interleaved_times({
        "separate": lambda: [MultiTaskClassifier(**params).fit(X, Y[:, t])
                             for t in range(shared.N_TASKS)],
        "shared": lambda: MultiTaskClassifier(**params).fit(X, Y),
    }, args.repeats, args.device)
    return times, paired_ratio(times["separate"], times["shared"])


def conv_times(args):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2_000, 3, 32, 32)).astype(np.float32)
    y = (X[:, 0, :16].mean(axis=(1, 2)) > X[:, 1, 16:].mean(axis=(1, 2))).astype(int)

    def fit(channels_last):
        return MultiTaskClassifier(
            trunk="conv2d", trunk_params={"channels": (16, 32), "channels_last": channels_last},
            batch_size=64, max_epochs=2, lr=LR, device=args.device, random_state=0,
            **SINGLE_NETWORK,
        ).fit(X, y)

    times = interleaved_times({"nchw": lambda: fit(False), "nhwc": lambda: fit(True)},
                              args.repeats, args.device)
    return times, paired_ratio(times["nchw"], times["nhwc"])


def profile(X, y, device):
    from torch.profiler import ProfilerActivity, profile

    multitask(X[:2000], y[:2000], 128, 1, device)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        multitask(X, y, 128, 2, device)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


def main():
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(repeats=5, threads=1)
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=sorted(TARGETS))
    p.add_argument("--ensemble-epochs", type=int, default=10)
    p.add_argument("--skip-shared", action="store_true", help="skip the shared-trunk ratio")
    p.add_argument("--conv", action="store_true",
                   help="also time a conv trunk in channels-last against the default layout")
    p.add_argument("--profile", action="store_true",
                   help="print torch.profiler's summary of one fit at batch 128 and exit")
    args = p.parse_args()
    threadpool_limits(args.threads)  # numpy's BLAS gets the cores torch gets
    setup(args)
    X, y = make_data()
    if args.profile:
        profile(X, y, args.device)
        return
    print(f"# {len(X):,} x {X.shape[1]} features, one binary task, MLP {HIDDEN}, "
          f"{args.epochs} epochs, {args.repeats} turns: median times, median paired ratios")
    rows, checks = [], []
    for bs in args.batch_sizes:
        times = interleaved_times({
            "sklearn": lambda bs=bs: sklearn_mlp(X, y, bs, args.epochs),
            "ours": lambda bs=bs: multitask(X, y, bs, args.epochs, args.device),
            "loop": lambda bs=bs: hand_written(X, y, bs, args.epochs, args.device),
        }, args.repeats, args.device)
        ratio = paired_ratio(times["sklearn"], times["ours"])
        rows += [
            (f"batch {bs}: sklearn MLPClassifier", np.median(times["sklearn"]), None),
            (f"batch {bs}: MultiTaskClassifier", np.median(times["ours"]), ratio),
            (f"batch {bs}: hand-written PyTorch loop", np.median(times["loop"]),
             paired_ratio(times["sklearn"], times["loop"])),
        ]
        checks.append((f"MultiTaskClassifier/MLPClassifier at batch {bs}", ratio,
                       TARGETS.get(bs, 1.0)))

    Xe, Ye = ensemble_data()
    recipe = MultiTaskClassifier()
    k = recipe._ensemble_members()
    steps = args.ensemble_epochs * -(-len(Xe) // recipe.batch_size)
    times = interleaved_times({
        "member": lambda: MultiTaskClassifier(
            ensemble_size=1, max_epochs=args.ensemble_epochs, random_state=0).fit(Xe, Ye),
        "ensemble": lambda: MultiTaskClassifier(
            max_epochs=args.ensemble_epochs, random_state=0).fit(Xe, Ye),
    }, args.repeats, args.device)
    ratio = paired_ratio(times["member"], times["ensemble"])
    rows += [
        (f"default recipe, 1 member: {steps} steps", np.median(times["member"]), None),
        (f"default recipe, {k} members: {steps} steps", np.median(times["ensemble"]), ratio),
    ]
    checks.append((f"{k}-member ensemble/one member per step", ratio, ENSEMBLE_TARGET))
    times, floor, recipe_precision = module_step_ratio(Xe, Ye, args.repeats, args.device)
    rows += [
        ("forward + backward alone, 1 member: 50 batches", np.median(times["member"]), None),
        (f"forward + backward alone, {k} members ({recipe_precision}): 50 batches",
         np.median(times["ensemble"]), floor),
    ]

    if not args.skip_shared:
        times, ratio = shared_trunk_ratio(args)
        rows += [("5 single-task networks (bench_shared_trunk)", np.median(times["separate"]),
                  None),
                 ("1 shared-trunk network, 5 heads", np.median(times["shared"]), ratio)]
        checks.append(("shared trunk/5 networks", ratio, SHARED_TARGET))
    if args.conv:
        times, ratio = conv_times(args)
        rows += [("conv trunk, default layout (NCHW)", np.median(times["nchw"]), None),
                 ("conv trunk, channels_last=True", np.median(times["nhwc"]), ratio)]
    exit_with(report(rows, checks))


if __name__ == "__main__":
    main()
