"""Each documented reward-function request shape, through ``unwrap_event`` and through a real grader Lambda."""

from __future__ import annotations

import copy

import pytest

from graders import math_handler
from graders.contract import BatchError, unwrap_event

SAMPLE = {
    "id": "s-1",
    "messages": [
        {"role": "user", "content": "What is 8 * 9? End with '#### <n>'."},
        {"role": "assistant", "content": "8 * 9 = 72\n#### 72"},
    ],
    "reference_answer": "72",
}
# Open-weight docs page: reference_answer at the top level of each item (as above).
# AWS open-weight sample: reference_answer as {"text": worked solution ending "#### n"}, wrapped in "trajectories".
SAMPLE_TEXT_REFERENCE = {**SAMPLE, "id": "s-2", "reference_answer": {"text": "8 times 9 is 72.\n#### 72"}}
# Nova docs: reference_answer inside metadata.
SAMPLE_NOVA = {"id": "s-3", "messages": SAMPLE["messages"], "metadata": {"reference_answer": "72"}}

SHAPES = {
    "array (Nova and open-weight docs)": [SAMPLE, SAMPLE_NOVA],
    "trajectories wrapper (AWS open-weight sample)": {"trajectories": [SAMPLE, SAMPLE_TEXT_REFERENCE]},
}


@pytest.mark.parametrize(
    "event,wrapped", [([SAMPLE], False), ({"trajectories": [SAMPLE]}, True), ([], False), ({"trajectories": []}, True)]
)
def test_each_documented_shape_unwraps_to_its_samples(event, wrapped: bool) -> None:
    items, wrap = unwrap_event(copy.deepcopy(event))
    assert items == (event["trajectories"] if wrapped else event)
    results = [{"id": i["id"], "aggregate_reward_score": 1.0, "metrics_list": []} for i in items]
    assert wrap(results) == results  # the response is the bare array for every shape


@pytest.mark.parametrize("event", [{"samples": [SAMPLE]}, {"trajectories": "x"}, "[]", None, 3])
def test_other_shapes_are_a_batch_error_that_names_the_shape(event) -> None:
    with pytest.raises(BatchError, match="grader event must be a JSON array of samples"):
        unwrap_event(event)


@pytest.mark.parametrize("name", list(SHAPES))
def test_the_same_grader_lambda_scores_every_shape(name: str) -> None:
    event = copy.deepcopy(SHAPES[name])
    results = math_handler.handler(event, None)
    items, _ = unwrap_event(SHAPES[name])
    assert isinstance(results, list)
    assert [r["id"] for r in results] == [i["id"] for i in items]
    assert [r["aggregate_reward_score"] for r in results] == [1.0] * len(items)
    for result in results:
        assert all(set(m) == {"name", "value", "type"} for m in result.get("metrics_list", []))
