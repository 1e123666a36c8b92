"""The locks: every requirements*.in has a hashed lock beside it that pins what the .in pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
INPUTS = sorted([*ROOT.glob("requirements*.in"), *ROOT.glob("lambda/*/requirements.in")])
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s\\;]+)")


def locked(lock: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a compiled lock."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in lock.read_text().splitlines():
        if match := _PIN.match(line):
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif not line.startswith(" "):
            current = None
    return pins


def direct_pins(requirements_in: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in requirements_in.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            pins[canonicalize_name(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return pins


def test_every_lambda_bundle_and_the_app_and_dev_tools_have_a_lock():
    assert {p.relative_to(ROOT).as_posix() for p in INPUTS} >= {
        "requirements.in",
        "requirements-dev.in",
        "lambda/graders/requirements.in",
        "lambda/rft_job/requirements.in",
    }


@pytest.mark.parametrize("requirements_in", INPUTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_each_lock_pins_what_its_input_pins_with_hashes_for_every_package(requirements_in):
    lock = requirements_in.with_suffix(".txt")
    pins = locked(lock)
    assert pins, f"{lock} is empty: run make lock"
    for name, version in direct_pins(requirements_in).items():
        assert pins.get(name, ("missing",))[0] == version, f"{lock}: {name} is not {version}: run make lock"
    unhashed = [name for name, (_, hashes) in pins.items() if hashes == 0]
    assert not unhashed, f"{lock}: no hashes for {unhashed}"


def test_the_dev_lock_holds_the_app_and_grader_bundle_versions():
    """Tests run the versions that synthesize and that the grader Lambdas ship (a new sympy changes verdicts)."""
    dev = locked(ROOT / "requirements-dev.txt")
    for lock in ("requirements.txt", "lambda/graders/requirements.txt"):
        for name, (version, _) in locked(ROOT / lock).items():
            assert dev.get(name, ("missing",))[0] == version, f"{name}: {lock} has {version}, the dev lock not"


def test_pyproject_dependencies_are_satisfied_by_the_locked_versions():
    dev = locked(ROOT / "requirements-dev.txt")
    for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(spec)
        version = dev.get(canonicalize_name(requirement.name), (None,))[0]
        assert version is not None, f"{requirement.name} of pyproject is not in requirements-dev.txt"
        assert requirement.specifier.contains(version), f"{requirement.name} {version} does not satisfy {spec}"
