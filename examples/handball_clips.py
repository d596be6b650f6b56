"""
Handball clips: did the pass happen, and how?
=============================================

Five questions about one short clip: did the pass happen (``event``); was it
successful, not successful or out (``outcome``); thrown with the left or right hand
(``hand``); which of six types (``pass_type``); while running, walking, jumping or
standing (``movement``). The last four apply only when the pass happened: they are
gated on ``event == "yes"``, masked in the loss elsewhere and predicted as ``<NA>``
when the network says no pass happened.

The clips come from :func:`sklearn_mtl.datasets.make_handball_clips`: 8 grey-level
frames of 32×32 pixels, shaped (n_clips, channels=1, frames=8, height, width). A
:class:`~sklearn_mtl.MultiTaskClassifier` with ``trunk="conv3d"`` (3-D convolutions
over time and space) answers all five questions at once.

Run ``python examples/handball_clips.py``; ``SKLEARN_MTL_EXAMPLES_SMALL=1`` makes it
tiny (a smoke test: the numbers then mean nothing). Set ``OMP_NUM_THREADS`` to the
number of free cores. The figure goes to ``SKLEARN_MTL_EXAMPLES_OUTPUT`` (default: the
current directory).
"""

import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_mtl import MultiTaskClassifier  # noqa: E402
from sklearn_mtl.datasets import make_handball_clips  # noqa: E402
from sklearn_mtl.metrics import exact_match_score, task_accuracy_score  # noqa: E402

SMALL = os.environ.get("SKLEARN_MTL_EXAMPLES_SMALL") == "1"
OUTPUT = os.environ.get("SKLEARN_MTL_EXAMPLES_OUTPUT", ".")
N_SAMPLES, EPOCHS = (160, 2) if SMALL else (1600, 20)

start = time.perf_counter()
X, Y, tasks = make_handball_clips(N_SAMPLES, random_state=0, return_tasks=True)
print(f"Generated {len(X)} clips of shape {X.shape[1:]} in "
      f"{time.perf_counter() - start:.1f} s")
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.25, random_state=0)

clf = MultiTaskClassifier(
    tasks=tasks,
    trunk="conv3d",
    # Three 3-D conv blocks; the first convolution has stride (1, 2, 2): every frame is
    # kept, the resolution halved, which makes the network four times cheaper.
    trunk_params={"channels": (16, 32, 64)},
    lr=5e-3,
    batch_size=32,
    max_epochs=EPOCHS,
    random_state=0,
)
start = time.perf_counter()
clf.fit(X_train, Y_train)
print(f"Fitted the conv3d network in {time.perf_counter() - start:.1f} s")

pred = clf.predict(X_test)
accuracy = task_accuracy_score(Y_test, pred, schema=tasks)
# Reference: always answer the most frequent training label.
majority = {t.name: Y_train[t.name].dropna().mode()[0] for t in tasks}
constant = pd.DataFrame({c: [majority[c]] * len(Y_test) for c in Y_test.columns},
                        index=Y_test.index)
chance = task_accuracy_score(Y_test, constant, schema=tasks)
table = pd.DataFrame({"conv3d multi-task": accuracy, "most frequent": chance})
print("\nTest accuracy per task (gated tasks: over the clips where the pass happened):")
print(table.round(3).to_string())
print(f"Exact match over all five answers: {exact_match_score(Y_test, pred, schema=tasks):.3f}")

# Figure: one test clip per row with the predicted answers, and the confusion matrix of
# the pass type.
fig = plt.figure(figsize=(13, 6), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1.6, 1])
frames = left.subplots(4, 8)
for r in range(4):
    for t in range(8):
        frames[r, t].imshow(X_test[r, 0, t], cmap="gray", vmin=0, vmax=1)
        frames[r, t].axis("off")
    p = pred.iloc[r]
    said = "no pass" if p["event"] == "no" else " / ".join(str(v) for v in p.iloc[1:])
    truth = "no pass" if Y_test.iloc[r]["event"] == "no" else \
        " / ".join(str(v) for v in Y_test.iloc[r].iloc[1:])
    frames[r, 0].set_title(f"predicted: {said}   (true: {truth})", fontsize=8, loc="left")
left.suptitle("Test clips, frame by frame", fontsize=10)
ax = right.subplots()
true_type, pred_type = Y_test["pass_type"].to_numpy(), pred["pass_type"].to_numpy()
both = pd.notna(true_type) & pd.notna(pred_type)
if both.any():  # in the reduced run the network may predict no pass at all
    ConfusionMatrixDisplay.from_predictions(
        true_type[both].astype(str), pred_type[both].astype(str),
        labels=tasks[3].classes, ax=ax, colorbar=False, xticks_rotation=45,
    )
ax.set_title("pass_type (clips with a pass, predicted as such)", fontsize=10)
path = os.path.join(OUTPUT, "handball_clips.png")
fig.savefig(path, dpi=80)
print(f"\nSaved {path}")
print(f"Accuracy of the five tasks: {np.round(accuracy.to_numpy(), 3).tolist()}")
