"""Convolutional trunks, named trunks, batch transforms and data beyond memory."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from _classic import CLASSIC
from sklearn.model_selection import GridSearchCV
from torch import nn

from sklearn_mtl import MultiTaskClassifier, Task
from sklearn_mtl.neural import (
    ArrayDataset,
    Compose,
    Conv2dTrunk,
    Conv3dTrunk,
    EnsembleMLPTrunk,
    FrameConvTrunk,
    GaussianNoise,
    MemberLinear,
    MLPTrunk,
    RandomFlip,
    RandomShift,
)


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny convolutions: threads cost more than they bring, and the CPU may be shared.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def square_images(n=120, channels=3, size=12, seed=0):
    """Trivially separable: a bright square top-left ("a") or bottom-right ("b"), and
    in channel 0 or 1 (task "where" and task "channel")."""
    rng = np.random.RandomState(seed)
    X = (0.1 * rng.standard_normal((n, channels, size, size))).astype(np.float32)
    where = rng.randint(2, size=n)
    channel = rng.randint(2, size=n)
    h = size // 2
    for i in range(n):
        rows = slice(1, h - 1) if where[i] == 0 else slice(h + 1, size - 1)
        X[i, channel[i], rows, rows] += 1.0
    Y = pd.DataFrame({"where": np.array(["a", "b"])[where],
                      "channel": np.array(["c0", "c1"])[channel]})
    return X, Y


def clips(n=40, frames=6, size=12, seed=0):
    """A dot moving right or left."""
    rng = np.random.RandomState(seed)
    X = (0.05 * rng.standard_normal((n, 1, frames, size, size))).astype(np.float32)
    direction = rng.randint(2, size=n)
    for i in range(n):
        for t in range(frames):
            x = 2 + t if direction[i] else size - 3 - t
            X[i, 0, t, size // 2, x] = 1.0
    return X, np.array(["left", "right"])[direction]


def small(**params):
    defaults = dict(lr=1e-2, batch_size=16, max_epochs=2, random_state=0, **CLASSIC)
    return MultiTaskClassifier(**{**defaults, **params})


# ------------------------------------------------------------------------ shapes
@pytest.mark.parametrize("shape", [(2, 3, 32, 32), (2, 1, 8, 8), (3, 2, 7, 9), (1, 1, 1, 1)])
def test_conv2d_trunk_any_image_size(shape):
    trunk = Conv2dTrunk(shape[1], channels=(4, 6, 8)).eval()
    assert trunk(torch.zeros(shape)).shape == (shape[0], 8)
    assert trunk.out_features == 8


@pytest.mark.parametrize("cls", [Conv3dTrunk, FrameConvTrunk])
@pytest.mark.parametrize("shape", [(2, 1, 8, 16, 16), (2, 3, 3, 9, 7), (1, 1, 1, 2, 2)])
def test_clip_trunks_any_clip_size(cls, shape):
    trunk = cls(shape[1], channels=(4, 5)).eval()
    assert trunk(torch.zeros(shape)).shape == (shape[0], 5)


@pytest.mark.parametrize(
    "trunk, cls, shape",
    [("conv2d", Conv2dTrunk, (3, 10, 10)), ("conv2d", Conv2dTrunk, (1, 8, 8)),
     ("conv3d", Conv3dTrunk, (2, 4, 10, 10)), ("conv2d_frames", FrameConvTrunk, (1, 4, 8, 8))],
)
def test_named_trunk_infers_channels_and_shape(trunk, cls, shape):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, *shape)).astype(np.float32)
    y = np.arange(20) % 3
    clf = small(trunk=trunk, trunk_params={"channels": (4, 6)}, max_epochs=1).fit(X, y)
    module = clf.net_.module_
    assert isinstance(module.trunk, cls)
    first_conv = next(m for m in module.trunk.modules() if isinstance(m, (nn.Conv2d, nn.Conv3d)))
    assert first_conv.in_channels == shape[0]
    assert module.heads.in_features == 6
    assert clf.n_features_in_ == shape[0]
    assert clf.predict_proba(X).shape == (20, 3)


@pytest.mark.parametrize(
    "trunk, X_shape, match",
    [
        ("conv2d", (10, 64), r"expects X of shape \(n_samples, channels, height, width\); "
                             r"got X of shape \(n_samples, 64\)"),
        ("conv2d", (10, 1, 4, 8, 8), r"expects X of shape \(n_samples, channels, height"),
        ("conv3d", (10, 1, 8, 8), r"expects X of shape \(n_samples, channels, frames, height"),
        ("conv2d_frames", (10, 1, 8, 8), r"expects X of shape \(n_samples, channels, frames"),
    ],
)
def test_named_trunk_wrong_input_rank_raises(trunk, X_shape, match):
    X = np.zeros(X_shape, dtype=np.float32)
    with pytest.raises(ValueError, match=match):
        small(trunk=trunk).fit(X, np.arange(10) % 2)


@pytest.mark.parametrize(
    "trunk, X_shape, transpose",
    [
        ("conv2d", (10, 8, 8, 3), "(0, 3, 1, 2)"),  # RGB images as PIL gives them
        ("conv2d", (10, 8, 8, 1), "(0, 3, 1, 2)"),
        ("conv3d", (10, 6, 8, 8, 1), "(0, 4, 1, 2, 3)"),  # frames, height, width, grey
        ("conv2d_frames", (10, 6, 8, 8, 3), "(0, 4, 1, 2, 3)"),
    ],
)
def test_channels_last_samples_are_warned_of(trunk, X_shape, transpose):
    X = np.zeros(X_shape, dtype=np.float32)
    match = (rf"samples of shape \({X_shape[1]}, .*have {X_shape[1]} channels.*"
             rf"X\.transpose\{transpose[:-1]}\)")
    with pytest.warns(UserWarning, match=match):
        small(trunk=trunk).fit(X, np.arange(10) % 2)


@pytest.mark.parametrize(
    "X_shape", [(10, 3, 8, 8), (10, 1, 8, 3), (10, 16, 8, 8), (10, 3, 8, 8, 3)]
)
def test_channels_first_samples_are_not_warned_of(X_shape):
    # channels first, even where the last axis has 3 entries (a 8 x 3 image); the last
    # shape is a clip (3 channels, 8 frames, 8 x 3)
    X = np.zeros(X_shape, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        small(trunk="conv2d" if len(X_shape) == 4 else "conv3d").fit(X, np.arange(10) % 2)


def test_named_trunk_parameter_errors():
    X, Y = square_images(n=10)
    with pytest.raises(ValueError, match=r"trunk_params \['chanels'\] are not parameters "
                                         r"of Conv2dTrunk"):
        small(trunk="conv2d", trunk_params={"chanels": (4,)}).fit(X, Y)
    with pytest.raises(ValueError, match="channels must be a non-empty sequence"):
        small(trunk="conv2d", trunk_params={"channels": ()}).fit(X, Y)
    with pytest.raises(ValueError, match="pool must be one of"):
        small(trunk="conv2d", trunk_params={"pool": "median"}).fit(X, Y)
    with pytest.raises(ValueError, match="trunk"):
        small(trunk="conv4d").fit(X, Y)
    with pytest.raises(ValueError, match="expects a batch of shape"):
        Conv2dTrunk(3)(torch.zeros(2, 3, 4))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"channels": ()}, "FrameConvTrunk channels must be a non-empty sequence"),
        ({"pool": "median"}, r"FrameConvTrunk pool must be one of \['max', 'avg', None\]"),
        ({"activation": "swish"}, "FrameConvTrunk activation must be one of"),
        ({"temporal_kernel_size": 0},
         "FrameConvTrunk temporal_kernel_size must be an int >= 1; got 0"),
        ({"temporal_kernel_size": 2.5},
         "FrameConvTrunk temporal_kernel_size must be an int >= 1; got 2.5"),
        ({"temporal_kernel_size": True},
         "FrameConvTrunk temporal_kernel_size must be an int >= 1; got True"),
    ],
)
def test_frame_conv_trunk_parameter_errors_name_it(params, match):
    # The user chose trunk="conv2d_frames": errors name FrameConvTrunk, not the
    # Conv2dTrunk it runs on each frame.
    with pytest.raises(ValueError, match=match):
        FrameConvTrunk(1, **params)
    X, y = clips(n=8)
    with pytest.raises(ValueError, match=match):
        small(trunk="conv2d_frames", trunk_params=params).fit(X, y)


@pytest.mark.parametrize("cls, dim", [(Conv2dTrunk, 2), (Conv3dTrunk, 3), (FrameConvTrunk, 2)])
@pytest.mark.parametrize(
    "params, message",
    [
        ({"kernel_size": 0}, "kernel_size must be an int >= 1 or a sequence of {dim} such ints"),
        ({"kernel_size": (3,)}, "kernel_size must be an int >= 1 or a sequence of {dim}"),
        ({"kernel_size": True}, "kernel_size must be an int >= 1"),
        ({"stride": 0}, "stride must be an int >= 1 or a sequence of {dim} such ints"),
        ({"stride": 2.0}, "stride must be an int >= 1"),
        ({"dropout": 1.5}, r"dropout must be a float in \[0, 1\); got 1.5"),
        ({"dropout": -0.1}, r"dropout must be a float in \[0, 1\); got -0.1"),
    ],
)
def test_conv_trunk_sizes_and_dropout_are_checked(cls, dim, params, message):
    # A zero kernel or stride built a network that failed (or warned about zero-element
    # weights) only at its first batch; the errors name the trunk and the parameter.
    with pytest.raises(ValueError, match=f"{cls.__name__} " + message.format(dim=dim)):
        cls(1, **params)


def test_conv_trunk_accepts_per_axis_sizes():
    assert Conv2dTrunk(1, kernel_size=(3, 5), stride=(1, 2), dropout=0.2)(
        torch.zeros(2, 1, 9, 9)).shape == (2, 64)
    assert Conv3dTrunk(1, channels=(4,), kernel_size=(1, 3, 3))(
        torch.zeros(2, 1, 4, 8, 8)).shape == (2, 4)


# ---------------------------------------------------------------------- learning
def test_tiny_conv_net_learns_separable_images():
    X, Y = square_images(n=160)
    # 10 epochs: every seed from 0 to 11 reaches 1.0 (6 epochs left 2 of 12 seeds short).
    clf = small(trunk="conv2d", trunk_params={"channels": (8, 8)}, max_epochs=10)
    clf.fit(X[:120], Y[:120])
    pred = clf.predict(X[120:])
    assert (pred["where"] == Y["where"][120:].to_numpy()).mean() >= 0.95
    assert (pred["channel"] == Y["channel"][120:].to_numpy()).mean() >= 0.95


@pytest.mark.parametrize("trunk", ["conv3d", "conv2d_frames"])
def test_clip_trunks_learn_motion_direction(trunk):
    # The frames hold the same dots either way: only their order tells the direction.
    X, y = clips(n=60)
    params = {"channels": (8, 8)}
    if trunk == "conv3d":
        params["stride"] = 1
    clf = small(trunk=trunk, trunk_params=params, max_epochs=12).fit(X[:40], y[:40])
    assert clf.score(X[40:], y[40:]) >= 0.9


class ImageTrunk(nn.Module):
    """A user trunk honouring the contract: batch in, (batch, n_features) out."""

    def __init__(self, in_channels, width=5):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, width, 3)

    def forward(self, x):
        return self.conv(x).amax(dim=(2, 3))


def test_user_module_trunk_on_images():
    X, Y = square_images(n=30)
    clf = small(trunk=ImageTrunk, trunk_params={"width": 7}).fit(X, Y)
    assert clf.net_.module_.trunk.conv.in_channels == 3
    assert clf.net_.module_.heads.in_features == 7  # inferred by a forward pass


# ---------------------------------------------------------------- nested params
def test_nested_trunk_params_for_set_params_and_grid_search():
    given = {"channels": (4,), "pool": "avg"}
    clf = small(trunk="conv2d", trunk_params=given)
    clf.set_params(trunk_params__channels=(2, 3), lr=0.1)
    assert clf.trunk_params == {"channels": (2, 3), "pool": "avg"}
    assert given == {"channels": (4,), "pool": "avg"}  # never modified
    assert small().set_params(trunk_params__channels=(2,)).trunk_params == {"channels": (2,)}
    # Both forms at once: the entries update the given dict.
    clf.set_params(trunk_params={"pool": "max"}, trunk_params__channels=(5,))
    assert clf.trunk_params == {"pool": "max", "channels": (5,)}
    with pytest.raises(ValueError, match="Invalid parameter"):
        clf.set_params(nope_params__channels=(2,))

    X, Y = square_images(n=40)
    search = GridSearchCV(
        small(trunk="conv2d", trunk_params={"pool": "max"}, max_epochs=1),
        {"trunk_params__channels": [(2,), (3, 4)]}, cv=2,
    ).fit(X, Y["where"])
    assert set(search.best_params_) == {"trunk_params__channels"}
    channels = search.best_estimator_.net_.module_.trunk.out_features
    assert channels == search.best_params_["trunk_params__channels"][-1]


# ------------------------------------------------------------- batch transforms
class Recorder:
    def __init__(self):
        self.calls = 0

    def __call__(self, X):
        self.calls += 1
        return X


def test_batch_transform_applied_in_training_only():
    X, Y = square_images(n=48)
    recorder = Recorder()
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}, batch_transform=recorder,
                early_stopping=True, validation_fraction=0.25, batch_size=12)
    clf.fit(X, Y)
    # 36 training rows, batches of 12: 3 per epoch; the validation batches are untouched.
    assert clf.net_.batch_transform.calls == 3 * len(clf.history_)
    calls = clf.net_.batch_transform.calls
    clf.predict(X)
    clf.predict_proba(X)
    assert clf.net_.batch_transform.calls == calls
    assert recorder.calls == 0  # the parameter itself is left alone (deep-copied by skorch)


def test_batch_transform_changes_training_and_is_seeded():
    X, Y = square_images(n=48)
    base = small(trunk="conv2d", trunk_params={"channels": (4,)})
    plain = base.fit(X, Y).predict_proba(X)[0]
    aug = small(trunk="conv2d", trunk_params={"channels": (4,)},
                batch_transform=Compose([RandomShift(1), GaussianNoise(0.05)]))
    first = aug.fit(X, Y).predict_proba(X)[0]
    again = pickle.loads(pickle.dumps(aug)).fit(X, Y).predict_proba(X)[0]
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, plain)


def test_augmentations():
    torch.manual_seed(0)
    X = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).reshape(2, 1, 4, 4)
    np.testing.assert_array_equal(RandomShift(0)(X), X)
    shifted = RandomShift(1)(X)
    assert shifted.shape == X.shape
    clip = torch.ones(3, 1, 5, 6, 6)
    assert RandomShift(2)(clip).shape == clip.shape
    np.testing.assert_array_equal(RandomFlip(p=1.0)(X), X.flip(-1))
    np.testing.assert_array_equal(RandomFlip(p=0.0)(X), X)
    with pytest.raises(ValueError, match="max_shift"):
        RandomShift(-1)(X)
    with pytest.raises(ValueError, match="batch dimension"):
        RandomFlip(dim=0)(X)
    assert "RandomShift(max_shift=1)" in repr(Compose([RandomShift(1)]))


# -------------------------------------------------------- data beyond memory
class ImageDataset(torch.utils.data.Dataset):
    """Images read one at a time (as from files)."""

    def __init__(self, X):
        self.X = X

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return torch.from_numpy(self.X[i])


def conv_clf(**params):
    # Dropout and batch norm: the run depends on torch's RNG and on batch composition.
    return small(trunk="conv2d", trunk_params={"channels": (4, 6), "dropout": 0.2},
                 batch_size=16, max_epochs=2, **params)


@pytest.fixture(scope="module")
def reference():
    """Array-backed fit (module-scoped: must not be refitted)."""
    X, Y = square_images(n=56)
    with torch.random.fork_rng():
        torch.set_num_threads(1)
        clf = conv_clf().fit(X, Y)
    return X, Y, clf.predict_proba(X)


def test_dataset_fit_equals_array_fit(reference):
    X, Y, expected = reference
    clf = conv_clf().fit(ImageDataset(X), Y)  # several shuffled batches, dropout
    got = clf.predict_proba(ImageDataset(X))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    assert clf.n_features_in_ == 3


def test_dataset_fit_with_workers_equals_array_fit(reference):
    X, Y, expected = reference
    clf = conv_clf(num_workers=2).fit(ImageDataset(X), Y)
    for e, g in zip(expected, clf.predict_proba(ImageDataset(X))):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_memmap_fit_equals_array_fit_without_loading_it(reference, tmp_path, dtype):
    X, Y, expected = reference
    path = tmp_path / "X.npy"
    np.save(path, X.astype(dtype))
    mapped = np.load(path, mmap_mode="r")
    clf = conv_clf()
    validated = clf._validate_X(mapped, reset=True)
    # Not copied, not converted: rows are read and converted batch by batch.
    assert isinstance(validated, ArrayDataset) and validated.X is mapped
    clf.fit(mapped, Y)
    for e, g in zip(expected, clf.predict_proba(mapped)):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    assert clf.n_features_in_ == 3
    with pytest.raises(ValueError, match=r"with 3 channels first, but MultiTaskClassifier "
                                         r"was fitted on samples of shape \(2, 12, 12\), "
                                         r"with 2 channels first\.$"):
        conv_clf().fit(X[:, :2], Y).predict(mapped)


def test_uint8_memmap_and_workers(tmp_path):
    X, Y = square_images(n=32)
    pixels = np.clip(X * 200, 0, 255).astype(np.uint8)
    mapped = np.memmap(tmp_path / "X.u8", dtype=np.uint8, mode="w+", shape=pixels.shape)
    mapped[:] = pixels
    mapped.flush()
    mapped = np.memmap(tmp_path / "X.u8", dtype=np.uint8, mode="r", shape=pixels.shape)
    expected = conv_clf().fit(pixels.astype(np.float32), Y).predict_proba(pixels)
    clf = conv_clf(num_workers=2).fit(mapped, Y)
    for e, g in zip(expected, clf.predict_proba(mapped)):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_array_dataset_pickles_by_reopening_the_file(tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, np.arange(4000, dtype=np.float32).reshape(1000, 4))
    dataset = ArrayDataset(np.load(path, mmap_mode="r"))
    payload = pickle.dumps(dataset)
    assert len(payload) < 1000  # the file's name, not its 16 kB of data
    restored = pickle.loads(payload)
    assert isinstance(restored.X, np.memmap)
    np.testing.assert_array_equal(restored[3], dataset[3])
    # A slice of a map cannot be reopened from the file: its data are pickled.
    part = pickle.loads(pickle.dumps(ArrayDataset(np.load(path, mmap_mode="r")[10:20])))
    np.testing.assert_array_equal(part[0], np.arange(40, 44, dtype=np.float32))


def test_gated_tasks_on_images():
    X, Y = square_images(n=40)
    Y = Y.assign(channel=Y["channel"].where(Y["where"] == "b"))
    tasks = [Task("where"), Task("channel", gate=("where", "b"))]
    clf = small(tasks=tasks, trunk="conv2d", trunk_params={"channels": (4,)}).fit(X, Y)
    pred = clf.predict(X)
    assert pred.loc[pred["where"] == "a", "channel"].isna().all()


@pytest.mark.parametrize("trunk_cls, shape", [(Conv2dTrunk, (3, 3, 10, 12)),
                                              (FrameConvTrunk, (2, 1, 4, 8, 8))])
def test_channels_last_is_the_same_model(trunk_cls, shape):
    torch.manual_seed(0)
    plain = trunk_cls(shape[1], channels=(4, 6)).eval()
    fast = trunk_cls(shape[1], channels=(4, 6), channels_last=True).eval()
    fast.load_state_dict(plain.state_dict())
    weight = next(m.weight for m in fast.modules() if isinstance(m, torch.nn.Conv2d))
    assert weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(*shape)
    torch.testing.assert_close(fast(x), plain(x), rtol=1e-5, atol=1e-6)


def test_channels_last_trains_and_predicts():
    X, Y = square_images(n=40)
    clf = small(trunk="conv2d", trunk_params={"channels": (4,), "channels_last": True})
    clf.fit(X, Y)
    assert clf.predict_proba(X)[0].shape == (40, 2)


def test_a_users_preprocessing_step_on_images_or_a_dataset_warns_that_it_is_not_used(tmp_path):
    # Only a 2-D table is preprocessed: a step the user chose for images, clips or a
    # Dataset went unused unsaid (as for a sparse matrix, see test_sparse).
    import warnings

    from sklearn.preprocessing import StandardScaler
    from torch.utils.data import TensorDataset

    rng = np.random.RandomState(0)
    images = rng.standard_normal((12, 1, 6, 6)).astype(np.float32)
    y = np.arange(12) % 2
    stored = np.lib.format.open_memmap(tmp_path / "images.npy", mode="w+",
                                       dtype=np.float32, shape=images.shape)
    stored[:] = images
    stored.flush()
    conv = dict(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1)
    table = rng.standard_normal((12, 3)).astype(np.float32)
    dataset = TensorDataset(torch.from_numpy(table))
    for X, target, params, what in [  # (a Dataset of features, y given)
        (images, y, conv, r"X is an array of 3-D samples \(images, clips\)"),
        (np.load(tmp_path / "images.npy", mmap_mode="r"), y, conv,
         r"X is a memory map of 3-D samples \(images, clips\)"),
        (dataset, y, {}, r"X is a torch Dataset \(TensorDataset\)"),
    ]:
        with pytest.warns(UserWarning, match=r"preprocessing=StandardScaler\(\.\.\.\) is not "
                                             rf"used: {what}.*put it in a Pipeline"):
            clf = small(preprocessing=StandardScaler(), **params).fit(X, target)
        assert clf.preprocessor_ is None
        with warnings.catch_warnings():  # the default and None say nothing
            warnings.filterwarnings("error", message=".*preprocessing=")
            for preprocessing in ("auto", None):
                small(preprocessing=preprocessing, **params).fit(X, target)


# ------------------------------------------------------------ a user's own pieces
def sequential_trunk(in_channels):
    """A user trunk without ``out_features``: its width is found by a forward pass."""
    return nn.Sequential(nn.Conv2d(in_channels, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())


class ItemsOf(torch.utils.data.Dataset):
    """Images read one at a time, as numpy arrays of their own dtype."""

    def __init__(self, X):
        self.X = X

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i]


@pytest.mark.parametrize("dtype", [np.float64, np.uint8])
def test_user_trunk_without_width_on_a_dataset_of_float64_or_uint8_items(dtype):
    # The dry pass that finds the width read the item's own dtype (a float64 conv input
    # failed: "Input type (double) and bias type (float) should be the same"); training
    # reads it as float32, as an array of the same values is read.
    X, Y = square_images(n=24)
    X = (X * 100).astype(dtype)
    on_array = small(trunk=sequential_trunk).fit(X, Y)
    on_dataset = small(trunk=sequential_trunk).fit(ItemsOf(X), Y)
    assert on_dataset.net_.module_.heads.in_features == 4
    for e, g in zip(on_array.predict_proba(X), on_dataset.predict_proba(ItemsOf(X))):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


class TupleTrunk(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.layer = nn.Linear(n_features, 3)

    def forward(self, x):
        return self.layer(x), x


class SequenceTrunk(nn.Module):
    out_features = 3

    def __init__(self, n_features):
        super().__init__()
        self.layer = nn.Linear(n_features, 3)

    def forward(self, x):
        return self.layer(x)[:, None, :]  # (batch, 1, 3): not flat


class MisstatedTrunk(nn.Module):
    out_features = 5  # but it returns 3

    def __init__(self, n_features):
        super().__init__()
        self.layer = nn.Linear(n_features, 3)

    def forward(self, x):
        return self.layer(x)


@pytest.mark.parametrize("trunk, match", [
    (TupleTrunk, r"trunk \(TupleTrunk\) must map a batch to one tensor.*returned a tuple"),
    (SequenceTrunk, r"trunk \(SequenceTrunk\) must map .*returned shape \(2, 1, 3\)"),
    (MisstatedTrunk, r"trunk \(MisstatedTrunk\) states out_features=5, but it returned 3"),
    (TupleTrunk(4).double(), r"trunk \(TupleTrunk\) has float64 parameters.*trunk.float"),
])
def test_a_user_trunk_that_breaks_the_contract_is_named_at_fit(trunk, match):
    # These failed in the heads or the loss in the middle of training (split_with_sizes,
    # "mat1 and mat2 shapes cannot be multiplied", "'tuple' object has no attribute
    # 'ndim'"), or trained with a stated width that the heads did not read.
    X = np.random.RandomState(0).standard_normal((20, 4)).astype(np.float32)
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    with pytest.raises(ValueError, match=match):
        small(trunk=trunk).fit(X, Y)


class DictItems(ItemsOf):
    def __getitem__(self, i):
        return {"image": self.X[i]}


class ListItems(ItemsOf):
    def __getitem__(self, i):
        return [float(v) for v in self.X[i]]


def test_a_dataset_of_dicts_or_a_dataloader_as_X_is_refused_clearly():
    # skorch passes a dict to the module as keyword arguments; a trunk takes one tensor.
    # Both failed deep inside (IndexError "tuple index out of range"; "float() argument
    # must be a string or a real number, not 'DataLoader'").
    X, Y = square_images(n=8)
    with pytest.raises(ValueError, match=r"Dataset \(DictItems\) whose items are dicts "
                                         r"\(keys \['image'\]\)"):
        small(trunk="conv2d").fit(DictItems(X), Y)
    rows = X.reshape(len(X), -1)
    with pytest.raises(ValueError, match=r"items are lists read as \(features, label\), "
                                         r"whose first entry is a float"):
        small().fit(ListItems(rows), Y)  # its first number was read as the features
    loader = torch.utils.data.DataLoader(ItemsOf(X), batch_size=4)
    with pytest.raises(ValueError, match=r"X is a torch DataLoader; pass its Dataset"):
        small(trunk="conv2d").fit(loader, Y)


def test_a_tensor_that_requires_grad_trains_as_its_values():
    # The lookup of repeated rows read the tensor as given and failed after training
    # ("Can't call numpy() on Tensor that requires grad").
    X = np.random.RandomState(0).standard_normal((30, 4)).astype(np.float32)
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    tensor = torch.from_numpy(X.copy()).requires_grad_()
    expected = MultiTaskClassifier(max_epochs=2, random_state=0).fit(X, Y).predict_proba(X)
    got = MultiTaskClassifier(max_epochs=2, random_state=0).fit(tensor, Y).predict_proba(tensor)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)
    assert tensor.requires_grad and torch.equal(tensor.detach(), torch.from_numpy(X))


@pytest.mark.parametrize("images", [True, False])
def test_a_memory_mapped_validation_set_scores_as_the_array(tmp_path, images):
    # X_val as a memory map was validated to a lazy Dataset that the validation split
    # could not slice: AttributeError "'ArrayDataset' object has no attribute 'shape'".
    if images:
        X, Y = square_images(n=40)
        make = lambda: conv_clf(early_stopping=True)  # noqa: E731
    else:
        X = np.random.RandomState(0).standard_normal((40, 5))
        Y = pd.DataFrame({"a": np.where(X[:, 0] > 0, "p", "n")})
        make = lambda: small(early_stopping=True)  # noqa: E731
    np.save(tmp_path / "X_val.npy", X[30:])
    mapped = np.load(tmp_path / "X_val.npy", mmap_mode="r")
    expected = make().fit(X[:30], Y[:30], X_val=X[30:], y_val=Y[30:])
    got = make().fit(X[:30], Y[:30], X_val=mapped, y_val=Y[30:])
    np.testing.assert_array_equal(
        got.history_[:, "valid_loss"], expected.history_[:, "valid_loss"])
    for e, g in zip(expected.predict_proba(X), got.predict_proba(X)):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("trunk", ["conv3d", "conv2d_frames"])
def test_frames_first_clips_are_warned_of(trunk):
    # torchvision gives clips as (frames, channels, height, width): read as (channels,
    # frames, ...), 6 frames of grey were silently taken for 6 channels of 1 frame.
    X, y = clips(n=10, frames=6)
    frames_first = X.transpose(0, 2, 1, 3, 4)  # (10, 6, 1, 12, 12)
    with pytest.warns(UserWarning, match=r"samples of shape \(6, 1, 12, 12\) have 6 channels "
                                         r"and 1 frames.*X\.transpose\(0, 2, 1, 3, 4\)"):
        small(trunk=trunk, trunk_params={"channels": (4,)}).fit(frames_first, y)
    with warnings.catch_warnings():  # the clips as given: no warning
        warnings.simplefilter("error", UserWarning)
        small(trunk=trunk, trunk_params={"channels": (4,)}).fit(X, y)


def test_predicting_one_image_without_its_batch_axis_says_so():
    # A (channels, height, width) image was read as 3 samples of 12 "features":
    # "X has 12 features, but MultiTaskClassifier is expecting 3 features as input."
    X, Y = square_images(n=32)
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}).fit(X, Y)
    with pytest.raises(ValueError, match=r"X has shape \(3, 12, 12\), one sample's .*"
                                         r"X\[np\.newaxis\] \(shape \(1, 3, 12, 12\)\)"):
        clf.predict(X[0])
    with pytest.raises(ValueError, match=r"X has shape \(3, 12, 12\), one sample's"):
        clf.predict_proba(torch.from_numpy(X[0]))
    expected = clf.predict_proba(X[:1])
    for e, g in zip(expected, clf.predict_proba(X[0][np.newaxis])):
        np.testing.assert_array_equal(g, e)


class _ModeTrunk(nn.Module):
    """A convolution with batch normalisation and dropout that records its mode."""

    def __init__(self, in_channels=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.features(x)


def test_a_trunk_given_in_eval_mode_trains_in_training_mode():
    # skorch's train step puts every submodule in training mode; the net switched its
    # top module only, so a trunk instance the user had put in eval mode (to look at
    # its outputs first) trained with dropout off and batch-norm statistics frozen
    X, Y = square_images(n=32)
    trunk = _ModeTrunk().eval()
    clf = small(trunk=trunk, batch_size=16).fit(X, Y)
    fitted = clf.net_.module_.trunk
    # the fit's dry pass runs in eval mode; then 2 epochs of 2 batches in training mode
    assert fitted.modes[1:] == [True] * 4
    assert int(fitted.features[1].num_batches_tracked) == 4
    assert not trunk.training and trunk.modes == []  # the parameter is left alone
    fitted.modes.clear()
    first = clf.predict_proba(X)[0]
    np.testing.assert_array_equal(clf.predict_proba(X)[0], first)  # dropout off
    assert fitted.modes and not any(fitted.modes)


@pytest.mark.parametrize(
    "transform, match",
    [
        (lambda X: X[:-1], r"returned a batch of shape \(15, 3, 12, 12\) for a batch of "
                           r"shape \(16, 3, 12, 12\); it must keep one row per sample"),
        (lambda X: torch.cat([X, X]), r"returned a batch of shape \(32, 3, 12, 12\)"),
        (lambda X: (X,), r"returned a tuple for a batch of shape \(16, 3, 12, 12\); "
                         "expected a tensor"),
        (lambda X: None, "returned a NoneType"),
    ],
)
def test_a_batch_transform_that_breaks_the_batch_is_named(transform, match):
    # a batch of another number of rows failed in the loss ("Target size ... must be
    # the same as input size"), a tuple in the trunk, neither naming batch_transform
    X, Y = square_images(n=32)
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}, batch_transform=transform)
    with pytest.raises(ValueError, match="batch_transform=.*" + match):
        clf.fit(X, Y)


def test_a_batch_transform_in_float64_or_numpy_trains_as_float32():
    # numpy computes in float64: the batch failed in the first convolution with
    # "expected scalar type Double but found Float", where X itself is read as float32
    X, Y = square_images(n=32)
    expected = small(trunk="conv2d", trunk_params={"channels": (4,)},
                     batch_transform=lambda X: X * 2).fit(X, Y).predict_proba(X)
    for transform in (lambda X: X.double() * 2, lambda X: X.numpy().astype(np.float64) * 2):
        got = small(trunk="conv2d", trunk_params={"channels": (4,)},
                    batch_transform=transform).fit(X, Y).predict_proba(X)
        for e, g in zip(expected, got):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-6)


def test_predicting_images_of_other_channels_names_them():
    # "X has 12 features, but MultiTaskClassifier is expecting 3 features as input"
    X, Y = square_images(n=32)
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}).fit(X, Y)
    with pytest.raises(ValueError, match=r"samples of shape \(12, 12, 3\), with 12 channels "
                                         r"first, .* fitted on samples of shape \(3, 12, "
                                         r"12\).*X\.transpose\(0, 3, 1, 2\)"):
        clf.predict(X.transpose(0, 2, 3, 1))
    with pytest.raises(ValueError, match=r"samples of shape \(1, 12, 12\), with 1 channel "
                                         r"first.*with 3 channels first\.$"):
        clf.predict_proba(torch.from_numpy(X[:, :1]))


@pytest.mark.parametrize(
    "trunk, X_shape, words",
    [("conv2d", (10, 8, 8), "Grey images"), ("conv3d", (10, 6, 8, 8), "Grey clips"),
     ("conv2d_frames", (10, 6, 8, 8), "Grey clips")],
)
def test_grey_images_without_a_channel_axis_are_told_how_to_add_it(trunk, X_shape, words):
    # (n_samples, height, width), as grey images usually come: the error only said
    # "Reshape X (e.g. X.reshape(n_samples, channels, height, width))"
    X = np.zeros(X_shape, dtype=np.float32)
    with pytest.raises(ValueError, match=words + r" without a channel axis take one: "
                                         r"X\[:, np\.newaxis\]\."):
        small(trunk=trunk).fit(X, np.arange(10) % 2)
    small(trunk=trunk, trunk_params={"channels": (4,)}, max_epochs=1).fit(
        X[:, np.newaxis], np.arange(10) % 2)


def test_predicting_flattened_images_says_the_shape_expected(tmp_path):
    # X.reshape(n, -1) of the images a model was fitted on: "X has 432 features, but
    # MultiTaskClassifier is expecting 3 features as input", the images' channels, without
    # the shape expected; in memory or memory-mapped alike
    X, Y = square_images(n=32)
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}).fit(X, Y)
    match = (r"^X has shape \(32, 432\), rows of 432 features, but MultiTaskClassifier was "
             r"fitted on samples of shape \(3, 12, 12\) and expects X of shape \(n_samples, "
             r"3, 12, 12\)\. If each row is one sample flattened, pass "
             r"X\.reshape\(-1, 3, 12, 12\)\.$")
    flat = X.reshape(len(X), -1)
    with pytest.raises(ValueError, match=match):
        clf.predict(flat)
    with pytest.raises(ValueError, match=match):
        clf.predict_proba(torch.from_numpy(flat))
    np.save(tmp_path / "flat.npy", flat)
    with pytest.raises(ValueError, match=match):
        clf.predict(np.load(tmp_path / "flat.npy", mmap_mode="r"))
    # rows of another width: the shape expected, without the reshape
    with pytest.raises(ValueError, match=r"rows of 10 features, .*\(n_samples, 3, 12, 12\)\.$"):
        clf.predict(flat[:, :10])
    for e, g in zip(clf.predict_proba(X), clf.predict_proba(flat.reshape(-1, 3, 12, 12))):
        np.testing.assert_array_equal(g, e)


def test_memory_mapped_images_of_other_channels_and_grey_images_are_named(tmp_path):
    # a memory map of channels-last images said "X has 12 features, but ... is expecting
    # 3 features" (the in-memory array's error names the channels); grey images predicted
    # without their channel axis were told to pass X[np.newaxis], one sample of 32 channels
    X, Y = square_images(n=32)
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1).fit(X, Y)
    np.save(tmp_path / "last.npy", X.transpose(0, 2, 3, 1))
    with pytest.raises(ValueError, match=r"samples of shape \(12, 12, 3\), with 12 channels "
                                         r"first.*X\.transpose\(0, 3, 1, 2\)"):
        clf.predict(np.load(tmp_path / "last.npy", mmap_mode="r"))
    grey = X[:, :1].copy()
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1).fit(grey, Y)
    match = (r"^X has shape \(32, 12, 12\), but MultiTaskClassifier was fitted on samples of "
             r"shape \(1, 12, 12\), with 1 channel first: for samples without their channel "
             r"axis, pass X\[:, np\.newaxis\] \(shape \(32, 1, 12, 12\)\)\.$")
    for flat in (grey[:, 0], torch.from_numpy(grey[:, 0].copy())):
        with pytest.raises(ValueError, match=match):
            clf.predict(flat)
    with pytest.raises(ValueError, match=r"one sample's number of axes.*X\[np\.newaxis\]"):
        clf.predict(grey[0])  # one grey image with its channel axis: one sample
    for e, g in zip(clf.predict_proba(grey), clf.predict_proba(grey[:, 0][:, np.newaxis])):
        np.testing.assert_array_equal(g, e)


def test_building_blocks_name_an_unknown_activation():
    # The public building blocks raised a bare KeyError('softplus') from their lookup of
    # the activation: a trunk of one's own got no word of the parameter or the options.
    from sklearn_mtl.neural import EnsembleMLPTrunk, MemberHeads, MLPTrunk, mlp_layers

    match = (r"^activation must be one of \['gelu', 'identity', 'logistic', 'relu', "
             r"'tanh'\]; got 'softplus'\.$")
    builders = [
        lambda: mlp_layers(4, (3,), "softplus"),
        lambda: MLPTrunk(4, hidden_layer_sizes=(3,), activation="softplus"),
        lambda: EnsembleMLPTrunk(4, (3,), n_members=2, activation="softplus"),
        lambda: MemberHeads(2, 4, [(2, (3,))], activation="softplus"),
    ]
    for build in builders:
        with pytest.raises(ValueError, match=match):
            build()
    with pytest.raises(ValueError, match=r"activation must be one of .*; got None\."):
        mlp_layers(4, (3,), None)
    layers, width = mlp_layers(4, (3,), "gelu")
    assert width == 3 and isinstance(layers[1], nn.GELU)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_dataset_item_with_nan_or_inf_is_refused_in_fit_and_predict(bad):
    # a Dataset's items reach the network as they are: a NaN trained a NaN loss (the
    # error blamed a diverged training and lr) and predicted NaN probabilities silently
    X, Y = square_images(n=16, size=8)
    broken = X.copy()
    broken[5, 1, 2, 3] = bad
    what = "NaN" if np.isnan(bad) else "an infinite value"
    match = rf"X is a Dataset \(ImageDataset\) whose item 5 holds {what}.* position \(1, 2, 3\)"
    with pytest.raises(ValueError, match=match):
        small(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1).fit(
            ImageDataset(broken), Y)
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1).fit(
        ImageDataset(X), Y)
    with pytest.raises(ValueError, match=match):
        clf.predict_proba(ImageDataset(broken))
    assert np.isfinite(clf.predict_proba(ImageDataset(X))[0]).all()


@pytest.mark.parametrize(("bad", "what"), [(np.inf, "inf, not a finite number"),
                                           (-np.inf, "-inf, not a finite number"),
                                           (1e300, "1e\\+300, too large for float32")])
def test_an_array_of_images_with_an_infinite_value_names_its_index(bad, what):
    # NaN was named by its index; infinity was scikit-learn's "Input X contains
    # infinity" without it, in a batch of thousands of pixels
    X, Y = square_images(n=16, size=8)
    broken = X.astype(np.float64)
    broken[5, 1, 2, 3] = bad
    match = rf"sample 5, at index \(5, 1, 2, 3\) of X, holds {what}"
    with pytest.raises(ValueError, match=match):
        small(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1).fit(broken, Y)
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1).fit(X, Y)
    with pytest.raises(ValueError, match=match):
        clf.predict(broken)


@pytest.mark.parametrize(
    ("cls", "params", "match"),
    [
        (Conv2dTrunk, {"channels": 16},
         r"Conv2dTrunk channels must be .*; got 16\. For one block, pass channels=\(16,\)"),
        (Conv3dTrunk, {"channels": (True, 8)}, r"Conv3dTrunk channels must be .*got \(True, 8\)"),
        (FrameConvTrunk, {"channels": "16"}, r"FrameConvTrunk channels must be .*; got '16'\.$"),
        (Conv2dTrunk, {"batch_norm": "no"}, r"Conv2dTrunk batch_norm must be a bool; got 'no'"),
        (FrameConvTrunk, {"channels_last": "yes"},
         r"FrameConvTrunk channels_last must be a bool; got 'yes'"),
    ],
)
def test_trunk_channels_int_and_non_bool_flags_are_refused(cls, params, match):
    # channels=16 failed with "'int' object is not iterable", a bool channel inside torch,
    # a string was read digit by digit, and batch_norm="no" built batch normalisation
    with pytest.raises(ValueError, match=match):
        cls(3, **params)
    X, Y = square_images(n=8, size=8)
    if cls is Conv2dTrunk:  # as the named trunk's parameters too
        with pytest.raises(ValueError, match=match):
            small(trunk="conv2d", trunk_params=params).fit(X, Y)


@pytest.mark.parametrize("shape", [(2, 1, 1, 8, 8), (2, 1, 8, 4, 4), (1, 1, 1, 2, 2)])
def test_conv3d_avg_pool_takes_clips_that_max_pool_takes(shape):
    # torch's AvgPool3d refuses a dimension shorter than its window, even in ceil mode:
    # pool="avg" failed ("input image ... smaller than kernel size") where "max" worked
    torch.manual_seed(0)
    avg = Conv3dTrunk(1, channels=(4, 4, 4), pool="avg").eval()
    assert avg(torch.zeros(shape)).shape == (shape[0], 4)
    # a dimension of one entry is kept as it is: the frames of a one-frame clip are
    # pooled as images are by the 2-D average pooling
    pool = [m for m in avg.features if isinstance(m, nn.AvgPool3d)][1]  # 2 x 2 x 2
    x = torch.randn(2, 3, 1, 5, 5)
    torch.testing.assert_close(pool(x)[:, :, 0], nn.AvgPool2d(2, ceil_mode=True)(x[:, :, 0]))


def test_predict_advice_for_channelless_batch_and_frames_first_clips():
    # a batch of images without their channel axis, for a model of 3 channels, was told
    # to pass X[np.newaxis] (one sample of 16 channels, refused in turn); clips of
    # frames first were refused without the transpose that fit's warning names
    X, Y = square_images(n=16, size=8)
    clf = small(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1).fit(X, Y)
    with pytest.raises(ValueError, match=r"Read as one sample, X has 16 channels, not 3; read "
                                         r"as a batch, its samples lack the channel axis: give "
                                         r"each sample its 3 channels, X of shape "
                                         r"\(16, 3, 8, 8\)\.$"):
        clf.predict(X.mean(axis=1))
    with pytest.raises(ValueError, match=r"one sample's number of axes.*X\[np\.newaxis\]"):
        clf.predict(X[0])  # one image with its channel axis: one sample
    C, y = clips(n=8, frames=6, size=8)
    video = small(trunk="conv2d_frames", trunk_params={"channels": (4,)}, max_epochs=1).fit(C, y)
    with pytest.raises(ValueError, match=r"with 6 channels first, but .* with 1 channel first\. "
                                         r"If the frames come first .* pass "
                                         r"X\.transpose\(0, 2, 1, 3, 4\)\.$"):
        video.predict(C.transpose(0, 2, 1, 3, 4))


@pytest.mark.parametrize(
    "trunk, X_shape, words",
    [("conv3d", (10, 3, 8, 8), r"got X of shape \(n_samples, 3, 8, 8\)\. Images \(n_samples, "
                               r"channels, height, width\) take trunk='conv2d'\. Grey clips"),
     ("conv2d_frames", (10, 3, 8, 8), r"\. Images .* take trunk='conv2d'\."),
     ("conv2d", (10, 1, 4, 8, 8), r"got X of shape \(n_samples, 1, 4, 8, 8\)\. Clips \(n_samples, "
                                  r"channels, frames, height, width\) take trunk='conv3d' or "
                                  r"trunk='conv2d_frames'\. Reshape X")],
)
def test_images_to_a_clip_trunk_and_clips_to_the_image_trunk_name_the_trunk(
        trunk, X_shape, words):
    # the error named a reshape and trunk='mlp' (and, for RGB images, grey clips of 3
    # frames), not the trunk made for the data
    X = np.zeros(X_shape, dtype=np.float32)
    with pytest.raises(ValueError, match=words):
        small(trunk=trunk).fit(X, np.arange(10) % 2)


def test_dataset_items_are_checked_for_nan_a_batch_at_once(monkeypatch):
    # checked item by item, the NaN check cost more than the rest of a small table's
    # training (a fit of 3 epochs took 3 times as long): a batch is checked at once,
    # and only a batch that holds a NaN item by item, which still names the item
    from sklearn_mtl.neural import _net

    calls = []
    check = _net.check_finite_items
    monkeypatch.setattr(_net, "check_finite_items",
                        lambda *args: calls.append(args[1]) or check(*args))
    X, Y = square_images(n=16, size=8)
    small(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1,
          batch_size=4).fit(ImageDataset(X), Y)
    assert calls == []  # finite batches: no item checked on its own
    broken = X.copy()
    broken[11, 0, 1, 2] = np.nan
    with pytest.raises(ValueError, match=r"whose item 11 holds NaN .* position \(0, 1, 2\)"):
        small(trunk="conv2d", trunk_params={"channels": (4,)}, max_epochs=1,
              batch_size=4).fit(ImageDataset(broken), Y)
    assert 11 in calls and len(calls) <= 4  # the items of the one batch that holds it


@pytest.mark.parametrize("trunk, match", [
    (lambda: MLPTrunk(3, (8,)), r"trunk \(MLPTrunk\) fails on the network's input, "
                                r"samples of shape \(4,\).*mat1 and mat2"),
    (lambda: EnsembleMLPTrunk(3, (8,), 4), r"trunk \(EnsembleMLPTrunk\) fails on the "
                                           r"network's input, samples of shape \(4,\)"),
    (lambda: WideTrunk(3), r"trunk \(WideTrunk\) fails on the network's input.*trunk_params"),
])
def test_a_trunk_built_for_another_input_width_is_named_at_fit(trunk, match):
    # A package trunk given as an instance is not run before training: built for 3
    # columns where the network reads 4, it failed in the middle of the first epoch
    # with torch's RuntimeError ("Expected size for first two dimensions of batch2
    # tensor"), naming neither the trunk nor the width; a user's trunk failed so in the
    # dry pass at fit, unnamed too.
    X = np.random.RandomState(0).standard_normal((20, 4)).astype(np.float32)
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    with pytest.raises(ValueError, match=match):
        small(trunk=trunk(), preprocessing=None).fit(X, Y)
    # built for the input, it trains (an ensemble instance with its members' views)
    views = np.ones((4, 4), dtype=bool)
    views[:2, 3] = False
    clf = small(trunk=EnsembleMLPTrunk(4, (8,), 4, member_inputs=views),
                preprocessing=None).fit(X, Y)
    assert clf.net_.module_.n_members == 4


class WideTrunk(nn.Module):
    out_features = 8

    def __init__(self, n_features):
        super().__init__()
        self.layer = nn.Linear(n_features, 8)

    def forward(self, x):
        return self.layer(x)


@pytest.mark.parametrize("head_hidden", [None, {"task0": (4,)}])
def test_an_ensemble_trunk_of_one_member_or_one_int_layer_trains_as_given(head_hidden):
    # EnsembleMLPTrunk(n_members=1) (a grid over trunk_params__n_members) failed in the
    # first step: its features keep a member axis, which plain heads split along the
    # batch ("split_with_sizes expects split_sizes to sum exactly to ..."); one int as
    # hidden_layer_sizes, as MultiTaskClassifier and MLPClassifier read it, failed to
    # build either trunk ("object of type 'int' has no len()", "'int' object is not
    # iterable")
    X = np.random.RandomState(0).standard_normal((20, 4)).astype(np.float32)
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    one = small(trunk=EnsembleMLPTrunk, trunk_params={"hidden_layer_sizes": 8, "n_members": 1},
                head_hidden=head_hidden, preprocessing=None).fit(X, Y)
    assert one.net_.module_.n_members == 1
    proba = one.predict_proba(X)
    assert [p.shape for p in proba] == [(20, 2), (20, 2)]
    np.testing.assert_allclose([p.sum(1) for p in proba], 1.0, rtol=1e-6)
    assert [layer.out_features for layer in one.net_.module_.trunk.layers
            if isinstance(layer, MemberLinear)] == [8]
    plain = small(trunk=MLPTrunk, trunk_params={"hidden_layer_sizes": 8},
                  preprocessing=None).fit(X, Y)
    assert plain.net_.module_.trunk.out_features == 8
    for bad in (0, -1, True, 2.0):
        with pytest.raises(ValueError, match=f"n_members must be a positive integer.*got {bad!r}"):
            EnsembleMLPTrunk(4, (8,), bad)


def test_shared_heads_flatten_only_an_ensembles_member_axis():
    # MultiHeadModule flattened any 3-D features into rows: a trunk of (batch, steps,
    # width) features with heads of their own (fuse=False) got (batch * steps) rows back
    # instead of one output per step, as before; an ensemble's member axis is flattened
    from sklearn_mtl.neural import MultiHeadModule

    x = torch.randn(5, 7, 4)
    steps = MultiHeadModule(nn.Linear(4, 8), 8, [(2, ()), (3, ())], fuse=False)
    assert [tuple(o.shape) for o in steps(x)] == [(5, 7, 2), (5, 7, 3)]
    for k in (1, 3):
        shared = MultiHeadModule(EnsembleMLPTrunk(4, 8, k), 8, [(2, (4,)), (3, ())],
                                 member_heads=False)
        assert [tuple(o.shape) for o in shared(x[:, 0])] == [(5 * k, 2), (5 * k, 3)]


@pytest.mark.parametrize("kernel_size", [2, 4, (3, 2)])
def test_an_even_kernel_size_keeps_the_size_as_padding_same_does(kernel_size):
    # a padding of kernel_size // 2 on both sides made each block of an even kernel one
    # entry longer (8x8 images gave 9x9, 10x10, 11x11 feature maps); torch's
    # padding="same" pads (k - 1) // 2 before and k // 2 after
    x = torch.randn(2, 1, 8, 7, generator=torch.Generator().manual_seed(0))
    trunk = Conv2dTrunk(1, channels=(2, 3, 4), kernel_size=kernel_size, pool=None)
    sizes, z = [], x
    for layer in trunk.features:
        if isinstance(layer, nn.Conv2d):
            same = nn.Conv2d(layer.in_channels, layer.out_channels, kernel_size,
                             padding="same", bias=False)
            same.load_state_dict(layer.state_dict())
            with warnings.catch_warnings():  # torch's note on an even kernel's copy
                warnings.simplefilter("ignore", UserWarning)
                torch.testing.assert_close(layer(z), same(z))
        z = layer(z)
        if isinstance(layer, nn.Conv2d):
            sizes.append(tuple(z.shape[-2:]))
    assert sizes == [(8, 7)] * 3
    # strided, as an odd kernel: ceil(n / stride)
    first = Conv2dTrunk(1, channels=(2,), kernel_size=kernel_size, stride=2).features[0]
    assert tuple(first(x).shape[-2:]) == (4, 4)
    clip = torch.randn(2, 1, 5, 8, 8)
    conv3d = Conv3dTrunk(1, channels=(2,), kernel_size=2, stride=1).features[0]
    assert tuple(conv3d(clip).shape[-3:]) == (5, 8, 8)
    frames = FrameConvTrunk(1, channels=(2,), temporal_kernel_size=2)
    assert frames.temporal[0](torch.zeros(2, 2, 5)).shape == (2, 2, 5)


def test_a_one_row_last_batch_joins_the_one_before_under_a_convolutional_batch_norm():
    # four blocks shrink 8 x 8 images to 1 x 1, where BatchNorm2d cannot train on one
    # image: torch's "Expected more than 1 value per channel" ended the fit mid-epoch
    rng = np.random.RandomState(0)
    X = rng.rand(17, 1, 8, 8).astype(np.float32)  # 17 % 8 == 1
    Y = pd.DataFrame({"bright": np.where(X.mean(axis=(1, 2, 3)) > 0.5, "y", "n")})
    clf = MultiTaskClassifier(trunk="conv2d", trunk_params={"channels": (4, 4, 4, 4)},
                              batch_size=8, max_epochs=2, random_state=0).fit(X, Y)
    assert clf.predict(X).shape == (17, 1)
    # an image's batch norm normalises over its pixels too: batches of one image of a
    # larger map still train, as they did
    wide = MultiTaskClassifier(trunk="conv2d", trunk_params={"channels": (4,)},
                               batch_size=1, max_epochs=1, random_state=0).fit(X[:3], Y[:3])
    assert wide.predict(X[:3]).shape == (3, 1)
    # where no row can join it (partial_fit on one image), the error says why and what
    # to do, where torch's named neither the batch norm's place nor the batch
    with pytest.raises(ValueError, match=r"batch norm normalises each channel .*\(an "
                       r"image pooled to 1 x 1; batch_size=8, a batch of one sample\): "
                       r"train on batches of at least 2 samples"):
        clf.partial_fit(X[:1], Y[:1])


class _Float64Features(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.linear = nn.Linear(n_features, 4)

    def forward(self, x):
        return self.linear(x).double()  # features computed in float64 (numpy, torch.fft)


class _AuxiliaryWhileTraining(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.linear = nn.Linear(n_features, 4)

    def forward(self, x):
        z = self.linear(x)
        return (z, z) if self.training else z  # torchvision's Inception, aux_logits=True


def test_a_trunk_output_the_heads_cannot_read_is_refused_naming_the_trunk():
    # torch's "mat1 and mat2 must have the same dtype" and "linear(): argument 'input'
    # must be Tensor, not tuple" came in the middle of training, naming neither
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 3)).astype(np.float32)
    Y = pd.DataFrame({"t": np.where(X[:, 0] > 0, "a", "b")})
    with pytest.raises(ValueError, match=r"^The trunk \(_Float64Features\) returned "
                                         r"features of dtype float64; the heads compute "
                                         r"in float32"):
        MultiTaskClassifier(trunk=_Float64Features, max_epochs=1, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match=r"^The trunk \(_AuxiliaryWhileTraining\) "
                                         r"returned a tuple in training mode"):
        MultiTaskClassifier(trunk=_AuxiliaryWhileTraining, max_epochs=1,
                            random_state=0).fit(X, Y)


@pytest.mark.parametrize("trunk, trunk_params, match", [
    (lambda n_features, width: nn.Linear(n_features, width), None,
     r"^The trunk <lambda> cannot be called with \['n_features'\] \(trunk_params \[\].*"
     r"missing a required argument: 'width'\. Its parameters are \['n_features', 'width'\]"),
    (nn.Sequential, {"x": 1}, r"^The trunk Sequential cannot be called with \['x'\] "
                              r"\(trunk_params \['x'\].*unexpected keyword argument 'x'"),
    (lambda n_features: nn.LSTM(n_features, 4), None,
     r"trunk \(LSTM\) fails on the network's input, samples of shape \(1, 4, 4\).*"
     r"Expected input to be 2D or 3D"),
])
def test_a_trunk_that_cannot_be_built_or_run_is_named_with_its_params(trunk, trunk_params,
                                                                      match):
    # Python's TypeError ("missing 1 required positional argument: 'width'") named
    # neither the trunk nor trunk_params; torch's ValueError of an LSTM given images
    # reached the user as it was (only a RuntimeError was named)
    X = np.random.RandomState(0).rand(12, 1, 4, 4).astype(np.float32)
    Y = pd.DataFrame({"t": np.where(X.mean(axis=(1, 2, 3)) > 0.5, "a", "b")})
    with pytest.raises(ValueError, match=match):
        small(trunk=trunk, trunk_params=trunk_params).fit(X, Y)


def test_optimizer_lr_and_lr_set_together_are_refused():
    # one of the two was kept, silently (optimizer__lr=0.5 over lr=0.1)
    with pytest.raises(ValueError, match=r"'optimizer__lr' and 'lr': both set the "
                                         "learning rate"):
        small().set_params(optimizer__lr=0.5, lr=0.1)
    assert small().set_params(optimizer__lr=0.5).lr == 0.5
