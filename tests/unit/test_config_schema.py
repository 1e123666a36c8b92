"""The committed JSON Schema of config/environments.json is the generated one, and the shipped file obeys it."""

from __future__ import annotations

import json

import jsonschema

from config.schema import SCHEMA_FILE, rendered, schema
from config.settings import DEFAULT_CONFIG_FILE


def test_the_committed_schema_is_the_generated_one():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == rendered(), "run: python -m config.schema"


def test_the_shipped_configuration_validates_and_names_its_schema():
    document = json.loads(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))
    assert document["$schema"] == "./environments.schema.json"
    jsonschema.validate(document, schema())


def test_the_schema_knows_grader_ranges_from_the_catalogue():
    document = json.loads(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))
    document["defaults"]["judge"]["maxConcurrency"] = 100
    errors = list(jsonschema.Draft202012Validator(schema()).iter_errors(document))
    assert any("maximum" in e.message or "100" in e.message for e in errors)
