"""Test-session settings."""

import os

import pytest
import torch

# pytest-xdist runs one worker per core: one torch thread each, and one BLAS and OpenMP
# thread each (as scikit-learn's own test session limits them), so the workers do not
# oversubscribe the cores. Two workers of two threads on two cores ran the suite's longest
# tests several times slower; OpenBLAS's spinning threads made a logistic regression's
# fit on 100 rows about ten times slower.
if os.environ.get("PYTEST_XDIST_WORKER"):
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)


def _build_torchs_onnx_operator_table_once():
    """``torch.onnx.export(dynamo=True)`` builds its table of ONNX operators anew on every
    call, reading the source of about 500 onnxscript functions: 1.3 to 1.9 s of each export
    on the suite's machine, most of the export tests' time. The suite builds it once per
    process and opset, on the first export. Only a ``custom_translation_table`` changes a
    table once built, and the package passes none. A torch without this private class
    builds it as it does."""
    import sklearn_mtl._export as export

    convert = export._torch_to_onnx

    def first_conversion(*args, **kwargs):
        export._torch_to_onnx = convert
        try:
            from torch.onnx._internal.exporter._registration import ONNXRegistry
        except ImportError:
            return convert(*args, **kwargs)
        build = ONNXRegistry.from_torchlib
        built = {}

        def from_torchlib(cls, *args, **kwargs):
            key = (cls, args, tuple(sorted(kwargs.items())))
            if key not in built:
                built[key] = build.__func__(cls, *args, **kwargs)
            return built[key]

        ONNXRegistry.from_torchlib = classmethod(from_torchlib)
        return convert(*args, **kwargs)

    export._torch_to_onnx = first_conversion


_build_torchs_onnx_operator_table_once()


@pytest.fixture(scope="session")
def session_folder(tmp_path_factory):
    """A folder of this test session shared by its pytest-xdist workers (each worker's
    base temporary folder is one level below the session's), for work done once per
    session: the session's own base temporary folder where xdist is not used."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def launch_once(session_folder):
    """``launch_once(name, run, timeout)``: ``(folder, launch)`` of a launch of programs
    run once per test session, the pytest-xdist workers included (the first to need it
    runs it, under a lock; the others read its record). ``run(folder, timeout)`` starts
    it in the empty ``session_folder / name`` and returns its ``CompletedProcess``;
    ``launch`` holds its exit status (None past ``timeout`` seconds) and the end of its
    output."""
    import json
    import subprocess

    from filelock import FileLock  # a dependency of torch

    def launch_once(name, run, timeout):
        folder = session_folder / name
        record = folder / "launch.json"
        with FileLock(str(folder) + ".lock"):
            if record.is_file():
                return folder, json.loads(record.read_text())
            folder.mkdir()
            try:
                result = run(folder, timeout)
                launch = {"returncode": result.returncode,
                          "output": result.stdout[-3000:] + result.stderr[-5000:]}
            except subprocess.TimeoutExpired:
                launch = {"returncode": None, "output": f"{name} ran past {timeout} s"}
            record.write_text(json.dumps(launch))
            return folder, launch

    return launch_once


@pytest.fixture
def accelerator_seedings(monkeypatch):
    """The names of torch's accelerator seeding functions called while a test runs (each
    replaced by a recorder): a fit or training on the CPU calls none."""
    seeded = []
    for module, name in [(torch.cuda, "manual_seed_all"), (torch.cuda, "manual_seed"),
                         (torch.mps, "manual_seed"), (torch.xpu, "manual_seed_all")]:
        monkeypatch.setattr(module, name,
                            lambda seed, _n=f"{module.__name__}.{name}": seeded.append(_n))
    return seeded


@pytest.fixture
def weights_apart_from_X():
    """``(X, Y, w)``: 30 rows of X and Y shuffled, and their weights as a Series in the
    rows' first order, so that its index holds X's row labels in another order."""
    import numpy as np
    import pandas as pd

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"])
    frame["t"] = np.where(frame["a"] > 0, "x", "y")
    frame["w"] = rng.randint(1, 4, 30).astype(float)
    shuffled = frame.sample(frac=1, random_state=1)
    return shuffled[["a", "b"]], shuffled[["t"]], frame["w"]
