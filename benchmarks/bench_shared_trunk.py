"""One shared trunk for five tasks against five single-task networks.

Synthetic data whose five multiclass tasks are read off the same latent factors (the
situation multi-task learning is for): 20,000 x 64 features, 8 latent factors, 4 classes
per task. Contenders, with the same trunk (MLP (128, 128)), optimizer, learning rate,
epochs, batch size and threads:

- one ``MultiTaskClassifier`` with five heads;
- five ``MultiTaskClassifier`` fitted on one task each (what independent networks cost).

The two take turns (after one warm-up fit each); the ratio is the median over the turns
of shared / separate fit time. Prints both fit times, the ratio (target <= 0.35) and the
held-out accuracy of each approach per task. Exits 1 when the ratio misses the target;
the last line is the ratio.

Usage::

    python benchmarks/bench_shared_trunk.py [--threads 2] [--epochs 10]
"""

from __future__ import annotations

import numpy as np
from _common import (
    SINGLE_NETWORK,
    exit_with,
    interleaved_times,
    paired_ratio,
    parser,
    report,
    setup,
)

from sklearn_mtl import MultiTaskClassifier

N_TASKS, N_CLASSES, N_FACTORS = 5, 4, 8


def make_data(n_samples, n_features=64, noise=0.5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)).astype(np.float32)
    factors = np.tanh(X @ rng.normal(size=(n_features, N_FACTORS)) / np.sqrt(n_features))
    Y = np.column_stack([
        np.argmax(
            factors @ rng.normal(size=(N_FACTORS, N_CLASSES))
            + noise * rng.normal(size=(n_samples, N_CLASSES)),
            axis=1,
        )
        for _ in range(N_TASKS)
    ])
    return X, Y


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--n-samples", type=int, default=20_000)
    p.add_argument("--target", type=float, default=0.35)
    args = p.parse_args()
    setup(args)
    X, Y = make_data(args.n_samples + 5_000)
    X_train, Y_train, X_test, Y_test = X[:-5000], Y[:-5000], X[-5000:], Y[-5000:]
    params = dict(hidden_layer_sizes=(128, 128), lr=1e-3, batch_size=128,
                  max_epochs=args.epochs, device=args.device, random_state=0,
                  **SINGLE_NETWORK)

    fitted = {}  # the models of the last turn

    def fit_shared():
        fitted["shared"] = MultiTaskClassifier(**params).fit(X_train, Y_train)

    def fit_separate():
        fitted["separate"] = [
            MultiTaskClassifier(**params).fit(X_train, Y_train[:, t]) for t in range(N_TASKS)
        ]

    times = interleaved_times({"shared": fit_shared, "separate": fit_separate}, args.repeats,
                              args.device)
    t_shared, t_separate = np.median(times["shared"]), np.median(times["separate"])
    ratio = paired_ratio(times["separate"], times["shared"])
    shared, separate = fitted["shared"], fitted["separate"]
    acc_shared = (shared.predict(X_test) == Y_test).mean(axis=0)
    acc_separate = np.array([(m.predict(X_test) == Y_test[:, t]).mean()
                             for t, m in enumerate(separate)])
    print(f"# {len(X_train):,} training samples, {N_TASKS} tasks x {N_CLASSES} classes, "
          f"{args.epochs} epochs, {args.repeats} turns: median times, median paired ratio")
    print("held-out accuracy per task")
    print("  shared trunk : " + " ".join(f"{a:.3f}" for a in acc_shared)
          + f"  (mean {acc_shared.mean():.3f})")
    print("  5 networks   : " + " ".join(f"{a:.3f}" for a in acc_separate)
          + f"  (mean {acc_separate.mean():.3f})")
    rows = [("5 single-task networks", t_separate, None),
            ("1 shared-trunk network, 5 heads", t_shared, ratio)]
    exit_with(report(rows, [("shared/separate fit time", ratio, args.target)]))


if __name__ == "__main__":
    main()
