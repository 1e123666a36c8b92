"""The JSON Schema of ``config/environments.json``, generated from the pydantic models that validate it.

Grader sections come from the grader catalogue, hyperparameters from ``config/base_models.py``, preflight and
reward-health thresholds from their declared settings (``config/document.py`` builds the models from them), so
editors complete and check the file with the names, ranges, defaults and descriptions synth enforces. Synth's
own checks stay the authority: rules across fields (base model and region, exactly one of training or
invocationLogs, evaluation needing the deployment) are not in the schema. ``python -m config.schema``
(``make schema``) rewrites ``config/environments.schema.json``; a test keeps the committed file equal to this.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from .document import models
from .model import DEFAULT_CONFIG_FILE

SCHEMA_FILE = DEFAULT_CONFIG_FILE.with_name("environments.schema.json")


class _Generator(GenerateJsonSchema):
    """Draft 2020-12; no titles derived from field names (the descriptions say what a field is)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def schema() -> dict[str, Any]:
    generated = models().document.model_json_schema(by_alias=True, schema_generator=_Generator)
    return {"$schema": _Generator.schema_dialect, **generated}


def rendered() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int | str:
    if "--check" in argv:
        current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
        return 0 if current == rendered() else "the schema is stale: run make schema (python -m config.schema)"
    SCHEMA_FILE.write_text(rendered(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
