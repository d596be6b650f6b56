"""Every example runs, in reduced mode, in a subprocess: examples cannot rot."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = sorted(p.name for p in EXAMPLES.glob("*.py"))


def test_examples_found():
    assert {"car_attributes.py", "handball_clips.py", "leaf_health.py",
            "digits_attributes.py", "news_tags.py"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_runs_in_reduced_mode(name, tmp_path):
    pytest.importorskip("matplotlib")  # every example saves a figure (the plot extra)
    env = {
        **os.environ,
        "SKLEARN_MTL_EXAMPLES_SMALL": "1",
        "SKLEARN_MTL_EXAMPLES_OUTPUT": str(tmp_path),
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",  # tiny networks; the CPU may be shared
    }
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], env=env, capture_output=True, text=True,
        timeout=180, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "Saved" in result.stdout
    assert list(tmp_path.glob("*.png")), "the example saved no figure"
