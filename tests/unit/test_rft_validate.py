"""`rft validate`: exit status 0 or 1, and messages that point at the file, line and field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rft.commands.cli import main

ROOT = Path(__file__).resolve().parents[2]


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def math_rows(count: int = 100) -> list[dict]:
    return [
        {"messages": [{"role": "user", "content": f"{n} + 1 = ?"}], "reference_answer": str(n + 1)}
        for n in range(count)
    ]


def test_the_sample_datasets_pass(capsys):
    code = main(
        [
            "validate",
            "--grader",
            "math",
            "--max-prompt-length",
            "1024",
            str(ROOT / "datasets" / "math_word_problems.jsonl"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "math_word_problems.jsonl" in out and "OK" in out and "FAIL" not in out


def test_errors_are_listed_and_fail_the_command(tmp_path, capsys):
    rows = math_rows()
    rows[6]["messages"][0]["role"] = "bot2"
    del rows[9]["reference_answer"]
    path = write_rows(tmp_path / "bad.jsonl", rows)
    code = main(["validate", "--grader", "math", str(path)])
    captured = capsys.readouterr()
    err = captured.err
    assert code == 1
    assert "FAIL" in captured.out and "error:" not in captured.out  # the summary on stdout, problems on stderr
    assert "FAIL" not in err
    assert f"error: {path}:7: messages[0].role: 'bot2' is not one of" in err
    assert f"error: {path}:10: reference_answer: missing" in err


def test_several_files_fail_if_any_fails(tmp_path, capsys):
    good = write_rows(tmp_path / "good.jsonl", math_rows())
    short = write_rows(tmp_path / "short.jsonl", math_rows(20))
    assert main(["validate", str(good), str(short)]) == 1
    err = capsys.readouterr().err
    assert f"{short}: 20 rows: Bedrock RFT needs at least 100 prompts" in err


def test_without_grader_only_common_checks_run(tmp_path, capsys):
    rows = [{"messages": r["messages"]} for r in math_rows()]
    path = write_rows(tmp_path / "noref.jsonl", rows)
    assert main(["validate", str(path)]) == 0
    assert "no --grader" in capsys.readouterr().out
    assert main(["validate", "--grader", "math", str(path)]) == 1


def test_warnings_fail_only_in_strict_mode(tmp_path, capsys):
    rows = math_rows()
    rows[50] = dict(rows[3])  # a duplicate prompt
    path = write_rows(tmp_path / "dup.jsonl", rows)
    assert main(["validate", "--grader", "math", str(path)]) == 0
    assert f"warning: {path}:51: messages: the same prompt as line 4" in capsys.readouterr().err
    assert main(["validate", "--grader", "math", "--strict", str(path)]) == 1


def test_default_format_constraints_from_the_environment(tmp_path, capsys, monkeypatch):
    path = write_rows(tmp_path / "plain.jsonl", [{"messages": r["messages"]} for r in math_rows()])
    assert main(["validate", "--grader", "format", str(path)]) == 1
    assert main(["validate", "--grader", "format", "--default-format-constraints", str(path)]) == 0
    monkeypatch.setenv("FORMAT_DEFAULT_CONSTRAINTS", '{"instruction_id_list": ["punctuation:no_comma"]}')
    assert main(["validate", "--grader", "format", str(path)]) == 0


def test_object_and_list_math_references_pass_as_the_math_grader_reads_them(tmp_path, capsys):
    rows = math_rows()
    rows[0]["reference_answer"] = {"answer": "1"}
    rows[1]["reference_answer"] = ["2", "two"]
    rows[2]["reference_answer"] = {"note": "3"}
    path = write_rows(tmp_path / "shapes.jsonl", rows)
    assert main(["validate", "--grader", "math", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        f"error: {path}:3: reference_answer: the math grader cannot use it: reference_answer object has none "
        "of the keys" in err
    )
    assert f"{path}:1:" not in err and f"{path}:2:" not in err


def test_constraints_the_format_grader_would_score_zero_fail_the_command(tmp_path, capsys):
    rows = [
        {"messages": r["messages"], "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
        for r in math_rows()
    ]
    path = write_rows(tmp_path / "format.jsonl", rows)
    assert main(["validate", "--grader", "format", str(path)]) == 0
    rows[4]["instruction_id_list"] = ["punctuation:no_commas"]
    rows[5]["kwargs"] = [{"num_words": 3}]
    write_rows(path, rows)
    assert main(["validate", "--grader", "format", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"error: {path}:5: instruction_id_list[0]: punctuation:no_commas: unknown instruction id" in err
    assert f"error: {path}:6: kwargs[0]: punctuation:no_comma: bad kwargs: unexpected kwargs ['num_words']" in err


def test_the_number_of_messages_printed_is_capped(tmp_path, capsys):
    rows = math_rows()
    for index in range(4):  # under the count at which a repeated problem becomes one line
        del rows[index]["reference_answer"]
        rows[10 + index]["messages"][0]["role"] = f"bot{index}"
    path = write_rows(tmp_path / "bad.jsonl", rows)
    assert main(["validate", "--grader", "math", "--max-messages", "3", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("reference_answer: missing") == 3 and f"more for {path}" in err


def test_a_problem_on_every_row_is_one_line_with_its_count(tmp_path, capsys):
    path = write_rows(tmp_path / "bad.jsonl", [{"messages": r["messages"]} for r in math_rows()])
    assert main(["validate", "--grader", "math", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("reference_answer: missing") == 1 and "rows (lines 1, 2, 3, 4, 5, ...)" in err


def test_a_missing_file_is_a_message_not_a_traceback(tmp_path, capsys):
    code = main(["validate", str(tmp_path / "absent.jsonl")])
    captured = capsys.readouterr()
    assert code == 1
    assert "cannot read the file" in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_usage_errors_exit_2(capsys):
    assert main(["validate"]) == 2
    assert "usage:" in capsys.readouterr().err
    assert main(["validate", "--grader", "vibes", "x.jsonl"]) == 2
    assert main([]) == 2


def test_an_open_weight_environment_validates_without_a_prompt_length_limit(tmp_path, capsys, monkeypatch):
    """The open-weight path has no Nova hyperparameters: ``--env`` must not read their maxPromptLength."""
    from config.model import DEFAULT_CONFIG_FILE

    document = json.loads(DEFAULT_CONFIG_FILE.read_text())
    document["environments"]["ow"] = {"account": "caller", "region": "us-west-2", "baseModelId": "openai.gpt-oss-20b"}
    config_file = tmp_path / "environments.json"
    config_file.write_text(json.dumps(document), encoding="utf-8")
    for name in ("AWS_REGION", "JUDGE_MODEL_ID"):  # apply_environment exports the environment's settings
        monkeypatch.delenv(name, raising=False)
    data = write_rows(tmp_path / "math.jsonl", math_rows())
    code = main(["validate", "--config", str(config_file), "--env", "ow", "--grader", "math", str(data)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "OK" in out and "FAIL" not in out


def test_the_real_command_sends_problems_to_stderr_and_the_summary_to_stdout(tmp_path):
    """`rft validate ... 2>errors.txt` keeps the problems; `2>/dev/null` leaves only the summary (docs/cli.md)."""
    rows = math_rows()
    del rows[9]["reference_answer"]
    path = write_rows(tmp_path / "bad.jsonl", rows)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "lambda")])}
    done = subprocess.run(
        [sys.executable, "-m", "rft.commands.cli", "validate", "--grader", "math", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr == f"error: {path}:10: reference_answer: missing: the math grader compares the answer with it\n"
    assert "error:" not in done.stdout and "FAIL" in done.stdout and "bad.jsonl" in done.stdout
    assert done.stdout.endswith("\n")


def test_a_near_miss_role_suggests_the_role_and_is_one_error(tmp_path, capsys):
    rows = math_rows()
    rows[3]["messages"][0]["role"] = "User"
    rows[5]["messages"][0]["role"] = "human"
    rows[4]["messages"][0] = {"role": "user", "text": "5 + 1 = ?"}
    path = write_rows(tmp_path / "roles.jsonl", rows)
    assert main(["validate", "--grader", "math", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if ":4:" in line] == [
        f"error: {path}:4: messages[0].role: 'User' is not one of 'assistant', 'bot', 'developer', 'system', "
        "'tool', 'user': did you mean 'user'?"
    ]  # and no "no 'user' turn" for the same mistake
    assert any(f"{path}:6: messages[0].role: 'human'" in line and "did you mean 'user'?" in line for line in err)
    assert [line for line in err if ":5:" in line] == [
        f"error: {path}:5: messages[0]: unexpected key(s) 'text' (did you mean 'content'?); "
        "allowed: content, role, tool_call_id, tool_calls"
    ]  # and no "content: missing"


def test_a_role_that_is_no_near_miss_still_reports_the_missing_user_turn(tmp_path, capsys):
    rows = math_rows()
    rows[6]["messages"][0]["role"] = "bot2"
    path = write_rows(tmp_path / "bot2.jsonl", rows)
    assert main(["validate", "--grader", "math", str(path)]) == 1
    err = capsys.readouterr().err
    assert "'bot2' is not one of" in err and "did you mean" not in err and "no 'user' turn" in err


def test_a_directory_suggests_its_jsonl_files(tmp_path, capsys):
    folder = tmp_path / "adir"
    folder.mkdir()
    assert main(["validate", "--grader", "math", str(folder)]) == 1
    assert f"error: {folder}: is a directory, not a file: give its files, e.g. {folder}/*.jsonl" in (
        capsys.readouterr().err
    )


def test_version_and_grader_help(capsys):
    from rft.commands.cli import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"rft {version()}\n" and version()[0].isdigit()
    for command in ("grade", "rehearse", "validate"):
        assert main([command, "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())
        assert "--grader {math,format,judge,composite,code,tools}" in text
        assert ("the grader whose Lambda handler" in text) or ("the grader the data is for" in text), command
