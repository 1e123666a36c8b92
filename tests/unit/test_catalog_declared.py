"""The grader catalogue is where grader settings are spelled: every setting variable a grader reads is
declared there, and the README's settings table is the one generated from it."""

from __future__ import annotations

import re
from pathlib import Path

from graders.catalog import CATALOG, ENVIRONMENT_NAME_ENV

ROOT = Path(__file__).resolve().parents[2]
SETTING_PREFIXES = ("MATH", "FORMAT", "JUDGE", "COMPOSITE", "CODE", "TOOLS", "RFT")


def declared_env_names() -> set[str]:
    """Every environment variable the catalogue declares."""
    return {s.env for kind in CATALOG.values() for s in kind.settings} | {ENVIRONMENT_NAME_ENV}


def test_every_setting_variable_a_grader_reads_is_declared_in_the_catalogue():
    pattern = re.compile(r"[\"']((?:{})_[A-Z0-9_]+)[\"']".format("|".join(SETTING_PREFIXES)))
    read = {
        name
        for path in (ROOT / "lambda" / "graders").rglob("*.py")
        for name in pattern.findall(path.read_text(encoding="utf-8"))
    }
    assert read, "the scan found no setting variables at all"
    assert read <= declared_env_names(), sorted(read - declared_env_names())


def test_every_kind_has_a_handler_module_and_code_in_the_grader_package():
    for kind in CATALOG.values():
        module = kind.module.replace("graders.", "", 1).replace(".", "/") + ".py"
        assert (ROOT / "lambda" / "graders" / module).is_file(), kind.name
        assert all((ROOT / "lambda" / "graders" / path).exists() for path in kind.code), kind.name
        assert len({s.key for s in kind.settings}) == len(kind.settings), kind.name


def test_the_readme_settings_table_is_generated_from_the_catalogue():
    import importlib.util

    spec = importlib.util.spec_from_file_location("doc", ROOT / "scripts" / "grader_settings_doc.py")
    assert spec is not None and spec.loader is not None
    doc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(doc)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert doc.readme_with_table(text) == text, "run: python scripts/grader_settings_doc.py --write"
