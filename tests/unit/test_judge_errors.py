"""Judge errors through the real handlers and the Bedrock runtime stand-in: configuration errors on
every judged item fail the batch with a message naming the model and the fix; transient errors give a
neutral score. Also the structured-output request, its fallback, and requestMetadata on every call."""

from __future__ import annotations

import importlib
import json

import pytest

from graders.contract import GraderConfigurationError
from graders.judge.models import RETIRED_JUDGE_MODELS, retired_judge_warning, supports_structured_output
from tests.support.bedrock_runtime_standin import BedrockRuntimeStandin, Behaviour, point_boto3_at, score_by_answer

PROMPT_A = "Write a haiku about rain."
PROMPT_B = "Name three prime numbers."


@pytest.fixture
def standin(monkeypatch, tmp_path):
    server = BedrockRuntimeStandin(Behaviour(responder=score_by_answer(lambda a: 8 if "good" in a else 2))).start()
    point_boto3_at(
        monkeypatch,
        tmp_path,
        server.endpoint_url,
        JUDGE_MAX_ATTEMPTS="2",
        JUDGE_RUBRIC="reasoning",
        RFT_ENVIRONMENT="dev",
    )
    yield server
    server.stop()


def handler(kind: str = "judge"):
    module = importlib.import_module(f"graders.{kind}_handler")
    return importlib.reload(module).handler


def item(item_id: str, answer: str, prompt: str = PROMPT_A, **metadata) -> dict:
    return {
        "id": item_id,
        "messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}],
        "metadata": metadata,
    }


def metrics(res: dict) -> dict[str, float]:
    return {m["name"]: m["value"] for m in res.get("metrics_list", [])}


@pytest.mark.parametrize(
    "fault, code, fix",
    [
        ("denied", "AccessDeniedException", "bedrock:InvokeModel"),
        ("not_found", "ResourceNotFoundException", "check judge.modelId"),
        ("validation", "ValidationException", "check judge.modelId"),
        ("end_of_life", "ResourceNotFoundException", "end of life"),
    ],
)
def test_a_configuration_error_on_every_judged_item_fails_the_batch(standin, monkeypatch, fault, code, fix):
    monkeypatch.setenv("JUDGE_STRUCTURED_OUTPUT", "false")
    standin.reset(Behaviour(scripted=[fault] * 3))
    with pytest.raises(GraderConfigurationError) as raised:
        handler()([item("a", "good"), item("b", "bad"), item("c", "")], None)  # "c": empty, never judged
    message = str(raised.value)
    assert "openai.gpt-oss-120b-1:0" in message and code in message and fix in message
    assert standin.stats.requests == 2  # not retried


def test_a_retired_model_is_named_with_its_end_of_life_date(standin, monkeypatch):
    monkeypatch.setenv("JUDGE_MODEL_ID", "us.amazon.nova-premier-v1:0")
    standin.reset(Behaviour(scripted=["end_of_life"] * 2))
    with pytest.raises(GraderConfigurationError, match="2026-09-14"):
        handler()([item("a", "good")], None)


def test_the_composite_fails_the_batch_when_its_judge_cannot_work(standin, monkeypatch):
    monkeypatch.setenv("COMPOSITE_DEFAULT_GRADERS", '["format", "judge"]')
    monkeypatch.setenv("JUDGE_STRUCTURED_OUTPUT", "false")
    standin.reset(Behaviour(scripted=["denied"] * 2))
    row = item("a", "good", instruction_id_list=["punctuation:no_comma"], kwargs=[{}])
    with pytest.raises(GraderConfigurationError, match="AccessDeniedException"):
        handler("composite")([row, dict(row, id="b")], None)


def test_configuration_errors_on_only_some_items_score_those_neutral(standin, monkeypatch):
    monkeypatch.setenv("JUDGE_STRUCTURED_OUTPUT", "false")
    monkeypatch.setenv("JUDGE_MAX_CONCURRENCY", "1")  # the scripted fault reaches the first item
    standin.reset(Behaviour(scripted=["denied"], responder=score_by_answer(lambda a: 8)))
    first, second = handler()([item("a", "good"), item("b", "good")], None)
    assert second["aggregate_reward_score"] == 0.8
    assert first["aggregate_reward_score"] == 0.8  # the same prompt's judged sample
    assert metrics(first)["judge_error"] == 1.0 and metrics(first)["configuration_error"] == 1.0


@pytest.mark.parametrize(
    "behaviour",
    [
        Behaviour(throttle_rate=1.0),  # 429 beyond the retries
        Behaviour(scripted=["internal", "unavailable"] * 10),  # 5xx
        Behaviour(scripted=["stall"] * 10, stall_seconds=3.0),  # timeouts
    ],
)
def test_transient_errors_score_the_prompts_mean_or_the_error_score(standin, monkeypatch, behaviour):
    monkeypatch.setenv("JUDGE_READ_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("JUDGE_ERROR_SCORE", "0.4")
    monkeypatch.setenv("JUDGE_MAX_CONCURRENCY", "1")
    behaviour.responder = score_by_answer(lambda a: 8 if "good" in a else 2)
    faults = len(behaviour.scripted) or 4  # every call fails while the script lasts; throttling always
    standin.reset(behaviour)
    batch = [item("a1", "first"), item("b1", "other prompt", prompt=PROMPT_B)]
    results = handler()(batch, None)
    assert [r["id"] for r in results] == ["a1", "b1"]
    for res in results:
        assert res["aggregate_reward_score"] == 0.4  # no judged peer: judge.errorScore, not 0
        assert metrics(res)["judge_error"] == 1.0 and metrics(res)["neutral"] == 1.0
    assert standin.stats.requests <= faults


def test_a_failed_item_gets_the_mean_of_its_prompts_judged_samples(standin, monkeypatch):
    monkeypatch.setenv("JUDGE_MAX_CONCURRENCY", "1")
    monkeypatch.setenv("JUDGE_STRUCTURED_OUTPUT", "false")
    standin.reset(
        Behaviour(scripted=["throttle", "throttle"], responder=score_by_answer(lambda a: 8 if "good" in a else 2))
    )
    results = handler()(
        [item("x", "first"), item("y", "good"), item("z", "bad"), item("other", "good", prompt=PROMPT_B)], None
    )
    scores = [r["aggregate_reward_score"] for r in results]
    assert scores[1:] == [0.8, 0.2, 0.8]
    assert scores[0] == pytest.approx(0.5)  # mean of y and z, not the other prompt's 0.8
    assert "mean of 2 judged samples" not in json.dumps(results)  # reasons are logged, not returned


def test_every_call_asks_for_a_json_verdict_and_is_tagged(standin):
    [res] = handler()([item("a", "good")], None)
    assert res["aggregate_reward_score"] == 0.8
    [call] = standin.calls
    assert call.request_metadata == {"rft-role": "judge", "rft-environment": "dev"}
    schema = json.loads(call.output_config["textFormat"]["structure"]["jsonSchema"]["schema"])
    assert schema["required"] == ["score", "reason"] and schema["properties"]["score"]["type"] == "integer"


def test_a_model_that_rejects_output_config_is_asked_without_it_from_then_on(standin, monkeypatch):
    monkeypatch.setenv("JUDGE_MAX_CONCURRENCY", "1")
    standin.reset(Behaviour(reject_output_config=True, responder=score_by_answer(lambda a: 8)))
    grade = handler()
    results = grade([item("a", "good"), item("b", "good")], None)
    assert [r["aggregate_reward_score"] for r in results] == [0.8, 0.8]
    assert [call.output_config is not None for call in standin.calls] == [True, False, False]
    grade([item("c", "good")], None)  # the next batch in this container does not ask with it again
    assert standin.calls[-1].output_config is None


def test_structured_output_can_be_switched_off(standin, monkeypatch):
    monkeypatch.setenv("JUDGE_STRUCTURED_OUTPUT", "false")
    handler()([item("a", "good")], None)
    assert standin.calls[0].output_config is None and standin.calls[0].request_metadata["rft-role"] == "judge"


def test_bad_settings_are_refused(monkeypatch):
    from graders.judge.settings import settings_from_env

    with pytest.raises(ValueError, match="JUDGE_ERROR_SCORE"):
        settings_from_env({"JUDGE_ERROR_SCORE": "1.5"})
    with pytest.raises(ValueError, match="JUDGE_STRUCTURED_OUTPUT"):
        settings_from_env({"JUDGE_STRUCTURED_OUTPUT": "maybe"})
    assert settings_from_env({"JUDGE_STRUCTURED_OUTPUT": "auto"}).structured_output is None


def test_retired_models_are_known_with_their_dates():
    assert RETIRED_JUDGE_MODELS["amazon.nova-premier-v1:0"] == "2026-09-14"
    for model in (
        "us.amazon.nova-premier-v1:0",
        "amazon.nova-premier-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-premier-v1:0",
    ):
        assert "2026-09-14" in (retired_judge_warning(model) or "")
    assert retired_judge_warning("openai.gpt-oss-120b-1:0") is None
    assert supports_structured_output("openai.gpt-oss-120b-1:0")
    assert not supports_structured_output("amazon.nova-premier-v1:0")
