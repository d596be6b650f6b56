"""Training batches read from Parquet shards vs the same rows sliced by hand.

``ParquetShards.iter_batches`` (what ``MultiTaskClassifier.fit(shards)`` trains on)
reads a row group, shuffles its rows and cuts them into batches. This script times one
shuffled epoch of it over one file holding one large row group (pyarrow writes row
groups of about a million rows by default), against a hand-written reference in the
same run: the same row group read with pyarrow, its rows shuffled once and sliced into
batches of the same size. The work of both grows with the rows; before this release
every batch copied the rest of its row group (an epoch over 400,000 rows at batch 128
took about 34 times the reference, the ratio growing with the row group).

Target: at most 2 times the reference. Exits 1 when missed; the last line is the ratio.

Usage::

    python benchmarks/bench_shard_batches.py --rows 400000 --threads 1
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _common import exit_with, interleaved_times, paired_ratio, parser, report, setup  # noqa: E402

from sklearn_mtl.sharded import ParquetShards  # noqa: E402

TARGET = 2.0  # an epoch of iter_batches over the reference's


def main(argv=None):
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=400_000)
    p.add_argument("--batch-size", type=int, default=128)
    args = p.parse_args(argv)
    setup(args)
    rng = np.random.RandomState(0)
    features = [f"x{j}" for j in range(16)]
    frame = pd.DataFrame(rng.normal(size=(args.rows, 16)).astype(np.float32),
                         columns=features)
    frame["y"] = rng.randint(0, 2, args.rows)
    encode = lambda labels: torch.from_numpy(labels["y"].to_numpy(np.int64, copy=True))  # noqa: E731
    with tempfile.TemporaryDirectory() as folder:
        frame.to_parquet(Path(folder) / "part-0.parquet", row_group_size=args.rows)
        shards = ParquetShards(folder, features=features, targets=["y"])

        def sharded():
            generator = torch.Generator().manual_seed(0)
            for _ in shards.iter_batches(args.batch_size, encode=encode, shuffle=True,
                                         generator=generator):
                pass

        def by_hand():
            table = shards.units()[0][0].to_table(columns=features + ["y"])
            X = torch.from_numpy(np.column_stack(
                [table.column(c).to_numpy() for c in features]))
            y = encode(table.select(["y"]).to_pandas())
            perm = torch.randperm(len(X), generator=torch.Generator().manual_seed(0))
            X, y = X[perm], y[perm]
            for at in range(0, len(X), args.batch_size):
                X[at:at + args.batch_size], y[at:at + args.batch_size]

        times = interleaved_times({"by hand": by_hand, "iter_batches": sharded},
                                  args.repeats)
    ratio = paired_ratio(times["by hand"], times["iter_batches"])
    rows = [("by hand", float(np.median(times["by hand"])), None),
            ("iter_batches", float(np.median(times["iter_batches"])), ratio)]
    exit_with(report(rows, [(f"one epoch, {args.rows} rows, batch {args.batch_size}",
                             ratio, TARGET)]))


if __name__ == "__main__":
    main()
