"""The shared handler kit: item counts from flag values, and every request shape through both handler kinds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graders import observability
from graders.contract import BatchError, Grade, result
from graders.observability import make_batch_handler, make_handler

ITEMS = [
    {"id": f"i{n}", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    for n in range(3)
]


def _emf(out: str) -> dict[str, float]:
    """Metric name -> value (lists summed) over every EMF document printed."""
    totals: dict[str, float] = {}
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        doc = json.loads(line)
        for metric in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = doc[metric["Name"]]
            totals[metric["Name"]] = totals.get(metric["Name"], 0.0) + (
                sum(value) if isinstance(value, list) else value
            )
    return totals


def _flags(timed_out: list[float], malformed: list[float]):
    def grade_items(items, deadline):
        return [
            result(raw["id"], Grade(score=1.0, metrics={"timed_out": t, "malformed": m}))
            for raw, t, m in zip(items, timed_out, malformed)
        ]

    return grade_items


@pytest.mark.parametrize(
    "timed_out,malformed,expected_timed_out,expected_malformed",
    [
        ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0, 0),
        ([1.0, 0.0, 0.0], [0.0, 0.0, 1.0], 1, 1),
        ([1.0, 1.0, 0.0], [0.0, 0.0, 0.0], 2, 0),
    ],
)
def test_items_are_counted_only_when_their_flag_is_set(
    timed_out, malformed, expected_timed_out, expected_malformed, capsys
) -> None:
    handler = make_batch_handler("t-counts", _flags(timed_out, malformed))
    handler(ITEMS, None)
    totals = _emf(capsys.readouterr().out)
    assert totals["ItemsTimedOut"] == expected_timed_out
    assert totals["ItemsMalformed"] == expected_malformed
    assert totals["ItemsGraded"] == len(ITEMS) - expected_timed_out
    assert totals["BatchSize"] == len(ITEMS)


def _one(sample) -> Grade:
    return Grade(score=0.5, metrics={"timed_out": 0.0})


HANDLERS = {
    "per item": lambda: make_handler("t-shape", _one),
    "batch": lambda: make_batch_handler(
        "t-shape-b", lambda items, deadline: [result(raw["id"], _one(raw)) for raw in items]
    ),
}


@pytest.mark.parametrize("kind", list(HANDLERS))
@pytest.mark.parametrize("wrapped", [False, True])
def test_both_handler_kinds_accept_each_envelope_and_answer_with_the_array(kind: str, wrapped: bool, capsys) -> None:
    event = {"trajectories": ITEMS} if wrapped else ITEMS
    results = HANDLERS[kind]()(event, None)
    assert [r["id"] for r in results] == [i["id"] for i in ITEMS]
    assert [r["aggregate_reward_score"] for r in results] == [0.5] * len(ITEMS)
    assert _emf(capsys.readouterr().out)["ItemsTimedOut"] == 0


@pytest.mark.parametrize("kind", list(HANDLERS))
def test_the_reply_goes_through_the_envelope_wrap(kind: str, monkeypatch, capsys) -> None:
    """The handlers answer with what ``unwrap_event``'s wrap makes of the results, not the bare list."""
    monkeypatch.setattr(
        observability, "unwrap_event", lambda event: (event["trajectories"], lambda results: {"wrapped": results})
    )
    reply: Any = HANDLERS[kind]()({"trajectories": ITEMS}, None)  # what the patched wrap made of the list
    assert [r["id"] for r in reply["wrapped"]] == [i["id"] for i in ITEMS]


@pytest.mark.parametrize("kind", list(HANDLERS))
@pytest.mark.parametrize("event", [{"samples": ITEMS}, "[]", None])
def test_other_shapes_fail_the_batch(kind: str, event) -> None:
    with pytest.raises(BatchError):
        HANDLERS[kind]()(event, None)


def test_batch_shape_is_logged_once_then_every_nth_batch_without_content(caplog):
    import logging

    from graders import observability
    from graders.observability import key_structure

    item = {"id": "secret-id", "messages": [{"role": "user", "content": "the prompt"}], "metadata": {"x": 1}}
    assert key_structure(item) == {
        "id": "str",
        "messages": [{"role": "str", "content": "str"}],
        "metadata": {"x": "int"},
    }
    instruments = observability._Instruments("math")
    with caplog.at_level(logging.INFO, logger="graders"):
        for _ in range(observability.SHAPE_LOG_EVERY + 1):
            instruments.received([item])
    shapes = [r for r in caplog.records if r.getMessage() == "batch shape"]
    assert len(shapes) == 2 and "the prompt" not in caplog.text and "secret-id" not in caplog.text


def test_a_failing_metrics_library_never_fails_the_batch(monkeypatch):
    from graders import observability

    def broken(*args, **kwargs):
        raise RuntimeError("metrics backend down")

    monkeypatch.setattr(observability, "_report", broken)
    results = [{"id": "a", "aggregate_reward_score": 1.0}]
    assert observability._Instruments("math").graded(results) == results
