"""ONNX export: parity, int8 quantization (accuracy change, file size) and predict latency.

A ``StandardScaler`` + ``MultiTaskClassifier`` pipeline (MLP (256, 256), three tasks of 3,
3 and 2 classes, the third gated on the first) is fitted on synthetic data, exported with
``export_onnx`` in float32 and with int8 weights (``quantize=True``), and evaluated on
held-out rows:

- the largest absolute difference between onnxruntime's probabilities and
  ``predict_proba`` (target: <= 1e-5 for float32);
- accuracy per task of the ``<task>_label`` outputs against the true labels, for
  ``predict``, the float32 graph and the int8 graph (the change int8 costs);
- the size of each ``.onnx`` file;
- latency of predicting the held-out rows: onnxruntime float32 and int8 against the
  pipeline's ``predict_proba``, interleaved turns, median of per-turn ratios.

Exits 1 when the float32 parity misses 1e-5.

Usage::

    python benchmarks/bench_onnx.py [--threads 2] [--n-samples 20000] [--repeats 5]
"""

from __future__ import annotations

import os
import tempfile
import warnings

import numpy as np
from _common import exit_with, interleaved_times, paired_ratio, parser, setup
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mtl import MultiTaskClassifier, export_onnx
from sklearn_mtl.datasets import make_multitask_classification


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-samples", type=int, default=20000, help="rows (half held out)")
    p.add_argument("--epochs", type=int, default=10)
    args = p.parse_args()
    setup(args)
    import onnxruntime as ort

    X, Y = make_multitask_classification(
        n_samples=args.n_samples, n_classes=(3, 3, 2), n_features=64,
        gates={"task2": ("task0", 1)}, random_state=0,
    )
    X = X.astype(np.float32)
    half = len(X) // 2
    X_train, X_test, Y_train, Y_test = X[:half], X[half:], Y[:half], Y[half:]
    model = make_pipeline(StandardScaler(), MultiTaskClassifier(
        hidden_layer_sizes=(256, 256), max_epochs=args.epochs, batch_size=256, lr=1e-3,
        decode="independent", random_state=0,
    )).fit(X_train, Y_train)
    clf = model[-1]
    names = [t.name for t in clf.schema_]

    folder = tempfile.mkdtemp()
    paths = {"float32": os.path.join(folder, "fp32.onnx"),
             "int8": os.path.join(folder, "int8.onnx")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_onnx(model, paths["float32"], X_sample=X_test[:256])
        export_onnx(model, paths["int8"], quantize=True)
    options = ort.SessionOptions()
    if args.threads:
        options.intra_op_num_threads = args.threads
    sessions = {k: ort.InferenceSession(v, options, providers=["CPUExecutionProvider"])
                for k, v in paths.items()}

    def run(kind):
        return sessions[kind].run(None, {"input": X_test})

    outputs = {kind: dict(zip([o.name for o in sessions[kind].get_outputs()], run(kind)))
               for kind in sessions}
    proba = model.predict_proba(X_test)
    truth = clf.encoder_.transform(Y_test).codes
    predicted = clf.predict_encoded(model[0].transform(X_test)).codes

    print(f"# {half} training rows, {len(X_test)} held-out rows, 64 features, tasks {names}")
    parity = {}
    for kind in sessions:
        parity[kind] = max(
            float(np.abs(outputs[kind][f"{n}_probability"] - p).max())
            for n, p in zip(names, proba)
        )
    print(f"max |onnx - predict_proba|: float32 {parity['float32']:.2e}, "
          f"int8 {parity['int8']:.2e}")

    def accuracy(codes, j):
        known = truth[:, j] != -1  # missing labels are left out; -2 must match -2
        return float((codes[known] == truth[known, j]).mean())

    print(f"{'task':<8} {'predict':>8} {'float32':>8} {'int8':>8} {'int8 change':>12}")
    for j, name in enumerate(names):
        acc = [accuracy(predicted[:, j], j)] + [
            accuracy(outputs[k][f"{name}_label"], j) for k in ("float32", "int8")
        ]
        print(f"{name:<8} {acc[0]:8.4f} {acc[1]:8.4f} {acc[2]:8.4f} {acc[2] - acc[1]:+12.4f}")
    sizes = {k: os.path.getsize(v) for k, v in paths.items()}
    print(f"file size: float32 {sizes['float32'] / 1024:.1f} KiB, int8 "
          f"{sizes['int8'] / 1024:.1f} KiB (x{sizes['int8'] / sizes['float32']:.2f})")

    times = interleaved_times({
        "predict_proba": lambda: model.predict_proba(X_test),
        "onnx float32": lambda: run("float32"),
        "onnx int8": lambda: run("int8"),
    }, args.repeats)
    reference = times["predict_proba"]
    for name, values in times.items():
        ratio = paired_ratio(reference, values)
        print(f"{name:<14} {np.median(values) * 1e3:8.2f} ms  ratio {ratio:.3f}")
    ok = parity["float32"] <= 1e-5
    print(f"{'PASS' if ok else 'FAIL'}  float32 parity: {parity['float32']:.2e} (target <= 1e-5)")
    exit_with(0 if ok else 1)


if __name__ == "__main__":
    main()
