"""The JSON Schema of ``config/environments.json``, generated from what validates it.

Grader sections come from the grader catalogue, hyperparameters from ``config/base_models.py``, preflight and
reward-health thresholds from their declared settings, so editors complete and check the file with the same
names, ranges and defaults that synth enforces (synth's own checks stay the authority: cross-field rules such
as "exactly one of training or invocationLogs" live there). ``python -m config.schema`` rewrites
``config/environments.schema.json``; a test keeps the committed file equal to this output.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from graders.catalog import CATALOG, GRADERS, Setting

from .base_models import NOVA_HYPERPARAMETERS, NOVA_MODELS, OPEN_WEIGHT_HYPERPARAMETERS, OPEN_WEIGHT_MODELS, Range
from .model import DEFAULT_CONFIG_FILE

SCHEMA_FILE = DEFAULT_CONFIG_FILE.with_name("environments.schema.json")


def _setting(setting: Setting) -> dict[str, Any]:
    types = {
        "number": "number",
        "integer": "integer",
        "boolean": "boolean",
        "string": "string",
        "choice": "string",
        "object": "object",
        "list": "array",
    }
    schema: dict[str, Any] = {"type": [types[setting.type], "null"] if setting.nullable else types[setting.type]}
    if setting.choices:
        schema["enum"] = list(setting.choices)
    if setting.low is not None:
        schema["minimum"] = setting.low
    if setting.high is not None:
        schema["maximum"] = setting.high
    if setting.default is not None:
        schema["default"] = setting.default
    if setting.doc:
        schema["description"] = setting.doc
    return schema


def _section(settings: tuple[Setting, ...], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "properties": {s.key: _setting(s) for s in settings},
    }


def _range(rng: Range) -> dict[str, Any]:
    if rng.choices:
        return {"enum": list(rng.choices)}
    bound = "exclusiveMinimum" if rng.low_open else "minimum"
    return {"type": "integer" if rng.kind is int else "number", bound: rng.low, "maximum": rng.high}


def _environment() -> dict[str, Any]:
    from .settings import PREFLIGHT_SETTINGS, REWARD_HEALTH_SETTINGS

    text = {"type": ["string", "null"]}
    hyperparameters = {
        **{k: _range(v) for k, v in NOVA_HYPERPARAMETERS.items()},
        **{k: _range(v) for k, v in OPEN_WEIGHT_HYPERPARAMETERS.items()},
    }
    properties: dict[str, Any] = {
        "account": {"type": "string", "pattern": r"^(\d{12}|caller)$"},
        "region": {"type": "string"},
        "baseModelId": {"type": "string", "examples": [*NOVA_MODELS, *OPEN_WEIGHT_MODELS]},
        "dataset": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "training": text,
                "validation": text,
                "invocationLogs": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "s3Uri": {"type": "string", "pattern": "^s3://"},
                        "usePromptResponse": {"type": "boolean"},
                        "requestMetadataFilters": {"type": "object"},
                        "manageLogging": {"type": "boolean"},
                    },
                },
            },
        },
        "grader": {"enum": list(GRADERS)},
        **{
            kind.name: _section(kind.settings, f"settings of the {kind.name} grader ({kind.row_needs})")
            for kind in CATALOG.values()
            if kind.settings
        },
        "preflight": _section(PREFLIGHT_SETTINGS, "rehearse the deployed grader before the job starts"),
        "rewardHealth": _section(REWARD_HEALTH_SETTINGS, "reward-health alarm thresholds"),
        "hyperparameters": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "description": "Nova names (epochCount, ...) or open-weight names (n_epochs, ...), "
            "by the path baseModelId selects",
            "properties": hyperparameters,
        },
        "startTraining": {"type": "boolean"},
        "dataKmsKey": {"type": "boolean"},
        "notifications": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"emails": {"type": "array", "items": {"type": "string"}}},
        },
        "modelDeployment": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"enabled": {"type": "boolean"}, "retainOnDelete": {"type": "boolean"}},
        },
        "evaluation": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "enabled": {"type": "boolean"},
                "dataset": text,
                "baseModelId": {"type": "string"},
                "maxConcurrency": {"type": "integer", "minimum": 1, "maximum": 1000},
                "limit": {"type": ["integer", "null"], "minimum": 1},
            },
        },
    }
    return {"type": "object", "additionalProperties": False, "properties": properties}


def schema() -> dict[str, Any]:
    environment = _environment()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "bedrock-rft-pipeline configuration (config/environments.json)",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "$schema": {"type": "string"},
            "project": {"type": "string", "pattern": "^[a-z][a-z0-9]{1,15}$"},
            "defaults": environment,
            "environments": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": environment,
                "propertyNames": {"pattern": "^[a-z][a-z0-9]{0,19}$"},
            },
            "delivery": {"type": "object"},
        },
        "required": ["environments"],
    }


def rendered() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(
            0
            if SCHEMA_FILE.read_text(encoding="utf-8") == rendered()
            else "the schema is stale: run python -m config.schema"
        )
    SCHEMA_FILE.write_text(rendered(), encoding="utf-8")
