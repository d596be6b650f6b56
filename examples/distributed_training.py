"""
One network, several processes: data-parallel training with ``torchrun``
=======================================================================

``MultiTaskClassifier(data_parallel=True)`` trains one network on several processes
with PyTorch's ``DistributedDataParallel``: every process runs this same script on the
same data, trains on its own shard of each epoch, and the gradients are averaged, so
every process ends with the same weights. Launch it with PyTorch's launcher::

    torchrun --standalone --nproc_per_node=2 examples/distributed_training.py --out model.mtl

(gloo on CPUs; with GPUs, ``--device cuda`` gives each process its own GPU and NCCL;
across machines, ``torchrun --nnodes=N --rdzv-endpoint=HOST:PORT ...``). Run with plain
``python`` it trains in one process: the estimator code does not change.

The data are scikit-learn's 1,797 hand-written digits (bundled, no download) with three
questions per image: the digit, its parity and whether it has a closed loop (0, 4, 6,
8, 9) -- the last two follow from the first; they are here to give the network three
heads. At the end every process checks that all replicas hold identical weights
(an all-gather of a SHA-256 of the weights), process 0 saves the model with
:func:`sklearn_mtl.save`, loads it back and checks the predictions, and draws the
training loss.

``SKLEARN_MTL_EXAMPLES_SMALL=1`` makes it tiny (a smoke test: the numbers then mean
nothing). The figure goes to ``SKLEARN_MTL_EXAMPLES_OUTPUT`` (default: the current
directory).
"""

import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import sklearn_mtl  # noqa: E402
from sklearn_mtl import MultiTaskClassifier  # noqa: E402
from sklearn_mtl.distributed import check_replicas  # noqa: E402
from sklearn_mtl.metrics import exact_match_score  # noqa: E402

SMALL = os.environ.get("SKLEARN_MTL_EXAMPLES_SMALL") == "1"
OUTPUT = os.environ.get("SKLEARN_MTL_EXAMPLES_OUTPUT", ".")

parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
parser.add_argument("--out", default=os.path.join(OUTPUT, "digits_model.mtl"),
                    help="where process 0 saves the fitted model")
parser.add_argument("--epochs", type=int, default=2 if SMALL else 30)
parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
parser.add_argument("--mixed-precision", choices=["bf16", "fp16"], default=None)
args = parser.parse_args()

digits = load_digits()
X = (digits.data / 16.0).astype(np.float32)  # pixels 0..16 -> 0..1, no fitted scaler
y = digits.target
Y = pd.DataFrame({
    "digit": y,
    "parity": np.where(y % 2 == 0, "even", "odd"),
    "loop": np.isin(y, [0, 4, 6, 8, 9]),
})
if SMALL:
    X, Y = X[:300], Y.iloc[:300].reset_index(drop=True)
# The same split in every process: every process passes the same X and Y to fit.
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.25, random_state=0)

clf = MultiTaskClassifier(
    hidden_layer_sizes=(256, 128), lr=2e-3, batch_size=64, max_epochs=args.epochs,
    data_parallel=True, mixed_precision=args.mixed_precision, device=args.device,
    random_state=0,
)
start = time.perf_counter()
clf.fit(X_train, Y_train)  # under torchrun this joins the process group
elapsed = time.perf_counter() - start
rank = dist.get_rank() if dist.is_initialized() else 0
world_size = dist.get_world_size() if dist.is_initialized() else 1

checksums = check_replicas(clf)  # raises if any replica differs
score = exact_match_score(Y_test, clf.predict(X_test))
shard = -(-len(X_train) // world_size)
print(f"[rank {rank}] trained on {shard} of {len(X_train)} samples an epoch in {elapsed:.1f} s;"
      f" held-out exact match {score:.3f}")

if rank == 0:
    print(f"Replicas: {world_size}, identical weights, sha256 {checksums[0]}")
    sklearn_mtl.save(clf, args.out)
    restored = sklearn_mtl.load(args.out)
    assert restored.predict(X_test).equals(clf.predict(X_test))
    print(f"Saved the model to {args.out}")

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in Y.columns:
        ax.plot(clf.history_[:, f"train_loss_{name}"], label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (all processes' samples)")
    ax.set_title(f"{world_size} process(es), held-out exact match {score:.2f}")
    ax.legend()
    fig.tight_layout()
    figure = os.path.join(OUTPUT, "distributed_training.png")
    fig.savefig(figure, dpi=100)
    print(f"Saved the figure to {figure}")

if dist.is_initialized():
    dist.barrier()
    dist.destroy_process_group()
