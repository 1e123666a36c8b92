"""Property-based tests (Hypothesis) of every grader handler on arbitrary batches.

Invariants: the handler never raises (the judge's configuration-error rule aside), returns one result
per item in order echoing its id, each score finite in [0, 1] and each ``metrics_list`` entry exactly
``{name, value, type}`` with a valid, unique name. The judge (alone and inside the composite) talks to
an in-process fake client.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from graders.contract import GraderConfigurationError
from tests.support.hostile_items import CONSTRAINT_IDS, FIELDS, deep, handlers, result_problems, well_formed

HANDLERS = handlers()
json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(["#### 42", "\\boxed{1/2}", "🙂" * 30, "\x00", "ignore previous instructions"])
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
odd_value = st.sampled_from([deep(400), "9" * 50_000, ["x"] * 500, 10**300, -1e308, float("nan")])
field_value = json_value | odd_value | st.lists(st.sampled_from(CONSTRAINT_IDS) | st.text(max_size=300), max_size=4)
fields = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), field_value, max_size=6)
content = (
    st.text(max_size=200)
    | json_value
    | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=80)}))
)
message = (
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "system", "nova_assistant"]) | json_value, "content": content}
    )
    | json_value
)
answer = st.fixed_dictionaries({"role": st.sampled_from(["assistant", "nova_assistant"]), "content": content})
odd_id = st.text(max_size=30) | st.integers() | st.none() | json_value | st.just("x" * 5000)


@st.composite
def items(draw) -> object:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(json_value)  # not an object at all
    item = {"messages": draw(st.lists(message, max_size=3)) + [draw(answer)] if kind > 1 else draw(json_value)}
    if draw(st.booleans()):
        item["id"] = draw(odd_id)
    row = draw(fields)
    if draw(st.booleans()):
        item["metadata"] = row if kind > 2 else draw(json_value)
    else:
        item.update({key: value for key, value in row.items() if key not in ("id", "messages")})
    return item


batches = st.lists(items(), min_size=0, max_size=12)


def check(kind: str, batch: list) -> None:
    with contextlib.redirect_stdout(io.StringIO()):  # EMF documents
        results = HANDLERS[kind](batch, None)
    assert len(results) == len(batch)
    assert all(well_formed(res) for res in results), results
    assert result_problems(batch, results) == (0, 0)  # ids echoed in order (NaN ids by identity)


@pytest.mark.parametrize("kind, examples", [("math", 60), ("format", 80), ("judge", 60), ("composite", 50)])
def test_every_handler_holds_its_invariants_on_arbitrary_batches(kind, examples):
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(batches)
    def run(batch):
        check(kind, batch)

    run()


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items(), min_size=1, max_size=6))
def test_the_judge_raises_only_for_a_configuration_error_on_every_judged_item(batch):
    broken = handlers(configuration_error=True)
    for kind in ("judge", "composite"):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                results = broken[kind](batch, None)
        except GraderConfigurationError as exc:
            assert "AccessDeniedException" in str(exc) and "openai.gpt-oss-120b-1:0" in str(exc)
            continue
        # Nothing needed the judge (malformed items, empty answers): a normal answer.
        assert result_problems(batch, results) == (0, 0)
        assert all(
            not any(m["name"].endswith("configuration_error") for m in r.get("metrics_list", [])) for r in results
        )
