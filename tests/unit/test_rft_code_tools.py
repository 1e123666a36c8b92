"""`rft validate`, `rft grade` and `rft rehearse` with the code and tool-call graders, on the shipped datasets."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from rft.checks.dataset_validation import GRADERS
from rft.commands.cli import main
from rft.local_grading import HANDLER_MODULES

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "datasets" / "code_problems.jsonl"
TOOLS = ROOT / "datasets" / "tool_calls.jsonl"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _form(row: dict) -> str:
    return "io" if "test_cases" in row else "humaneval" if isinstance(row.get("tests"), str) else "mbpp"


def _code_sample(tmp_path: Path, per_form: int = 3) -> Path:
    """A few rows of each test form (the whole file takes minutes: every row has a never-ending corruption)."""
    picked: dict[str, list[dict]] = {}
    for row in _rows(CODE):
        picked.setdefault(_form(row), [])
        if len(picked[_form(row)]) < per_form:
            picked[_form(row)].append(row)
    assert set(picked) == {"io", "humaneval", "mbpp"}
    path = tmp_path / "code_sample.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for rows in picked.values() for r in rows))
    return path


@pytest.fixture
def short_code_limits(monkeypatch):
    monkeypatch.setenv("CODE_TEST_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("CODE_SWEEP_DIRS", "")


def test_both_kinds_are_choices_of_every_command() -> None:
    for kind in ("code", "tools"):
        assert kind in GRADERS and kind in HANDLER_MODULES


@pytest.mark.parametrize("kind,path", [("code", CODE), ("tools", TOOLS)])
def test_the_shipped_datasets_validate(kind: str, path: Path, capsys) -> None:
    assert main(["validate", "--grader", kind, str(path)]) == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    "kind,path,message",
    [
        ("code", TOOLS, "the code grader cannot use it"),
        ("tools", CODE, "the tool-call grader cannot use it"),
    ],
)
def test_rows_for_the_other_grader_fail_validation_with_the_graders_reason(kind, path, message, capsys) -> None:
    assert main(["validate", "--grader", kind, str(path)]) == 1
    assert message in capsys.readouterr().err


def test_a_code_row_with_unusable_tests_is_an_error(tmp_path, capsys) -> None:
    row = {**_rows(CODE)[0], "tests": 42}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(row) + "\n")
    assert main(["validate", "--grader", "code", str(path)]) == 1
    assert "tests" in capsys.readouterr().err


def _with_responses(rows: list[dict], responses: Sequence[str | None], path: Path) -> Path:
    path.write_text("".join(json.dumps({**r, "response": text}) + "\n" for r, text in zip(rows, responses)))
    return path


def test_grade_code_scores_reference_programs_high_and_broken_ones_zero(tmp_path, short_code_limits, capsys) -> None:
    from graders.code_exec.rows import reference_response

    rows = _rows(_code_sample(tmp_path, per_form=2))
    responses = [reference_response(r) if i % 2 == 0 else "```python\ndef broken(:\n```" for i, r in enumerate(rows)]
    out = tmp_path / "results.jsonl"
    assert (
        main(
            [
                "grade",
                "--grader",
                "code",
                str(_with_responses(rows, responses, tmp_path / "a.jsonl")),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    scores = [json.loads(line)["score"] for line in out.read_text().splitlines()]
    assert scores == [1.0 if i % 2 == 0 else 0.0 for i in range(len(rows))]


def test_grade_tools_scores_reference_calls_full_and_a_wrong_tool_lower(tmp_path, capsys) -> None:
    from graders.tool_calls.rows import reference_response, wrong_name

    rows = _rows(TOOLS)[:6]
    responses = [reference_response(r) if i % 2 == 0 else wrong_name(r) for i, r in enumerate(rows)]
    out = tmp_path / "results.jsonl"
    assert (
        main(
            [
                "grade",
                "--grader",
                "tools",
                str(_with_responses(rows, responses, tmp_path / "a.jsonl")),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    scores = [json.loads(line)["score"] for line in out.read_text().splitlines()]
    assert list(scores[::2]) == [1.0] * 3
    assert all(s < 0.7 for s in scores[1::2])


def _auc(out: str) -> float:
    match = re.search(r"AUC (\d\.\d+)", out)
    assert match, out
    return float(match.group(1))


def test_rehearse_code_separates_right_programs_from_each_corruption(tmp_path, short_code_limits, capsys) -> None:
    code = main(["rehearse", "--grader", "code", str(_code_sample(tmp_path))])
    out = capsys.readouterr().out
    assert code == 0, out
    for kind in ("reference", "fails_one_test", "does_not_compile", "never_ends"):
        assert kind in out
    assert (
        "0 skipped" in out and "PASS" in out and _auc(out) >= 0.95
    )  # short test limits: a loaded machine can time out a reference


def test_rehearse_tools_passes_with_the_default_thresholds(capsys) -> None:
    """A call with one wrong value is a wrong call (TOOLS_WRONG_CALL_CREDIT): with the default min-gap 0.3 and
    min-AUC 0.8 the shipped dataset passes, each corruption on its own too, and every right answer outscores every
    corrupted one."""
    code = main(["rehearse", "--grader", "tools", str(TOOLS)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 skipped" in out and "PASS" in out and _auc(out) == 1.0
    gaps = {kind: float(gap) for kind, gap in re.findall(r"│ (wrong_\w+)\s*│.*│\s*\+(\d\.\d+)\s*│", out)}
    assert set(gaps) == {"wrong_name", "wrong_argument"} and min(gaps.values()) >= 0.3, out
