"""`rft grade`: the real grader handlers run locally over rows that carry responses."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from rft import local_grading
from rft.commands.cli import main


def write_rows(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def math_rows() -> list[dict]:
    rows = []
    for n in range(1, 21):
        question = [{"role": "user", "content": f"What is {n} times 3? End with '#### <n>'."}]
        if n % 2:  # the answer as a response field, right for n <= 15
            rows.append(
                {
                    "id": f"q{n}",
                    "messages": question,
                    "reference_answer": str(3 * n),
                    "response": f"{n} x 3 = {3 * n}\n#### {3 * n if n <= 15 else 3 * n + 1}",
                }
            )
        else:  # the answer as the last assistant turn
            rows.append(
                {
                    "id": f"q{n}",
                    "reference_answer": str(3 * n),
                    "messages": question + [{"role": "assistant", "content": f"#### {3 * n}"}],
                }
            )
    return rows


def test_grade_math_prints_the_distribution_and_writes_results(tmp_path, capsys):
    data = write_rows(tmp_path / "answers.jsonl", math_rows())
    out = tmp_path / "results.jsonl"
    code = main(["grade", "--grader", "math", str(data), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in results] == [f"q{n}" for n in range(1, 21)]
    assert [r["line"] for r in results] == list(range(1, 21))
    wrong = {"q17", "q19"}
    assert all(r["score"] == 1.0 for r in results if r["id"] not in wrong)
    assert all(r["score"] < 0.5 for r in results if r["id"] in wrong)
    assert results[0]["metrics"]["correct"] == 1.0
    assert "rewards from the math grader" in printed
    assert "[0.9, 1.0]" in printed and "│   18 │" in printed  # 18 of 20 in the top bucket
    assert "correct" in printed and f"per-row results: {out}" in printed


def test_results_go_to_rft_results_by_default(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_rows(tmp_path / "answers.jsonl", math_rows())
    assert main(["grade", "--grader", "math", "answers.jsonl"]) == 0
    assert len((tmp_path / "rft-results" / "answers.math.graded.jsonl").read_text().splitlines()) == 20


def test_rows_without_a_response_are_reported(tmp_path, capsys):
    rows = math_rows()
    rows[2].pop("response")
    rows[5]["messages"].pop()
    data = write_rows(tmp_path / "answers.jsonl", rows)
    code = main(["grade", "--grader", "math", str(data)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{data}: no response to grade on line(s) 3, 6" in err


def test_unreadable_lines_are_reported_without_a_traceback(tmp_path, capsys):
    data = write_rows(tmp_path / "answers.jsonl", math_rows()[:3] + ['{"id": "broken"', "[1]"])
    code = main(["grade", "--grader", "math", str(data)])
    captured = capsys.readouterr()
    assert code == 1
    assert f"{data}:4: not valid JSON" in captured.err and f"{data}:5: the line is not a JSON object" in captured.err
    assert "Traceback" not in captured.out + captured.err


def fake_grader(monkeypatch, name: str, handler) -> None:
    module = types.ModuleType(name)
    vars(module)["handler"] = handler
    monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(local_grading.HANDLER_MODULES, "judge", name)


def test_a_grader_that_fails_the_batch_gives_a_clear_message(tmp_path, capsys, monkeypatch):
    def handler(event, context):
        raise ValueError("JUDGE_MAX_CONCURRENCY must be 1-256, got 0")

    fake_grader(monkeypatch, "rft_test_failing_grader", handler)
    data = write_rows(tmp_path / "answers.jsonl", math_rows())
    code = main(["grade", "--grader", "judge", str(data)])
    captured = capsys.readouterr()
    assert code == 1
    assert "the grader failed on a batch: ValueError: JUDGE_MAX_CONCURRENCY must be 1-256" in captured.err
    assert "Traceback" not in captured.err


def test_a_grader_returning_too_few_results_is_caught(tmp_path, capsys, monkeypatch):
    fake_grader(monkeypatch, "rft_test_short_grader", lambda event, context: event[:-1])
    data = write_rows(tmp_path / "answers.jsonl", math_rows())
    assert main(["grade", "--grader", "judge", str(data)]) == 1
    assert "the grader returned 19 results for 20 items" in capsys.readouterr().err


def test_the_handler_receives_bedrock_shaped_batches(tmp_path, capsys, monkeypatch):
    seen: list = []

    def handler(event, context):
        seen.extend(event)
        return [{"id": item["id"], "aggregate_reward_score": 0.5} for item in event]

    fake_grader(monkeypatch, "rft_test_recording_grader", handler)
    data = write_rows(tmp_path / "answers.jsonl", math_rows())
    assert main(["grade", "--grader", "judge", str(data), "--out", str(tmp_path / "r.jsonl")]) == 0
    first, second = seen[0], seen[1]
    assert first["id"] == "q1" and first["metadata"] == {"reference_answer": "3"}
    assert first["messages"][-1] == {"role": "assistant", "content": "1 x 3 = 3\n#### 3"}
    assert second["messages"] == [
        {"role": "user", "content": "What is 2 times 3? End with '#### <n>'."},
        {"role": "assistant", "content": "#### 6"},
    ]


def test_a_missing_grader_module_is_reported(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(local_grading.HANDLER_MODULES, "judge", "graders.no_such_handler")
    data = write_rows(tmp_path / "answers.jsonl", math_rows())
    assert main(["grade", "--grader", "judge", str(data)]) == 1
    assert "cannot load the judge grader (graders.no_such_handler)" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["grade", "x.jsonl"], ["grade", "--grader", "vibes", "x.jsonl"]])
def test_usage_errors(argv, capsys):
    assert main(argv) == 2


def test_env_grades_with_the_environments_grader_and_settings(tmp_path, monkeypatch) -> None:
    import json as _json

    from config.settings import DEFAULT_CONFIG_FILE

    document = _json.loads(DEFAULT_CONFIG_FILE.read_text())
    document["defaults"]["format"] = {"scoring": "all_or_nothing"}
    document["defaults"]["grader"] = "format"
    document["defaults"]["dataset"] = {"training": "datasets/instruction_following.jsonl"}
    config = tmp_path / "environments.json"
    config.write_text(_json.dumps(document))
    import os

    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k != "FORMAT_SCORING"})
    rows = tmp_path / "answers.jsonl"
    rows.write_text(
        _json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "Answer in lowercase."},
                    {"role": "assistant", "content": "all lowercase here"},
                ],
                "instruction_id_list": ["change_case:english_lowercase", "punctuation:no_comma"],
                "kwargs": [{}, {}],
            }
        )
        + "\n"
    )
    monkeypatch.chdir(tmp_path)
    from rft.commands.cli import main

    assert main(["grade", "--env", "dev", "--config", str(config), str(rows)]) == 0
    assert os.environ["FORMAT_SCORING"] == "all_or_nothing"
    assert (tmp_path / "rft-results" / "answers.format.graded.jsonl").is_file()


def test_judge_without_credentials_is_one_line_before_any_batch(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    write_rows(tmp_path / "answers.jsonl", math_rows())
    assert main(["grade", "--grader", "judge", "--region", "us-east-1", "answers.jsonl"]) != 0
    err = capsys.readouterr().err
    assert "no AWS credentials" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_grade_where_every_item_errored_exits_non_zero(tmp_path, capsys, monkeypatch):
    import json as _json

    monkeypatch.chdir(tmp_path)
    (tmp_path / "answers.jsonl").write_text(
        _json.dumps({"messages": [{"role": "user", "content": "q"}], "response": "42"}) + "\n"
    )
    assert main(["grade", "--grader", "math", "answers.jsonl"]) == 1
    assert "every one of the 1 items failed" in capsys.readouterr().err
