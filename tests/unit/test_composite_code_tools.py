"""The composite with the code and tool-call graders as components, on rows of the shipped datasets, through its
Lambda handler configured by environment variables (as deployed), and through ``rft grade``/``rft rehearse``."""

from __future__ import annotations

import copy
import importlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from graders.code_exec import rows as code_rows
from graders.composite import CompositeSettings, row_checks
from graders.contract import parse_sample
from graders.tool_calls import rows as tool_rows

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the sandbox needs Linux /proc")

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "datasets" / "code_problems.jsonl"
TOOLS = ROOT / "datasets" / "tool_calls.jsonl"
NO_COMMA = {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
JSON_FORMAT = {"instruction_id_list": ["detectable_format:json_format"], "kwargs": [{}]}


def dataset_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def first(path: Path, **where: Any) -> dict:
    """The first row of a shipped dataset matching ``where`` (``form``: mbpp, humaneval or io for code rows)."""
    for row in dataset_rows(path):
        form = "io" if "test_cases" in row else "humaneval" if isinstance(row.get("tests"), str) else "mbpp"
        if all((form if key == "form" else row.get(key)) == value for key, value in where.items()):
            return row
    raise AssertionError(f"no row with {where}")


def unnamed(row: dict, **extra: Any) -> dict:
    """The row without its ``graders`` field (so the composite's defaults apply), plus ``extra`` fields."""
    return {**{k: v for k, v in row.items() if k != "graders"}, **extra}


def item(row: dict, response: str | None, item_id: str) -> dict:
    """A row and a response as Bedrock sends them: the prompt plus the answer, every other field in metadata."""
    assert response is not None, "the row has a reference response"
    metadata = {k: v for k, v in row.items() if k not in ("messages", "id")}
    return {
        "id": item_id,
        "messages": row["messages"] + [{"role": "assistant", "content": response}],
        "metadata": metadata,
    }


def entries(result: dict, kind: str) -> dict[str, float]:
    return {m["name"]: m["value"] for m in result.get("metrics_list", []) if m["type"] == kind}


@pytest.fixture()
def world():
    """Scratch space every user can reach (the sandbox's children run as nobody when the tests run as root)."""
    base = Path(tempfile.mkdtemp(prefix="composite-code-", dir="/tmp"))
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture()
def composite_env(monkeypatch, world):
    def configure(weights: dict[str, float], defaults: list[str], **extra: str) -> Any:
        for name in list(os.environ):
            if name.startswith(("COMPOSITE_", "CODE_", "TOOLS_", "FORMAT_", "JUDGE_")):
                monkeypatch.delenv(name)
        values = {
            "COMPOSITE_WEIGHTS": json.dumps(weights),
            "COMPOSITE_DEFAULT_GRADERS": json.dumps(defaults),
            "CODE_TEST_TIMEOUT_SECONDS": "1.5",
            "CODE_CPU_SECONDS": "1",
            "CODE_SCRATCH_DIR": str(world / "scratch"),
            "CODE_SWEEP_DIRS": "",
            **extra,
        }
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        import graders.composite_handler

        return importlib.reload(graders.composite_handler).handler

    return configure


def test_code_and_format_on_code_problem_rows(composite_env):
    handler = composite_env({"code": 0.7, "format": 0.3}, ["code", "format"])
    constrained = unnamed(first(CODE, form="mbpp"), **NO_COMMA)  # 4 asserts; the reference has no comma
    plain = unnamed(first(CODE, form="humaneval"))  # no constraints: format does not apply to it
    cases = []
    for name, row in (("constrained", constrained), ("plain", plain)):
        broken = code_rows.corruptions(row)
        cases += [
            item(row, code_rows.reference_response(row), f"{name}#reference"),
            item(row, broken["fails_one_test"], f"{name}#fails_one_test"),  # its wrapper code has commas
            item(row, broken["does_not_compile"], f"{name}#does_not_compile"),
        ]
    results = {r["id"]: r for r in handler(cases, None)}
    assert [r["id"] for r in handler(cases[:1], None)] == ["constrained#reference"]

    reference = results["constrained#reference"]
    assert reference["aggregate_reward_score"] == 1.0
    assert entries(reference, "Reward") == {"code": 1.0, "format": 1.0}
    metrics = entries(reference, "Metric")
    assert metrics["code.weight"] == pytest.approx(0.7) and metrics["format.weight"] == pytest.approx(0.3)
    for name in ("code_found", "compiles", "tests_passed", "timed_out", "memory_exceeded", "crashed"):
        assert f"code.{name}" in metrics, name  # each component's metrics, prefixed
    assert metrics["code.tests_passed"] == 1.0 and metrics["code.compiles"] == 1.0
    assert any(key.startswith("format.") and key != "format.weight" for key in metrics)

    fails_one = results["constrained#fails_one_test"]
    assert entries(fails_one, "Reward") == {"code": 0.75, "format": 0.0}
    assert fails_one["aggregate_reward_score"] == pytest.approx(0.7 * 0.75)
    broken = results["constrained#does_not_compile"]
    assert entries(broken, "Reward") == {"code": 0.0, "format": 1.0}
    assert broken["aggregate_reward_score"] == pytest.approx(0.3)
    assert entries(broken, "Metric")["code.compiles"] == 0.0

    # Format does not apply to the row without constraints: the code weight is renormalised to 1.
    plain_reference = results["plain#reference"]
    assert plain_reference["aggregate_reward_score"] == 1.0 and entries(plain_reference, "Reward") == {"code": 1.0}
    assert entries(plain_reference, "Metric")["code.weight"] == 1.0
    plain_fails = results["plain#fails_one_test"]
    code_part = entries(plain_fails, "Reward")["code"]
    # (a HumanEval check() is one test: failing any assert in it fails the program's only test)
    assert code_part < 1 and plain_fails["aggregate_reward_score"] == pytest.approx(code_part)
    assert results["plain#does_not_compile"]["aggregate_reward_score"] == 0.0


def test_tools_and_format_on_tool_call_rows(composite_env):
    handler = composite_env({"tools": 0.8, "format": 0.2}, ["tools", "format"])
    constrained = unnamed(first(TOOLS), **JSON_FORMAT)  # the rendered calls are a fenced JSON block
    plain = unnamed(dataset_rows(TOOLS)[1])
    broken = tool_rows.corruptions(constrained)
    results = handler(
        [
            item(constrained, tool_rows.reference_response(constrained), "reference"),
            item(constrained, broken["wrong_argument"], "wrong_argument"),
            item(constrained, broken["wrong_name"], "wrong_name"),
            item(constrained, "It will be sunny in Toronto.", "prose"),
            item(plain, tool_rows.reference_response(plain), "plain"),
            item(plain, tool_rows.corruptions(plain)["wrong_argument"], "plain_wrong"),
        ],
        None,
    )
    by_id = {r["id"]: r for r in results}
    assert by_id["reference"]["aggregate_reward_score"] == 1.0
    assert entries(by_id["reference"], "Reward") == {"tools": 1.0, "format": 1.0}
    metrics = entries(by_id["reference"], "Metric")
    assert metrics["tools.right_calls"] == 1.0 and metrics["tools.argument_values"] == 1.0
    assert metrics["tools.weight"] == pytest.approx(0.8) and metrics["format.weight"] == pytest.approx(0.2)
    wrong_argument = entries(by_id["wrong_argument"], "Reward")
    assert wrong_argument["format"] == 1.0 and 0 < wrong_argument["tools"] <= 0.5
    assert by_id["wrong_argument"]["aggregate_reward_score"] == pytest.approx(0.8 * wrong_argument["tools"] + 0.2)
    assert entries(by_id["wrong_name"], "Reward")["tools"] == 0.0
    assert by_id["prose"]["aggregate_reward_score"] == 0.0
    # No constraints on the plain row: tools alone, renormalised.
    assert (
        entries(by_id["plain"], "Reward") == {"tools": 1.0} and entries(by_id["plain"], "Metric")["tools.weight"] == 1
    )
    plain_wrong = by_id["plain_wrong"]
    assert plain_wrong["aggregate_reward_score"] == pytest.approx(entries(plain_wrong, "Reward")["tools"])
    assert plain_wrong["aggregate_reward_score"] < 1


def test_rows_naming_code_and_tools_get_those_components(composite_env):
    handler = composite_env({"code": 0.5, "tools": 0.5, "format": 0.1}, ["format"])
    code_row, tools_row = first(CODE, form="io"), first(TOOLS)  # the shipped rows name ["code"] / ["tools"]
    code_result, tools_result = handler(
        [
            item(code_row, code_rows.reference_response(code_row), "code"),
            item(tools_row, tool_rows.reference_response(tools_row), "tools"),
        ],
        None,
    )
    assert entries(code_result, "Reward") == {"code": 1.0} and code_result["aggregate_reward_score"] == 1.0
    assert entries(tools_result, "Reward") == {"tools": 1.0} and tools_result["aggregate_reward_score"] == 1.0


def test_components_are_built_only_when_weighted_and_first_needed(composite_env, monkeypatch):
    from graders.code_exec import grader as code_grader
    from graders.tool_calls import grader as tools_grader

    built: list[str] = []
    real_code_init, real_tools_init = code_grader.CodeGrader.__init__, tools_grader.ToolCallGrader.__init__

    def code_init(self, *args, **kwargs):
        built.append("code")
        real_code_init(self, *args, **kwargs)

    def tools_init(self, *args, **kwargs):
        built.append("tools")
        real_tools_init(self, *args, **kwargs)

    monkeypatch.setattr(code_grader.CodeGrader, "__init__", code_init)
    monkeypatch.setattr(tools_grader.ToolCallGrader, "__init__", tools_init)
    format_row = {
        "id": "f",
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "hello there"}],
        "metadata": NO_COMMA,
    }
    code_row = first(CODE, form="mbpp")

    # Weight 0: never built, and its settings are not even read (a bad CODE_* value is harmless).
    handler = composite_env({"format": 1.0, "code": 0, "tools": 0}, ["format"], CODE_SCORING="mostly")
    results = handler([format_row, item(code_row, code_rows.reference_response(code_row), "c")], None)
    assert [r["aggregate_reward_score"] for r in results] == [1.0, 0.0]  # the code row falls back to format
    assert "code" not in entries(results[1], "Reward") and built == []

    # Weighted: its settings are checked on the first invocation, the sandbox set up on the first code row.
    with pytest.raises(ValueError, match="CODE_SCORING"):
        composite_env({"format": 0.5, "code": 0.5}, ["format"], CODE_SCORING="mostly")([format_row], None)
    handler = composite_env({"format": 0.5, "code": 0.5}, ["format", "code"])
    handler([format_row], None)
    assert built == []
    for _ in range(2):
        [res] = handler([item(code_row, code_rows.reference_response(code_row), "c")], None)
        assert entries(res, "Reward") == {"code": 1.0}
    assert built == ["code"]


def test_row_checks_are_the_graders_own_needs():
    """The composite applies code/tools exactly where ``rft validate`` finds what those graders need."""
    checks = row_checks(CompositeSettings(weights={"code": 1, "tools": 1, "math": 1, "format": 1}))
    code_row, tools_row = first(CODE, form="humaneval"), first(TOOLS)
    math_row = json.loads((ROOT / "datasets" / "math_word_problems.jsonl").read_text().splitlines()[0])
    for row, applies in ((code_row, "code"), (tools_row, "tools"), (math_row, "math")):
        sample = parse_sample(item(row, "x", "s"))
        assert checks["code"](sample) is (applies == "code"), row.get("id", row)
        assert checks["tools"](sample) is (applies == "tools")
    no_tests = parse_sample(item({**code_row, "tests": []}, "x", "s"))
    assert not checks["code"](no_tests) and code_rows.needs_problem(no_tests) is not None
    from rft.checks.grader_fields import code_row_problems

    assert [p[2] for p in code_row_problems({**code_row, "tests": []})] == [code_rows.needs_problem(no_tests)]


# -- the command line, with an environment's configuration --------------------------------------------------------


def write_config(tmp_path: Path, composite: dict) -> Path:
    from config.settings import DEFAULT_CONFIG_FILE

    document = json.loads(DEFAULT_CONFIG_FILE.read_text())
    document["defaults"] = copy.deepcopy(document["defaults"])
    document["defaults"]["grader"] = "composite"
    document["defaults"]["composite"] = composite
    path = tmp_path / "environments.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture()
def clean_environ(monkeypatch, world):
    for name in list(os.environ):
        if name.startswith(("COMPOSITE_", "CODE_", "TOOLS_", "FORMAT_", "JUDGE_")):
            monkeypatch.delenv(name)
    monkeypatch.setattr(os, "environ", os.environ.copy())  # what --env exports stays in this test
    os.environ.update(
        CODE_TEST_TIMEOUT_SECONDS="1", CODE_SCRATCH_DIR=str(world / "scratch"), CODE_SWEEP_DIRS=""
    )  # the shell wins over the configuration: short limits for the never-ending corruption
    import graders.composite_handler

    importlib.reload(graders.composite_handler)  # a handler not yet built (it reads its settings on first use)


def _auc(out: str) -> float:
    found = re.search(r"AUC (\d\.\d+)", out)
    assert found, out
    return float(found.group(1))


def test_rehearse_and_grade_the_composite_with_code_from_an_environment(tmp_path, clean_environ, capsys):
    from rft.commands.cli import main

    config = write_config(
        tmp_path, {"weights": {"code": 0.8, "format": 0.2, "math": 0, "judge": 0}, "defaultGraders": ["code", "format"]}
    )
    rows = [first(CODE, form=form) for form in ("mbpp", "humaneval", "io")]
    sample = tmp_path / "code_sample.jsonl"
    sample.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["rehearse", "--env", "dev", "--config", str(config), str(sample)]) == 0
    out = capsys.readouterr().out
    assert "rehearsal of the composite grader" in out and "0 skipped" in out and "PASS" in out
    assert _auc(out) >= 0.95
    for kind in ("fails_one_test", "does_not_compile", "never_ends"):
        assert kind in out
    assert json.loads(os.environ["COMPOSITE_WEIGHTS"])["code"] == 0.8  # the environment's settings were used

    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        "".join(
            json.dumps({**r, "messages": r["messages"] + [{"role": "assistant", "content": text}]}) + "\n"
            for r in rows[:2]
            for text in (code_rows.reference_response(r), code_rows.does_not_compile(r))
        )
    )
    out_file = tmp_path / "graded.jsonl"
    assert (
        main(
            [
                "grade",
                "--grader",
                "composite",
                "--env",
                "dev",
                "--config",
                str(config),
                "--out",
                str(out_file),
                str(answers),
            ]
        )
        == 0
    )
    graded = [json.loads(line) for line in out_file.read_text().splitlines()]
    scores = [g.get("aggregate_reward_score", g.get("score")) for g in graded]
    assert scores == [1.0, 0.0, 1.0, 0.0], graded


def test_rehearse_the_composite_with_tools_passes_the_default_thresholds(tmp_path, clean_environ, capsys):
    from rft.commands.cli import main

    config = write_config(
        tmp_path, {"weights": {"tools": 0.9, "format": 0.1, "math": 0, "judge": 0}, "defaultGraders": ["tools"]}
    )
    assert main(["rehearse", "--grader", "composite", "--env", "dev", "--config", str(config), str(TOOLS)]) == 0
    out = capsys.readouterr().out
    assert "0 skipped" in out and "PASS" in out and _auc(out) == 1.0


def test_validate_composite_rows_of_the_code_and_tools_datasets(capsys):
    from rft.commands.cli import main

    assert main(["validate", "--grader", "composite", str(CODE), str(TOOLS)]) == 0, capsys.readouterr().out
