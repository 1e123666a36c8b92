"""Property: whatever a batch holds, the code and tool-call handlers never raise and keep the contract
(one result per item, in order, id echoed, score in [0, 1], metrics entries exactly {name, value, type})."""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.grader_handlers import code_handler_for, tools_handler_for

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the sandbox needs Linux /proc")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
programs = st.sampled_from(
    [
        "```python\ndef add(a, b):\n    return a + b\n```",
        "def add(a, b): return a - b",
        "```python\nprint(input())\n```",
        "```python\nimport os\nos._exit(0)\n```",
        "```python\ndef add(a, b)\n```",
        "no code here",
        "",
        "```python\nwhile True: pass\n```",
        '[{"name": "get_weather", "arguments": {"city": "Paris"}}]',
        '{"name": "get_weather", "arguments": "{\\"city\\": 5}"}',
    ]
)
CHECK = "def check(candidate):\n    assert candidate(1, 1) == 2\n"
tests_field = st.one_of(
    st.just(["assert add(1, 2) == 3"]), st.just(CHECK), st.lists(st.text(max_size=30), max_size=3), json_values
)
cases_field = st.one_of(st.just([{"input": "x\n", "output": "x\n"}]), json_values)
tool_reference = st.one_of(
    st.just({"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}),
    json_values,
    st.text(max_size=40),
)
WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}
OPENAI_CALL = {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
tools_field = st.one_of(st.just([WEATHER]), json_values)
text_blocks = st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": programs}), max_size=2)
content = st.one_of(programs, st.text(max_size=60), text_blocks, json_values)
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "tool"]), "content": content},
    optional={"tool_calls": st.one_of(json_values, st.just([OPENAI_CALL]))},
)
metadata = st.fixed_dictionaries(
    {},
    optional={
        "tests": tests_field,
        "entry_point": st.one_of(st.just("add"), json_values),
        "test_cases": cases_field,
        "starter_code": st.one_of(st.text(max_size=30), json_values),
        "reference_answer": tool_reference,
        "tools": tools_field,
        "language": st.sampled_from(["python", "go", 3]),
    },
)
last_assistant = st.fixed_dictionaries(
    {"role": st.just("assistant"), "content": content},
    optional={"tool_calls": st.one_of(json_values, st.just([OPENAI_CALL]))},
)
item = st.one_of(
    st.builds(
        lambda i, head, last, meta: {"id": i, "messages": head + [last], "metadata": meta},
        st.one_of(st.text(max_size=8), st.integers()),
        st.lists(message, max_size=2),
        last_assistant,
        metadata,
    ),
    json_values,
)


def assert_contract(batch: list, results: list) -> None:
    assert len(results) == len(batch)
    for raw, res in zip(batch, results):
        expected_id = raw["id"] if isinstance(raw, dict) and raw.get("id") is not None else ""
        assert res["id"] == expected_id
        assert 0.0 <= res["aggregate_reward_score"] <= 1.0 and math.isfinite(res["aggregate_reward_score"])
        for entry in res.get("metrics_list", []):
            assert set(entry) == {"name", "value", "type"} and entry["type"] in ("Metric", "Reward")
            assert math.isfinite(entry["value"])


@pytest.fixture(scope="module")
def code_handler():
    base = Path(tempfile.mkdtemp(prefix="code-props-", dir="/tmp"))
    yield code_handler_for(
        {
            "CODE_TEST_TIMEOUT_SECONDS": "1",
            "CODE_CPU_SECONDS": "1",
            "CODE_MEMORY_MB": "256",
            "CODE_SCRATCH_DIR": str(base / "scratch"),
        }
    )
    shutil.rmtree(base, ignore_errors=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(batch=st.lists(item, max_size=3))
def test_code_handler_never_raises(code_handler, batch: list) -> None:
    assert_contract(batch, code_handler(batch, None))


@settings(max_examples=200, deadline=None)
@given(batch=st.lists(item, max_size=4))
def test_tools_handler_never_raises(batch: list) -> None:
    assert_contract(batch, tools_handler_for({})(batch, None))
