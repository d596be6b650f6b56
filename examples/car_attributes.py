"""
Is there a car, which colour, which body type, is there a driver?
=================================================================

Four questions about one picture, three of which make sense only when the first answer
is "yes": ``color``, ``body`` and ``driver`` are *gated* on ``car``. The images come
from :func:`sklearn_mtl.datasets.make_car_images` (generated, 32×32, with distractors
such as houses of any colour).

Three ways to answer them with the *same* small convolutional network:

* one :class:`~sklearn_mtl.MultiTaskClassifier` with ``trunk="conv2d"``: a shared trunk,
  one head per task, gated-off labels masked in the loss;
* :class:`~sklearn_mtl.IndependentTaskClassifier`: one network per task, each gated task
  trained on the images that show a car;
* :class:`~sklearn_mtl.LabelProductClassifier`: one network over the 1 + 4·4·2 = 33
  valid combinations of answers.

Run ``python examples/car_attributes.py``; ``SKLEARN_MTL_EXAMPLES_SMALL=1`` makes it
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
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from sklearn_mtl import (  # noqa: E402
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
)
from sklearn_mtl.datasets import make_car_images  # noqa: E402
from sklearn_mtl.metrics import exact_match_score, task_accuracy_score  # noqa: E402

SMALL = os.environ.get("SKLEARN_MTL_EXAMPLES_SMALL") == "1"
OUTPUT = os.environ.get("SKLEARN_MTL_EXAMPLES_OUTPUT", ".")
N_SAMPLES, EPOCHS = (240, 2) if SMALL else (2000, 25)
SIZE = 32

X, Y, tasks = make_car_images(N_SAMPLES, image_size=SIZE, random_state=0, return_tasks=True)
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.25, random_state=0)
print(f"{len(X_train)} training and {len(X_test)} test images of shape {X.shape[1:]}; "
      f"{(Y_train['car'] == 'yes').mean():.0%} show a car")

# The same network for every approach: three conv blocks (16, 32, 64 channels), the
# first with stride 2 (four times cheaper on 32×32 images).
net_params = dict(
    trunk="conv2d", trunk_params={"channels": (16, 32, 64), "stride": 2}, lr=3e-3,
    batch_size=64,
    max_epochs=EPOCHS, random_state=0,
)


def to_images(X_flat):
    """The baselines validate X as a table: they get flat pixels, reshaped here."""
    return X_flat.reshape(len(X_flat), 3, SIZE, SIZE)


one_net = make_pipeline(FunctionTransformer(to_images), MultiTaskClassifier(**net_params))
models = {
    "multi-task net": (MultiTaskClassifier(tasks=tasks, **net_params), False),
    "independent nets": (IndependentTaskClassifier(one_net, tasks=tasks), True),
    "label product (33 classes)": (LabelProductClassifier(one_net, tasks=tasks), True),
}

rows, predictions = {}, {}
for name, (model, flat) in models.items():
    Xtr, Xte = (X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)) if flat \
        else (X_train, X_test)
    start = time.perf_counter()
    model.fit(Xtr, Y_train)
    seconds = time.perf_counter() - start
    pred = model.predict(Xte)
    predictions[name] = pred
    accuracy = task_accuracy_score(Y_test, pred, schema=tasks)
    rows[name] = {**accuracy.to_dict(),
                  "exact match": exact_match_score(Y_test, pred, schema=tasks),
                  "fit seconds": seconds}
    print(f"{name}: fitted in {seconds:.1f} s")

table = pd.DataFrame(rows).T
print("\nAccuracy per task on the test images (gated tasks: over images with a car), "
      "exact match over all four answers:")
print(table.round(3).to_string())

# Figure: per-task accuracy of the three approaches, and test images with predictions.
fig = plt.figure(figsize=(13, 6.5), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1, 1.3])
ax = left.subplots()
metrics = [t.name for t in tasks] + ["exact match"]
width = 0.8 / len(table)
for k, (name, row) in enumerate(table.iterrows()):
    ax.bar(np.arange(len(metrics)) + k * width, row[metrics], width, label=name)
ax.set_xticks(np.arange(len(metrics)) + 0.4 - width / 2, metrics)
ax.set_ylim(0, 1.05)
ax.set_ylabel("test accuracy")
ax.legend(loc="lower left", fontsize=8)
ax.set_title(f"Same CNN, three ways ({len(X_train)} training images)")
axes = right.subplots(3, 4)
shown = predictions["multi-task net"]
for i, a in enumerate(axes.flat):
    a.imshow(X_test[i].transpose(1, 2, 0))
    a.axis("off")
    p = shown.iloc[i]
    text = "no car" if p["car"] == "no" else f"{p['color']} {p['body']}\ndriver: {p['driver']}"
    ok = all(
        pd.isna(t) and pd.isna(q) or t == q for t, q in zip(Y_test.iloc[i], shown.iloc[i])
    )
    a.set_title(text, fontsize=8, color="black" if ok else "red")
right.suptitle("Multi-task predictions (red: some answer wrong)", fontsize=10)
path = os.path.join(OUTPUT, "car_attributes.png")
fig.savefig(path, dpi=80)
print(f"\nSaved {path}")
