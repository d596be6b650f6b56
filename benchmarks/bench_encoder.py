"""Speed of ``StructuredLabelEncoder.transform`` against ``pandas.factorize``.

Encodes 1,000,000 rows x 5 tasks given as a DataFrame (one task gated on another, 5% of
the labels missing), and factorizes the same five columns with ``pandas.factorize`` in the
same run. Prints the median seconds of each and, as the last line, their ratio. Exits with
status 1 when the ratio is above the target (default 2): ``transform`` must stay vectorized,
with no per-row Python loop.

Usage::

    python benchmarks/bench_encoder.py [--n-samples 1000000] [--repeats 5] [--target 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

from sklearn_mtl import StructuredLabelEncoder, Task

COLORS = ["red", "black", "white", "blue"]
BODIES = ["berline", "4x4", "suv", "coupe"]


def make_labels(n_samples, missing=0.05, seed=0):
    """The car example: car -> color gated on car == "yes", plus three other tasks.

    Columns: ``car`` (str), ``color`` (str, gated), ``body`` (categorical), ``doors``
    (int labels, float column because of NaN) and ``driver`` (nullable boolean). Each
    column has ``missing`` of its labels missing; ``color`` is also missing wherever
    ``car`` is not "yes".
    """
    rng = np.random.default_rng(seed)

    def holes():
        return rng.random(n_samples) < missing

    car = np.where(rng.random(n_samples) < 0.7, "yes", "no").astype(object)
    car[holes()] = None
    color = np.asarray(COLORS, dtype=object)[rng.integers(0, 4, n_samples)]
    color[(car != "yes") | holes()] = None
    body = pd.Categorical.from_codes(
        np.where(holes(), -1, rng.integers(0, 4, n_samples)), categories=BODIES
    )
    doors = rng.choice([2.0, 3.0, 4.0, 5.0], n_samples)
    doors[holes()] = np.nan
    driver = pd.array(rng.random(n_samples) < 0.5, dtype="boolean")
    driver[holes()] = pd.NA
    return pd.DataFrame(
        {
            "car": pd.Series(car, dtype="str"),
            "color": pd.Series(color, dtype="str"),
            "body": body,
            "doors": doors,
            "driver": driver,
        }
    )


def tasks():
    return [
        Task("car", kind="binary", classes=["no", "yes"]),
        Task("color", classes=COLORS, gate=("car", "yes")),
        Task("body", classes=BODIES),
        Task("doors", classes=[2, 3, 4, 5]),
        Task("driver", kind="binary", classes=[False, True]),
    ]


def median_seconds(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=2.0)
    args = parser.parse_args(argv)

    Y = make_labels(args.n_samples)
    encoder = StructuredLabelEncoder(tasks=tasks()).fit(Y)
    encoded = encoder.transform(Y)  # warm-up, and a sanity check of what is timed
    assert encoded.codes.shape == (args.n_samples, 5)

    def factorize():
        return [pd.factorize(Y[column]) for column in Y.columns]

    factorize()
    t_factorize = median_seconds(factorize, args.repeats)
    t_encoder = median_seconds(lambda: encoder.transform(Y), args.repeats)
    ratio = t_encoder / t_factorize

    masked = (encoded.codes < 0).mean(axis=0)
    print(f"rows={args.n_samples} tasks=5 repeats={args.repeats} (median seconds)")
    print(
        "masked fraction per task: "
        + ", ".join(
            f"{name}={frac:.3f}" for name, frac in zip(encoder.schema_.names, masked, strict=True)
        )
    )
    print(f"pandas.factorize (same 5 columns): {t_factorize:.4f} s")
    print(f"StructuredLabelEncoder.transform:   {t_encoder:.4f} s")
    print(f"target: ratio <= {args.target:g}")
    print(f"ratio {ratio:.2f}")
    return 0 if ratio <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
