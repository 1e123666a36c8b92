"""Structured-output checks (JSON, JSON Schema, tags, regex, length) and the linear-time regex engine."""

from __future__ import annotations

import random
import re

import pytest

from graders.format_rules.arguments import BadKwargs, CheckError
from graders.format_rules.safe_regex import SafeRegex, UnsupportedPattern
from graders.format_rules.structured import MAX_REGEX_INPUT, STRUCTURED_CHECKS


def build(spec: dict):
    return STRUCTURED_CHECKS[spec["type"]](spec)


def test_json_accepts_a_fenced_document_and_refuses_prose():
    check = build({"type": "json"})
    assert check('```json\n{"answer": 4}\n```')
    assert check(" [1, 2, 3] ")
    assert not check('The answer is {"answer": 4}')


PERSON = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ('{"name": "Ada", "age": 36}', True),
        ('```json\n{"name": "Ada", "age": 36}\n```', True),
        ('{"name": "Ada"}', False),
        ('{"name": "Ada", "age": -1}', False),
        ('{"name": "Ada", "age": 36, "extra": true}', False),
        ("not json at all", False),
        ("[" * 50_000, False),
    ],
)
def test_json_schema(response, expected):
    assert build({"type": "json_schema", "schema": PERSON})(response) is expected


def test_local_refs_resolve_and_remote_refs_are_never_fetched(monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("the grader tried to fetch a schema")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    local = {"$defs": {"n": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/n"}}}
    assert build({"type": "json_schema", "schema": local})('{"a": 1}')
    assert not build({"type": "json_schema", "schema": local})('{"a": "one"}')
    remote = build({"type": "json_schema", "schema": {"$ref": "https://example.com/person.json"}})
    with pytest.raises(CheckError, match="could not be applied"):
        remote("{}")


def test_an_invalid_schema_is_refused():
    with pytest.raises(BadKwargs, match="invalid JSON Schema"):
        build({"type": "json_schema", "schema": {"type": "no-such-type"}})
    with pytest.raises(BadKwargs, match="'schema' must be"):
        build({"type": "json_schema", "schema": "string"})


@pytest.mark.parametrize(
    ("response", "outside_allowed", "expected"),
    [
        ("<think>2+2 is 4</think><answer>4</answer>", False, True),
        ("<think>a</think>\n\n<answer>4</answer>\n", False, True),
        ("Sure! <think>a</think><answer>4</answer>", False, False),
        ("Sure! <think>a</think><answer>4</answer>", True, True),
        ("<answer>4</answer><think>a</think>", True, False),  # wrong order
        ("<think>a</think><answer>4</answer><answer>5</answer>", True, False),  # repeated block
        ("<think>a<answer>4</think></answer>", True, False),  # overlapping blocks
        ("<think>a</think>", True, False),  # missing block
    ],
)
def test_tags_in_order(response, outside_allowed, expected):
    spec = {"type": "tags_in_order", "tags": ["think", "answer"], "allow_text_outside": outside_allowed}
    assert build(spec)(response) is expected


def test_tags_must_be_distinct_tag_names():
    for tags in ([], ["think", "think"], ["no spaces"], "think"):
        with pytest.raises(BadKwargs):
            build({"type": "tags_in_order", "tags": tags})


def test_regex_search_full_match_flags_and_negation():
    assert build({"type": "regex", "pattern": r"#### \d+$"})("so 12 x 7 = 84\n#### 84")
    assert not build({"type": "regex", "pattern": r"#### \d+", "match": "full"})("so\n#### 84")
    assert build({"type": "regex", "pattern": r"answer: yes", "flags": ["IGNORECASE"]})("ANSWER: YES")
    assert build({"type": "regex", "pattern": r"(?i)sorry", "negate": True})("Here you go.")
    assert not build({"type": "regex", "pattern": r"(?i)sorry", "negate": True})("Sorry, no.")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "regex", "pattern": r"(a)\1"}, "backreferences"),
        ({"type": "regex", "pattern": r"(?=a)a"}, "look-ahead"),
        ({"type": "regex", "pattern": r"(?>a+)b"}, "atomic"),
        ({"type": "regex", "pattern": "(unclosed"}, "invalid pattern"),
        ({"type": "regex", "pattern": "(a{1000}){1000}"}, "automaton states"),
        ({"type": "regex", "pattern": "a", "match": "prefix"}, "'match'"),
        ({"type": "regex", "pattern": "a", "flags": ["LOCALE"]}, "'flags'"),
    ],
)
def test_patterns_that_need_backtracking_or_are_malformed_are_refused(spec, message):
    with pytest.raises(BadKwargs, match=message):
        build(spec)


def test_regex_refuses_a_response_beyond_its_input_bound():
    check = build({"type": "regex", "pattern": "x"})
    with pytest.raises(CheckError, match="longer than"):
        check("y" * (MAX_REGEX_INPUT + 1))


@pytest.mark.parametrize(
    ("spec", "response", "expected"),
    [
        ({"unit": "words", "min": 3, "max": 5}, "one two three four", True),
        ({"unit": "words", "min": 5}, "one two three four", False),
        ({"unit": "characters", "max": 5}, "  hello \n", True),
        ({"unit": "characters", "max": 4}, "hello", False),
        ({"unit": "sentences", "min": 2, "max": 2}, "Dr. Who came. He left.", True),
    ],
)
def test_length_bounds_are_inclusive(spec, response, expected):
    assert build({"type": "length", **spec})(response) is expected


@pytest.mark.parametrize(
    "spec",
    [{"unit": "words"}, {"unit": "pages", "min": 1}, {"min": 5, "max": 2}, {"min": -1}, {"min": 1, "colour": "red"}],
)
def test_bad_length_specs_are_refused(spec):
    with pytest.raises(BadKwargs):
        build({"type": "length", **spec})


# -- the linear-time engine against Python's re ------------------------------------------------------
ATOMS = ["a", "b", "A", ".", r"\d", r"\w", r"\s", r"\W", "[ab]", "[^a]", "[a-c]", "x", "\n", " ", "é", "É", "_"]


def random_pattern(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.55 or depth > 1:
            part = rng.choice(ATOMS)
        elif roll < 0.7:
            part = "(" + random_pattern(rng, depth + 1) + ")"
        elif roll < 0.8:
            part = "(?:" + random_pattern(rng, depth + 1) + "|" + random_pattern(rng, depth + 1) + ")"
        elif roll < 0.9:
            part = rng.choice(["^", "$", r"\b", r"\B", r"\A", r"\Z"])
        else:
            part = "(?i:" + random_pattern(rng, depth + 1) + ")"
        if rng.random() < 0.3:
            part += rng.choice(["*", "+", "?", "{2}", "{1,3}", "*?", "{0,2}"])
        parts.append(part)
    return "".join(parts)


def test_safe_regex_agrees_with_re_on_random_patterns_and_texts():
    rng = random.Random(5)
    compared = 0
    for _ in range(1_500):
        pattern = random_pattern(rng)
        flags = rng.choice([0, re.IGNORECASE, re.MULTILINE, re.DOTALL, re.ASCII, re.IGNORECASE | re.MULTILINE])
        try:
            reference = re.compile(pattern, flags)
        except re.error:  # e.g. "^*": the engine refuses what re refuses
            with pytest.raises(UnsupportedPattern):
                SafeRegex(pattern, flags)
            continue
        mine = SafeRegex(pattern, flags)
        for _ in range(4):
            text = "".join(rng.choice("abAB1 \n_xéÉ.") for _ in range(rng.randint(0, 10)))
            assert (mine.search(text), mine.fullmatch(text)) == (
                bool(reference.search(text)),
                bool(reference.fullmatch(text)),
            ), (pattern, flags, text)
            compared += 1
    assert compared > 4_000


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        (r"(a+)+$", "a" * 20_000 + "!", False),  # exponential for a backtracking engine
        (r".*x.*y.*z", "xy" * 20_000, False),  # polynomial blow-up for a backtracking engine
        (r"(\w+\s?)*@", "word " * 20_000, False),
    ],
)
def test_patterns_catastrophic_for_backtracking_finish(pattern, text, expected):
    assert SafeRegex(pattern).search(text) is expected


def test_unsupported_pattern_is_a_value_error():
    with pytest.raises(UnsupportedPattern):
        SafeRegex(r"(?<=a)b")
