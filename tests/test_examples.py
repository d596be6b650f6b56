"""Every example runs, in reduced mode, in a subprocess: examples cannot rot."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = sorted(p.name for p in EXAMPLES.glob("*.py"))

# whole programs: not in the default suite; `make test-integration` and CI run them
pytestmark = pytest.mark.integration


def test_examples_found():
    assert {"car_attributes.py", "handball_clips.py", "leaf_health.py",
            "digits_attributes.py", "news_tags.py"} <= set(NAMES)


@pytest.fixture(scope="module")
def reduced_runs(launch_once):
    """The folder of the examples' reduced runs and the launch's exit: one subprocess
    runs every example in turn (tests/_examples_runner.py), each read by its test below;
    under pytest-xdist the workers share it."""
    pytest.importorskip("matplotlib")  # every example saves a figure (the plot extra)
    env = {
        **os.environ,
        "SKLEARN_MTL_EXAMPLES_SMALL": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",  # tiny networks; the CPU may be shared
    }
    runner = Path(__file__).with_name("_examples_runner.py")

    def run(folder, timeout):
        return subprocess.run(
            [sys.executable, str(runner), str(folder), *(str(EXAMPLES / n) for n in NAMES)],
            env=env, capture_output=True, text=True, timeout=timeout, cwd=folder,
        )

    return launch_once("examples_reduced", run, timeout=600)


@pytest.mark.parametrize("name", NAMES)
def test_example_runs_in_reduced_mode(name, reduced_runs):
    folder, launch = reduced_runs
    output = folder / Path(name).stem
    result_file = output / "result.json"
    assert result_file.is_file(), f"{name} did not run: " + launch["output"]
    result = json.loads(result_file.read_text())
    assert result["error"] is None, result["stdout"][-2000:] + result["error"]
    assert "Saved" in result["stdout"]
    assert list(output.glob("*.png")), "the example saved no figure"
    assert launch["returncode"] == 0, launch["output"]
