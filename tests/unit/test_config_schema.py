"""The JSON Schema of config/environments.json: generated from the pydantic models (so from the grader
catalogue), committed, named by the shipped file, which it accepts key by key; it rejects what synth rejects
field by field."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from config.schema import SCHEMA_FILE, rendered, schema
from config.settings import DEFAULT_CONFIG_FILE
from graders import catalog
from graders.catalog import CATALOG, GraderKind, Setting

SHIPPED = json.loads(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))


def errors(document: dict[str, Any]) -> list[jsonschema.ValidationError]:
    return list(jsonschema.Draft202012Validator(schema()).iter_errors(document))


def messages(found: list[jsonschema.ValidationError]) -> list[str]:
    """Every message, with those of the alternatives of an anyOf (what an editor shows beside it)."""
    return [m for e in found for m in (e.message, *messages(list(e.context or ())))]


def test_the_committed_schema_is_the_generated_one():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == rendered(), "run: make schema (python -m config.schema)"
    jsonschema.Draft202012Validator.check_schema(schema())


def test_the_schema_command_writes_the_file_and_its_check_reports_a_stale_one(tmp_path, monkeypatch):
    import config.schema as command

    assert command.main(["--check"]) == 0  # the committed file
    monkeypatch.setattr(command, "SCHEMA_FILE", tmp_path / "environments.schema.json")
    assert "stale" in str(command.main(["--check"]))  # absent
    assert command.main([]) == 0 and command.SCHEMA_FILE.read_text(encoding="utf-8") == rendered()
    command.SCHEMA_FILE.write_text(rendered().replace('"maximum": 64', '"maximum": 65'), encoding="utf-8")
    assert "stale" in str(command.main(["--check"]))


def test_the_shipped_configuration_validates_and_names_its_schema():
    assert SHIPPED["$schema"] == "./environments.schema.json"
    assert errors(SHIPPED) == []


def _property(node: dict[str, Any], key: str, root: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of ``key`` inside the object schema ``node`` (through $ref, anyOf and patternProperties)."""
    if "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    for option in node.get("anyOf", ()):
        found = _property(option, key, root)
        if found is not None:
            return found
    if key in node.get("properties", {}):
        return node["properties"][key]
    for pattern, value in node.get("patternProperties", {}).items():
        if jsonschema.Draft202012Validator({"pattern": pattern}).is_valid(key):
            return value
    return None


def _described(node: dict[str, Any], root: dict[str, Any]) -> bool:
    if "description" in node:
        return True
    if "$ref" in node:
        return "description" in root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return any(_described(option, root) for option in node.get("anyOf", ()) if option != {"type": "null"})


def _structured(node: dict[str, Any], root: dict[str, Any]) -> bool:
    """Whether the schema declares the keys of this object (else it is free-form, e.g. composite.weights)."""
    if "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return (
        "properties" in node or "patternProperties" in node or any(_structured(o, root) for o in node.get("anyOf", ()))
    )


def test_every_key_of_the_shipped_file_is_declared_and_described():
    root = schema()
    unknown, undescribed = [], []

    def walk(value: Any, node: dict[str, Any], path: str) -> None:
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            child = _property(node, key, root)
            if child is None:
                unknown.append(where)
                continue
            if path != "environments" and not _described(child, root):  # environment names are the user's
                undescribed.append(where)
            if isinstance(item, dict) and _structured(child, root):
                walk(item, child, where)

    walk(SHIPPED, root, "")
    assert unknown == [] and undescribed == [], (unknown, undescribed)
    # The walk reached the leaves: e.g. a hyperparameter of an environment, resolved through defaults' schema.
    defaults = _property(root, "defaults", root)
    assert defaults is not None
    hyperparameters = _property(defaults, "hyperparameters", root)
    assert hyperparameters is not None
    assert _property(hyperparameters, "epochCount", root)


def test_every_catalogue_setting_has_its_range_default_and_doc_in_the_schema():
    defs = schema()["$defs"]
    for kind in CATALOG.values():
        [section] = [d for d in defs.values() if d.get("description", "").startswith(f"settings of the {kind.name} ")]
        assert set(section["properties"]) == {s.key for s in kind.settings}
        for setting in kind.settings:
            node = section["properties"][setting.key]
            typed = next((o for o in node.get("anyOf", ()) if o != {"type": "null"}), node)  # nullable: anyOf
            assert node["description"] == (setting.doc or node["description"])
            if setting.default is not None:
                assert node["default"] == setting.default
            if setting.high is not None:
                assert typed["maximum"] == setting.high


@pytest.mark.parametrize(
    "mutate,fragment",
    [
        (lambda d: d["defaults"]["judge"].update(maxConcurrency=100), "100 is greater than the maximum of 64"),
        (lambda d: d["defaults"].update(grder="math"), "'grder' was unexpected"),
        (lambda d: d["defaults"]["hyperparameters"].update(learningRate="1e-5"), "is not valid under any"),
        (lambda d: d["defaults"].update(grader="maths"), "'maths' is not one of"),
        (lambda d: d["environments"].update({"dev-x": {"account": "caller"}}), "'dev-x' does not match any"),
        (lambda d: d["environments"]["prod"].update(account="12345"), "'12345' does not match"),
        (lambda d: d["defaults"]["format"].update(defaultConstraints=[{"type": "nosuch"}]), "is not valid under any"),
        (lambda d: d["delivery"].update(stages=[]), "should be non-empty"),
        (lambda d: d.pop("environments"), "'environments' is a required property"),
    ],
)
def test_the_schema_rejects_a_bad_configuration(mutate, fragment):
    document = copy.deepcopy(SHIPPED)
    mutate(document)
    found = messages(errors(document))
    assert any(fragment in m for m in found), found


def test_a_kind_declared_in_the_catalogue_gets_its_section_in_the_schema(monkeypatch):
    kind = GraderKind(
        name="spelling",
        handler="graders.math_handler.handler",
        memory_mb=768,
        timeout_seconds=120,
        code=("math_answer", "math_handler.py"),
        row_needs="a reference_answer",
        settings=(Setting("strictness", "SPELLING_STRICTNESS", "integer", 2, low=1, high=5, doc="how strict"),),
    )
    monkeypatch.setitem(CATALOG, "spelling", kind)
    monkeypatch.setattr(catalog, "GRADERS", tuple(CATALOG))
    generated = schema()
    section = generated["$defs"]["SpellingGrader"]["properties"]["strictness"]
    assert (section["minimum"], section["maximum"], section["default"], section["description"]) == (
        1,
        5,
        2,
        "how strict",
    )
    assert "spelling" in generated["$defs"]["Environment"]["properties"]["grader"]["enum"]
