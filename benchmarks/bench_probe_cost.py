"""What the combination probe costs on a table whose label combinations rarely repeat.

A task of many classes (a zip code, a product id) next to a binary task gives nearly as
many observed combinations as rows. The probe (``decode="auto"``, see the defaults page)
is then a multinomial logistic regression over thousands of combinations per ensemble
member: its L-BFGS reads samples x combinations x hidden units at each of its ~60
evaluations, so its time grows with ``n_rows * n_combinations`` (up to the 20 million
cells of ``MAX_PROBE_CELLS``), and its memory with the L-BFGS history of 50 copies of
``ensemble_size * hidden * n_combinations`` weights and gradients. Past
``MAX_PROBE_COMBINATIONS`` observed combinations the probe is not fitted (the ratio is
then about 1; ``--classes 400`` keeps it under the bound).

Fits ``MultiTaskClassifier(random_state=0)`` twice on the same table, taking turns:
with ``decode="auto"`` (the probe fitted) and with ``decode="independent"`` (no probe,
the reference), and prints the median seconds of each, their ratio, the probe's own
seconds, the weight the held-out folds gave it (``combination_weight_``: 0 means the
probe was fitted and not used) and the size of the probe's weights.

Usage::

    python benchmarks/bench_probe_cost.py [--rows 2000] [--classes 1500] [--epochs 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd
import torch


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--classes", type=int, default=1500)
    p.add_argument("--epochs", type=int, default=8, help="max_epochs (0: the recipe's)")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")

    import sklearn_mtl._multitask as multitask
    from sklearn_mtl import MultiTaskClassifier

    spent = []
    fit_probes = multitask.fit_probes

    def timed(*a, **kw):
        start = time.perf_counter()
        try:
            return fit_probes(*a, **kw)
        finally:
            spent.append(time.perf_counter() - start)

    multitask.fit_probes = timed
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(args.rows, 5)), columns=list("abcde"))
    Y = pd.DataFrame({"code": rng.randint(0, args.classes, args.rows),
                      "flag": rng.randint(0, 2, args.rows)})
    epochs = args.epochs or None
    # torch's first optimizer of a process imports its compiler (seconds): not timed
    MultiTaskClassifier(random_state=0, max_epochs=1).fit(X[:50], Y[:50] % 2)
    spent.clear()
    times = {"auto": [], "independent": []}
    model = None
    for _ in range(args.repeats):
        for decode in times:
            start = time.perf_counter()
            fitted = MultiTaskClassifier(random_state=0, max_epochs=epochs,
                                         decode=decode).fit(X, Y)
            times[decode].append(time.perf_counter() - start)
            if decode == "auto":
                model = fitted
    auto, independent = (statistics.median(times[d]) for d in ("auto", "independent"))
    n_comb = len(model.observed_combinations_)
    weights_mb = 8 * 192 * n_comb * 4 / 2**20  # the default ensemble: 8 members of 192
    print(f"{args.rows} rows, {n_comb} observed combinations, max_epochs={epochs}")
    itself = (f"the probe itself {statistics.median(spent):.1f} s" if spent
              else "the probe not fitted")
    print(f"fit with the probe {auto:.1f} s, without {independent:.1f} s: "
          f"ratio {auto / independent:.2f}; {itself}")
    print(f"combination_weight_ {model.combination_weight_}; probe weights about "
          f"{weights_mb:.0f} MiB, L-BFGS history up to {100 * weights_mb:.0f} MiB")


if __name__ == "__main__":
    main()
