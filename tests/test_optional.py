"""The optional engines live behind extras: without one, ``import sklearn_mtl`` works and
the feature that needs it raises an ImportError naming the extra to install.

Absence is simulated with ``sys.modules[name] = None``, which makes ``import name`` fail
as if the package were not installed; these tests run whether the extras are installed
or not.
"""

import subprocess
import sys
from importlib.util import find_spec

import numpy as np
import pandas as pd
import pytest

from sklearn_mtl._optional import import_optional

# every optional package an extra (or the dev extra, for polars) brings
OPTIONAL = (
    "dask", "distributed", "pyarrow", "onnx", "onnxruntime", "onnxscript", "skl2onnx",
    "matplotlib", "openpyxl", "polars",
)


def _absent(monkeypatch, *names):
    # the package and its submodules that an earlier test imported (sys.modules would
    # hand a cached dask.dataframe over without looking at dask)
    for name in names:
        for key in [k for k in sys.modules if k == name or k.startswith(f"{name}.")]:
            monkeypatch.setitem(sys.modules, key, None)
        monkeypatch.setitem(sys.modules, name, None)


def test_import_optional_names_the_feature_and_the_extra(monkeypatch):
    _absent(monkeypatch, "dask")
    with pytest.raises(ImportError) as info:
        import_optional("dask.dataframe", feature="predicting on dask", extra="distributed")
    message = str(info.value)
    assert message.startswith("predicting on dask needs dask, which is not installed (")
    assert message.endswith('Install it with `pip install "sklearn-mtl[distributed]"`.')
    assert info.value.name == "dask"
    assert isinstance(info.value.__cause__, ImportError)  # the original error, chained


def test_import_optional_tells_a_failing_import_from_a_missing_package(monkeypatch, tmp_path):
    # an installed package whose own import fails (a build against another numpy) was
    # called "not installed", with the pip line of an extra the user already has
    (tmp_path / "brokenpkg").mkdir()
    (tmp_path / "brokenpkg" / "__init__.py").write_text(
        "from numpy import no_such_name  # noqa\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError) as info:
        import_optional("brokenpkg", feature="run_onnx", extra="onnx")
    message = str(info.value)
    assert message.startswith("run_onnx needs brokenpkg, which is installed but failed to "
                              "import (cannot import name 'no_such_name' from 'numpy'")
    assert "not installed" not in message
    assert message.endswith('`pip install "sklearn-mtl[onnx]" --force-reinstall`.')
    assert isinstance(info.value.__cause__, ImportError)


def test_import_optional_without_an_extra_names_the_package(monkeypatch):
    _absent(monkeypatch, "polars")
    with pytest.raises(ImportError, match="Install it with `pip install polars`"):
        import_optional("polars", feature="polars out")


def test_import_optional_returns_the_module():
    assert import_optional("json", feature="anything", extra="none") is __import__("json")


def test_predict_partitions_without_dask_names_the_extra(monkeypatch):
    from sklearn_mtl.distributed import predict_partitions

    _absent(monkeypatch, "dask", "dask.array", "dask.dataframe")
    expected = r"predict_partitions needs dask.*`pip install \"sklearn-mtl\[distributed\]\"`"
    with pytest.raises(ImportError, match=expected):
        predict_partitions(None, np.zeros((2, 2)))


def test_parquet_shards_without_pyarrow_names_the_extra(monkeypatch, tmp_path):
    from sklearn_mtl.sharded import ParquetShards

    _absent(monkeypatch, "pyarrow", "pyarrow.dataset")
    expected = r"ParquetShards needs pyarrow.*`pip install \"sklearn-mtl\[distributed\]\"`"
    with pytest.raises(ImportError, match=expected):
        ParquetShards(str(tmp_path), features=["x"])


ONNX = ("onnx", "onnxruntime", "skl2onnx")  # in the order export_onnx imports them


@pytest.mark.parametrize("missing", ONNX)
def test_export_onnx_without_an_onnx_package_names_the_extra(monkeypatch, missing):
    from sklearn_mtl import export_onnx
    from sklearn_mtl._export import run_onnx

    _absent(monkeypatch, missing)
    # the first one missing is named: in a core-only install, that is onnx
    named = next(name for name in ONNX if name == missing or find_spec(name) is None)
    with pytest.raises(ImportError, match=rf'ONNX export needs {named}.*sklearn-mtl\[onnx\]'):
        export_onnx(None)
    if missing == "onnxruntime":
        with pytest.raises(ImportError, match=r'run_onnx needs onnxruntime.*sklearn-mtl\[onnx\]'):
            run_onnx(b"", np.zeros((1, 1)))


def test_plotting_without_matplotlib_names_the_extra(monkeypatch):
    from sklearn_mtl.plotting import plot_task_metrics

    _absent(monkeypatch, "matplotlib", "matplotlib.pyplot")
    with pytest.raises(ImportError, match=r'sklearn-mtl\[plot\]'):
        plot_task_metrics(pd.DataFrame({"m": [0.5]}, index=["t"]))


def test_polars_out_without_polars_names_polars(monkeypatch):
    from sklearn_mtl._frames import to_polars

    _absent(monkeypatch, "polars")
    with pytest.raises(ImportError, match=r"fitted on a polars DataFrame.*pip install polars"):
        to_polars(pd.DataFrame({"y": ["a"]}), {"y": "String"})


def test_sklearn_mtl_and_its_modules_import_without_any_extra():
    # a fresh interpreter, so that no optional package is imported already
    code = (
        "import sys\n"
        f"for name in {OPTIONAL!r}:\n"
        "    sys.modules[name] = None\n"
        "import importlib, pkgutil, sklearn_mtl\n"
        "for m in pkgutil.walk_packages(sklearn_mtl.__path__, 'sklearn_mtl.'):\n"
        "    importlib.import_module(m.name)\n"
        "from sklearn_mtl import export_onnx\n"
        "import sklearn_mtl.cli, sklearn_mtl.distributed, sklearn_mtl.sharded\n"
        "import sklearn_mtl.plotting\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ok")
