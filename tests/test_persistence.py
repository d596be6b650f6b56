"""sklearn_mtl.save / load: round trips, refusals, tampered files; pickle still works."""

import hashlib
import io
import json
import os
import pickle
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression

import sklearn_mtl
from sklearn_mtl import (
    IndependentTaskClassifier,
    LabelProductClassifier,
    MultiTaskClassifier,
    StructuredLabelEncoder,
    Task,
    TaskChainClassifier,
    UnsafeModelFileError,
    load,
    save,
)


def car_data(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)).astype(np.float32), columns=["a", "b", "c"])
    car = np.where(X["a"] > 0, "yes", "no")
    color = np.where(X["b"] > 0, "red", "blue").astype(object)
    color[car == "no"] = None
    Y = pd.DataFrame(
        {
            "car": pd.Categorical(car),
            "color": color,
            "tags": [["x"] if v > 0 else ["y"] for v in X["c"]],
        }
    )
    tasks = [Task("car"), Task("color", gate=("car", "yes")), Task("tags")]
    return X, Y, tasks


def _estimators(tasks):
    return {
        "mtc": MultiTaskClassifier(
            tasks=tasks, hidden_layer_sizes=(8,), max_epochs=2, batch_norm=True, random_state=0
        ),
        "independent": IndependentTaskClassifier(LogisticRegression(), tasks=tasks),
        "chain": TaskChainClassifier(LogisticRegression(), tasks=tasks, n_chains=2, random_state=0),
        "product": LabelProductClassifier(LogisticRegression(), tasks=tasks, decode="joint"),
    }


@pytest.fixture(scope="module")
def fitted():
    """Fitted once for the module; tests must not refit these estimators."""
    X, Y, tasks = car_data()
    return X, Y, {name: est.fit(X, Y) for name, est in _estimators(tasks).items()}


def _same_outputs(a, b, X):
    pa, pb = a.predict(X), b.predict(X)
    pd.testing.assert_frame_equal(pa, pb)
    assert hasattr(a, "predict_proba") == hasattr(b, "predict_proba")
    if not hasattr(a, "predict_proba"):  # a base estimator without one
        return
    for x, y in zip(a.predict_proba(X), b.predict_proba(X), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", ["mtc", "independent", "chain", "product"])
def test_round_trip_identical_predictions(fitted, name, tmp_path):
    X, Y, models = fitted
    path = save(models[name], tmp_path / "model.mtl")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    assert {"manifest.json", "estimator.json"} <= names
    assert not any(n.endswith((".pkl", ".pt", ".pickle")) for n in names)
    loaded = load(path)
    assert type(loaded) is type(models[name])
    _same_outputs(models[name], loaded, X)
    assert loaded.score(X, Y) == models[name].score(X, Y)
    assert loaded.get_params(deep=False).keys() == models[name].get_params(deep=False).keys()


@pytest.mark.parametrize("name", ["mtc", "product"])
def test_round_trip_through_a_binary_file_object(fitted, name, tmp_path):
    # A buffer (a database blob, an upload) holds the same archive as a file: the same
    # bytes' members, the same predictions; a file opened "rb" loads as its path does.
    X, _, models = fitted
    buffer = io.BytesIO(b"head")  # written from where it stands
    buffer.seek(4)
    assert save(models[name], buffer) is buffer
    path = save(models[name], tmp_path / "model.mtl")
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue()[4:])) as zf, \
            zipfile.ZipFile(path) as zp:
        assert sorted(zf.namelist()) == sorted(zp.namelist())
        assert zf.read("estimator.json") == zp.read("estimator.json")
    _same_outputs(models[name], load(io.BytesIO(buffer.getvalue()[4:])), X)
    with open(path, "rb") as fh:
        _same_outputs(models[name], load(fh), X)
    with open(path, encoding="latin-1") as fh, pytest.raises(TypeError, match="binary mode"):
        load(fh)
    with open(tmp_path / "t.mtl", "w") as fh, pytest.raises(TypeError, match="binary mode"):
        save(models[name], fh)
    with pytest.raises(TypeError, match=r"io.BytesIO\(data\)\); got bytes"):
        load(buffer.getvalue())
    pickled = io.BytesIO(pickle.dumps(models[name]))
    with pytest.raises(UnsafeModelFileError, match="looks like a pickle"):
        load(pickled)


def test_multitask_round_trip_keeps_history_and_can_train_on(fitted, tmp_path):
    X, Y, models = fitted
    loaded = load(save(models["mtc"], tmp_path / "m.mtl"))
    # in evaluation mode, whatever mode the saved net was left in (a module called
    # directly, outside predict, read batch statistics and dropout in training mode)
    assert not loaded.net_.module_.training and not loaded.net_.criterion_.training
    assert len(loaded.history_) == len(models["mtc"].history_) == 2
    assert loaded.history_[-1, "train_loss"] == models["mtc"].history_[-1, "train_loss"]
    loaded.set_params(warm_start=True).fit(X, Y)  # max_epochs (2) more epochs
    assert len(loaded.history_) == 4


def test_a_loaded_network_builds_its_optimizer_when_training_goes_on(fitted, tmp_path):
    # A file without optimizer state loads a net without an optimizer (building the
    # first one of a process imports torch._dynamo); more training builds the one that
    # loading used to build, with the same result.
    X, Y, models = fitted
    path = save(models["mtc"], tmp_path / "m.mtl")
    loaded, eager = load(path), load(path)
    assert "optimizer_" not in vars(loaded.net_) and loaded.net_._optimizers == []
    optimizer = eager.net_.optimizer_  # read: built now
    assert eager.net_._optimizers == ["optimizer"] and eager.net_.optimizer_ is optimizer
    assert all(g["fused"] for g in optimizer.param_groups)
    pd.testing.assert_frame_equal(loaded.predict(X), models["mtc"].predict(X))
    assert "optimizer_" not in vars(loaded.net_)  # predicting needs none
    for est in (loaded, eager):
        est.set_params(warm_start=True).fit(X, Y)
    assert loaded.net_._optimizers == ["optimizer"]
    for (name, a), b in zip(loaded.net_.module_.state_dict().items(),
                            eager.net_.module_.state_dict().values()):
        assert torch.equal(a, b), name
    trained, saved = (next(m.net_.module_.parameters()) for m in (loaded, load(path)))
    assert not torch.equal(trained, saved)  # it did train
    with pytest.raises(AttributeError, match="has no attribute 'nothing_'"):
        _ = loaded.net_.nothing_


def test_loading_a_model_to_predict_imports_no_more_than_it_needs(fitted, tmp_path):
    # One fresh interpreter checks both models, the baseline first: loading the
    # independent model to predict imports no torch (skops' list of scikit-learn's
    # estimators imported it); loading the network then imports torch but not
    # torch._dynamo (the first optimizer of a process imports it: none is built).
    import subprocess
    import sys

    X, _, models = fitted
    X.to_csv(tmp_path / "X.csv", index=False)
    code = "import sys, pandas as pd, sklearn_mtl\n"
    for name, not_imported in (("independent", "torch"), ("mtc", "torch._dynamo")):
        path = save(models[name], tmp_path / f"{name}.mtl")
        code += (
            f"model = sklearn_mtl.load({str(path)!r})\n"
            f"model.predict(pd.read_csv({str(tmp_path / 'X.csv')!r}))\n"
            f"print({name!r}, {not_imported!r} in sys.modules)\n"
        )
    # what skops' import skipped can be imported after it (vendored from scikit-learn
    # 1.7 on)
    code += (
        "from importlib.util import find_spec\n"
        "if find_spec('sklearn.externals.array_api_compat'):\n"
        "    import sklearn.externals.array_api_compat.torch\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split("\n") == ["independent False", "mtc False", ""]


def test_multitask_generic_params_and_tensor_state(tmp_path):
    X, Y, tasks = car_data()
    clf = MultiTaskClassifier(
        tasks=tasks, hidden_layer_sizes=(8, 4), head_hidden={"color": (3,)}, max_epochs=2,
        class_weight={"car": "balanced"}, optimizer=torch.optim.SGD, random_state=1,
    ).fit(X.to_numpy(), Y)
    loaded = load(save(clf, tmp_path / "m.mtl"))
    assert loaded.optimizer is torch.optim.SGD
    _same_outputs(clf, loaded, X.to_numpy())


def test_a_file_of_an_ensemble_with_shared_heads_loads_as_trained(tmp_path, monkeypatch):
    # Before member-wise heads, an ensemble with head_hidden (or head_lr) had per-task
    # heads that its members shared, and the estimator no _member_heads: such a file is
    # rebuilt with shared heads, its weights load, and it predicts as it did.
    X, Y, tasks = car_data()
    build = MultiTaskClassifier._build_module

    def build_as_before(self, X, rebuild=False):
        self.__dict__.pop("_member_heads", None)
        return build(self, X, rebuild=True)

    monkeypatch.setattr(MultiTaskClassifier, "_build_module", build_as_before)
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), ensemble_size=3,
                              head_hidden={"color": (3,)}, max_epochs=2,
                              random_state=0).fit(X.to_numpy(), Y)
    monkeypatch.undo()
    assert type(clf.net_.module_.heads) is torch.nn.ModuleList
    assert "_member_heads" not in vars(clf)
    loaded = load(save(clf, tmp_path / "m.mtl"))
    assert type(loaded.net_.module_.heads) is torch.nn.ModuleList
    _same_outputs(clf, loaded, X.to_numpy())


def test_an_ensemble_of_a_member_a_group_round_trips(tmp_path):
    # Five groups: the default ensemble trained five members; the file rebuilds five.
    X, Y, tasks = car_data()
    groups = np.arange(len(X)) % 5
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), max_epochs=2,
                              random_state=0).fit(X.to_numpy(), Y, groups=groups)
    loaded = load(save(clf, tmp_path / "m.mtl"))
    assert loaded.net_.module_.trunk.n_members == 5
    _same_outputs(clf, loaded, X.to_numpy())


@pytest.mark.parametrize("params", [{"optimizer_params": {"weight_decay": 0.1}},
                                    {"head_lr": {"car": 1e-3}},
                                    {"loss_weighting": "uncertainty"}])
def test_a_network_with_optimizer_arguments_round_trips_and_trains_on(params, tmp_path):
    # optimizer__* arguments of the net (weight decay, per-head or per-strategy groups):
    # skorch refused them while the loaded net's optimizer waited to be built
    X, Y, tasks = car_data()
    clf = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), max_epochs=2,
                              ensemble_size=1, random_state=0, **params).fit(X.to_numpy(), Y)
    loaded = load(save(clf, tmp_path / "m.mtl"))
    _same_outputs(clf, loaded, X.to_numpy())
    groups = loaded.net_.optimizer_.param_groups  # built now, as the fitted one was
    assert [g.get("weight_decay") for g in groups] == [
        g.get("weight_decay") for g in clf.net_.optimizer_.param_groups]
    assert len(groups) == len(clf.net_.optimizer_.param_groups)  # (its rates start again)
    loaded.set_params(warm_start=True).fit(X.to_numpy(), Y)
    assert len(loaded.history_) == 4


def test_encoder_and_y_forms_round_trip(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2))
    y1 = np.where(X[:, 0] > 0, "a", "b")
    clf = IndependentTaskClassifier(LogisticRegression()).fit(X, y1)
    loaded = load(save(clf, tmp_path / "a.mtl"))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.predict(X).dtype == clf.predict(X).dtype

    enc = StructuredLabelEncoder.from_groups(
        {"A": [0, 1], "B": [2, 3, 4]}, gates={"B": ("A", 1)}, missing_groups="mask"
    )
    M = np.zeros((4, 5), dtype=int)
    M[[0, 3], 0] = 1
    M[[1, 2], 1] = 1
    M[1, 3] = M[2, 4] = 1
    enc.fit(M)
    enc2 = load(save(enc, tmp_path / "e.mtl"))
    np.testing.assert_array_equal(enc2.inverse_transform(enc2.transform(M)), M)
    assert enc2.schema_ == enc.schema_


# ----------------------------------------------------------------- refusals at save
def test_save_refuses_what_json_cannot_hold(tmp_path):
    X, Y, tasks = car_data(n=20)
    path = tmp_path / "m.mtl"
    path.write_bytes(b"previous model")
    clf = MultiTaskClassifier(tasks=tasks, trunk=lambda n_features: torch.nn.Linear(n_features, 4))
    with pytest.raises(TypeError, match="trunk.*lambda"):
        save(clf, path)
    clf = MultiTaskClassifier(tasks=tasks, trunk=torch.nn.Linear(3, 4))
    with pytest.raises(TypeError, match="trunk.*torch module instance"):
        save(clf, path)
    assert path.read_bytes() == b"previous model"  # a failed save leaves the old file
    assert os.listdir(tmp_path) == ["m.mtl"]  # and no temporary file


def test_save_refuses_a_scikit_learn_step_of_a_lambda(tmp_path):
    """skops stores a FunctionTransformer's function by name: a lambda's name could
    never be loaded back, so save refuses it, as it refuses the estimator's own."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, Y, tasks = car_data(n=20)
    base = IndependentTaskClassifier(LogisticRegression(), tasks=tasks)
    lost = make_pipeline(FunctionTransformer(lambda z: z * 2), base).fit(X, Y)
    with pytest.raises(TypeError, match=r"steps\[0\]\[1\] \(FunctionTransformer\) refers to "
                                        r".*<lambda>, which no load could find again by its name"):
        save(lost, tmp_path / "lost.mtl")
    assert not (tmp_path / "lost.mtl").exists()

    def inner(z):  # defined inside a function: its name finds nothing either
        return z

    lost = make_pipeline(FunctionTransformer(inner), base).fit(X, Y)
    with pytest.raises(TypeError, match=r"refers to \S*\binner, which no load"):
        save(lost, tmp_path / "lost.mtl")
    found = make_pipeline(FunctionTransformer(np.tanh), base).fit(X, Y)
    loaded = load(save(found, tmp_path / "found.mtl"), trusted=["numpy.tanh"])
    pd.testing.assert_frame_equal(loaded.predict(X), found.predict(X))


class TinyTrunk(torch.nn.Module):
    def __init__(self, n_features, width=4):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, width)

    def forward(self, x):
        return torch.relu(self.linear(x))


def test_custom_trunk_needs_trust(tmp_path):
    X, Y, tasks = car_data(n=20)
    clf = MultiTaskClassifier(tasks=tasks, trunk=TinyTrunk, trunk_params={"width": 3},
                              max_epochs=1, random_state=0).fit(X, Y)
    path = save(clf, tmp_path / "m.mtl")
    with pytest.raises(UnsafeModelFileError, match=r"TinyTrunk, which is not trusted"):
        load(path)
    name = f"{TinyTrunk.__module__}.TinyTrunk"
    _same_outputs(clf, load(path, trusted=[name]), X)


class ScaledTrunk(TinyTrunk):
    """A trunk holding a buffer kept out of its saved state: built at load, not read."""

    def __init__(self, n_features, width=4):
        super().__init__(n_features, width)
        self.register_buffer("scale", torch.full((width,), 3.0), persistent=False)
        self.out_features = width  # its width said: no sample run to learn it

    def forward(self, x):
        return super().forward(x) * self.scale


def test_a_custom_trunks_tensors_outside_its_state_are_built_at_load(tmp_path):
    # load builds the package's own trunks on the meta device, then fills their memory
    # from the file; a trunk of the user's is built as fit builds it, or its buffer kept
    # out of the state would be left as empty memory
    X, Y, tasks = car_data(n=20)
    clf = MultiTaskClassifier(tasks=tasks, trunk=ScaledTrunk, max_epochs=1,
                              random_state=0).fit(X, Y)
    loaded = load(save(clf, tmp_path / "m.mtl"), trusted=[f"{ScaledTrunk.__module__}.ScaledTrunk"])
    assert torch.equal(loaded.net_.module_.trunk.scale, torch.full((4,), 3.0))
    _same_outputs(clf, loaded, X)


class CustomClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_untrusted_type_in_skops_member(tmp_path):
    X, Y, tasks = car_data(n=20)
    clf = IndependentTaskClassifier(CustomClassifier(), tasks=tasks).fit(X, Y)
    path = save(clf, tmp_path / "m.mtl")
    with pytest.raises(UnsafeModelFileError, match="CustomClassifier.*not trusted"):
        load(path)
    name = f"{CustomClassifier.__module__}.CustomClassifier"
    _same_outputs(clf, load(path, trusted=[name]), X)


# ------------------------------------------------------------------- tampered files
class _WritesFile:
    """Unpickling this runs code: it creates a file."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def _rewrite(path, name, data, fix_checksum=True, extra=None):
    """Rewrite one member of an archive (recomputing its checksum, as an attacker would)."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[name] = data
    if extra:
        members.update(extra)
    if fix_checksum:
        manifest = json.loads(members["manifest.json"])
        if name != "manifest.json":
            manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
        members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)


@pytest.fixture
def saved(fitted, tmp_path):
    return save(fitted[2]["mtc"], tmp_path / "m.mtl"), tmp_path / "pwned"


def test_pickle_payload_is_refused_and_not_run(saved):
    path, target = saved
    with open(path, "wb") as fh:
        pickle.dump(_WritesFile(target), fh)
    with pytest.raises(UnsafeModelFileError, match="looks like a pickle"):
        load(path)
    joblib.dump(_WritesFile(target), path, compress=3)
    with pytest.raises(UnsafeModelFileError):
        load(path)
    assert not target.exists()


@pytest.mark.parametrize("member", ["weights.safetensors", "arrays.safetensors"])
def test_pickle_inside_the_archive_is_refused(saved, member):
    path, target = saved
    _rewrite(path, member, pickle.dumps(_WritesFile(target)))
    with pytest.raises(UnsafeModelFileError, match="not a valid safetensors"):
        load(path)
    assert not target.exists()


def test_unlisted_member_is_refused(saved):
    path, target = saved
    _rewrite(path, "manifest.json", open_member(path, "manifest.json"),
             extra={"model.pkl": pickle.dumps(_WritesFile(target))})
    with pytest.raises(UnsafeModelFileError, match=r"\['model.pkl'\].*manifest does not list"):
        load(path)
    assert not target.exists()


def open_member(path, name):
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def test_edited_weights_are_refused_before_the_network_is_given_memory(saved):
    # a width edited to 10**9 (here 10**6) in the parameters (checksums recomputed) had
    # load allocate the network it builds (hundreds of GB) before the weights' shapes
    # were compared;
    # a NaN weight and a tensor that no part reads loaded silently
    from safetensors.numpy import load as load_arrays
    from safetensors.numpy import save as save_arrays

    path, _ = saved
    original = {n: open_member(path, n) for n in ("estimator.json", "weights.safetensors")}
    tree = json.loads(original["estimator.json"])
    tree["params"]["hidden_layer_sizes"] = {"$t": "tuple", "v": [10**6]}
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError, match=r"'trunk\.layers\.0\.weight' is \(8, \d+\) "
                       r"in the file, \(1000000, \d+\) built"):
        load(path)
    _rewrite(path, "estimator.json", original["estimator.json"])
    weights = load_arrays(original["weights.safetensors"])
    name = "module.trunk.layers.0.weight"
    nan = {**weights, name: weights[name].copy()}
    nan[name][0, 0] = np.nan
    _rewrite(path, "weights.safetensors", save_arrays(nan))
    with pytest.raises(UnsafeModelFileError, match=r"weight 'trunk\.layers\.0\.weight' of the "
                       r"module holds NaN or infinite values"):
        load(path)
    extra = {**weights, "evil": np.zeros(3, np.float32)}
    _rewrite(path, "weights.safetensors", save_arrays(extra))
    with pytest.raises(UnsafeModelFileError, match=r"hold tensors that no part of the model "
                       r"reads \('evil'\)"):
        load(path)
    _rewrite(path, "weights.safetensors", original["weights.safetensors"])
    assert load(path).net_.module_.trunk.layers[0].weight.shape[0] == 8



@pytest.mark.parametrize(
    "replacement, match",
    [
        ('{"$t": "callable", "v": "os:system"}', "os.system, which is not trusted"),
        ('{"$t": "callable", "v": "builtins:eval"}', "builtins.eval, which is refused"),
        ('{"$t": "instance", "class": "subprocess:Popen", "params": {"$t": "dict", "v": {}}}',
         "subprocess.Popen, which is not trusted"),
        ('{"$t": "instance", "class": "sklearn_mtl._persistence:save", "params": '
         '{"$t": "dict", "v": {}}}', "_persistence.save; functions load only"),
    ],
)
def test_code_references_in_json_are_refused(saved, replacement, match):
    path, target = saved
    tree = json.loads(open_member(path, "estimator.json"))
    tree["params"]["optimizer"] = json.loads(replacement)
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError, match=match):
        load(path)


def test_a_class_reached_through_a_trusted_modules_imports_is_refused_and_not_built(saved):
    # "sklearn_mtl._persistence:zipfile.ZipFile" starts in a trusted module and walks its
    # attributes to a class defined elsewhere: before, the network's rebuild called it
    # with the file's parameters (here: creating a file; a process would do as well).
    path, target = saved
    tree = json.loads(open_member(path, "estimator.json"))
    tree["params"]["trunk"] = {"$t": "callable",
                               "v": "sklearn_mtl._persistence:zipfile.ZipFile"}
    tree["params"]["trunk_params"] = {"$t": "dict", "v": {"file": str(target), "mode": "w"}}
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError, match="not where a class is defined"):
        load(path)
    assert not target.exists()


def test_a_corrupted_compressed_member_is_a_clear_error(saved):
    path, _ = saved
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("estimator.json")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    data = bytearray(Path(path).read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for at in range(start, start + min(info.compress_size, 64)):
        data[at] ^= 0xFF  # the deflated bytes themselves, not the headers
    Path(path).write_bytes(bytes(data))
    with pytest.raises(UnsafeModelFileError, match="corrupted"):
        load(path)


def test_truncated_file(saved):
    path, _ = saved
    with open(path, "rb") as fh:
        data = fh.read()
    for cut in (len(data) // 2, 10):
        with open(path, "wb") as fh:
            fh.write(data[:cut])
        with pytest.raises(UnsafeModelFileError, match="truncated|not a zip|not an sklearn-mtl"):
            load(path)


def test_modified_member_fails_its_checksum(saved):
    path, _ = saved
    tree = open_member(path, "estimator.json").replace(b'"max_epochs": 2', b'"max_epochs": 3')
    _rewrite(path, "estimator.json", tree, fix_checksum=False)
    with pytest.raises(UnsafeModelFileError, match="does not match its checksum"):
        load(path)


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("sklearn_mtl_version", "9.9.0", "written by sklearn-mtl 9.9.0"),
        ("format_version", 2, "file format version 2"),
        ("format", "other", "not an sklearn-mtl model"),
    ],
)
def test_wrong_version(saved, key, value, match):
    path, _ = saved
    manifest = json.loads(open_member(path, "manifest.json"))
    manifest[key] = value
    _rewrite(path, "manifest.json", json.dumps(manifest).encode())
    with pytest.raises(UnsafeModelFileError, match=match):
        load(path)


def test_patch_version_difference_warns(saved):
    path, _ = saved
    manifest = json.loads(open_member(path, "manifest.json"))
    manifest["sklearn_mtl_version"] = sklearn_mtl.__version__ + ".post1"
    _rewrite(path, "manifest.json", json.dumps(manifest).encode())
    with pytest.warns(UserWarning, match="written by sklearn-mtl"):
        load(path)


def _add_class(tree):
    """Give task 'color' a third class everywhere the file states it."""
    text = json.dumps(tree)
    kind = '"name": "color", "kind": '
    text = text.replace(kind + '"binary"', kind + '"multiclass"')
    text = text.replace('"shape": [2], "v": ["blue", "red"]', '"shape": [3], "v": ["blue", "red"]')
    return text.replace('"blue", "red"]', '"blue", "green", "red"]').encode()


def _drop_label(tree):
    """Take label 'y' out of multilabel task 'tags' everywhere the file states it."""
    text = json.dumps(tree).replace('"shape": [2], "v": ["x", "y"]', '"shape": [1], "v": ["x"]')
    return text.replace('"x", "y"]', '"x"]').encode()


@pytest.mark.parametrize(
    "name, edit", [("mtc", _add_class), ("independent", _drop_label), ("chain", _drop_label)]
)
def test_schema_edited_to_another_class_count(fitted, tmp_path, name, edit):
    path = save(fitted[2][name], tmp_path / "m.mtl")
    tree = json.loads(open_member(path, "estimator.json"))
    edited = edit(tree)
    assert edited != json.dumps(tree).encode()
    _rewrite(path, "estimator.json", edited, fix_checksum=False)
    with pytest.raises(UnsafeModelFileError, match="checksum"):
        load(path)
    # A deliberate edit, checksum recomputed: the models no longer match the schema.
    _rewrite(path, "estimator.json", edited)
    with pytest.raises(UnsafeModelFileError, match="do not match|inconsistent|disagree"):
        load(path)


# ---------------------------------------------------------- pickle / joblib still work
@pytest.mark.parametrize("name", ["mtc", "independent", "chain", "product"])
def test_pickle_and_joblib_keep_working(fitted, name):
    X, _, models = fitted
    _same_outputs(models[name], pickle.loads(pickle.dumps(models[name])), X)
    buf = io.BytesIO()
    joblib.dump(models[name], buf)
    buf.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same_outputs(models[name], joblib.load(buf), X)


# ------------------------------------------------------------ pipelines (issue 15)
def _quick_start_pipeline():
    """The README's quick start: a scaler and a MultiTaskClassifier in a Pipeline."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, Y, tasks = car_data(n=40)
    model = make_pipeline(
        StandardScaler(),
        MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(4,), max_epochs=2, random_state=0),
    )
    return model.fit(X, Y), X


def test_pipeline_round_trip(tmp_path):
    model, X = _quick_start_pipeline()
    loaded = load(save(model, tmp_path / "pipe.mtl"))
    assert type(loaded).__name__ == "Pipeline" and loaded is not model
    pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))
    for p, q in zip(loaded.predict_proba(X), model.predict_proba(X), strict=True):
        np.testing.assert_array_equal(p, q)
    assert list(loaded.named_steps) == ["standardscaler", "multitaskclassifier"]
    np.testing.assert_array_equal(loaded[0].mean_, model[0].mean_)
    with zipfile.ZipFile(tmp_path / "pipe.mtl") as zf:  # the scaler went through skops
        assert any(n.startswith("skops/") for n in zf.namelist())


def test_column_transformer_pipeline_with_every_baseline(tmp_path):
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"size": rng.normal(size=40), "shape": rng.choice(["a", "b"], 40)})
    Y = pd.DataFrame({"big": np.where(X["size"] > 0, "yes", "no"), "kind": X["shape"]})
    for clf in (IndependentTaskClassifier(LogisticRegression()),
                TaskChainClassifier(LogisticRegression()),
                LabelProductClassifier(LogisticRegression()),
                sklearn_mtl.TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression()),
                                               cv=2)):
        columns = make_column_transformer(
            (StandardScaler(), ["size"]), (OneHotEncoder(), ["shape"])
        )
        model = make_pipeline(columns, clf).fit(X, Y)
        loaded = load(save(model, tmp_path / "m.mtl"))
        pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("name", ["mtc", "independent"])
def test_frozen_model_and_a_tuner_around_it_round_trip(fitted, name, tmp_path):
    # a fitted model frozen for threshold tuning, with a gated task: skops was asked to
    # store it whole and refused the network, or wrote the gates' frozensets that load()
    # then refused as untrusted
    from sklearn.frozen import FrozenEstimator

    X, Y, models = fitted
    frozen = FrozenEstimator(models[name])
    tuner = sklearn_mtl.TaskThresholdTuner(frozen, cv=2, random_state=0).fit(X, Y)
    for model in (frozen, tuner):
        loaded = load(save(model, tmp_path / "m.mtl"))
        assert type(loaded) is type(model)
        _same_outputs(model, loaded, X)
    assert type(loaded.estimator_) is FrozenEstimator
    assert type(loaded.estimator_.estimator) is type(models[name])
    assert loaded.thresholds_.keys() == tuner.thresholds_.keys()
    for task, threshold in tuner.thresholds_.items():
        np.testing.assert_array_equal(loaded.thresholds_[task], threshold)


def test_pipeline_composite_class_cannot_be_swapped(tmp_path):
    model, _ = _quick_start_pipeline()
    path = save(model, tmp_path / "pipe.mtl")
    target = tmp_path / "pwned"
    tree = json.loads(open_member(path, "estimator.json"))
    assert tree["$t"] == "composite"
    for cls in ("subprocess:Popen", "sklearn.multioutput:MultiOutputClassifier"):
        _rewrite(path, "estimator.json", json.dumps({**tree, "class": cls}).encode())
        with pytest.raises(UnsafeModelFileError, match="only .*Pipeline.* are rebuilt"):
            load(path)
    # a step's class swapped for one that runs code is refused as any other reference
    tree["params"]["steps"]["v"][1]["v"][1]["class"] = "subprocess:Popen"
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError, match="subprocess.Popen, which is not trusted"):
        load(path)
    assert not target.exists()


def test_pipeline_with_an_imputer_loads_without_trusting_anything(tmp_path):
    # SimpleImputer keeps the numpy.dtype it was fitted on: data, not code
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    X, Y, tasks = car_data(n=30)
    X = np.where(np.arange(X.size).reshape(X.shape) % 7 == 0, np.nan, X)
    model = make_pipeline(SimpleImputer(), IndependentTaskClassifier(LogisticRegression(),
                                                                     tasks=tasks)).fit(X, Y)
    loaded = load(save(model, tmp_path / "imputed.mtl"))
    pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))
    assert loaded[0]._fit_dtype == model[0]._fit_dtype


def test_gradient_boosting_on_categories_loads_without_trusting_anything(tmp_path):
    # scikit-learn's default categorical_features="from_dtype" keeps a FunctionTransformer
    # of partial(check_array): trusted as such, while a partial of any other function is
    # still refused by that function's name.
    import functools

    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, Y, tasks = car_data(n=40)
    X = pd.DataFrame(X).add_prefix("x")
    X["make"] = pd.Categorical(np.where(np.arange(len(X)) % 3, "a", "b"))
    model = IndependentTaskClassifier(HistGradientBoostingClassifier(max_iter=5),
                                      tasks=tasks).fit(X, Y)
    assert model.estimators_[0].is_categorical_.any()
    loaded = load(save(model, tmp_path / "hgb.mtl"))
    _same_outputs(model, loaded, X)
    clipped = make_pipeline(
        FunctionTransformer(functools.partial(np.clip, a_min=-1.0, a_max=1.0)),
        IndependentTaskClassifier(LogisticRegression(), tasks=tasks),
    ).fit(X.drop(columns="make"), Y)
    with pytest.raises(UnsafeModelFileError, match=r"numpy.*clip.*not trusted"):
        load(save(clipped, tmp_path / "clip.mtl"))


def _nan_strings(storage):
    # StringDtype's na_value is pandas >= 2.3; before, NaN-missing pyarrow strings are
    # "pyarrow_numpy" and python ones do not exist
    try:
        return pd.StringDtype(storage, na_value=np.nan)
    except TypeError:
        if storage != "pyarrow":
            pytest.skip("python strings missing as NaN need pandas >= 2.3")
        return pd.StringDtype("pyarrow_numpy")


@pytest.mark.parametrize("dtype", [
    "arrow_string", "arrow_large_string", "python_string", "pyarrow_string", "nan_string",
])
def test_string_label_dtypes_round_trip(tmp_path, dtype):
    # "string[pyarrow]" names both an ArrowDtype (read_csv(dtype_backend="pyarrow")) and
    # a StringDtype; "string" any storage: the file keeps which one the labels had.
    pa = pytest.importorskip("pyarrow")
    dtype = {
        "arrow_string": lambda: pd.ArrowDtype(pa.string()),
        "arrow_large_string": lambda: pd.ArrowDtype(pa.large_string()),
        "python_string": lambda: pd.StringDtype("python"),
        "pyarrow_string": lambda: pd.StringDtype("pyarrow"),
        "nan_string": lambda: _nan_strings("pyarrow"),
    }[dtype]()
    X, Y, tasks = car_data(n=30)
    Y = pd.DataFrame(Y).astype(str).astype(dtype)
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, Y)
    assert (model.predict(X).dtypes == dtype).all()
    loaded = load(save(model, tmp_path / "strings.mtl"))
    pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("dtype", ["dictionary", "ordered_dictionary", "decimal"])
def test_arrow_label_dtypes_whose_names_do_not_parse_round_trip(tmp_path, dtype):
    # read_parquet(dtype_backend="pyarrow") reads a categorical column as an Arrow
    # dictionary, a decimal one as decimal128: their names do not parse back, so the
    # file saved and load failed. The file keeps the type's parameters.
    from decimal import Decimal

    pa = pytest.importorskip("pyarrow")
    X, Y, _ = car_data(n=30)
    car = Y["car"].astype(str)
    column = {
        "dictionary": car.astype(pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string()))),
        "ordered_dictionary": car.astype(
            pd.ArrowDtype(pa.dictionary(pa.int8(), pa.string(), ordered=True))),
        "decimal": pd.Series([Decimal("1.50") if c == "yes" else Decimal("2.25") for c in car],
                             dtype=pd.ArrowDtype(pa.decimal128(10, 2))),
    }[dtype]
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, pd.DataFrame({"y": column}))
    path = save(model, tmp_path / "arrow.mtl")
    loaded = load(path)
    assert loaded.predict(X)["y"].dtype == column.dtype
    pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))
    # the type is rebuilt by pyarrow's constructors alone: another name is refused
    text = open_member(path, "estimator.json").decode()
    assert text.count('"type": "dictionary"') <= 1
    _rewrite(path, "estimator.json", text.replace('"type": "dictionary"', '"type": "os:system"')
             .replace('"type": "decimal128"', '"type": "os:system"').encode())
    with pytest.raises(UnsafeModelFileError, match="Unknown Arrow type 'os:system'"):
        load(path)


def _arrow_types():
    pa = pytest.importorskip("pyarrow")
    return [
        pa.int8(), pa.string(), pa.large_string(), pa.date32(), pa.timestamp("us"),
        pa.timestamp("ns", tz="Europe/Paris"), pa.duration("ms"), pa.binary(4),
        pa.decimal128(10, 2), pa.decimal256(40, 3),
        pa.dictionary(pa.int32(), pa.string()), pa.dictionary(pa.int8(), pa.int64(), ordered=True),
        pa.list_(pa.string()), pa.large_list(pa.int64()), pa.list_(pa.int32(), 3),
        pa.list_(pa.field("tag", pa.dictionary(pa.int16(), pa.string()), nullable=False)),
        pa.struct([("a", pa.int8()), pa.field("b", pa.list_(pa.string()), nullable=False)]),
        pa.map_(pa.string(), pa.int8(), keys_sorted=True),
    ]


def test_arrow_dtypes_are_stored_as_their_parameters_or_refused_at_save():
    # Every Arrow type a Parquet column can have comes back equal, nested ones included
    # (before, only those whose name parses back did); one that load could not rebuild
    # is refused at save, naming where it is, rather than written to a file that no load
    # reads.
    from sklearn_mtl._persistence import _Reader, _Writer

    pa = pytest.importorskip("pyarrow")
    for arrow_type in _arrow_types():
        dtype = pd.ArrowDtype(arrow_type)
        node = json.loads(json.dumps(_Writer().encode(dtype, "Y")))
        back = _Reader({}, set()).decode(node)
        assert back == dtype and str(back) == str(dtype)
    union = pd.ArrowDtype(pa.dense_union([pa.field("a", pa.int8())]))
    with pytest.raises(TypeError, match=r"Y\['u'\] is the Arrow type dense_union.*save\(\) "
                                        r"cannot store.*Cast the column"):
        _Writer().encode(union, "Y['u']")


def test_a_crafted_arrow_type_is_refused_as_unsafe():
    # Values of the file's choosing reach pyarrow's constructors: each failure, a nesting
    # past any Parquet column's and a time zone no database knows are refused by load
    # (a RecursionError, an OverflowError, or a type that failed only later, escaped).
    from sklearn_mtl._persistence import _Reader, _Writer

    pa = pytest.importorskip("pyarrow")

    def node(spec):
        return {"$t": "pd_arrow", "v": "int64[pyarrow]", "type": spec}

    deep = "int8"
    for _ in range(500):
        deep = {"type": "large_list", "item": {"name": "x", "nullable": True, "type": deep}}
    crafted = [
        deep,
        {"type": "fixed_size_list", "size": 2**62,
         "item": {"name": "x", "nullable": True, "type": "int8"}},
        {"type": "fixed_size_binary", "byte_width": -3},
        {"type": "timestamp", "unit": "us", "tz": "Mars/Olympus"},
        {"type": "timestamp", "unit": "xx", "tz": None},
        {"type": "decimal128", "precision": True, "scale": 2},
        {"type": "dictionary", "value": "string", "ordered": False},
        {"type": "struct", "fields": "abc"},
        "os:system",
    ]
    for spec in crafted:
        with pytest.raises(UnsafeModelFileError):
            _Reader({}, set()).decode(node(spec))
    # what save writes still loads: an offset and a named zone
    for tz in ("+01:00", "Europe/Paris"):
        dtype = pd.ArrowDtype(pa.timestamp("ms", tz=tz))
        assert _Reader({}, set()).decode(_Writer().encode(dtype, "Y")) == dtype


@pytest.mark.parametrize("labels", ["datetime64", "date", "period"])
def test_date_labels_are_refused_at_save_naming_the_task(tmp_path, labels):
    # The estimators fit and predict dates, Timestamps and Periods as labels; save stores
    # none of them, and says which task holds them and how to save the model instead.
    import datetime

    X, Y, _ = car_data(n=20)
    first = pd.Series(np.where(Y["car"] == "yes", 0, 1))
    when = {
        "datetime64": pd.to_datetime(["2020-01-01", "2021-06-30"])[first],
        "date": np.array([datetime.date(2020, 1, 1), datetime.date(2021, 6, 30)])[first],
        "period": pd.period_range("2020-01", periods=2, freq="M")[first],
    }[labels]
    model = IndependentTaskClassifier(LogisticRegression()).fit(X, pd.DataFrame({"when": when}))
    assert set(model.predict(X)["when"]) <= set(when)  # dates predicted
    with pytest.raises(TypeError, match=r"schema_\['when'\]\['classes'\]\[0\] is a .*save\(\) "
                                        r"stores no dates, times, durations or periods.*"
                                        r"Y\[column\]\.astype\(str\)"):
        save(model, tmp_path / "dates.mtl")
    assert not (tmp_path / "dates.mtl").exists()


def _search(estimator, param_grid, dtype):
    """A fitted GridSearchCV (stored whole by skops) on labels of string ``dtype``."""
    from sklearn.model_selection import GridSearchCV, KFold

    X, Y, _ = car_data(n=40)
    Y = pd.DataFrame({"car": Y["car"].astype(str).astype(dtype),
                      "big": np.where(X["c"] > 0, "yes", "no").astype(object)})
    return X, GridSearchCV(estimator, param_grid, cv=KFold(2)).fit(X, Y)


@pytest.mark.parametrize("dtype", ["str", "python_nan"])
def test_a_search_round_trips(tmp_path, dtype):
    # The estimator inside keeps its label columns' dtypes: pandas' StringDtype (the
    # default "str" of pandas 3) is data that skops rebuilds, trusted like numpy.dtype.
    dtype = "str" if dtype == "str" else _nan_strings("python")
    X, search = _search(IndependentTaskClassifier(LogisticRegression()),
                        {"estimator__C": [0.1, 1.0]}, dtype)
    loaded = load(save(search, tmp_path / "search.mtl"))
    assert loaded.best_params_ == search.best_params_
    _same_outputs(search.best_estimator_, loaded.best_estimator_, X)
    pd.testing.assert_frame_equal(loaded.predict(X), search.predict(X))
    for a, b in zip(loaded.predict_proba(X), search.predict_proba(X), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_search_around_a_baseline_of_gated_tasks_round_trips(tmp_path):
    # The tasks' gates hold their values as frozensets, which skops reports as a type it
    # does not trust: save wrote the search, and load refused it without trusted=
    from sklearn.model_selection import GridSearchCV, KFold

    X, Y, tasks = car_data(n=40)
    Y = Y[["car", "color"]].astype({"car": object})
    search = GridSearchCV(IndependentTaskClassifier(LogisticRegression(), tasks=tasks[:2]),
                          {"estimator__C": [0.1, 1.0]}, cv=KFold(2)).fit(X, Y)
    loaded = load(save(search, tmp_path / "search.mtl"))
    assert loaded.best_estimator_.schema_ == search.best_estimator_.schema_
    assert loaded.best_estimator_.schema_["color"].gate == ("car", frozenset({"yes"}))
    _same_outputs(search.best_estimator_, loaded.best_estimator_, X)
    pd.testing.assert_frame_equal(loaded.predict(X), search.predict(X))


def test_a_search_that_skops_cannot_load_is_refused_at_save(tmp_path):
    # skops writes pd.NA (the missing value of a "string" column's dtype) but cannot
    # build it again, and cannot store a network at all: save refuses, and says to save
    # the best estimator, which it stores without skops.
    path = tmp_path / "search.mtl"
    X, search = _search(IndependentTaskClassifier(LogisticRegression()),
                        {"estimator__C": [0.1, 1.0]}, pd.StringDtype("python"))
    if any(arg is pd.NA for arg in pd.StringDtype("python").__reduce__()[1]):  # pandas>=2.3
        with pytest.raises(TypeError, match=r"holds pd\.NA .*Save its best_estimator_ "
                                            r"\(save\(search\.best_estimator_, path\)\)"):
            save(search, path)
    else:  # the dtype's state is its storage alone: no pd.NA, and the search round-trips
        pd.testing.assert_frame_equal(load(save(search, path)).predict(X), search.predict(X))
        path.unlink()
    _same_outputs(search.best_estimator_, load(save(search.best_estimator_, path)), X)
    X, search = _search(MultiTaskClassifier(hidden_layer_sizes=(4,), max_epochs=1),
                        {"lr": [0.01]}, "str")
    path.unlink()
    with pytest.raises(TypeError, match=r"cannot be stored: .*Save its best_estimator_"):
        save(search, path)
    assert os.listdir(tmp_path) == []  # nothing written


def test_column_selection_by_the_tasks_forests_round_trips(tmp_path):
    # SelectFromModel holding an sklearn-mtl estimator: rebuilt as the pipelines are
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_selection import SelectFromModel
    from sklearn.pipeline import make_pipeline

    X, Y, tasks = car_data(n=40)
    forests = IndependentTaskClassifier(
        RandomForestClassifier(n_estimators=5, random_state=0), tasks=tasks)
    model = make_pipeline(
        SelectFromModel(forests, max_features=2, threshold=-np.inf),
        IndependentTaskClassifier(LogisticRegression(), tasks=tasks),
    ).fit(X, Y)
    loaded = load(save(model, tmp_path / "selected.mtl"))
    np.testing.assert_array_equal(loaded[0].get_support(), model[0].get_support())
    np.testing.assert_array_equal(loaded[0].estimator_.feature_importances_,
                                  model[0].estimator_.feature_importances_)
    pd.testing.assert_frame_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("how", ["partial_fit", "warm_start", "partial_fit one network"])
def test_training_continues_after_load_as_it_would_have(tmp_path, how):
    # With include_optimizer, AdamW's moments, the batches' shuffling and the callbacks
    # the net was built with come back: more training after load gives the very weights
    # that more training of the saved model gives (as a pickle would).
    from sklearn_mtl.datasets import load_penguins

    X, Y = load_penguins()
    params = dict(hidden_layer_sizes=(16,), random_state=0)
    if how.endswith("one network"):
        params["ensemble_size"] = 1
    if how == "warm_start":
        model = MultiTaskClassifier(max_epochs=3, warm_start=True, **params).fit(X, Y)
    else:
        model = MultiTaskClassifier(**params)
        for _ in range(2):
            model.partial_fit(X, Y)
    path = tmp_path / "model.mtl"
    sklearn_mtl.save(model, path, include_optimizer=True)
    loaded = sklearn_mtl.load(path)
    # a net built by partial_fit has no learning-rate schedule, whatever lr_schedule says
    assert [n for n, _ in loaded.net_.callbacks_] == [n for n, _ in model.net_.callbacks_]
    for est in (model, loaded):
        if how == "warm_start":
            est.fit(X, Y)
        else:
            est.partial_fit(X, Y)
            est.partial_fit(X, Y)
    for (name, a), b in zip(model.net_.module_.state_dict().items(),
                            loaded.net_.module_.state_dict().values()):
        assert torch.equal(a, b), name
    # without the optimizer: a smaller file, the same predictions
    small = tmp_path / "small.mtl"
    sklearn_mtl.save(model, small)
    assert os.path.getsize(small) < os.path.getsize(path)
    np.testing.assert_array_equal(sklearn_mtl.load(small).predict_proba(X)[0],
                                  model.predict_proba(X)[0])


# ------------------------------------------------- skorch callbacks: saved, loaded, resumed
def _with_callbacks(tmp_path, extra=(), **params):
    """A network trained with skorch's EarlyStopping (sink=print by default), a
    Checkpoint (sink=skorch.utils.noop) into ``tmp_path / "ck"`` and ``extra``."""
    from skorch.callbacks import Checkpoint, EarlyStopping

    X, Y, tasks = car_data()
    callbacks = [EarlyStopping(monitor="train_loss", patience=3),
                 ("ck", Checkpoint(dirname=str(tmp_path / "ck"), monitor="train_loss_best")),
                 *extra]
    model = MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(8,), max_epochs=2,
                                ensemble_size=1, random_state=0, callbacks=callbacks, **params)
    return model.fit(X.to_numpy(), Y), X.to_numpy(), Y


def test_stock_skorch_callbacks_round_trip_without_trusting_anything(tmp_path):
    # skorch's callbacks default their sink to print or skorch.utils.noop: save wrote
    # them, and load refused the file whatever trusted said (builtins.print) or unless
    # trusted named noop. Another builtin function loads when trusted names it.
    import skorch
    from sklearn.base import clone
    from skorch.callbacks import EarlyStopping

    model, X, _ = _with_callbacks(tmp_path)
    loaded = load(save(model, tmp_path / "m.mtl"))
    _same_outputs(model, loaded, X)
    early, (name, checkpoint) = loaded.callbacks
    assert early.sink is print and early.patience == 3 and name == "ck"
    assert checkpoint.sink is skorch.utils.noop and checkpoint.dirname == str(tmp_path / "ck")
    assert [n for n, _ in loaded.net_.callbacks_] == [n for n, _ in model.net_.callbacks_]
    other = clone(model).set_params(callbacks=[EarlyStopping(monitor="train_loss", sink=len)],
                                    max_epochs=1)
    path = save(other.fit(X, car_data()[1]), tmp_path / "len.mtl")
    with pytest.raises(UnsafeModelFileError,
                       match=r"builtins\.len, which is refused.*trusted=\['builtins\.len'\]"):
        load(path)
    assert load(path, trusted=["builtins.len"]).callbacks[0].sink is len
    # print and noop load as a callback's parameters, not anywhere else
    tree = json.loads(open_member(path, "estimator.json"))
    tree["params"]["optimizer"] = {"$t": "callable", "v": "builtins:print"}
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError, match=r"builtins\.print, which is refused"):
        load(path, trusted=["builtins.len"])


@pytest.mark.filterwarnings("error:Detected call of `lr_scheduler.step")  # (LeanAdamStep)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_loading_initializes_no_callback_and_training_on_does(tmp_path, how):
    # load() initialized the net's callbacks: a Checkpoint created its dirname, on any
    # machine that loaded the file, at any path a crafted file named. They are
    # initialized when training goes on, which trains as the saved model would have
    # (an LRScheduler counts its steps from the history).
    import shutil

    from skorch.callbacks import LRScheduler, TrainEndCheckpoint

    extra = [TrainEndCheckpoint(dirname=str(tmp_path / "end")),
             LRScheduler(policy="StepLR", step_size=1, gamma=0.5)]
    model, X, Y = _with_callbacks(tmp_path, extra, warm_start=how == "warm_start")
    folder = tmp_path / "ck"
    assert (folder / "params.pt").exists() and (tmp_path / "end").exists()
    path = save(model, tmp_path / "m.mtl", include_optimizer=True)
    shutil.rmtree(folder)
    shutil.rmtree(tmp_path / "end")
    loaded = load(path)
    assert not folder.exists() and not (tmp_path / "end").exists()
    crafted = tmp_path / "crafted" / "folder"
    _rewrite(path, "estimator.json",
             open_member(path, "estimator.json").replace(str(folder).encode(),
                                                         str(crafted).encode()))
    load(path)
    assert not (tmp_path / "crafted").exists()
    # the net is marked, its callbacks untouched; the mark is no parameter of the net's
    # and travels with a copy, which initializes them when it trains on
    assert loaded.net_.callbacks_pending_ and "callbacks_pending_" not in loaded.net_.get_params()
    assert not any("on_train_begin" in vars(cb) for _, cb in loaded.net_.callbacks_)
    loaded = pickle.loads(pickle.dumps(loaded))
    for est in (model, loaded):
        if how == "warm_start":
            est.fit(X, Y)
        else:
            est.partial_fit(X, Y)
    assert (folder / "params.pt").exists()  # the checkpoints work again
    assert (tmp_path / "end" / "train_end_params.pt").exists()
    assert len(loaded.history_) == len(model.history_)
    assert not hasattr(loaded.net_, "callbacks_pending_")
    for (name, a), b in zip(model.net_.module_.state_dict().items(),
                            loaded.net_.module_.state_dict().values()):
        assert torch.equal(a, b), name


@pytest.mark.parametrize("release", ["this", "previous"])
@pytest.mark.parametrize("name", ["lr_schedule", "early_stopping"])
def test_a_users_callback_named_as_the_recipes_stays_the_users(tmp_path, name, release):
    # load told the recipe's callbacks from the user's by their names: a net built by
    # partial_fit (no schedule, no early stopping, whatever the parameters say) with a
    # user's callback named "lr_schedule" or "early_stopping" got the recipe's of that
    # name too, and the file was refused (skorch: duplicate callback name). The file
    # lists the recipe's own callbacks; a previous release's file, without that list,
    # has them read as the listed ones of the recipe's names that the user's callbacks
    # do not hold. The user's stays the user's, trained on after load.
    from skorch.callbacks import EarlyStopping

    from sklearn_mtl.neural import WarmupCosineSchedule

    X, Y = car_data()[:2]
    X = X.to_numpy()
    if name == "lr_schedule":
        user, params = WarmupCosineSchedule(total_steps=7, warmup=0.5), {}
    else:
        user, params = EarlyStopping(monitor="train_loss", patience=5), {"early_stopping": True}
    model = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=2, random_state=0,
                                callbacks=[(name, user)], **params).partial_fit(X, Y)
    path = save(model, tmp_path / "m.mtl", include_optimizer=True)
    tree = json.loads(open_member(path, "estimator.json"))
    assert tree["net"]["recipe_callbacks"] == ["member_holdout"]
    if release == "previous":
        del tree["net"]["recipe_callbacks"]
        _rewrite(path, "estimator.json", json.dumps(tree).encode())
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X)[0], model.predict_proba(X)[0])
    names = [n for n, _ in model.net_.callbacks_]
    assert [n for n, _ in loaded.net_.callbacks_] == names
    assert loaded.net_.__dict__["callbacks_from_"][1] == [dict(loaded.net_.callbacks_)[
        "member_holdout"]]
    for est in (model, loaded):
        est.partial_fit(X, Y)
        mine = dict(est.net_.callbacks_)[name]
        assert type(mine) is type(user) and mine.get_params() == user.get_params()
    assert [n for n, _ in loaded.net_.callbacks_] == names
    for (key, a), b in zip(model.net_.module_.state_dict().items(),
                           loaded.net_.module_.state_dict().values()):
        assert torch.equal(a, b), key
    if release == "previous":
        return
    # a previous release's file of the recipe alone loads as that release loaded it
    plain = save(MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=2, random_state=0)
                 .partial_fit(X, Y), tmp_path / "plain.mtl")
    old = json.loads(open_member(plain, "estimator.json"))
    del old["net"]["recipe_callbacks"]
    _rewrite(plain, "estimator.json", json.dumps(old).encode())
    assert "lr_schedule" not in dict(load(plain).net_.callbacks_)
    tree["net"]["recipe_callbacks"] = "member_holdout"  # a crafted file
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError, match="'recipe_callbacks' must be a list"):
        load(path)


# torch's check that the optimizer stepped before the scheduler: the lean Adam step of
# a net whose optimizer state is loaded bypassed Optimizer.step, and torch warned
@pytest.mark.filterwarnings("error:Detected call of `lr_scheduler.step")
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_a_users_torch_scheduler_trains_on_after_load(tmp_path, how):
    # a model with a skorch LRScheduler of the user's, loaded without its optimizer,
    # failed to train on: the scheduler resumes at the saved epoch, and torch then reads
    # each group's base rate ("initial_lr"), which only the saved optimizer held
    # (KeyError). The new optimizer starts at the base rate, the schedule counting on
    # from the saved epochs; loaded with the optimizer, the model trains on as the saved
    # one does.
    from skorch.callbacks import LRScheduler

    X, Y = car_data()[:2]
    X = X.to_numpy()
    model = MultiTaskClassifier(
        hidden_layer_sizes=(8,), ensemble_size=1, max_epochs=2, lr=0.01, random_state=0,
        callbacks=[("sched", LRScheduler(policy="StepLR", step_size=1, gamma=0.5))],
    ).fit(X, Y)
    fresh = load(save(model, tmp_path / "fresh.mtl"))
    kept = load(save(model, tmp_path / "kept.mtl", include_optimizer=True))
    for est in (model, fresh, kept):
        if how == "warm_start":
            est.set_params(warm_start=True).fit(X, Y)
        else:
            est.partial_fit(X, Y)
    new = slice(2, None)
    assert model.history_[:, "event_lr"][:2] == pytest.approx([0.01, 0.005])
    # skorch resumes StepLR at epoch 1, which halves the rate it finds once more
    expected = [0.00125, 0.000625] if how == "warm_start" else [0.00125]
    assert model.history_[new, "event_lr"] == pytest.approx(expected)
    assert kept.history_[new, "event_lr"] == pytest.approx(expected)
    assert fresh.history_[new, "event_lr"] == pytest.approx(
        [0.005, 0.0025] if how == "warm_start" else [0.005])
    for (key, a), b in zip(model.net_.module_.state_dict().items(),
                           kept.net_.module_.state_dict().values()):
        assert torch.equal(a, b), key


# ------------------------------------------------------------- the saved file's mode
@pytest.mark.skipif(os.name != "posix", reason="POSIX file permissions")
def test_save_gives_the_file_the_mode_a_plain_write_gives(fitted, tmp_path):
    # The temporary file was tempfile.mkstemp's, always 0o600: a model saved for a
    # server run by another user could not be read there.
    import stat

    model = fitted[2]["product"]

    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    before = os.umask(0o022)
    try:
        assert mode(save(model, tmp_path / "new.mtl")) == 0o644
        os.umask(0o077)
        assert mode(save(model, tmp_path / "private.mtl")) == 0o600
        existing = tmp_path / "existing.mtl"
        existing.write_bytes(b"previous model")
        os.chmod(existing, 0o640)
        assert mode(save(model, existing)) == 0o640  # kept, whatever the umask
    finally:
        os.umask(before)
    assert load(existing).predict(car_data()[0]).equals(model.predict(car_data()[0]))
    if os.geteuid() != 0:  # (root writes a read-only file, and so would its save)
        os.chmod(existing, 0o444)
        with pytest.raises(PermissionError, match="read-only"):  # as open(path, "wb")
            save(model, existing)


# ------------------------------------------------------- damaged or crafted archives
def _damaged(data, how):
    """The archive ``data`` with one header field damaged as ``how`` says."""
    import struct

    out = bytearray(data)
    cd = out.find(b"PK\x01\x02")  # the central directory's first entry: manifest.json
    if how == "version":  # "version needed to extract": 14.8
        out[cd + 6] = 0x94
    elif how == "compression":  # a method that does not exist, in both headers
        out[cd + 10:cd + 12] = out[8:10] = struct.pack("<H", 99)
    elif how == "encrypted":  # the flag of an encrypted member
        out[cd + 8] |= 1
    elif how == "offset":  # the central directory placed past where it is
        end = out.rfind(b"PK\x05\x06")
        (at,) = struct.unpack("<I", out[end + 16:end + 20])
        out[end + 16:end + 20] = struct.pack("<I", at + 2**20)
    return bytes(out)


@pytest.mark.parametrize("source", ["buffer", "path"])
@pytest.mark.parametrize("how", ["version", "compression", "encrypted", "offset"])
def test_a_damaged_zip_header_is_an_unsafe_file(saved, how, source):
    # zipfile raises NotImplementedError, RuntimeError, ValueError or OSError there:
    # code catching the documented UnsafeModelFileError (or ValueError) missed them.
    path, _ = saved
    data = _damaged(Path(path).read_bytes(), how)
    Path(path).write_bytes(data)
    with pytest.raises(UnsafeModelFileError, match="truncated, corrupted"):
        load(io.BytesIO(data) if source == "buffer" else path)


@pytest.mark.parametrize("depth", [450, 100_000])
def test_json_nested_too_deeply_is_an_unsafe_file(saved, depth):
    # 100,000 levels: json.loads raised RecursionError; 450 tagged lists parse, and
    # decoding them raised it.
    path, _ = saved
    _rewrite(path, "estimator.json", b'{"$t": "list", "v": [' * depth + b"]}" * depth)
    with pytest.raises(UnsafeModelFileError, match="nested too deeply"):
        load(path)


@pytest.mark.parametrize("digests", [None, 5, "every member, no digest"])
def test_a_malformed_table_of_digests_is_an_unsafe_file(saved, digests):
    path, _ = saved
    manifest = json.loads(open_member(path, "manifest.json"))
    if isinstance(digests, str):  # a list: every member named, none's digest
        digests = [*manifest["sha256"]]
    manifest["sha256"] = digests
    _rewrite(path, "manifest.json", json.dumps(manifest).encode())
    with pytest.raises(UnsafeModelFileError, match="malformed manifest.json"):
        load(path)


def test_a_text_mode_file_object_is_refused_before_it_is_read(fitted, tmp_path):
    # The file was read (and decoded) first: UnicodeDecodeError, not the TypeError that
    # says what to do.
    path = save(fitted[2]["product"], tmp_path / "m.mtl")
    with open(path) as fh:
        with pytest.raises(TypeError, match=r"text file object; open the file in binary "
                                            r"mode \('rb'\)"):
            load(fh)
        assert fh.tell() == 0  # nothing read
    with pytest.raises(TypeError, match="text file object"):
        load(io.StringIO("text"))
    text = io.StringIO()
    with pytest.raises(TypeError, match=r"binary mode \('wb'\) or pass io.BytesIO\(\)"):
        save(fitted[2]["product"], text)
    assert text.getvalue() == ""


@pytest.mark.parametrize("bit_generator", [None, np.random.PCG64])
def test_a_random_state_instance_parameter_round_trips(bit_generator, tmp_path):
    # random_state takes "int, RandomState instance or None"; save refused the instance
    # (a TypeError "cannot store without pickle") though pickle keeps it. It is stored as
    # its generator's state: the loaded estimator's draws go on as the saved one's would.
    X, Y, tasks = car_data()

    def seeded():
        return np.random.RandomState(0 if bit_generator is None else bit_generator(0))

    estimators = {
        "mtc": MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(4,), max_epochs=1,
                                   random_state=seeded()),
        "chain": TaskChainClassifier(LogisticRegression(), tasks=tasks, order="random",
                                     random_state=seeded()),
    }
    for name, est in estimators.items():
        est.fit(X, Y)
        loaded = load(save(est, tmp_path / f"{name}.mtl"))
        _same_outputs(est, loaded, X)
        assert type(loaded.random_state) is np.random.RandomState
        assert loaded.random_state is not est.random_state
        np.testing.assert_array_equal(loaded.random_state.randint(2**31, size=5),
                                      est.random_state.randint(2**31, size=5))
        assert loaded.random_state.normal() == est.random_state.normal()
        # an unfitted one too, as its parameters
        unfitted = load(save(clone(est), tmp_path / f"{name}-unfitted.mtl"))
        np.testing.assert_array_equal(unfitted.random_state.randint(2**31, size=3),
                                      clone(est).random_state.randint(2**31, size=3))


def test_a_malformed_random_state_is_an_unsafe_file(tmp_path):
    X, Y, tasks = car_data()
    est = TaskChainClassifier(LogisticRegression(), tasks=tasks, order="random",
                              random_state=np.random.RandomState(0))
    path = save(est, tmp_path / "m.mtl")
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".json")
                    and b'"random_state"' in archive.read(n))
        data = json.loads(archive.read(name))

    def spoil(node):
        if isinstance(node, dict):
            if node.get("$t") == "random_state":
                node["v"]["v"]["bit_generator"] = "os.system"
            for value in node.values():
                spoil(value)
        elif isinstance(node, list):
            for value in node:
                spoil(value)

    spoil(data)
    _rewrite(path, name, json.dumps(data).encode())
    with pytest.raises(UnsafeModelFileError, match="Unexpected random generator state"):
        load(path)


@pytest.mark.parametrize("allowed", [
    pd.DataFrame({"car": ["yes", "yes", "no"], "color": ["red", "red", None]}),
    pd.DataFrame({"car": pd.Categorical(["yes", "no"]),
                  "color": pd.array(["red", pd.NA], dtype="string")}, index=[7, 3]),
])
def test_a_joint_decoder_with_a_table_of_allowed_combinations_round_trips(tmp_path, allowed):
    X, Y, tasks = car_data()
    est = IndependentTaskClassifier(LogisticRegression(), tasks=tasks,
                                    decode=sklearn_mtl.JointDecoder(allowed=allowed)).fit(X, Y)
    loaded = load(save(est, tmp_path / "m.mtl"))
    pd.testing.assert_frame_equal(loaded.decode.allowed, allowed)
    _same_outputs(est, loaded, X)
    assert set(loaded.predict(X)["color"].dropna()) == {"red"}  # "blue" is not allowed
    # the file keeps the table as data; one whose column does not match its index is refused
    with zipfile.ZipFile(tmp_path / "m.mtl") as archive:
        data = json.loads(archive.read("estimator.json"))
    frame = data["params"]["decode"]["params"]["allowed"]
    frame["data"][1]["v"] = {"$t": "ndarray_list", "dtype": "O", "shape": [1], "v": ["red"]}
    _rewrite(tmp_path / "m.mtl", "estimator.json", json.dumps(data).encode())
    with pytest.raises(UnsafeModelFileError, match="column 'color' does not match its index"):
        load(tmp_path / "m.mtl")


@pytest.mark.parametrize("threshold", [np.array(0.8), np.float64(0.8), 0.8])
def test_a_threshold_set_by_hand_keeps_its_shape(fitted, tmp_path, threshold):
    X, Y, models = fitted
    est = clone(models["independent"]).fit(X, Y)
    est.thresholds_ = {"car": threshold, "tags": np.array([0.3, 0.7])}
    loaded = load(save(est, tmp_path / "m.mtl"))
    assert np.shape(loaded.thresholds_["car"]) == ()
    np.testing.assert_array_equal(loaded.thresholds_["tags"], [0.3, 0.7])
    _same_outputs(est, loaded, X)


def test_trusted_as_a_single_string_is_refused_saying_what_to_pass(tmp_path):
    X, Y, tasks = car_data(n=20)
    clf = MultiTaskClassifier(tasks=tasks, trunk=TinyTrunk, max_epochs=1,
                              random_state=0).fit(X, Y)
    path = save(clf, tmp_path / "m.mtl")
    name = f"{TinyTrunk.__module__}.TinyTrunk"
    # iterated, the string would trust its characters and then refuse the very class
    with pytest.raises(TypeError, match=r"trusted must be a list .*got the string .*"
                                        r"Pass trusted=\['"):
        load(path, trusted=name)
    _same_outputs(clf, load(path, trusted=(name,)), X)


def test_thresholds_given_as_a_series_by_label_round_trip(tmp_path):
    # a Series of a multilabel task's thresholds, read by label (in any order) as the
    # guide says: save refused it ("a pandas.Series, which save() cannot store")
    X, Y, tasks = car_data()
    tuner = sklearn_mtl.TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression(),
                                                                     tasks=tasks),
                                           cv=2).fit(X, Y)
    labels = list(tuner.schema_["tags"].classes)
    by_label = pd.Series(np.linspace(0.2, 0.8, len(labels)), index=labels[::-1],
                         name="cut")
    tuner.thresholds_ = {**tuner.thresholds_, "tags": by_label}
    loaded = load(save(tuner, tmp_path / "m.mtl"))
    pd.testing.assert_series_equal(loaded.thresholds_["tags"], by_label)
    pd.testing.assert_frame_equal(loaded.predict(X), tuner.predict(X))


def test_a_partial_metric_round_trips_with_its_function_trusted(tmp_path):
    import functools

    from sklearn.metrics import fbeta_score

    X, Y, tasks = car_data()
    metric = functools.partial(fbeta_score, beta=2)
    tuner = sklearn_mtl.TaskThresholdTuner(IndependentTaskClassifier(LogisticRegression(),
                                                                     tasks=tasks),
                                           metric=metric, cv=2).fit(X, Y)
    path = save(tuner, tmp_path / "m.mtl")
    name = f"{fbeta_score.__module__}.fbeta_score"
    with pytest.raises(UnsafeModelFileError, match=rf"{name}, which is not trusted"):
        load(path)  # a partial needs its function trusted, as the bare function does
    loaded = load(path, trusted=[name])
    assert loaded.metric.func is fbeta_score
    assert loaded.metric.args == () and loaded.metric.keywords == {"beta": 2}
    _same_outputs(tuner, loaded, X)
    # the loaded metric is the same metric: a refit tunes the same thresholds
    refit = clone(loaded).fit(X, Y)
    for thresholds in (loaded.thresholds_, refit.thresholds_):
        assert thresholds.keys() == tuner.thresholds_.keys()
        for task, value in tuner.thresholds_.items():
            np.testing.assert_array_equal(thresholds[task], value)


def test_a_lookup_saved_before_it_recorded_its_numeric_columns_still_finds_its_rows(tmp_path):
    # The previous release's lookup hashed a DataFrame's columns as their dtype says (an
    # object column of numbers as objects) and has no `numeric`: its file (or pickle)
    # read the queries' numbers as numbers, found no training row again, and predicted
    # otherwise than the model that was saved.
    from sklearn_mtl.neural._lookup import row_keys, table_columns

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randint(0, 3, 40).astype(float),
                      "o": pd.Series(rng.randint(0, 3, 40).astype(float), dtype=object)})
    Y = pd.DataFrame({"t": np.where(X["a"] > 0, "y", "n")})
    clf = MultiTaskClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(X, Y)
    expected = clf.predict_proba(X)
    # the lookup as the previous release fitted it: rows keyed by their dtypes
    lookup = clf._lookup
    to_old = dict(zip(row_keys(table_columns(X)),
                      row_keys([X["a"].to_numpy(np.float32), np.asarray(X["o"], dtype=object)]),
                      strict=True))
    keys = np.array([to_old[k] for k in lookup.keys], dtype=lookup.keys.dtype)
    order = np.argsort(keys)
    lookup.keys, lookup.rows = keys[order], None
    lookup.counts = [None if c is None else c[order] for c in lookup.counts]
    del lookup.numeric
    for model in (clf, load(save(clf, tmp_path / "m.mtl")), pickle.loads(pickle.dumps(clf))):
        for a, b in zip(expected, model.predict_proba(X), strict=True):
            np.testing.assert_array_equal(a, b)
    clf._lookup = None  # (the lookup changes these predictions)
    assert not np.array_equal(expected[0], clf.predict_proba(X)[0])


def test_a_joint_decoder_with_a_polars_table_of_allowed_combinations_round_trips(tmp_path):
    # JointDecoder(allowed=) takes a polars DataFrame; save() refused it as an object it
    # cannot store without pickle. It is stored as its pandas copy (the table the decoder
    # reads) and made polars again at load.
    pl = pytest.importorskip("polars")
    X, Y, tasks = car_data()
    allowed = pl.DataFrame({"car": ["yes", "yes", "no"], "color": ["red", "red", None]})
    est = IndependentTaskClassifier(LogisticRegression(), tasks=tasks,
                                    decode=sklearn_mtl.JointDecoder(allowed=allowed)).fit(X, Y)
    loaded = load(save(est, tmp_path / "m.mtl"))
    assert isinstance(loaded.decode.allowed, pl.DataFrame)
    assert loaded.decode.allowed.equals(allowed)
    _same_outputs(est, loaded, X)
    assert set(loaded.predict(X)["color"].dropna()) == {"red"}


def test_a_damaged_polars_table_is_refused_as_an_unsafe_file(tmp_path):
    # a saved polars table whose stored pandas copy polars cannot read (here: integers
    # past 64 bits, an OverflowError from pl.from_pandas) is a damaged file, refused as
    # any other, not an error of polars or pyarrow escaping load()
    pl = pytest.importorskip("polars")
    X, Y, tasks = car_data()
    allowed = pl.DataFrame({"car": ["yes", "no"], "color": ["red", None]})
    est = IndependentTaskClassifier(LogisticRegression(), tasks=tasks,
                                    decode=sklearn_mtl.JointDecoder(allowed=allowed)).fit(X, Y)
    path = save(est, tmp_path / "m.mtl")
    with zipfile.ZipFile(path) as zf:
        tree = json.loads(zf.read("estimator.json"))

    def tables(node):
        if isinstance(node, dict):
            if node.get("$t") == "pl_frame":
                yield node
            for value in node.values():
                yield from tables(value)
        elif isinstance(node, list):
            for value in node:
                yield from tables(value)

    (table,) = tables(tree)
    table["v"]["data"][0]["v"]["v"] = [2**70, 2**70]
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError, match="polars table"):
        load(path)


class _HoldsAHandle:
    """A plain object whose state is that of a multiprocessing ``Connection``."""


def test_a_skops_member_naming_a_class_through_a_scikit_learn_modules_imports(tmp_path):
    # a skops member naming sklearn.callback._transport.Connection (multiprocessing's
    # class, which that module imports) was trusted as a scikit-learn class: load built
    # it from the file's state, and once collected it closed the file descriptor the
    # file named, in the loading process
    import gc
    import importlib

    import skops.io as sio
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    candidates = [("sklearn.callback._transport", "Connection"),
                  ("sklearn.datasets._base", "Path"), ("sklearn.datasets._lfw", "Memory")]
    for module, name in candidates:
        try:
            found = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        if isinstance(found, type) and not found.__module__.startswith("sklearn"):
            break
    else:
        pytest.skip("no scikit-learn module of this version imports such a class")
    X, Y, tasks = car_data(n=20)
    model = make_pipeline(StandardScaler(), IndependentTaskClassifier(LogisticRegression(),
                                                                      tasks=tasks)).fit(X, Y)
    path = save(model, tmp_path / "m.mtl")
    fd = os.open(tmp_path / "victim.txt", os.O_CREAT | os.O_WRONLY)
    try:
        state = _HoldsAHandle()
        state._handle, state._readable, state._writable = fd, True, True
        with zipfile.ZipFile(io.BytesIO(sio.dumps(state))) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        schema = json.loads(members["schema.json"])
        schema["__module__"], schema["__class__"] = module, name
        members["schema.json"] = json.dumps(schema).encode()
        crafted = io.BytesIO()
        with zipfile.ZipFile(crafted, "w") as zf:
            for n, data in members.items():
                zf.writestr(n, data)
        with zipfile.ZipFile(path) as zf:
            scaler = min(n for n in zf.namelist() if n.startswith("skops/"))
        _rewrite(path, scaler, crafted.getvalue())
        with pytest.raises(UnsafeModelFileError, match=f"{module}.{name}.*not trusted"):
            load(path)
        gc.collect()
        os.fstat(fd)  # still open
    finally:
        os.close(fd)


@pytest.mark.parametrize("library, key", [("scikit-learn", "scikit-learn"), ("torch", "torch"),
                                          ("skorch", "skorch"), ("sklearn-mtl", None)])
def test_load_warns_when_a_library_version_differs_from_the_saved_one(fitted, tmp_path,
                                                                       library, key):
    # the manifest records the versions a model was saved with, and load kept quiet
    # where scikit-learn, torch or skorch differed (scikit-learn warns on unpickling with
    # its InconsistentVersionWarning); only another sklearn-mtl patch warned
    import sklearn
    import skorch

    from sklearn_mtl import InconsistentVersionWarning

    X, _, _ = car_data()
    model = fitted[2]["mtc"]
    path = save(model, tmp_path / "m.mtl")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        load(path)  # the versions that wrote it: no warning
    manifest = json.loads(open_member(path, "manifest.json"))
    if key is None:
        manifest["sklearn_mtl_version"] = sklearn_mtl.__version__ + ".post1"
    else:
        manifest["written_with"][key] = "0.0.1"
    _rewrite(path, "manifest.json", json.dumps(manifest).encode())
    with pytest.warns(InconsistentVersionWarning) as record:
        loaded = load(path)
    versions = [w.message for w in record if w.category is InconsistentVersionWarning]
    assert len(versions) == 1
    warning = versions[0]
    assert issubclass(InconsistentVersionWarning, UserWarning)
    running = {"scikit-learn": sklearn.__version__, "torch": torch.__version__,
               "skorch": skorch.__version__, "sklearn-mtl": sklearn_mtl.__version__}
    original = "0.0.1" if key else sklearn_mtl.__version__ + ".post1"
    assert (warning.estimator_name, warning.library, warning.original_version,
            warning.current_version) == ("MultiTaskClassifier", library, original,
                                         running[library])
    by = "sklearn-mtl" if key is None else f"sklearn-mtl with {library}"
    assert str(warning).startswith(
        f"Loading MultiTaskClassifier from {str(path)!r}, written by {by} {original}, while "
        f"{library} {running[library]} is running.")
    assert pickle.loads(pickle.dumps(warning)).__dict__ == warning.__dict__
    _same_outputs(model, loaded, X)
    # a model without a network does not depend on torch's or skorch's version
    if key in ("torch", "skorch"):
        path = save(fitted[2]["independent"], tmp_path / "i.mtl")
        manifest = json.loads(open_member(path, "manifest.json"))
        manifest["written_with"][key] = "0.0.1"
        _rewrite(path, "manifest.json", json.dumps(manifest).encode())
        with warnings.catch_warnings():
            warnings.simplefilter("error", InconsistentVersionWarning)
            load(path)


def test_a_column_selector_of_scikit_learns_examples_loads_without_trusting_anything(
        tmp_path):
    # make_column_selector(dtype_include=np.number / object), as in scikit-learn's own
    # examples: skops reports the dtypes it selects (builtins.object, numpy.number) as
    # untrusted types, though they are classes used as data
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, Y, tasks = car_data(n=30)
    X["make"] = np.where(np.arange(len(X)) % 3, "a", "b").astype(object)
    model = make_pipeline(
        make_column_transformer(
            (StandardScaler(), make_column_selector(dtype_include=np.number)),
            (OneHotEncoder(), make_column_selector(dtype_include=object)),
            (OneHotEncoder(), make_column_selector(dtype_include=[np.integer, np.floating],
                                                   pattern="^a$")),
        ),
        IndependentTaskClassifier(LogisticRegression(), tasks=tasks),
    ).fit(X, Y)
    loaded = load(save(model, tmp_path / "selected.mtl"))
    assert loaded[0].transformers[1][2].dtype_include is object
    assert loaded[0].transformers[2][2].dtype_include == [np.integer, np.floating]
    _same_outputs(model, loaded, X)


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix",
                    reason="symbolic links")
def test_save_to_a_symbolic_link_writes_the_file_it_points_to(tmp_path):
    # save replaced the link itself with the new model: the link became a file of its
    # own, and the file it pointed to kept the previous model. open(path, "wb"),
    # pickle's and joblib's way, writes through the link.
    X, Y, tasks = car_data(n=20)
    strong = IndependentTaskClassifier(LogisticRegression(C=1.0), tasks=tasks).fit(X, Y)
    weak = IndependentTaskClassifier(LogisticRegression(C=0.01), tasks=tasks).fit(X, Y)
    (tmp_path / "models").mkdir()
    release = save(strong, tmp_path / "models" / "v1.mtl")
    os.chmod(release, 0o640)
    current = tmp_path / "current.mtl"
    os.symlink(os.path.join("models", "v1.mtl"), current)
    assert save(weak, current) == str(current)
    assert current.is_symlink() and os.readlink(current) == os.path.join("models", "v1.mtl")
    assert load(release).estimator.C == 0.01
    assert oct(os.stat(release).st_mode & 0o777) == oct(0o640)  # the file's own mode kept
    _same_outputs(weak, load(current), X)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    # a link to a file not there yet creates that file, as open(path, "wb") does
    os.symlink("next.mtl", tmp_path / "staged.mtl")
    save(weak, tmp_path / "staged.mtl")
    assert (tmp_path / "staged.mtl").is_symlink() and (tmp_path / "next.mtl").is_file()


def _fraction_right(net, X, y):  # a scoring function of the user's, for a callback
    return 0.0


def test_a_refusal_names_every_untrusted_name_of_the_file_at_once(tmp_path):
    # load named the first untrusted class or function only: a model of a custom trunk
    # and a callback scoring with a function of the user's took one refused load per
    # name, each to be added to trusted in turn (the command line's --trust alike)
    from skorch.callbacks import EpochScoring

    X, Y, tasks = car_data(n=20)
    scoring = EpochScoring(_fraction_right, name="right", on_train=True)
    clf = MultiTaskClassifier(tasks=tasks, trunk=TinyTrunk, max_epochs=1, random_state=0,
                              callbacks=[("right", scoring)]).fit(X, Y)
    path = save(clf, tmp_path / "m.mtl")
    trunk, function = (f"{__name__}.{name}" for name in ("TinyTrunk", "_fraction_right"))
    with pytest.raises(UnsafeModelFileError) as refused:
        load(path)
    assert refused.value.untrusted == [function, trunk]  # as the file names them
    assert str(refused.value) == (
        f"The file refers to {function}, which is not trusted; pass trusted=[{function!r}] "
        f"to load() if you trust it. The file also refers to {trunk}, which is not trusted "
        f"either: pass trusted=[{function!r}, {trunk!r}] to load() if you trust them all.")
    with pytest.raises(UnsafeModelFileError) as refused:
        load(path, trusted=[trunk])
    assert refused.value.untrusted == [function]
    assert "also" not in str(refused.value)
    _same_outputs(clf, load(path, trusted=[trunk, function]), X)
    # a skops member's types too, after the estimator's own names
    base = IndependentTaskClassifier(CustomClassifier(), tasks=tasks).fit(X, Y)
    tuner = sklearn_mtl.TaskThresholdTuner(base, metric=_fraction_right, cv=2)
    path = save(tuner, tmp_path / "t.mtl")
    with pytest.raises(UnsafeModelFileError) as refused:
        load(path)
    assert sorted(refused.value.untrusted) == sorted(
        [function, f"{__name__}.CustomClassifier"])


def test_a_scoring_callback_loads_with_only_its_scoring_function_trusted(tmp_path):
    # EpochScoring's and BatchScoring's target_extractor defaults to skorch.utils.to_numpy,
    # which load refused unless trusted named it too, though the user never set it
    from skorch.callbacks import BatchScoring, EpochScoring

    X, Y, tasks = car_data(n=20)
    function = f"{__name__}._fraction_right"
    clf = MultiTaskClassifier(
        tasks=tasks, hidden_layer_sizes=(4,), max_epochs=1, random_state=0,
        callbacks=[("right", EpochScoring(_fraction_right, name="right", on_train=True)),
                   ("batch_right", BatchScoring(_fraction_right, name="b", on_train=True))],
    ).fit(X, Y)
    path = save(clf, tmp_path / "m.mtl")
    with pytest.raises(UnsafeModelFileError) as refused:
        load(path)
    assert refused.value.untrusted == [function]  # the user's function, and no other
    loaded = load(path, trusted=[function])
    import skorch

    assert [cb.target_extractor for _, cb in loaded.callbacks] == [skorch.utils.to_numpy] * 2
    _same_outputs(clf, loaded, X)
    # in a callback's parameters only
    tree = json.loads(open_member(path, "estimator.json"))
    tree["params"]["optimizer"] = {"$t": "callable", "v": "skorch.utils:to_numpy"}
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError, match=r"skorch\.utils\.to_numpy.*not trusted"):
        load(path, trusted=[function])


def test_another_build_of_the_same_torch_release_is_the_same_version(fitted, tmp_path):
    # a model trained where torch is 2.x.y+cu121 (a GPU machine) and loaded where it is
    # 2.x.y+cpu warned on every load that it may predict differently or fail
    from sklearn_mtl import InconsistentVersionWarning

    release = torch.__version__.partition("+")[0]
    for written, warns in (("+cu121", False), ("", False), (".post1+cpu", True)):
        path = save(fitted[2]["mtc"], tmp_path / "m.mtl")
        manifest = json.loads(open_member(path, "manifest.json"))
        manifest["written_with"]["torch"] = release + written
        _rewrite(path, "manifest.json", json.dumps(manifest).encode())
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            load(path)
        versions = [w for w in record if w.category is InconsistentVersionWarning]
        assert len(versions) == warns, written


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_save_to_a_pipe_or_a_link_to_one_writes_it_as_it_is(tmp_path):
    # save replaced what path names with a new file: a link to /dev/null (a model
    # discarded by a dry run) or to a FIFO put a plain file in the device's place, run
    # as root, and failed with PermissionError otherwise (no temporary file in /dev).
    # open(path, "wb") writes a device or a pipe as it is.
    import stat
    import threading

    X, Y, tasks = car_data(n=20)
    model = IndependentTaskClassifier(LogisticRegression(), tasks=tasks).fit(X, Y)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    os.symlink("pipe", tmp_path / "link.mtl")
    for path in (tmp_path / "link.mtl", pipe):
        received = []
        reader = threading.Thread(target=lambda into=received: into.append(pipe.read_bytes()),
                                  daemon=True)
        reader.start()
        assert save(model, path) == str(path)
        reader.join(timeout=30)
        assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
        assert received and not reader.is_alive()
        _same_outputs(model, load(io.BytesIO(received[0])), X)
    assert (tmp_path / "link.mtl").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.mtl", "pipe"]


def test_another_source_build_of_a_torch_pre_release_is_another_version(
        fitted, tmp_path, monkeypatch):
    # torch built from source is 2.6.0a0+git<commit>, every commit of the cycle 2.6.0a0:
    # the local label names the code there, not a build of one release (+cpu, +cu121),
    # and two such builds months apart loaded each other's models without a warning
    from sklearn_mtl import InconsistentVersionWarning

    monkeypatch.setattr(torch, "__version__", "2.6.0a0+git1a2b3c4")
    for written, warns in (("2.6.0a0+git9f8e7d6", True), ("2.6.0a0+git1a2b3c4", False),
                           ("2.6.0a0", True)):
        path = save(fitted[2]["mtc"], tmp_path / "m.mtl")
        manifest = json.loads(open_member(path, "manifest.json"))
        manifest["written_with"]["torch"] = written
        _rewrite(path, "manifest.json", json.dumps(manifest).encode())
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            load(path)
        torch_warnings = [w for w in record if w.category is InconsistentVersionWarning
                          and w.message.library == "torch"]
        assert len(torch_warnings) == warns, written


def test_a_refusal_lists_exactly_the_names_that_load_refuses_in_a_crafted_file(tmp_path):
    # the refusal named the other untrusted names by a second copy of load's rules, which
    # accepted skorch's default functions anywhere: a file giving skorch.utils.noop
    # outside a callback was refused for it only once every other name was trusted
    from skorch.callbacks import EarlyStopping, EpochScoring

    X, Y, tasks = car_data(n=20)
    clf = MultiTaskClassifier(tasks=tasks, trunk=TinyTrunk, max_epochs=1, random_state=0,
                              callbacks=[("es", EarlyStopping(monitor="train_loss")),
                                         ("es2", EarlyStopping(monitor="train_loss")),
                                         ("s", EpochScoring(_fraction_right, name="right",
                                                            on_train=True))]).fit(X, Y)
    path = save(clf, tmp_path / "m.mtl")
    tree = json.loads(open_member(path, "estimator.json"))
    params = tree["params"]
    es, es2, scoring = (entry["v"][1]["params"]["v"] for entry in params["callbacks"]["v"])
    for values, key, name in (
            (params, "batch_transform", "os:system"),  # a function of any module
            (es, "sink", "builtins:eval"),  # a builtin function, in a callback
            (es2, "sink", "numpy:mean"),  # numpy's
            (scoring, "scoring", "sklearn.metrics._classification:f1_score"),
            (params, "optimizer", "skorch.utils:noop")):  # skorch's default, not a callback's
        values[key] = {"$t": "callable", "v": name}
    params["callbacks"]["v"].append({"$t": "tuple", "v": ["log", {  # a trusted module's function
        "$t": "instance", "class": "skorch.callbacks.logging:PrintLog",
        "params": {"$t": "dict", "v": {"sink": {"$t": "callable",
                                                "v": "sklearn_mtl._persistence:save"}}}}]})
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    trunk = f"{__name__}.TinyTrunk"
    with pytest.raises(UnsafeModelFileError) as refused:
        load(path, trusted=[trunk])
    names = ["os.system", "builtins.eval", "numpy.mean",
             "sklearn.metrics._classification.f1_score", "sklearn_mtl._persistence.save",
             "skorch.utils.noop"]  # scoring's target_extractor (to_numpy) is a callback's
    assert refused.value.untrusted == names
    assert str(refused.value).endswith(f"pass trusted={names!r} to load() if you trust them all.")
    for name in names:  # each is refused when the others are trusted, and no other
        with pytest.raises(UnsafeModelFileError) as refused:
            load(path, trusted=[trunk, *(other for other in names if other != name)])
        assert refused.value.untrusted == [name]
    _same_outputs(clf, load(path, trusted=[trunk, *names]), X)


def test_a_callback_default_function_referred_to_outside_callbacks_is_refused(tmp_path):
    # print loads without trusted= as a callback's sink only; a file that names it there
    # (with an id) and refers to it again elsewhere, as the network's optimizer or inside
    # a list, had it loaded there too. A callback built with it is no such value:
    # the file refers to it again where the fitted network lists its callbacks.
    from skorch.callbacks import EarlyStopping

    X, Y, tasks = car_data(n=20)
    clf = MultiTaskClassifier(tasks=tasks, trunk=TinyTrunk, max_epochs=1, random_state=0,
                              callbacks=[("es", EarlyStopping(monitor="train_loss"))]).fit(X, Y)
    path = save(clf, tmp_path / "m.mtl")
    trunk = f"{__name__}.TinyTrunk"
    _same_outputs(clf, load(path, trusted=[trunk]), X)
    tree = json.loads(open_member(path, "estimator.json"))
    params = tree["params"]
    es = params["callbacks"]["v"][0]["v"][1]["params"]["v"]
    for reuse in ({"$t": "ref", "id": "sink"},
                  {"$t": "list", "v": [{"$t": "ref", "id": "sink"}]}):
        es["sink"] = {"$t": "callable", "v": "builtins:print", "id": "sink"}
        params["optimizer"] = reuse
        _rewrite(path, "estimator.json", json.dumps(tree).encode())
        with pytest.raises(UnsafeModelFileError,
                           match=r"builtins\.print, which is refused.*refers to it again "
                                 r"outside them") as refused:
            load(path, trusted=[trunk])
        assert refused.value.untrusted == ["builtins.print"]
    # a list holding it, named in the callback and referred to outside
    es["sink"] = {"$t": "tuple", "v": [{"$t": "callable", "v": "builtins:print"}], "id": "t"}
    params["optimizer"] = {"$t": "ref", "id": "t"}
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError, match=r"refers to it again outside them"):
        load(path, trusted=[trunk])
    es["sink"] = {"$t": "callable", "v": "builtins:print", "id": "sink"}
    params["optimizer"] = {"$t": "ref", "id": "sink"}
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    loaded = load(path, trusted=[trunk, "builtins.print"])  # trusted: as written there
    assert loaded.optimizer is print


def _halved(X):  # a transformer's function of the user's
    return X / 2


def test_a_refusal_names_a_callback_default_function_given_outside_a_callback(tmp_path):
    # skorch.utils.to_numpy loads without trusted= as a callback's parameter only; as a
    # batch_transform load refuses it, but the refusal of the file's other untrusted
    # name left it out of the names to trust (the command line's --trust alike)
    import skorch
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, Y, tasks = car_data(n=20)
    model = make_pipeline(
        FunctionTransformer(_halved),
        MultiTaskClassifier(tasks=tasks, hidden_layer_sizes=(4,), max_epochs=1, random_state=0,
                            batch_transform=skorch.utils.to_numpy)).fit(X, Y)
    path = save(model, tmp_path / "m.mtl")
    with pytest.raises(UnsafeModelFileError) as refused:
        load(path)
    assert refused.value.untrusted == [f"{__name__}._halved", "skorch.utils.to_numpy"]
    _same_outputs(model, load(path, trusted=refused.value.untrusted), X)


def test_a_refusal_names_a_builtin_container_that_the_file_asks_to_build(saved):
    # a builtin container loads as a value (a list, a dict), not as a class to build: the
    # refusal of another name left builtins.list out of the names that load refuses
    path, _ = saved
    tree = json.loads(open_member(path, "estimator.json"))
    tree["params"]["batch_transform"] = {"$t": "callable", "v": "os:system"}
    tree["params"]["callbacks"] = {"$t": "list", "v": [
        {"$t": "instance", "class": "builtins:list", "params": {"$t": "dict", "v": {}}}]}
    _rewrite(path, "estimator.json", json.dumps(tree).encode())
    with pytest.raises(UnsafeModelFileError) as refused:
        load(path)
    assert refused.value.untrusted == ["os.system", "builtins.list"]
    with pytest.raises(UnsafeModelFileError,
                       match=r"builtins\.list, which is refused") as refused:
        load(path, trusted=["os.system"])
    assert refused.value.untrusted == ["builtins.list"]


@pytest.mark.parametrize("how", ["Freezer", "by hand"])
def test_frozen_parameters_stay_frozen_after_load(tmp_path, how):
    # a state_dict keeps no requires_grad, and the saved history stops a Freezer from
    # running again: the loaded model's trunk trained on where the saved model's stayed
    from skorch.callbacks import Freezer

    X, Y = car_data()[:2]
    X = X.to_numpy()
    callbacks = [("freeze", Freezer("trunk.*"))] if how == "Freezer" else None
    model = MultiTaskClassifier(hidden_layer_sizes=(8,), ensemble_size=1, max_epochs=2,
                                random_state=0, callbacks=callbacks).fit(X, Y)
    if how == "by hand":
        model.net_.module_.trunk.requires_grad_(False)
    frozen = {n for n, p in model.net_.module_.named_parameters() if not p.requires_grad}
    assert frozen and all(n.startswith("trunk.") for n in frozen)
    loaded = load(save(model, tmp_path / "m.mtl", include_optimizer=True))
    assert {n for n, p in loaded.net_.module_.named_parameters()
            if not p.requires_grad} == frozen
    for est in (model, loaded):
        est.partial_fit(X, Y)
    for (key, a), b in zip(model.net_.module_.state_dict().items(),
                           loaded.net_.module_.state_dict().values()):
        assert torch.equal(a, b), key


def test_a_search_around_a_baseline_of_categorical_labels_is_refused_naming_the_dtype(
        tmp_path):
    # skops said "no default __reduce__ due to non-trivial __cinit__", naming nothing
    from sklearn.model_selection import GridSearchCV, KFold

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.randn(60), "b": rng.randn(60)})
    Y = pd.DataFrame({"car": np.where(X.a > 0, "yes", "no"),
                      "z": pd.Categorical(np.where(X.b > 0, "hi", "lo"))})
    search = GridSearchCV(IndependentTaskClassifier(LogisticRegression()),
                          {"estimator__C": [0.1, 1.0]}, cv=KFold(3)).fit(X, Y)
    with pytest.raises(TypeError, match=r"cannot be stored: it holds a pandas "
                                        r"CategoricalDtype \(best_estimator_\.encoder_\..*"
                                        r"\['z'\]: the dtype of a categorical label column.*"
                                        r"Save its best_estimator_"):
        save(search, tmp_path / "s.mtl")
    loaded = load(save(search.best_estimator_, tmp_path / "best.mtl"))
    pd.testing.assert_frame_equal(loaded.predict(X), search.predict(X))
