"""The sample code and tool-calling datasets: both test forms present, every row usable, the reference answers
score 1.0 with the graders and the rehearsal corruptions score less."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from graders.code_exec import rows as code_rows
from graders.tool_calls import rows as tool_rows
from tests.support.grader_handlers import code_handler_for, tools_handler_for

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATASETS / name).read_text(encoding="utf-8").splitlines()]


def item(row: dict, response: str | None) -> dict:
    """As Bedrock sends it: every field but id and messages in metadata."""
    return {
        "id": row["id"],
        "messages": row["messages"] + [{"role": "assistant", "content": response}],
        "metadata": {k: v for k, v in row.items() if k not in ("id", "messages")},
    }


def form(row: dict) -> str:
    if "test_cases" in row:
        return "io"
    return "check" if isinstance(row["tests"], str) else "asserts"


@pytest.fixture(scope="module")
def code_handler():
    base = Path(tempfile.mkdtemp(prefix="code-datasets-", dir="/tmp"))
    yield code_handler_for(
        {"CODE_TEST_TIMEOUT_SECONDS": "2", "CODE_CPU_SECONDS": "1", "CODE_SCRATCH_DIR": str(base / "scratch")}
    )
    shutil.rmtree(base, ignore_errors=True)


def test_code_rows_cover_both_test_forms_and_are_usable() -> None:
    rows = load("code_problems.jsonl")
    assert len(rows) >= 100 and len({r["id"] for r in rows}) == len(rows)
    assert {form(r) for r in rows} == {"io", "check", "asserts"}
    assert any(r.get("starter_code") for r in rows)
    assert [(r["id"], code_rows.row_problems(r)) for r in rows if code_rows.row_problems(r)] == []


def test_code_references_pass_and_corruptions_do_not(code_handler) -> None:
    rows = load("code_problems.jsonl")
    sample = rows[::7]  # 18 rows, every form (running all 120 takes ~25 s on one core)
    assert {form(r) for r in sample} == {"io", "check", "asserts"}
    results = code_handler([item(r, code_rows.reference_response(r)) for r in sample], None)
    assert [r["aggregate_reward_score"] for r in results] == [1.0] * len(sample)
    few = [next(r for r in rows if form(r) == f) for f in ("io", "check", "asserts")]
    for name in code_rows.CORRUPTIONS:
        results = code_handler([item(r, code_rows.corruptions(r)[name]) for r in few], None)
        assert all(res["aggregate_reward_score"] < 1.0 for res in results), (name, results)
    partial = code_handler([item(r, code_rows.fails_one_test(r)) for r in few if form(r) != "check"], None)
    assert all(0 < res["aggregate_reward_score"] < 1 for res in partial)


def test_tool_rows_have_schemas_and_their_references_score_one() -> None:
    rows = load("tool_calls.jsonl")
    assert len(rows) >= 100 and all(r["tools"] for r in rows)
    assert any(len(r["reference_answer"]["tool_calls"]) > 1 for r in rows)
    assert [(r["id"], tool_rows.row_problems(r)) for r in rows if tool_rows.row_problems(r)] == []
    handler = tools_handler_for({})
    results = handler([item(r, tool_rows.reference_response(r)) for r in rows], None)
    assert {res["aggregate_reward_score"] for res in results} == {1.0}
    for name in tool_rows.CORRUPTIONS:
        results = handler([item(r, tool_rows.corruptions(r)[name]) for r in rows], None)
        assert max(res["aggregate_reward_score"] for res in results) < 1.0, name


def test_row_checks_report_unusable_rows() -> None:
    assert code_rows.row_problems({"tests": "print('no asserts')"})[0][0] == "error"
    assert (
        code_rows.row_problems({"tests": ["assert f(1) == 1"], "reference_answer": "def f(x) return x"})[0][0]
        == "error"
    )
    assert code_rows.row_problems({"tests": ["assert f(1) == 1"]})[0][0] == "warning"
    tools = [
        {
            "type": "function",
            "function": {
                "name": "a",
                "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
            },
        }
    ]
    assert (
        tool_rows.row_problems({"reference_answer": {"tool_calls": [{"name": "b", "arguments": {}}]}, "tools": tools})[
            0
        ][0]
        == "error"
    )
    assert (
        tool_rows.row_problems(
            {"reference_answer": {"tool_calls": [{"name": "a", "arguments": {"n": "x"}}]}, "tools": tools}
        )[0][0]
        == "error"
    )
    assert tool_rows.row_problems({"reference_answer": "nothing"})[0][0] == "error"
