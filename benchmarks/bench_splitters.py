"""Speed of ``MultiTaskStratifiedKFold.split`` against scikit-learn's splitters.

Generated labels: 5 tasks of 2 to 5 classes each (the classes' frequencies 1 : 2 : ...,
so the rarest class of a task is the least frequent), 5% of the labels of every task but
the first missing. Times, as the median of interleaved turns, the list of all 5 shuffled
folds (``shuffle=True, random_state=0``) of

* ``MultiTaskStratifiedKFold.split`` on the DataFrame of the 5 tasks (reading the labels
  included), and ``iterative_stratification`` alone on the label indicators that
  ``split`` builds;
* scikit-learn's ``StratifiedKFold`` on the first task alone (the reference), and
  ``KFold`` (which reads no labels),

at 10,000 and 100,000 rows, and prints each one's seconds and its ratio to
``StratifiedKFold``'s (the median of the turns' ratios). The last line is the worst ratio
of ``split`` to ``StratifiedKFold``; the exit status is 1 where it is above the target
(default 15).

Usage::

    python benchmarks/bench_splitters.py [--rows 10000,100000] [--repeats 5] [--target 15]
"""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
from _common import exit_with, interleaved_times, paired_ratio, parser, report, setup
from sklearn.model_selection import KFold, StratifiedKFold

from sklearn_mtl.model_selection import (
    MultiTaskStratifiedKFold,
    iterative_stratification,
    label_indicators,
)

CLASSES = (2, 3, 4, 5, 3)
N_SPLITS = 5


def make_labels(n_samples, missing=0.05, seed=0):
    """``n_samples`` rows of the tasks ``t0`` .. ``t4`` (integer classes, skewed),
    ``missing`` of each task's labels but the first's missing (NaN)."""
    rng = np.random.default_rng(seed)
    columns = {}
    for j, k in enumerate(CLASSES):
        weights = np.arange(1, k + 1) / (k * (k + 1) / 2)
        labels = rng.choice(k, size=n_samples, p=weights).astype(float)
        if j:
            labels[rng.random(n_samples) < missing] = np.nan
        columns[f"t{j}"] = labels
    Y = pd.DataFrame(columns)
    Y["t0"] = Y["t0"].astype(np.int64)
    return Y


def cases(n_samples):
    Y = make_labels(n_samples)
    X = np.zeros((n_samples, 1))
    y = Y["t0"].to_numpy()
    L = label_indicators(Y)
    return {
        "StratifiedKFold (t0)": lambda: list(
            StratifiedKFold(N_SPLITS, shuffle=True, random_state=0).split(X, y)),
        "KFold": lambda: list(KFold(N_SPLITS, shuffle=True, random_state=0).split(X)),
        "MultiTaskStratifiedKFold.split": lambda: list(
            MultiTaskStratifiedKFold(N_SPLITS, shuffle=True, random_state=0).split(X, Y)),
        "iterative_stratification": lambda: iterative_stratification(L, N_SPLITS, 0),
    }


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", default="10000,100000", help="row counts, comma-separated")
    p.add_argument("--target", type=float, default=15.0,
                   help="most split may take, in StratifiedKFold's times")
    p.set_defaults(repeats=5)
    args = p.parse_args()
    setup(args)
    rows, checks = [], []
    for n_samples in (int(n) for n in args.rows.split(",")):
        fns = cases(n_samples)
        times = interleaved_times(fns, args.repeats)
        reference = times["StratifiedKFold (t0)"]
        for name, seconds in times.items():
            ratio = None if seconds is reference else paired_ratio(reference, seconds)
            rows.append((f"{n_samples:>7} rows  {name}", statistics.median(seconds), ratio))
        checks.append((f"split / StratifiedKFold, {n_samples} rows",
                       paired_ratio(reference, times["MultiTaskStratifiedKFold.split"]),
                       args.target))
    print(f"{len(CLASSES)} tasks of {', '.join(map(str, CLASSES))} classes, {N_SPLITS} "
          f"shuffled folds, repeats={args.repeats} (median seconds; ratio: to "
          "StratifiedKFold on the first task, the median of the turns' ratios)")
    return report(rows, checks)


if __name__ == "__main__":
    exit_with(main())
