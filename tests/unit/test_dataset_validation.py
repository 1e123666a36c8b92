"""The RFT training-data validator: every kind of problem, located by file, line and field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from rft.checks.dataset_validation import DatasetError, ensure_valid, validate_dataset

ROOT = Path(__file__).resolve().parents[2]


def math_row(n: int, **changes) -> dict:
    row = {
        "id": f"r{n}",
        "messages": [{"role": "user", "content": f"What is {n} + {n}? End with '#### <n>'."}],
        "reference_answer": str(2 * n),
    }
    row.update(changes)
    return row


def write(tmp_path: Path, rows: list, name: str = "x.jsonl") -> Path:
    path = tmp_path / name
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def dataset(tmp_path: Path, bad_rows: Mapping[int, object] | None = None, count: int = 100, **kwargs) -> Path:
    """``count`` valid math rows, with the rows given in ``bad_rows`` (1-based line -> row) replaced."""
    rows: list = [math_row(n) for n in range(1, count + 1)]
    for line, row in (bad_rows or {}).items():
        rows[line - 1] = _with_id(row, line, rows[0])
    return write(tmp_path, rows, **kwargs)


def _with_id(row: object, line: int, sample: object) -> object:
    """A replacement row gets an id when the others have one (ids go on every row or none)."""
    if isinstance(row, dict) and isinstance(sample, dict) and "id" in sample and "id" not in row:
        return {"id": f"replaced-{line}", **row}
    return row


def errors(report) -> list[str]:
    return [str(e) for e in report.errors]


PORTABILITY = "AWS's documents disagree"  # the once-per-file note on number/list references, tested on its own


def warnings(report) -> list[str]:
    return [str(w) for w in report.warnings if PORTABILITY not in w.message]


def test_a_valid_file_passes_with_its_row_count(tmp_path):
    report = validate_dataset(dataset(tmp_path), grader="math", max_prompt_length=512)
    assert report.ok and report.rows == 100
    assert report.errors == [] and report.warnings == []


def test_a_bad_role_names_file_line_and_field(tmp_path):
    row = math_row(17, messages=[{"role": "system", "content": "Be brief."}, {"role": "bot2", "content": "hi"}])
    path = dataset(tmp_path, {17: row})
    report = validate_dataset(path, grader="math")
    assert not report.ok
    assert errors(report)[0].startswith(f"{path}:17: messages[1].role: 'bot2' is not one of 'assistant', 'bot'")


@pytest.mark.parametrize(
    "message, field, text",
    [
        ({"role": "user", "content": "hi", "name": "ann"}, "messages[0]", "unexpected key(s) 'name'"),
        ({"role": "user", "content": 42}, "messages[0].content", "must be a string or a non-empty list"),
        ({"role": "user", "content": []}, "messages[0].content", "must be a string or a non-empty list"),
        ({"role": "user"}, "messages[0].content", "missing"),
        ({"role": "user", "content": [{"type": "image", "url": "x"}]}, "messages[0].content[0].type", "text only"),
        ({"role": "user", "content": [{"type": "text", "text": 3}]}, "messages[0].content[0].text", "must be a string"),
        ({"role": "user", "content": ["plain"]}, "messages[0].content[0]", "block"),
    ],
)
def test_message_shape_errors(tmp_path, message, field, text):
    path = dataset(tmp_path, {5: math_row(5, messages=[message])})
    report = validate_dataset(path, grader="math")
    assert any(e.startswith(f"{path}:5: {field}: ") and text in e for e in errors(report)), errors(report)


def test_text_blocks_are_accepted(tmp_path):
    blocks = [{"type": "text", "text": "What is 2 + 2?"}, {"type": "text", "text": " Answer '#### <n>'."}]
    report = validate_dataset(
        dataset(tmp_path, {3: math_row(3, messages=[{"role": "user", "content": blocks}])}), grader="math"
    )
    assert report.ok, errors(report)


def test_the_prompt_must_not_end_with_the_answer(tmp_path):
    messages = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]
    path = dataset(tmp_path, {9: math_row(9, messages=messages)})
    assert (
        f"{path}:9: messages[1].role: the last turn is 'assistant'" in errors(validate_dataset(path, grader="math"))[0]
    )


def test_a_prompt_needs_a_user_turn(tmp_path):
    path = dataset(tmp_path, {2: math_row(2, messages=[{"role": "system", "content": "Be brief."}])})
    assert errors(validate_dataset(path, grader="math")) == [
        f"{path}:2: messages: no 'user' turn: the prompt needs at least one"
    ]


@pytest.mark.parametrize(
    "row, expected",
    [
        ({"reference_answer": "4"}, "messages: missing"),
        ({"messages": "hello", "reference_answer": "4"}, "messages: must be a non-empty list, got string"),
        ({"messages": [], "reference_answer": "4"}, "messages: must be a non-empty list, got array"),
    ],
)
def test_messages_must_be_a_list(tmp_path, row, expected):
    path = dataset(tmp_path, {4: row})
    assert any(e.startswith(f"{path}:4: {expected}") for e in errors(validate_dataset(path, grader="judge")))


def test_lines_that_are_not_json_objects(tmp_path):
    path = dataset(tmp_path, {3: '{"messages": [', 4: "[1, 2]", 5: ""})
    found = errors(validate_dataset(path, grader="judge"))
    assert found[0].startswith(f"{path}:3: not valid JSON: ")
    assert found[1] == f"{path}:4: the line holds a JSON array, not an object"
    assert found[2] == f"{path}:5: blank line: every line must hold one JSON object"


def test_encoding_errors_and_byte_order_mark(tmp_path):
    path = dataset(tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines[6] = lines[6].replace(b"What", b"Wh\xffat")
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))
    found = errors(validate_dataset(path, grader="math"))
    assert found[0] == f"{path}:1: the file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM"
    assert found[1].startswith(f"{path}:7: not valid UTF-8 (byte ")


@pytest.mark.parametrize(
    "count, expected",
    [
        (99, "99 rows: Bedrock RFT needs at least 100 prompts"),
        (20_001, "20001 rows: Bedrock RFT accepts at most 20,000 prompts"),
    ],
)
def test_row_count_limits(tmp_path, count, expected):
    path = dataset(tmp_path, count=count)
    assert errors(validate_dataset(path, grader="math")) == [f"{path}: {expected}"]


def test_limits_are_inclusive(tmp_path):
    assert validate_dataset(dataset(tmp_path, count=100), grader="math").ok
    assert validate_dataset(dataset(tmp_path, count=20_000, name="big.jsonl"), grader="math").ok


def test_missing_and_empty_files(tmp_path):
    missing = tmp_path / "nope.jsonl"
    assert errors(validate_dataset(missing, grader="math"))[0].startswith(f"{missing}: cannot read the file")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert errors(validate_dataset(empty, grader="math")) == [f"{empty}: the file is empty"]


MATH_ANSWER = "The total is 4.\n#### 4"


def math_grade(row: dict, response: str = MATH_ANSWER):
    """The real math grader on ``row`` answered with ``response``, the row's fields in metadata as Bedrock sends
    them; raises ``ItemError`` when the grader cannot use the row (it then scores 0 with that reason)."""
    from graders.contract import parse_sample
    from graders.math_answer import MathGrader

    metadata = {k: v for k, v in row.items() if k not in ("messages", "id")}
    item = {"id": "s", "messages": row["messages"] + [{"role": "assistant", "content": response}], "metadata": metadata}
    return MathGrader()(parse_sample(item))


USABLE_MATH_REFERENCES = [
    "4",
    4,
    4.0,
    "#### 4",
    "Two and two make four.\n#### 4",
    "\\boxed{4}",
    {"value": 4},
    {"answer": "4", "note": "any other key is ignored"},
    {"final_answer": {"expected": "4"}},
    ["4", "four"],
    [4, "4.0"],
    {"answer": ["4", "IV"]},
]


@pytest.mark.parametrize("reference", USABLE_MATH_REFERENCES, ids=repr)
def test_math_accepts_every_reference_shape_the_math_grader_uses(tmp_path, reference):
    row = math_row(8, reference_answer=reference)
    report = validate_dataset(dataset(tmp_path, {8: row}), grader="math")
    assert report.ok and warnings(report) == [], report.messages()
    assert math_grade(row).score == 1.0  # the grader really can use it: the right answer gets full marks


@pytest.mark.parametrize(
    "reference, expected",
    [
        (None, "reference_answer: the math grader cannot use it: no reference_answer (got null)"),
        ("  ", 'reference_answer: the math grader cannot use it: reference_answer is empty (got string "  ")'),
        (True, "reference_answer: the math grader cannot use it: reference_answer is a boolean, not an answer"),
        (
            {"note": "4"},
            "reference_answer: the math grader cannot use it: reference_answer object has none of the "
            "keys answer, final_answer",
        ),
        ([], "reference_answer: the math grader cannot use it: reference_answer is an empty list (got array [])"),
        (["4", " "], 'reference_answer[1]: the math grader cannot use it: reference_answer is empty (got string " ")'),
        (
            {"answer": ["4", False]},
            "reference_answer.answer[1]: the math grader cannot use it: reference_answer is a boolean",
        ),
        (
            {"solution": {"body": "4"}},
            "reference_answer.solution: the math grader cannot use it: reference_answer object has none of the keys",
        ),
        (
            "x" * 1001,
            "reference_answer: the math grader cannot use it: reference_answer is 1001 characters with no "
            "marked final answer",
        ),
        (float("nan"), "reference_answer: the math grader cannot use it: reference_answer is nan"),
    ],
    ids=lambda value: repr(value)[:30],
)
def test_math_rejects_what_the_math_grader_cannot_use(tmp_path, reference, expected):
    from graders.contract import ItemError

    row = math_row(8, reference_answer=reference)
    path = dataset(tmp_path, {8: row})
    assert errors(validate_dataset(path, grader="math"))[0].startswith(f"{path}:8: {expected}")
    with pytest.raises(ItemError):  # the grader agrees: it would score every answer 0
        math_grade(row)


def test_a_list_longer_than_the_math_grader_reads_is_a_warning(tmp_path):
    path = dataset(tmp_path, {8: math_row(8, reference_answer=[str(n) for n in range(4, 26)])})
    report = validate_dataset(path, grader="math")
    assert report.ok
    assert warnings(report) == [f"{path}:8: reference_answer: 22 alternatives: the math grader reads only the first 20"]


def test_math_reference_missing_but_optional_for_judge(tmp_path):
    row = math_row(8)
    del row["reference_answer"]
    path = dataset(tmp_path, {8: row})
    assert errors(validate_dataset(path, grader="math"))[0].startswith(f"{path}:8: reference_answer: missing")
    assert validate_dataset(path, grader="judge").ok


def format_row(n: int, **changes) -> dict:
    row = {
        "messages": [{"role": "user", "content": f"Write {n} words about tea. No commas."}],
        "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
        "kwargs": [{}, {"relation": "at least", "num_words": n}],
    }
    row.update(changes)
    return row


def format_dataset(tmp_path: Path, bad_rows: dict[int, dict]) -> Path:
    rows: list = [format_row(n) for n in range(1, 101)]
    for line, row in bad_rows.items():
        rows[line - 1] = _with_id(row, line, rows[0])
    return write(tmp_path, rows)


def test_format_rows_need_constraints_unless_defaults_are_configured(tmp_path):
    path = format_dataset(tmp_path, {12: {"messages": [{"role": "user", "content": "Write a poem."}]}})
    found = errors(validate_dataset(path, grader="format"))
    assert len(found) == 1 and found[0].startswith(f"{path}:12: instruction_id_list: missing")
    assert validate_dataset(path, grader="format", has_default_format_constraints=True).ok


def test_format_constraints_may_sit_in_an_object_reference_answer(tmp_path):
    inside = {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
    structured = {"constraints": [{"type": "json_schema", "schema": {"type": "object"}}]}
    path = format_dataset(
        tmp_path,
        {
            3: {"messages": [{"role": "user", "content": "Say hi."}], "reference_answer": inside},
            4: {"messages": [{"role": "user", "content": "Give JSON."}], **structured},
        },
    )
    assert validate_dataset(path, grader="format").ok


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"kwargs": [{}]}, "kwargs: has 1 entries for 2 instruction ids; they must be aligned"),
        ({"instruction_id_list": "punctuation:no_comma"}, "instruction_id_list: must be a list of instruction ids"),
        (
            {"instruction_id_list": [], "kwargs": []},
            "instruction_id_list: empty: the format grader scores a row without constraints 0",
        ),
        ({"kwargs": {"num_words": 3}}, "kwargs: must be a list of objects aligned"),
        ({"kwargs": [{}, "x"]}, "kwargs[1]: length_constraints:number_words: bad kwargs: kwargs must be an object"),
        ({"instruction_id_list": None, "constraints": []}, "constraints: empty"),
        ({"instruction_id_list": None, "constraints": "json"}, "constraints: must be a list of objects"),
        ({"constraints": [{"type": "json"}, 7]}, "constraints[1]: constraint: a constraint must be an object, got 7"),
    ],
)
def test_format_constraint_shape_errors(tmp_path, changes, expected):
    path = format_dataset(tmp_path, {20: format_row(20, **changes)})
    assert any(e.startswith(f"{path}:20: {expected}") for e in errors(validate_dataset(path, grader="format"))), errors(
        validate_dataset(path, grader="format")
    )


def test_constraint_fields_may_be_json_strings_as_the_format_grader_accepts(tmp_path):
    row = format_row(7, instruction_id_list='["punctuation:no_comma"]', kwargs="[{}]")
    text_reference = {
        "messages": [{"role": "user", "content": "Say hi."}],
        "reference_answer": '{"instruction_id_list": ["startend:quotation"], "kwargs": [{}]}',
    }
    path = format_dataset(tmp_path, {7: row, 8: text_reference})
    assert validate_dataset(path, grader="format").ok


def test_structured_constraints_are_built_as_the_format_grader_builds_them(tmp_path):
    row = {
        "messages": [{"role": "user", "content": "Answer in tags."}],
        "constraints": [
            {"type": "tags_in_order", "tags": ["think", "answer"]},
            {"type": "xml"},
            {"instruction_id": "detectable_format:number_bullet_lists", "kwargs": {"bullets": 3}},
            {"type": "regex", "pattern": "(a)\\1"},
            {"instruction_id": "keywords:exist"},
        ],
    }
    path = format_dataset(tmp_path, {9: row})
    found = errors(validate_dataset(path, grader="format"))
    assert found[0].startswith(f"{path}:9: constraints[1].type: xml: unknown constraint type 'xml'; known: [")
    assert found[1] == (
        f"{path}:9: constraints[2].kwargs: detectable_format:number_bullet_lists: bad kwargs: "
        "missing kwarg 'num_bullets' (the format grader scores it 0)"
    )
    assert found[2] == (
        f"{path}:9: constraints[3]: regex: bad constraint: pattern '(a)\\\\1' refused: "
        "backreferences are not supported (the format grader scores it 0)"
    )
    assert found[3] == (
        f"{path}:9: constraints[4].instruction_id: keywords:exist: unknown instruction id "
        "'keywords:exist' (the format grader scores it 0)"
    )
    assert len(found) == 4


def test_unknown_ifeval_ids_and_bad_kwargs_are_errors_with_the_graders_reason(tmp_path):
    unknown_id = format_row(30, instruction_id_list=["punctuation:no_comas", "length_constraints:number_words"])
    misspelt_kwarg = format_row(31, kwargs=[{}, {"relation": "at least", "num_word": 5, "keywords": None}])
    unexpected_kwarg = format_row(32, kwargs=[{"language": "en"}, {"relation": "at least", "num_words": 5}])
    bad_value = format_row(33, kwargs=[{}, {"relation": "more than", "num_words": 5}])
    path = format_dataset(tmp_path, {30: unknown_id, 31: misspelt_kwarg, 32: unexpected_kwarg, 33: bad_value})
    report = validate_dataset(path, grader="format")
    assert errors(report) == [
        f"{path}:30: instruction_id_list[0]: punctuation:no_comas: unknown instruction id 'punctuation:no_comas' "
        "(the format grader scores it 0)",
        f"{path}:31: kwargs[1]: length_constraints:number_words: bad kwargs: missing kwarg 'num_words' "
        "(the format grader scores it 0)",
        f"{path}:32: kwargs[0]: punctuation:no_comma: bad kwargs: unexpected kwargs ['language'] "
        "(the format grader scores it 0)",
        f"{path}:33: kwargs[1]: length_constraints:number_words: bad kwargs: kwarg 'relation' must be one of "
        "['at least', 'less than'], got 'more than' (the format grader scores it 0)",
    ]
    assert report.warnings == []


def test_null_padded_kwargs_are_fine_and_null_kwargs_mean_none(tmp_path):
    padded = {"num_words": 5, "relation": "at least", "keywords": None, "language": None, "num_bullets": None}
    path = format_dataset(
        tmp_path, {5: format_row(5, kwargs=[{"keywords": None}, padded]), 6: format_row(6, kwargs=None)}
    )
    report = validate_dataset(path, grader="format")
    assert errors(report) == [
        f"{path}:6: kwargs[1]: length_constraints:number_words: bad kwargs: missing kwarg "
        "'num_words' (the format grader scores it 0)"
    ]


def test_fields_are_looked_up_where_the_format_grader_looks(tmp_path):
    """Each field from the row first, else from an object reference_answer, as ``Sample.field`` does."""
    split = {
        "messages": [{"role": "user", "content": "Hi"}],
        "instruction_id_list": ["keywords:existence"],
        "reference_answer": {"kwargs": [{"keywords": ["tea"]}]},
    }
    shadowed = {
        "messages": [{"role": "user", "content": "Hi"}],
        "instruction_id_list": ["punctuation:no_comma"],
        "reference_answer": {"instruction_id_list": ["not:an_id"]},
    }
    in_reference = {
        "messages": [{"role": "user", "content": "Hi"}],
        "reference_answer": {"instruction_id_list": ["keywords:existence"], "kwargs": [{}]},
    }
    path = format_dataset(tmp_path, {3: split, 4: shadowed, 5: in_reference})
    assert errors(validate_dataset(path, grader="format")) == [
        f"{path}:5: reference_answer.kwargs[0]: keywords:existence: bad kwargs: missing kwarg 'keywords' "
        "(the format grader scores it 0)"
    ]


def test_repeat_prompt_without_its_kwarg_uses_the_rows_last_user_turn(tmp_path):
    def repeat_row(*messages: dict) -> dict:
        return {"messages": list(messages), "instruction_id_list": ["combination:repeat_prompt"], "kwargs": [{}]}

    system = {"role": "system", "content": "Be brief."}
    path = format_dataset(
        tmp_path,
        {
            3: repeat_row(system, {"role": "user", "content": "Name a tea."}),
            4: repeat_row(system, {"role": "user", "content": " "}),
        },
    )
    found = errors(validate_dataset(path, grader="format"))
    assert found == [
        f"{path}:4: messages[1].content: empty or whitespace only: every turn needs text",
        f"{path}:4: kwargs[0]: combination:repeat_prompt: bad kwargs: no 'prompt_to_repeat' given and "
        "the row has no user prompt to repeat (the format grader scores it 0)",
    ]


def format_grade_reason(row: dict) -> str:
    """The real format grader's reason for ``row`` answered with a short text, fields in metadata as Bedrock sends."""
    from graders.contract import parse_sample
    from graders.format_rules import FormatGrader

    metadata = {k: v for k, v in row.items() if k not in ("messages", "id")}
    item = {
        "id": "s",
        "messages": row["messages"] + [{"role": "assistant", "content": "A reply."}],
        "metadata": metadata,
    }
    return FormatGrader()(parse_sample(item)).reason or ""


@pytest.mark.parametrize(
    "changes",
    [
        {"instruction_id_list": ["punctuation:no_comas"], "kwargs": [{}]},
        {"kwargs": [{"x": 1}, {"relation": "at least", "num_words": 5}]},
        {"kwargs": [{}, {"relation": "at least", "num_words": -1}]},
        {"constraints": [{"type": "length", "unit": "lines", "min": 1}]},
        {"constraints": [{"type": "json_schema", "schema": {"type": "blob"}}]},
        {"constraints": {"instruction_id": "keywords:frequency", "kwargs": {"keyword": "tea", "frequency": 2}}},
        {"instruction_id_list": ["startend:end_checker"], "kwargs": [{"end_phrase": "  "}]},
    ],
    ids=repr,
)
def test_every_error_is_one_the_format_grader_gives_as_its_reason(tmp_path, changes):
    row = format_row(40, **changes)
    found = errors(validate_dataset(format_dataset(tmp_path, {40: row}), grader="format"))
    assert found, "the validator accepted a row the grader cannot fully check"
    reason = format_grade_reason(row)
    for error in found:
        grader_words = error.split(": ", 2)[2].removesuffix(" (the format grader scores it 0)")
        assert grader_words in reason, (grader_words, reason)


def test_rows_the_validator_accepts_build_every_constraint_in_the_format_grader():
    rows = [json.loads(line) for line in (ROOT / "datasets" / "instruction_following.jsonl").read_text().splitlines()]
    reasons = [format_grade_reason(row) for row in rows]
    assert not [r for r in reasons if "unknown" in r or "bad kwargs" in r or "bad constraint" in r]


def test_duplicate_prompts_and_ids_are_warnings(tmp_path):
    path = dataset(tmp_path, {40: math_row(3), 41: math_row(41, id="r2")})
    report = validate_dataset(path, grader="math")
    assert report.ok
    assert f"{path}:40: messages: the same prompt as line 3" in warnings(report)
    assert f"{path}:40: id: 'r3' is already used on line 3" in warnings(report)
    assert f"{path}:41: id: 'r2' is already used on line 2" in warnings(report)


def test_prompt_length_is_estimated_at_four_characters_per_token(tmp_path):
    long_row = math_row(50, messages=[{"role": "user", "content": "x" * 900}])  # ~225 tokens
    dense_row = math_row(51, messages=[{"role": "user", "content": "x" * 700}])  # 175-234 tokens
    path = dataset(tmp_path, {50: long_row, 51: dense_row})
    report = validate_dataset(path, grader="math", max_prompt_length=200)
    assert errors(report) == [f"{path}:50: messages: about 225 tokens (900 characters / 4) exceeds maxPromptLength 200"]
    assert warnings(report) == [
        f"{path}:51: messages: may exceed maxPromptLength 200: 700 characters is 175-234 tokens depending on the text"
    ]
    assert validate_dataset(path, grader="math").ok  # no limit given: no length check


def test_composite_rows_are_checked_for_the_graders_they_name(tmp_path):
    no_reference = {"messages": [{"role": "user", "content": "2+2?"}], "graders": ["math", "judge"]}
    unknown = math_row(6, graders=["math", "vibes"])
    path = dataset(tmp_path, {5: no_reference, 6: unknown})
    found = errors(validate_dataset(path, grader="composite"))
    assert found == [
        f"{path}:5: reference_answer: missing: the math grader compares the answer with it",
        f"{path}:6: graders: unknown grader(s) 'vibes'; use 'math', 'format', 'judge', 'code' or 'tools'",
    ]


def test_composite_rows_without_graders_field_are_checked_for_their_evident_aim(tmp_path):
    """Without COMPOSITE_DEFAULT_GRADERS: constraints mean format, an answer-shaped reference means math."""
    alternatives = {"messages": [{"role": "user", "content": "2+2?"}], "reference_answer": ["4", ""]}
    answer_object = {"messages": [{"role": "user", "content": "3+3?"}], "reference_answer": {"answer": True}}
    judged = {"messages": [{"role": "user", "content": "Write a haiku."}], "reference_answer": {"rubric": "vivid"}}
    path = dataset(tmp_path, {5: alternatives, 6: answer_object, 7: judged})
    assert errors(validate_dataset(path, grader="composite")) == [
        f'{path}:5: reference_answer[1]: the math grader cannot use it: reference_answer is empty (got string "")',
        f"{path}:6: reference_answer.answer: the math grader cannot use it: reference_answer is a boolean, not an "
        "answer (got boolean true)",
    ]


def test_composite_graders_field_forms_follow_the_composite_grader(tmp_path):
    as_text = math_row(3, graders="Math, judge")
    in_reference = {
        "messages": [{"role": "user", "content": "Hi"}],
        "reference_answer": {"graders": ["format"], "instruction_id_list": ["punctuation:no_comma"]},
    }
    empty = math_row(5, graders=[" "])
    path = dataset(tmp_path, {3: as_text, 4: in_reference, 5: empty})
    assert errors(validate_dataset(path, grader="composite")) == [f"{path}:5: graders: names no grader"]


def test_composite_defaults_apply_to_rows_without_a_graders_field(tmp_path):
    path = dataset(tmp_path)
    assert validate_dataset(path, grader="composite", composite_graders=["math"]).ok
    report = validate_dataset(path, grader="composite", composite_graders=["math", "format"])
    assert len(report.errors) == 100 and "instruction_id_list: missing" in str(report.errors[0])


def test_ensure_valid_raises_with_capped_messages(tmp_path):
    rows = {line: math_row(line, reference_answer=None) for line in range(1, 31)}
    path = dataset(tmp_path, rows)
    with pytest.raises(DatasetError) as caught:
        ensure_valid(path, grader="math")
    message = str(caught.value)
    assert message.startswith("30 dataset error(s):")  # one problem on 30 rows: one line with its count
    assert f"{path}: 30 rows (lines 1, 2, 3, 4, 5, ...): reference_answer" in message


def test_ensure_valid_caps_distinct_problems(tmp_path):
    rows = {line: {**math_row(line), "id": line} for line in range(1, 31)}  # each message names its own id
    with pytest.raises(DatasetError) as caught:
        ensure_valid(dataset(tmp_path, rows), grader="math")
    message = str(caught.value)
    assert message.startswith("30 dataset error(s):") and message.endswith("... and 10 more")
    assert ensure_valid(dataset(tmp_path, name="good.jsonl"), grader="math").rows == 100


def test_an_unknown_grader_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError, match="grader must be one of"):
        validate_dataset(dataset(tmp_path), grader="maths")


@pytest.mark.parametrize(
    "name, grader",
    [
        ("math_word_problems.jsonl", "math"),
        ("instruction_following.jsonl", "format"),
        ("math_word_problems.jsonl", "composite"),
        ("instruction_following.jsonl", "composite"),
    ],
)
def test_the_sample_datasets_are_valid(name, grader):
    report = validate_dataset(ROOT / "datasets" / name, grader=grader, max_prompt_length=1024)
    assert report.ok and report.warnings == [], report.messages()[:5]
    assert 100 <= report.rows <= 20_000


def test_the_written_copy_of_ifevals_interface_lists_exactly_the_graders_instructions():
    """tests.support.ifeval_registry is what the sample-dataset generator's tests check rows against."""
    from graders.format_rules.registry import INSTRUCTIONS
    from tests.support.ifeval_registry import IFEVAL_KWARGS

    assert set(IFEVAL_KWARGS) == set(INSTRUCTIONS)


# -- rules of AWS's RFT dataset validator ----------------------------------------------------------------
def test_ids_must_be_non_empty_strings(tmp_path):
    path = dataset(tmp_path, {3: {**math_row(3), "id": 7}, 4: {**math_row(4), "id": "  "}})
    found = errors(validate_dataset(path, grader="math"))
    assert any(f"{path}:3: id: must be a string" in e and 'write it as "7"' in e for e in found)
    assert f"{path}:4: id: empty: an id must be a non-empty string (or leave 'id' out on every row)" in found


def test_ids_on_some_rows_only_is_one_error_with_the_count(tmp_path):
    rows = [math_row(n) for n in range(1, 101)]
    for row in rows[:40]:
        row["id"] = f"r{row.get('id', id(row))}"
    for row in rows[40:]:
        row.pop("id", None)
    found = errors(validate_dataset(write(tmp_path, rows), grader="math"))
    assert [e for e in found if "'id' is on 40 row(s) but missing on 60 (first on line 41)" in e]


def test_a_system_message_only_first(tmp_path):
    row = {**math_row(5), "messages": [{"role": "user", "content": "q"}, {"role": "system", "content": "s"}]}
    assert any(
        "messages[1].role: a system message may only be the first turn" in e
        for e in errors(validate_dataset(dataset(tmp_path, {5: row}), grader="math"))
    )


@pytest.mark.parametrize("content", ["   ", "\n\t", [{"type": "text", "text": "  "}]])
def test_whitespace_only_content_is_an_error(tmp_path, content):
    row = {**math_row(5), "messages": [{"role": "user", "content": content}]}
    assert any(
        "messages[0].content: empty or whitespace only" in e
        for e in errors(validate_dataset(dataset(tmp_path, {5: row}), grader="math"))
    )


def test_tools_must_be_functions(tmp_path):
    row = {**math_row(5), "tools": [{"type": "function", "function": {"name": "f"}}, {"type": "retrieval"}]}
    found = errors(validate_dataset(dataset(tmp_path, {5: row}), grader="math"))
    assert [e for e in found if "tools[1].type: 'retrieval': RFT takes only tools of type 'function'" in e]
    assert not [e for e in found if "tools[0]" in e]


def test_number_and_list_references_warn_once_with_how_to_write_them(tmp_path):
    path = dataset(
        tmp_path, {5: {**math_row(5), "reference_answer": 42}, 9: {**math_row(9), "reference_answer": [1, 2]}}
    )
    report = validate_dataset(path, grader="math")
    notes = [str(w) for w in report.warnings if PORTABILITY in w.message]
    assert report.ok and len(notes) == 1
    assert "2 row(s) (first on line 5)" in notes[0] and 'e.g. "42"' in notes[0]


def test_a_json_array_file_is_named(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps([math_row(n) for n in range(1, 101)]), encoding="utf-8")
    assert [e for e in errors(validate_dataset(path, grader="math")) if "this is a JSON array file" in e]


@pytest.mark.parametrize(
    "row, name",
    [
        ({"prompt": "2+2?", "completion": "4"}, "a prompt/completion (SFT) file"),
        (
            {
                "schemaVersion": "bedrock-conversation-2024",
                "system": [{"text": "s"}],
                "messages": [{"role": "user", "content": [{"text": "2+2?"}]}],
            },
            "the Bedrock conversation schema",
        ),
    ],
)
def test_other_dataset_formats_are_named_once(tmp_path, row, name):
    found = errors(validate_dataset(write(tmp_path, [row] * 100), grader="math"))
    assert len(found) == 1 and f"100 row(s) look like {name}" in found[0]


def test_a_problem_on_many_rows_is_reported_once_with_its_count_and_likely_cause(tmp_path):
    path = dataset(tmp_path)  # math rows: no instruction_id_list anywhere
    report = validate_dataset(path, grader="format")
    grouped = report.grouped("error")
    assert len(grouped) < len(report.errors)
    line = next(g for g in grouped if "100 rows (lines 1, 2, 3, 4, 5, ...)" in g)
    assert "likely cause" in line and "meant for another grader" in line and str(path) in line
    from rft.checks.dataset_validation import DatasetError

    assert "100 rows" in str(DatasetError([report]))


def test_a_problem_on_few_rows_keeps_its_lines(tmp_path):
    path = dataset(tmp_path, {3: {**math_row(3), "id": 7}})
    assert [g for g in validate_dataset(path, grader="math").grouped("error") if g.startswith(f"{path}:3: id:")]
