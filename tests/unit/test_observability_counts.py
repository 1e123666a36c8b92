"""The handler kit: item counts from flag values, every request shape, EMF documents of large batches,
the batch-shape log, and observability that never fails a batch."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from graders import METRICS_NAMESPACE, handler_kit, metric_dimensions
from graders.contract import BatchError, Grade
from graders.handler_kit import LocalContext, key_structure
from tests.support.grader_handlers import handler_with, per_item_handler

ITEMS = [
    {"id": f"i{n}", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    for n in range(3)
]


def _documents(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def _emf(out: str) -> dict[str, float]:
    """Metric name -> value (lists summed) over every EMF document printed."""
    totals: dict[str, float] = {}
    for doc in _documents(out):
        for metric in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = doc[metric["Name"]]
            totals[metric["Name"]] = totals.get(metric["Name"], 0.0) + (
                sum(value) if isinstance(value, list) else value
            )
    return totals


def _flags(timed_out: list[float], malformed: list[float]):
    def grade_samples(samples, deadline):
        return [
            Grade(score=1.0, metrics={"timed_out": t, "malformed": m}) for _, t, m in zip(samples, timed_out, malformed)
        ]

    return grade_samples


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
    handler = handler_with("t-counts", lambda: _flags(timed_out, malformed))
    handler(ITEMS, None)
    totals = _emf(capsys.readouterr().out)
    assert totals["ItemsTimedOut"] == expected_timed_out
    assert totals["ItemsMalformed"] == expected_malformed
    assert totals["ItemsGraded"] == len(ITEMS) - expected_timed_out
    assert totals["BatchSize"] == len(ITEMS)


def _one(sample) -> Grade:
    return Grade(score=0.5, metrics={"timed_out": 0.0})


HANDLERS = {
    "per item": lambda: per_item_handler("t-shape", _one),
    "batch": lambda: handler_with("t-shape-b", lambda: lambda samples, deadline: [_one(s) for s in samples]),
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
        handler_kit, "unwrap_event", lambda event: (event["trajectories"], lambda results: {"wrapped": results})
    )
    reply: Any = HANDLERS[kind]()({"trajectories": ITEMS}, None)  # what the patched wrap made of the list
    assert [r["id"] for r in reply["wrapped"]] == [i["id"] for i in ITEMS]


@pytest.mark.parametrize("kind", list(HANDLERS))
@pytest.mark.parametrize("event", [{"samples": ITEMS}, "[]", None])
def test_other_shapes_fail_the_batch(kind: str, event) -> None:
    with pytest.raises(BatchError):
        HANDLERS[kind]()(event, None)


def test_a_batch_of_more_than_100_items_publishes_every_reward_value(capsys) -> None:
    """EMF takes at most 100 values per metric in a document: Powertools publishes one whenever a metric
    reaches 100 values, with the same namespace and dimensions, and ``log_metrics`` flushes the rest."""
    count = 250
    batch = [dict(ITEMS[0], id=f"r{n}") for n in range(count)]
    scores = {f"r{n}": (n % 10) / 10 for n in range(count)}
    handler = handler_with("t-large", lambda: lambda samples, deadline: [Grade(score=scores[s.id]) for s in samples])
    results = handler(batch, LocalContext())
    assert [r["id"] for r in results] == [item["id"] for item in batch]
    out = capsys.readouterr().out
    documents = _documents(out)
    rewards = [doc["Reward"] for doc in documents if "Reward" in doc]
    assert len(rewards) == 3 and all(isinstance(values, list) and len(values) <= 100 for values in rewards)
    assert sorted(value for values in rewards for value in values) == sorted(scores.values())
    for doc in documents:
        assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == METRICS_NAMESPACE
        assert sorted(doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == sorted(metric_dimensions("t-large"))
        assert {key: doc[key] for key in metric_dimensions("t-large")} == metric_dimensions("t-large")
    assert _emf(out)["BatchSize"] == count


def test_the_graders_publish_under_the_shared_service_name(capsys) -> None:
    import graders.math_handler

    graders.math_handler.handler([dict(ITEMS[0], reference_answer="a")])
    [document] = _documents(capsys.readouterr().out)
    assert {key: document[key] for key in metric_dimensions("math")} == metric_dimensions("math")


def test_batch_shape_is_logged_once_then_every_nth_batch_without_content(caplog):
    item = {"id": "secret-id", "messages": [{"role": "user", "content": "the prompt"}], "metadata": {"x": 1}}
    assert key_structure(item) == {
        "id": "str",
        "messages": [{"role": "str", "content": "str"}],
        "metadata": {"x": "int"},
    }
    kit = handler_kit.GraderKit("math")
    with caplog.at_level(logging.INFO, logger="graders"):
        for _ in range(handler_kit.SHAPE_LOG_EVERY + 1):
            kit.received([item])
    shapes = [r for r in caplog.records if r.getMessage() == "batch shape"]
    assert len(shapes) == 2 and "the prompt" not in caplog.text and "secret-id" not in caplog.text


def test_a_failing_metrics_library_never_fails_the_batch(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("metrics backend down")

    monkeypatch.setattr(handler_kit, "report", broken)
    handler = per_item_handler("t-broken", _one)
    results = handler(ITEMS, None)
    assert [r["aggregate_reward_score"] for r in results] == [0.5] * len(ITEMS)


def test_metrics_that_fail_halfway_are_dropped_and_the_results_still_go_back(monkeypatch, capsys):
    from aws_lambda_powertools import Metrics

    calls = {"n": 0}
    real = Metrics.add_metric

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("bad metric")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Metrics, "add_metric", flaky)
    results = per_item_handler("t-flaky", _one)(ITEMS, None)
    assert [r["id"] for r in results] == [i["id"] for i in ITEMS]
    assert _documents(capsys.readouterr().out) == []  # the partial set was cleared, not published
