"""A fresh process: load a saved model and predict a file.

``sklearn-mtl predict`` on a small file, a batch job or a serverless function starts a
new Python process for each run, so the import of the libraries and the loading of the
model cost more than the prediction itself. On the Palmer penguins (three tasks, four
measurements; the 344 rows written to a CSV file), each contender runs in a new
process (``--repeats`` turns, the contenders taking turns; the median is printed):

- ``joblib + sklearn LR x3``: the reference, three scikit-learn pipelines
  (``StandardScaler`` and ``LogisticRegression``), one a task, loaded with
  ``joblib.load`` and asked for their tasks, the file read with pandas;
- ``load + predict, IndependentTaskClassifier(LR)``: the same three models saved with
  :func:`sklearn_mtl.save`, loaded with :func:`sklearn_mtl.load`;
- ``load + predict, MultiTaskClassifier()``: the default network, saved and loaded so;
- ``sklearn-mtl predict``: the command line on the same file with each saved model, the
  predictions written to a CSV file;
- ``import torch``: the floor under every process that runs the network.

Ratios are to the reference of the same run (paired turn by turn). No target: the
figures are reported (see "Speed on small data" in docs/benchmarks.md).

Usage::

    python benchmarks/bench_startup.py [--threads 1] [--repeats 7]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import joblib
from _common import interleaved_times, paired_ratio, parser, penguin_models, setup

import sklearn_mtl


def _process(command, threads):
    """A callable that runs ``command`` in a new process (``threads``: its
    ``OMP_NUM_THREADS``, which torch reads at start-up)."""
    env = dict(os.environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)

    def run():
        subprocess.run(command, check=True, capture_output=True, env=env)
    return run


def main():
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(repeats=7)
    args = p.parse_args()
    setup(args)
    X, Y, network, linear, per_task = penguin_models()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data, out = tmp / "penguins.csv", tmp / "predictions.csv"
        X.to_csv(data, index=False)
        joblib.dump(per_task, tmp / "per_task.joblib")
        sklearn_mtl.save(linear, tmp / "linear.mtl")
        sklearn_mtl.save(network, tmp / "network.mtl")
        def python(code):
            return _process([sys.executable, "-c", code], args.threads)

        def command_line(model):
            return _process([sys.executable, "-m", "sklearn_mtl.cli", "predict",
                             str(tmp / model), str(data), "--out", str(out)], args.threads)

        load_predict = (
            "import pandas as pd, sklearn_mtl\n"
            "X = pd.read_csv({data!r})\n"
            "sklearn_mtl.load({model!r}).predict(X)\n"
        )
        fns = {
            "joblib + sklearn LR x3 (reference)": python(
                "import joblib, pandas as pd\n"
                f"X = pd.read_csv({str(data)!r})\n"
                f"[m.predict(X) for m in joblib.load({str(tmp / 'per_task.joblib')!r}).values()]"),
            "load + predict, IndependentTaskClassifier(LR)": python(
                load_predict.format(data=str(data), model=str(tmp / "linear.mtl"))),
            "load + predict, MultiTaskClassifier()": python(
                load_predict.format(data=str(data), model=str(tmp / "network.mtl"))),
            "sklearn-mtl predict, IndependentTaskClassifier(LR)": command_line("linear.mtl"),
            "sklearn-mtl predict, MultiTaskClassifier()": command_line("network.mtl"),
            "import torch (floor)": python("import torch"),
        }
        times = interleaved_times(fns, args.repeats)
    reference = times["joblib + sklearn LR x3 (reference)"]
    print(f"# a new process a run, {args.repeats} turns; the median of the turns")
    for name, values in times.items():
        print(f"{name:<52} {statistics.median(values):6.2f} s  "
              f"ratio {paired_ratio(reference, values):.2f}")


if __name__ == "__main__":
    main()
