"""What ``compare``'s leak checks cost as a task's classes grow.

Usage::

    python benchmarks/bench_leak_checks_classes.py [--rows 100000] [--classes 2000]

On one table of ``--rows`` rows and ten integer columns of up to 40,000 values each (an
order number, a product code), times the checks that count each (column value, label)
pair, :func:`~sklearn_mtl._leakage.label_columns` and
:func:`~sklearn_mtl._leakage.subject_columns`, against a task of ``--classes`` classes
and, as the reference measured in the same run, against a task of 2 classes. The counts
are kept for the pairs the rows hold, so the ratio stays near 1; a table of every pair
(values times classes cells, 80 million a column here) made it about 28 and took
1.4 GB.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from sklearn_mtl._leakage import label_columns, subject_columns


def _seconds(X, labels):
    start = time.perf_counter()
    label_columns(X, labels)
    subject_columns(X, labels)
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--classes", type=int, default=2000)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({f"f{j}": rng.integers(0, 40_000, args.rows) for j in range(10)})
    few = pd.DataFrame({"task": rng.integers(0, 2, args.rows).astype(float)})
    many = pd.DataFrame({"task": rng.integers(0, args.classes, args.rows).astype(float)})
    reference = min(_seconds(X, few) for _ in range(3))
    measured = min(_seconds(X, many) for _ in range(3))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{args.rows} rows, 10 columns: {measured:.3f} s with {args.classes} classes, "
          f"{reference:.3f} s with 2 (ratio {measured / reference:.1f}); peak memory "
          f"{peak:.0f} MiB")


if __name__ == "__main__":
    main()
