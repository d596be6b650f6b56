"""Generated images and clips: shapes, labels, gates, seeds, schema."""

import numpy as np
import pandas as pd
import pytest

from sklearn_mtl import StructuredLabelEncoder
from sklearn_mtl.datasets import make_car_images, make_handball_clips, make_leaf_images

GENERATORS = {
    "cars": (make_car_images, (3, 20, 20), {"image_size": 20}),
    "clips": (make_handball_clips, (1, 6, 16, 16), {"image_size": 16, "n_frames": 6}),
    "leaves": (make_leaf_images, (3, 16, 16), {"image_size": 16}),
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_shapes_range_and_seed(name):
    make, shape, params = GENERATORS[name]
    X, Y = make(30, random_state=0, **params)
    assert X.shape == (30, *shape) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert len(Y) == 30 and (Y.dtypes == "string").all()
    X2, Y2 = make(30, random_state=0, **params)
    np.testing.assert_array_equal(X, X2)
    pd.testing.assert_frame_equal(Y, Y2)
    X3, _ = make(30, random_state=1, **params)
    assert not np.array_equal(X, X3)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_tasks_describe_the_labels(name):
    make, _, params = GENERATORS[name]
    X, Y, tasks = make(60, random_state=0, return_tasks=True, **params)
    assert [t.name for t in tasks] == Y.columns.tolist()
    for task in tasks:
        assert set(Y[task.name].dropna()) <= set(task.classes)
    encoder = StructuredLabelEncoder(tasks=tasks).fit(Y)
    pd.testing.assert_frame_equal(encoder.inverse_transform(encoder.transform(Y)), Y,
                                  check_dtype=False)
    for task in tasks:  # gated-off exactly where the parent says no
        if task.gate is not None:
            parent, values = task.gate
            on = Y[parent].isin(list(values)).to_numpy()
            assert Y[task.name][on].notna().all() and Y[task.name][~on].isna().all()


def test_car_labels_and_fraction():
    X, Y = make_car_images(400, car_fraction=0.5, random_state=0)
    share = (Y["car"] == "yes").mean()
    assert 0.4 < share < 0.6
    cars = Y[Y["car"] == "yes"]
    assert set(cars["body"]) == {"berline", "4x4", "suv", "coupe"}
    assert set(cars["color"]) == {"red", "black", "white", "blue"}
    none, _ = make_car_images(5, car_fraction=0.0, random_state=0)
    assert none.shape == (5, 3, 32, 32)


def test_car_images_show_the_car():
    # With noise off, the same seed with and without a car differ only where it is.
    X, Y = make_car_images(40, noise=0.0, random_state=3)
    red = X[:, 0] - X[:, 1:].mean(axis=1)
    reds = (Y["color"] == "red").fillna(False).to_numpy(dtype=bool)  # object in pandas 2
    assert red[reds].max(axis=(1, 2)).mean() > 0.5


def test_handball_gates_and_mirroring():
    X, Y, tasks = make_handball_clips(200, event_fraction=0.5, random_state=0,
                                      return_tasks=True)
    assert 0.35 < (Y["event"] == "yes").mean() < 0.65
    assert [t.gate for t in tasks[1:]] == [("event", {"yes"})] * 4
    assert set(Y["pass_type"].dropna()) == {"shoulder", "hip", "overhead", "bounce", "lob",
                                           "wrist"}
    # The ball is the brightest thing; before the release (frame 0) it is held on the
    # hand's side of the player: compare its column with the player's.
    static = Y["movement"].isin(["standing", "jumping"]).fillna(False).to_numpy()
    for i in np.flatnonzero(static)[:20]:
        frame = X[i, 0, 0]
        ball_col = np.unravel_index(np.argmax(frame), frame.shape)[1]
        player = (frame > 0.45) & (frame < 0.7)
        cols = np.flatnonzero(player.sum(axis=0) >= 5)
        near = cols[np.argmin(np.abs(cols - ball_col))]
        assert (ball_col < near) == (Y["hand"][i] == "left")


def test_leaf_labels_are_independent_and_exclusive():
    _, Y = make_leaf_images(600, random_state=0)
    table = pd.crosstab(Y["crop"], Y["health"])
    assert table.shape == (3, 3) and table.to_numpy().min() > 40


@pytest.mark.parametrize(
    "make, params, match",
    [
        (make_car_images, {"n_samples": 0}, "n_samples"),
        (make_car_images, {"image_size": 8}, "image_size"),
        (make_car_images, {"car_fraction": 2.0}, "car_fraction"),
        (make_leaf_images, {"noise": -1.0}, "noise"),
        (make_handball_clips, {"n_frames": 3}, "n_frames"),
        (make_handball_clips, {"event_fraction": -0.1}, "event_fraction"),
        # bools are not numbers here, as in make_multitask_classification
        (make_car_images, {"n_samples": True}, "n_samples must be an int >= 1; got True"),
        (make_car_images, {"noise": True}, "noise must be a finite number >= 0; got True"),
        (make_car_images, {"car_fraction": True}, r"car_fraction .* \[0, 1\]; got True"),
        (make_leaf_images, {"n_samples": True}, "n_samples must be an int >= 1; got True"),
        (make_leaf_images, {"noise": False}, "noise must be a finite number >= 0; got False"),
        (make_handball_clips, {"noise": True}, "noise must be a finite number >= 0; got True"),
        (make_handball_clips, {"event_fraction": False},
         r"event_fraction .* \[0, 1\]; got False"),
    ],
)
def test_invalid_parameters(make, params, match):
    params = {"n_samples": 4, **params}
    with pytest.raises(ValueError, match=match):
        make(**params)


@pytest.mark.parametrize(
    "make_transform, shape, match",
    [
        # a bool is not a shift of one pixel
        (lambda nn: nn.RandomShift(True), (4, 1, 6, 6), "RandomShift max_shift .* got True"),
        (lambda nn: nn.RandomShift(1), (4, 5), r"RandomShift expects .* shape \(4, 5\)"),
        (lambda nn: nn.RandomFlip(dim=5), (4, 1, 6, 6),
         r"RandomFlip dim=5 is out of range .* shape \(4, 1, 6, 6\)"),
        (lambda nn: nn.RandomFlip(dim=1.5), (4, 1, 6, 6), "RandomFlip dim must be an int"),
        (lambda nn: nn.RandomFlip(p=True), (4, 1, 6, 6), r"RandomFlip p .* \[0, 1\]; got True"),
        (lambda nn: nn.GaussianNoise("a"), (4, 3), "GaussianNoise std .* got 'a'"),
        (lambda nn: nn.GaussianNoise(-1), (4, 3), "GaussianNoise std .* >= 0; got -1"),
        (lambda nn: nn.GaussianNoise(float("nan")), (4, 3), "GaussianNoise std .* got nan"),
        (lambda nn: nn.Compose(nn.RandomShift(1)), (4, 1, 6, 6),
         r"Compose transforms must be a list .* Compose\(\[transform\]\)"),
        (lambda nn: nn.Compose([nn.RandomShift(1), 0.5]), (4, 1, 6, 6),
         r"Compose transforms\[1\] is 0.5; expected a callable"),
    ],
)
def test_augmentation_invalid_parameters(make_transform, shape, match):
    torch = pytest.importorskip("torch")
    from sklearn_mtl import neural

    transform = make_transform(neural)
    X = torch.ones(shape)
    with pytest.raises(ValueError, match=match):
        transform(X)
    assert torch.equal(X, torch.ones(shape))  # the batch is left as it was


@pytest.mark.parametrize("sizes", [np.array([8]), np.array([8, 4], dtype=np.int32)])
def test_hidden_layer_sizes_accepts_int_arrays_like_mlpclassifier(sizes):
    pytest.importorskip("torch")
    from sklearn.base import clone

    from sklearn_mtl import MultiTaskClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(30, 3).astype(np.float32)
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    params = {"max_epochs": 2, "random_state": 0}
    clf = MultiTaskClassifier(hidden_layer_sizes=sizes, **params).fit(X, Y)
    ref = MultiTaskClassifier(hidden_layer_sizes=tuple(sizes.tolist()), **params).fit(X, Y)
    np.testing.assert_allclose(clf.predict_proba(X)[0], ref.predict_proba(X)[0])
    assert clf.get_params()["hidden_layer_sizes"] is sizes  # as passed, not converted
    np.testing.assert_array_equal(clone(clf).hidden_layer_sizes, sizes)


def test_hidden_layer_sizes_rejects_2d_array():
    pytest.importorskip("torch")
    from sklearn_mtl import MultiTaskClassifier

    X = np.zeros((4, 2), dtype=np.float32)
    Y = np.array([[0, 1], [1, 0], [0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"hidden_layer_sizes is an array of shape \(1, 1\)"):
        MultiTaskClassifier(hidden_layer_sizes=np.array([[8]]), max_epochs=1).fit(X, Y)
