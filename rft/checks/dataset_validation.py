"""Validation of Bedrock RFT training data (JSONL in the OpenAI chat-completions form).

Plain Python with no CDK or AWS imports: the CDK app calls :func:`ensure_valid` at synth, so a bad
dataset fails ``cdk synth`` before anything is uploaded, and ``rft validate`` calls
:func:`validate_dataset` from the command line.

Every problem names the file, the line and the field, e.g.
``datasets/x.jsonl:17: messages[1].role: 'bot2' is not one of 'assistant', 'bot', ...``.

Prompt length: Bedrock counts ``maxPromptLength`` in the model's tokens, which we cannot compute
without its tokenizer. We estimate ``ceil(characters / 4)`` over the text of all prompt turns (the
usual average for English with BPE tokenizers) and report an **error** when that estimate exceeds
the limit, and a **warning** when the pessimistic estimate ``ceil(characters / 3)`` (dense text,
code, numbers, non-English) does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .grader_fields import (
    GRADERS,
    ROW_CHECKS,  # code, tools (issue 13)
    describe,
    format_constraint_problems,
    graders_for_row,
    json_type,
    math_reference_problems,
)

ROLES = ("assistant", "bot", "developer", "system", "tool", "user")
ANSWER_ROLES = frozenset({"assistant", "bot"})
MESSAGE_KEYS = frozenset({"role", "content", "tool_calls", "tool_call_id"})
ROLE_ALIASES = {"human": "user", "model": "assistant", "ai": "assistant"}  # other formats' names for the roles


def suggested_role(role: Any) -> str | None:
    """The role a near miss means (``'User'``, ``' user'``, ``'model'``), or None."""
    if not isinstance(role, str):
        return None
    folded = role.strip().lower()
    folded = ROLE_ALIASES.get(folded, folded)
    return folded if folded in ROLES and folded != role else None


MIN_ROWS = 100  # Bedrock RFT: at least 100 prompts ...
MAX_ROWS = 20_000  # ... and at most 20,000.
CHARS_PER_TOKEN = 4  # typical estimate, reported as an error when over the limit
CHARS_PER_TOKEN_PESSIMISTIC = 3  # dense text; reported as a warning
MAX_MESSAGES_IN_EXCEPTION = 20
REPEATED_ROWS = 5  # a problem on this many rows is reported once, with its count
GRADER_FIELDS = frozenset({"reference_answer", "instruction_id_list", "kwargs", "constraints", "graders"})


@dataclass(frozen=True)
class Issue:
    """One problem, located as precisely as we can: file, line (1-based) and field."""

    path: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class ValidationReport:
    path: str
    grader: str
    rows: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def messages(self) -> list[str]:
        return [f"error: {e}" for e in self.errors] + [f"warning: {w}" for w in self.warnings]

    def grouped(self, level: str = "error", *, min_rows: int = REPEATED_ROWS) -> list[str]:
        """The ``level`` problems, one line per problem repeated on ``min_rows`` rows or more, with its count
        and the likely cause; the others as they are."""
        issues = self.errors if level == "error" else self.warnings
        groups: dict[tuple, list[Issue]] = {}
        for issue in issues:
            groups.setdefault((issue.field, issue.message), []).append(issue)
        out: list[str] = []
        for (field_name, message), members in groups.items():
            if len(members) < min_rows or members[0].line is None:
                out += [str(m) for m in members]
                continue
            lines = ", ".join(str(m.line) for m in members[:5]) + (", ..." if len(members) > 5 else "")
            out.append(
                f"{self.path}: {len(members)} rows (lines {lines}): {field_name}: {message}"
                + self._likely_cause(field_name, len(members))
            )
        return out

    def _likely_cause(self, field_name: str | None, count: int) -> str:
        if field_name in GRADER_FIELDS and count >= max(1, self.rows) * 0.9:
            return (
                f"; likely cause: almost every row lacks what the {self.grader} grader needs, so the file is "
                f"probably meant for another grader: check that dataset.training ({self.path}) and grader "
                f"({self.grader}) belong together"
            )
        return ""


class DatasetError(ValueError):
    """A dataset failed validation; the message lists its errors (capped)."""

    def __init__(self, reports: Iterable[ValidationReport], *, limit: int = MAX_MESSAGES_IN_EXCEPTION) -> None:
        self.reports = list(reports)
        errors = [line for r in self.reports for line in r.grouped("error")]
        shown = errors[:limit]
        more = len(errors) - len(shown)
        lines = [f"{sum(len(r.errors) for r in self.reports)} dataset error(s):"] + [f"  {e}" for e in shown]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))


def ensure_valid(
    path: str | Path,
    *,
    grader: str,
    max_prompt_length: int | None = None,
    has_default_format_constraints: bool = False,
    composite_graders: Iterable[str] | None = None,
) -> ValidationReport:
    """Validate and raise :class:`DatasetError` with every error (capped) when there is any."""
    report = validate_dataset(
        path,
        grader=grader,
        max_prompt_length=max_prompt_length,
        has_default_format_constraints=has_default_format_constraints,
        composite_graders=composite_graders,
    )
    if not report.ok:
        raise DatasetError([report])
    return report


def validate_dataset(
    path: str | Path,
    *,
    grader: str,
    max_prompt_length: int | None = None,
    has_default_format_constraints: bool = False,
    composite_graders: Iterable[str] | None = None,
) -> ValidationReport:
    """Check a training file for the grader that will score it.

    ``composite_graders`` is the composite grader's configured default set, used for rows that do
    not name their graders in a ``graders`` field; when unknown, such rows are checked leniently.
    """
    if grader not in GRADERS:
        raise ValueError(f"grader must be one of {', '.join(GRADERS)}, got {grader!r}")
    checker = _RowChecker(
        path=str(path),
        grader=grader,
        max_prompt_length=max_prompt_length,
        has_default_format_constraints=has_default_format_constraints,
        composite_graders=tuple(composite_graders) if composite_graders is not None else None,
    )
    if Path(path).is_dir():
        checker.file_error(f"is a directory, not a file: give its files, e.g. {str(path).rstrip('/')}/*.jsonl")
        return checker.report
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        checker.file_error(f"cannot read the file: {exc.strerror or exc}")
        return checker.report
    checker.check_file(data)
    return checker.report


def other_format(row: Mapping[str, Any]) -> str | None:
    """The name of another dataset format a row is written in, or None for an RFT chat row."""
    if "messages" in row:
        row["messages"]
        if "schemaVersion" in row or isinstance(row.get("system"), list) or "inferenceConfig" in row:
            return "the Bedrock conversation schema (bedrock-conversation-2024: content blocks {'text': ...})"
        return None
    if "prompt" in row and ("completion" in row or "chosen" in row):
        return "a prompt/completion (SFT) file"
    if "input" in row and "output" in row:
        return "an input/output (SFT) file"
    return None


class _RowChecker:
    def __init__(
        self,
        *,
        path: str,
        grader: str,
        max_prompt_length: int | None,
        has_default_format_constraints: bool,
        composite_graders: tuple[str, ...] | None,
    ) -> None:
        self.report = ValidationReport(path=path, grader=grader)
        self.path = path
        self.grader = grader
        self.max_prompt_length = max_prompt_length
        self.has_default_format_constraints = has_default_format_constraints
        self.composite_graders = composite_graders
        self.prompts_seen: dict[tuple, int] = {}
        self.ids_seen: dict[str, int] = {}
        self.rows_with_id: list[int] = []
        self.rows_without_id: list[int] = []
        self.shapes: dict[str, int] = {}  # rows in another dataset format, by the format's name
        self.loose_references: list[tuple[int, Any]] = []  # (line, a number or list reference_answer)

    # -- reporting ---------------------------------------------------------------------------
    def file_error(self, message: str) -> None:
        self.report.errors.append(Issue(self.path, None, None, message))

    def error(self, line: int, field_name: str | None, message: str) -> None:
        self.report.errors.append(Issue(self.path, line, field_name, message))

    def warn(self, line: int, field_name: str | None, message: str) -> None:
        self.report.warnings.append(Issue(self.path, line, field_name, message))

    # -- file level --------------------------------------------------------------------------
    def check_file(self, data: bytes) -> None:
        if data.startswith(b"\xef\xbb\xbf"):
            self.error(1, None, "the file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM")
            data = data[3:]
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()  # the newline that ends the last line
        if not lines:
            self.file_error("the file is empty")
        if data.lstrip()[:1] == b"[":
            self.file_error(
                "this is a JSON array file, not JSON Lines: write one JSON object per line "
                "(e.g. `jq -c '.[]' FILE > FILE.jsonl`)"
            )
            return
        for number, raw in enumerate(lines, start=1):
            self.check_line(number, raw)
        for shape, count in self.shapes.items():
            self.file_error(
                f"{count} row(s) look like {shape}, not RFT chat rows: RFT needs 'messages' "
                "(role/content turns ending before the answer) plus the grader's fields"
            )
        if self.loose_references:
            line, example = self.loose_references[0]
            written = json.dumps(str(example) if not isinstance(example, list) else {"answers": example})
            self.report.warnings.append(
                Issue(
                    self.path,
                    None,
                    "reference_answer",
                    (
                        f"{len(self.loose_references)} row(s) (first on line {line}) hold a number or list: "
                        "AWS's documents "
                        "disagree on whether that is accepted (the Nova SDK validator wants a string or an object); "
                        "this "
                        f"pipeline's graders read it, but portable data writes it as a string or object, e.g. {written}"
                    ),
                )
            )
        if self.rows_with_id and self.rows_without_id:
            self.file_error(
                f"'id' is on {len(self.rows_with_id)} row(s) but missing on "
                f"{len(self.rows_without_id)} (first on line {self.rows_without_id[0]}): give every "
                "row an id or none"
            )
        rows = self.report.rows
        if rows and rows < MIN_ROWS:
            self.file_error(f"{rows} rows: Bedrock RFT needs at least {MIN_ROWS} prompts")
        elif rows > MAX_ROWS:
            self.file_error(f"{rows} rows: Bedrock RFT accepts at most {MAX_ROWS:,} prompts")

    def check_line(self, number: int, raw: bytes) -> None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.error(
                number, None, f"not valid UTF-8 (byte {exc.start + 1} of the line: {raw[exc.start : exc.start + 1]!r})"
            )
            return
        if not text.strip():
            self.error(number, None, "blank line: every line must hold one JSON object")
            return
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            self.error(number, None, f"not valid JSON: {exc.msg} (column {exc.colno})")
            return
        if not isinstance(row, dict):
            self.error(number, None, f"the line holds a JSON {json_type(row)}, not an object")
            return
        self.report.rows += 1
        self.check_row(number, row)

    # -- row level ---------------------------------------------------------------------------
    def check_row(self, number: int, row: dict[str, Any]) -> None:
        shape = other_format(row)
        if shape:
            self.shapes[shape] = self.shapes.get(shape, 0) + 1
            return
        (self.rows_without_id if row.get("id") is None else self.rows_with_id).append(number)
        self.check_id(number, row.get("id"))
        messages = row.get("messages")
        if messages is None:
            self.error(number, "messages", "missing: each row needs a 'messages' list of prompt turns")
        elif not isinstance(messages, list) or not messages:
            self.error(number, "messages", f"must be a non-empty list, got {describe(messages)}")
        else:
            self.check_messages(number, messages)
        if "tools" in row and not isinstance(row["tools"], list):
            self.error(number, "tools", f"must be a list of function tools, got {describe(row['tools'])}")
        elif isinstance(row.get("tools"), list):
            for index, tool in enumerate(row["tools"]):
                kind = tool.get("type") if isinstance(tool, dict) else None
                if kind != "function":
                    self.error(number, f"tools[{index}].type", f"{kind!r}: RFT takes only tools of type 'function'")
        self.check_reference_type(number, row)
        self.check_grader_fields(number, row)

    def check_id(self, number: int, row_id: Any) -> None:
        if row_id is None:
            return
        if not isinstance(row_id, str):
            self.error(
                number,
                "id",
                f"must be a string (AWS's validator rejects other types), got {describe(row_id)}"
                + (f'; write it as "{row_id}"' if isinstance(row_id, int) and not isinstance(row_id, bool) else ""),
            )
            return
        if not row_id.strip():
            self.error(number, "id", "empty: an id must be a non-empty string (or leave 'id' out on every row)")
            return
        key = str(row_id)
        if key in self.ids_seen:
            self.warn(number, "id", f"{key!r} is already used on line {self.ids_seen[key]}")
        else:
            self.ids_seen[key] = number

    def check_messages(self, number: int, messages: list[Any]) -> None:
        prompt_key: list[tuple[str, str]] = []
        characters = 0
        has_user = False
        for index, message in enumerate(messages):
            where = f"messages[{index}]"
            if not isinstance(message, dict):
                self.error(number, where, f"must be an object with 'role' and 'content', got {describe(message)}")
                continue
            extra = sorted(set(message) - MESSAGE_KEYS)
            text_for_content = "text" in extra and "content" not in message  # {"role", "text"}: one mistake
            if extra:
                hint = " (did you mean 'content'?)" if text_for_content else ""
                self.error(
                    number,
                    where,
                    f"unexpected key(s) {', '.join(map(repr, extra))}{hint}; "
                    f"allowed: {', '.join(sorted(MESSAGE_KEYS))}",
                )
            role = message.get("role")
            if role == "system" and index > 0:
                self.error(number, f"{where}.role", "a system message may only be the first turn")
            meant = suggested_role(role) if role not in ROLES else None
            if role not in ROLES:
                hint = f": did you mean {meant!r}?" if meant else ""
                self.error(number, f"{where}.role", f"{role!r} is not one of {', '.join(map(repr, ROLES))}{hint}")
            has_user = has_user or role == "user" or meant == "user"  # no second error for the same mistake
            if text_for_content:
                text = message["text"] if isinstance(message["text"], str) else ""
            else:
                text = self.check_content(number, where, message)
            characters += len(text)
            prompt_key.append((str(role), text))
        last = messages[-1]
        if isinstance(last, dict) and last.get("role") in ANSWER_ROLES:
            self.error(
                number,
                f"messages[{len(messages) - 1}].role",
                f"the last turn is {last.get('role')!r}: the prompt must end before the answer "
                "(Bedrock generates the assistant turn)",
            )
        if not has_user:
            self.error(number, "messages", "no 'user' turn: the prompt needs at least one")
        self.check_prompt_length(number, characters)
        key = tuple(prompt_key)
        first = self.prompts_seen.setdefault(key, number)
        if first != number:
            self.warn(number, "messages", f"the same prompt as line {first}")

    def check_content(self, number: int, where: str, message: Mapping[str, Any]) -> str:
        if "content" not in message or message["content"] is None:
            if message.get("tool_calls"):
                return ""
            self.error(number, f"{where}.content", "missing")
            return ""
        content = message["content"]
        if isinstance(content, str):
            if not content.strip():
                self.error(number, f"{where}.content", "empty or whitespace only: every turn needs text")
            return content
        if not isinstance(content, list) or not content:
            self.error(
                number,
                f"{where}.content",
                f"must be a string or a non-empty list of text blocks, got {describe(content)}",
            )
            return ""
        parts = []
        for block_index, block in enumerate(content):
            block_where = f"{where}.content[{block_index}]"
            if not isinstance(block, dict):
                self.error(
                    number, block_where, f"must be a {{'type': 'text', 'text': ...}} block, got {describe(block)}"
                )
            elif block.get("type") != "text":
                self.error(
                    number, f"{block_where}.type", f"{block.get('type')!r}: RFT takes text only (blocks of type 'text')"
                )
            elif not isinstance(block.get("text"), str):
                self.error(number, f"{block_where}.text", f"must be a string, got {describe(block.get('text'))}")
            else:
                parts.append(block["text"])
        if parts and not "".join(parts).strip():
            self.error(number, f"{where}.content", "empty or whitespace only: every turn needs text")
        return "".join(parts)

    def check_reference_type(self, number: int, row: Mapping[str, Any]) -> None:
        """AWS's documents disagree on number or list references: the Bedrock guide passes any JSON value,
        the Nova SDK validator wants a string or an object. Our graders read both; reported once per file."""
        reference = row.get("reference_answer")
        if not isinstance(reference, bool) and isinstance(reference, (int, float, list)):
            self.loose_references.append((number, reference))

    def check_prompt_length(self, number: int, characters: int) -> None:
        limit = self.max_prompt_length
        if not limit:
            return
        estimate = math.ceil(characters / CHARS_PER_TOKEN)
        pessimistic = math.ceil(characters / CHARS_PER_TOKEN_PESSIMISTIC)
        if estimate > limit:
            self.error(
                number,
                "messages",
                f"about {estimate} tokens ({characters} characters / {CHARS_PER_TOKEN}) "
                f"exceeds maxPromptLength {limit}",
            )
        elif pessimistic > limit:
            self.warn(
                number,
                "messages",
                f"may exceed maxPromptLength {limit}: {characters} characters is "
                f"{estimate}-{pessimistic} tokens depending on the text",
            )

    # -- what each grader needs ------------------------------------------------------------------
    def check_grader_fields(self, number: int, row: Mapping[str, Any]) -> None:
        graders, problems = graders_for_row(row, self.grader, self.composite_graders)
        for grader in graders:
            if grader == "math":
                problems += math_reference_problems(row)
            elif grader == "format":
                problems += format_constraint_problems(row, self.has_default_format_constraints)
            elif grader in ROW_CHECKS:  # code, tools (issue 13)
                problems += ROW_CHECKS[grader](row)
        for level, field_name, message in problems:
            (self.error if level == "error" else self.warn)(number, field_name, message)
