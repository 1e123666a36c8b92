"""What makes a new training job: the dataset, the used grader's code and settings, nothing else."""

from __future__ import annotations

import shutil

import pytest

from graders.catalog import CATALOG, SHARED_CODE
from stacks.graders_stack import GRADER_SOURCE, grader_code_paths

GRADER_CODE = {kind: entry.code for kind, entry in CATALOG.items()}
from stacks.support.inputs_fingerprint import inputs_fingerprint


@pytest.fixture
def tree(tmp_path):
    """A copy of the grader package and a dataset, to edit freely."""
    shutil.copytree(GRADER_SOURCE, tmp_path / "lambda" / "graders", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "d.jsonl").write_text('{"messages": []}\n')
    return tmp_path


def fingerprint(root, kind, settings=None):
    code = [root / "lambda" / "graders" / p.relative_to(GRADER_SOURCE) for p in grader_code_paths(kind)]
    return inputs_fingerprint(
        dataset_files=[root / "datasets" / "d.jsonl"],
        grader_code=code,
        grader_settings=settings or {"grader": kind},
        root=root,
    )


def test_editing_one_graders_code_changes_only_the_jobs_that_use_it(tree):
    before = {kind: fingerprint(tree, kind) for kind in GRADER_CODE}
    with open(tree / "lambda" / "graders" / "judge" / "prompt.py", "a") as source:
        source.write("\n# edited\n")
    after = {kind: fingerprint(tree, kind) for kind in GRADER_CODE}
    assert after["math"] == before["math"] and after["format"] == before["format"]
    assert after["judge"] != before["judge"] and after["composite"] != before["composite"]


def test_dataset_contents_shared_code_and_settings_all_count(tree):
    base = fingerprint(tree, "math")
    assert fingerprint(tree, "math", {"grader": "math", "x": 1}) != base
    (tree / "lambda" / "graders" / "contract.py").write_text("# changed\n")
    changed_contract = fingerprint(tree, "math")
    assert changed_contract != base
    (tree / "datasets" / "d.jsonl").write_text('{"messages": [1]}\n')
    assert fingerprint(tree, "math") != changed_contract


def test_every_file_of_the_grader_package_belongs_to_some_grader():
    claimed = set(SHARED_CODE) | {name for names in GRADER_CODE.values() for name in names}
    present = {p.name for p in GRADER_SOURCE.iterdir() if p.name != "__pycache__"}
    assert present <= claimed, f"new grader code not fingerprinted: {sorted(present - claimed)}"


def test_a_new_bundled_dependency_version_is_a_new_job(tree):
    """The grader bundle's lock is part of its code: a new sympy can change verdicts."""
    base = fingerprint(tree, "math")
    lock = tree / "lambda" / "graders" / "requirements.txt"
    lock.write_text(lock.read_text().replace("sympy==", "sympy==0.0.0-was-"))
    assert fingerprint(tree, "math") != base
