"""Dataset rows to Converse requests and grader batch items, shared by ``rft evaluate`` and the Lambda steps.

A row's ``messages`` are chat turns with string content (``system`` turns become Converse's ``system``);
a trailing assistant turn (a reference) is dropped, the model answers the prompt. The job's inference
settings apply where Converse has them: ``inferenceMaxTokens`` -> ``maxTokens``; ``reasoningEffort``
-> Nova 2's ``reasoningConfig``. With ``high`` effort no ``maxTokens`` is sent: Nova 2 refuses
inference parameters with high-effort reasoning (as recalled from the Nova 2 user guide, not re-checked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ASSISTANT_ROLES = ("assistant", "nova_assistant", "bot")
_NOT_METADATA = ("messages", "response", "id")
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "InternalServerException",
    }
)


def prompt_turns(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    messages = [m for m in (row.get("messages") or []) if isinstance(m, Mapping)]
    if messages and messages[-1].get("role") in ASSISTANT_ROLES:
        messages = messages[:-1]
    return [dict(m) for m in messages]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # already content blocks
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, Mapping))
    return "" if content is None else str(content)


def converse_request(
    row: Mapping[str, Any], model_id: str, *, max_tokens: int | None = None, reasoning_effort: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``bedrock-runtime.converse`` answering the row's prompt."""
    system, messages = [], []
    for turn in prompt_turns(row):
        role = str(turn.get("role", "user"))
        text = _text(turn.get("content"))
        if role == "system":
            system.append({"text": text})
        else:
            messages.append({"role": "assistant" if role in ASSISTANT_ROLES else "user", "content": [{"text": text}]})
    request: dict[str, Any] = {"modelId": model_id, "messages": messages}
    if system:
        request["system"] = system
    if max_tokens and reasoning_effort != "high":
        request["inferenceConfig"] = {"maxTokens": int(max_tokens)}
    if reasoning_effort:
        request["additionalModelRequestFields"] = {
            "reasoningConfig": {"type": "enabled", "maxReasoningEffort": reasoning_effort}
        }
    return request


def answer_text(response: Mapping[str, Any]) -> str:
    """The text blocks of a Converse reply (reasoning blocks are not part of the answer)."""
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    return "".join(block["text"] for block in content if isinstance(block, Mapping) and "text" in block)


def usage_of(response: Mapping[str, Any]) -> dict[str, int]:
    usage = response.get("usage") or {}
    return {"inputTokens": int(usage.get("inputTokens", 0)), "outputTokens": int(usage.get("outputTokens", 0))}


def row_id(row: Mapping[str, Any], fallback: str) -> str:
    value = row.get("id")
    return str(value) if value is not None else fallback


def grader_item(row: Mapping[str, Any], answer: str, *, item_id: str) -> dict[str, Any]:
    """One sample as Bedrock sends it to the grader: the prompt, the generated turn, the rest as metadata."""
    metadata = {k: v for k, v in row.items() if k not in _NOT_METADATA}
    return {
        "id": item_id,
        "messages": prompt_turns(row) + [{"role": "assistant", "content": answer}],
        "metadata": metadata,
    }


def metrics_of(result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(e["name"]): e.get("value")
        for e in (result.get("metrics_list") or [])
        if isinstance(e, Mapping) and "name" in e
    }


def is_throttling(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    code = (response or {}).get("Error", {}).get("Code") if isinstance(response, Mapping) else None
    return code in THROTTLING_CODES
