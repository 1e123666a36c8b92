"""What the judge knows about Bedrock models: retired ones, and which take a JSON-schema output format.

Dates are Bedrock's model-card end-of-life dates (``docs.aws.amazon.com/bedrock/latest/userguide/
model-lifecycle.html``). After that date a Converse call to the model fails, so a judge configured
with it cannot grade anything.
"""

from __future__ import annotations

import datetime as _dt

# Model id (without a cross-region prefix such as ``us.``) -> end-of-life date.
RETIRED_JUDGE_MODELS: dict[str, str] = {
    "amazon.nova-premier-v1:0": "2026-09-14",
}
# Inference-profile prefixes: ``us.amazon.nova-premier-v1:0`` is the same model as its base id.
PROFILE_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "ca.", "us-gov.", "global.")

# Model id prefixes known to accept Converse ``outputConfig.textFormat`` (JSON schema); others are
# asked without it unless configured. A model that rejects it anyway is asked again without it.
STRUCTURED_OUTPUT_PREFIXES = (
    "openai.gpt-oss-",
    "anthropic.claude-haiku-4-5",
    "anthropic.claude-sonnet-4-5",
    "anthropic.claude-opus-4-5",
    "anthropic.claude-opus-4-6",
    "qwen.",
    "deepseek.",
    "mistral.",
    "google.gemma",
    "nvidia.nemotron",
    "minimax.",
    "moonshot",
)


def base_model_id(model_id: str) -> str:
    """The foundation-model id behind an id, an inference-profile id or an ARN."""
    text = (model_id or "").strip()
    if text.startswith("arn:"):
        text = text.rsplit("/", 1)[-1]
    for prefix in PROFILE_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def retired_judge_warning(model_id: str, *, today: _dt.date | None = None) -> str | None:
    """A warning for a judge model that is past (or at) its end of life, else None."""
    end_of_life = RETIRED_JUDGE_MODELS.get(base_model_id(model_id))
    if end_of_life is None:
        return None
    today = today or _dt.date.today()
    when = (
        "reached its end of life on" if _dt.date.fromisoformat(end_of_life) <= today else "reaches its end of life on"
    )
    return (
        f"judge model {model_id!r} {when} {end_of_life}: Bedrock refuses calls to it after that date, "
        f"so the judge cannot grade. Choose a current model for judge.modelId, e.g. openai.gpt-oss-120b-1:0."
    )


def supports_structured_output(model_id: str) -> bool:
    return base_model_id(model_id).startswith(STRUCTURED_OUTPUT_PREFIXES)
