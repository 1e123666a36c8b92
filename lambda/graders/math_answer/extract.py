"""Find the final answer in a model's response, as models write it.

Precedence, first source that yields an answer wins (only what follows the reasoning, ``</think>``, is
read: ``contract.final_answer``):

1. ``<answer>...</answer>`` tags (a box inside a tag is its answer).
2. ``\\boxed{}`` / ``\\fbox{}`` (nested braces). Only the *final group* of boxes competes: boxes
   that are steps of the solution (separated from the later boxes by work, or followed by
   "Final answer: \\boxed{..}") are not candidates. Boxes in the final group joined by "or",
   commas or short labels (``(a) \\boxed{3} (b) \\boxed{4}``) are all returned; the grader
   rewards them only if every one is right (or all together match a list reference).
3. GSM8K ``#### 42`` lines (a markdown heading such as ``#### Step 2`` is not one).
4. A ``# Answer`` heading (PRM800K style): the text under it.
5. An answer phrase: "the (final) answer is X", "Answer: X", "**Answer:** X", Minerva's
   "Final Answer: The final answer is $X$. I hope it is correct." (X is compared, not the
   sentence). Only when it is the *final statement*: an "our answer is $p=5/24$" followed
   by more work, or "our answer is correct", is not an answer.
6. Unmarked: the *last complete expression* of the final statement (the last line with
   mathematics, closing pleasantries skipped): the content of its last ``$..$``, ``\\(..\\)``,
   ``\\[..\\]`` or ``$$..$$``; the whole response when it is short and is itself an answer;
   else the last whole token holding a number (``11:21``, ``(2, \\infty)``, ``1 000``,
   ``$1,234``), expanded to its brackets. A number is never cut out of a larger expression
   (the denominator of ``\\frac{10}{9}``, the radicand of ``16\\sqrt{3}``, an interval end).

Every scan is linear in the text and each answer is read from a bounded window, so hostile
inputs cannot make it slow.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..contract import final_answer
from .hedging import DOUBT, OR
from .normalize import clean_answer, compact

MAX_ANSWER_CHARS = 1_000
MAX_FINAL_ANSWERS = 8  # more boxes or tags than this is spam, whatever they hold
TAIL_CHARS = 2_000  # the window the unmarked sources look at
SHORT_RESPONSE_CHARS = 60  # a response this short with no sentence is itself the answer

EXPLICIT_SOURCES = ("answer_tag", "boxed", "hash_marker", "answer_heading", "answer_phrase")
IMPLICIT_SOURCES = ("final_expression", "final_value")

_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_PHRASE = re.compile(
    r"(?:answer|option|choice)s?(?:\s*\*\*)?\s*(?:is\b|are\b|was\b|would be\b|will be\b|:|=)\s*:?(?:\s*\*\*)?"
)
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]*(?:final[ \t]+)?answer[ \t]*:?[ \t]*$", re.IGNORECASE | re.MULTILINE)
# What an "answer is" phrase says when it is not giving the answer: "our answer is correct".
_NOT_AN_ANSWER = re.compile(
    r"(?:correct|incorrect|right|wrong|valid|invalid|reasonable|consistent|confirmed|verified|indeed|"
    r"not\b|below|as follows|given by|that\b|this\b|the following|clear|obvious|unique|found)",
    re.IGNORECASE,
)
_FINAL_MARKER = re.compile(r"answer|final|therefore|thus|hence|in conclusion|in summary", re.IGNORECASE)
_TRAILING_CLAUSE = re.compile(
    r"(?:,\s*|\s+)(?:which|so|because|since|as|but|meaning|where|given|when|if|therefore|thus|i\.e\.)\b",
    re.IGNORECASE,
)
# A remark in parentheses right after a box, e.g. "\boxed{3} (or maybe 4)".
_BOX_REMARK = re.compile(r"[ \t$]*(?:\\[\])][ \t$]*)?\(([^()\n]{1,80})\)")
_HASH_ANSWER_START = re.compile(r"[\d\-+$\\(\[{.\u2212]")
_MATH_SPAN = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<![\\$])\$([^$]+?)\$", re.DOTALL)
_WORDY = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_SPACE_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:(?: |\\,|\\ |,\\!\s?|\{,\})\d{3})+(?![\d])")
_TOKEN = re.compile(r"\S+")
_ASSIGNED = re.compile(r"(?<![A-Za-z\\])[A-Za-z](?:_\{?\w+\}?)?\s*=")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


class Extraction(NamedTuple):
    answers: tuple[str, ...]  # distinct final answers of the chosen source, the last one last
    source: str  # one of EXPLICIT_SOURCES, IMPLICIT_SOURCES or "none"
    too_many: bool = False  # more boxes/tags/#### lines than MAX_FINAL_ANSWERS
    all_boxes: tuple[str, ...] = ()  # every distinct box, step boxes included (multi-part references)

    @property
    def found(self) -> bool:
        return bool(self.answers) or self.too_many

    @property
    def explicit(self) -> bool:
        return self.source in EXPLICIT_SOURCES

    @property
    def final(self) -> str:
        return self.answers[-1] if self.answers else ""


NOTHING = Extraction(answers=(), source="none")


def extract_final_answer(text: str, *, implicit: bool = True) -> Extraction:
    """The final answer(s) in ``text``; ``implicit=False`` keeps to explicit markers (1-5)."""
    text = final_answer(text)  # answers drafted while reasoning are not the final answer
    lowered = text.lower()
    answers, too_many = _answer_tags(text, lowered)
    if answers or too_many:
        return Extraction(answers=_distinct(answers), source="answer_tag", too_many=too_many)
    spans, too_many = _box_spans(text)
    if spans or too_many:
        final = _final_group(text, spans)
        return Extraction(
            answers=_distinct([s[0] for s in final]),
            source="boxed",
            too_many=too_many,
            all_boxes=_distinct([s[0] for s in spans]),
        )
    answers, too_many = _hash_lines(text)
    if answers or too_many:
        return Extraction(answers=_distinct(answers), source="hash_marker", too_many=too_many)
    heading = _answer_heading(text)
    if heading:
        return Extraction(answers=(heading,), source="answer_heading")
    phrase = _answer_phrase(text, lowered)
    if phrase:
        return Extraction(answers=(phrase,), source="answer_phrase")
    if not implicit:
        return NOTHING
    tail = text[-TAIL_CHARS:]
    stripped = tail.strip()
    if len(text.strip()) <= SHORT_RESPONSE_CHARS and _is_bare_answer(stripped):
        return Extraction(answers=(stripped,), source="final_expression")
    statement = _final_statement(tail)
    if not statement:
        return NOTHING
    expression = _last_math_span(statement)
    if expression:
        return Extraction(answers=(expression,), source="final_expression")
    value = _last_value(statement)
    if value:
        return Extraction(answers=(value,), source="final_value")
    return NOTHING


# ---------------------------------------------------------------- explicit markers
def read_group(text: str, open_index: int, limit: int = MAX_ANSWER_CHARS) -> tuple[str, int] | None:
    """The content of the brace group opening at ``open_index`` and the index after it."""
    depth = 0
    index = open_index
    end = min(len(text), open_index + limit + 2)
    while index < end:
        char = text[index]
        if char == "\\":
            index += 2  # \{ and \} are literal braces, not grouping
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[open_index + 1 : index], index + 1
        index += 1
    return None


def _box_spans(text: str) -> tuple[list[tuple[str, int, int]], bool]:
    """Every box as (content, start, end); True when there are more than MAX_FINAL_ANSWERS."""
    spans: list[tuple[str, int, int]] = []
    attempts = 0
    position = 0
    while True:
        match = _BOX.search(text, position)
        if not match:
            return spans, False
        attempts += 1
        if attempts > MAX_FINAL_ANSWERS:
            return spans, True
        index = match.end()
        while index < len(text) and text[index] == " ":
            index += 1
        if index < len(text) and text[index] == "{":
            group = read_group(text, index)
            if group is None:  # unbalanced or too long: kept whole, so it is refused, not skipped
                content, position = text[index + 1 : index + 2 + MAX_ANSWER_CHARS], match.end()
            else:
                content, position = group
        else:  # \boxed 42
            token = re.match(r"[^\s$]{1,100}", text[index : index + 100])
            content, position = (token.group(0), index + token.end()) if token else ("", index)
        content = _strip_inner_boxes(content)
        remark = _BOX_REMARK.match(text, position)
        if remark and (OR.search(remark.group(1)) or DOUBT.search(remark.group(1))):
            content = f"{content} ({remark.group(1)})"  # an alternative offered beside the box
        if content.strip():
            spans.append((content.strip(), match.start(), position))


def _boxes(text: str) -> tuple[list[str], bool]:
    spans, too_many = _box_spans(text)
    return [s[0] for s in _final_group(text, spans)] if spans else [], too_many


def _final_group(text: str, spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The last box and the boxes offered together with it; earlier ones are steps."""
    if not spans:
        return spans
    group = [spans[-1]]
    for span in reversed(spans[:-1]):
        between = text[span[2] : group[0][1]]
        if not _offered_together(between):
            break
        group.insert(0, span)
    return group


def _offered_together(between: str) -> bool:
    """Whether two boxes with ``between`` in-between are candidates side by side (``\\boxed{6}
    or \\boxed{7}``, ``(a) \\boxed{3} (b) \\boxed{4}``) rather than a step and a later answer."""
    if OR.search(between) or DOUBT.search(between):
        return True
    if _FINAL_MARKER.search(between):
        return False  # "... = \boxed{12}. Final answer: \boxed{36}"
    core = _ASSIGNED.sub("", between).strip(" \t\n$.,;:\\()[]")  # "x = \boxed{5} and x = \boxed{-5}"
    return len(core) <= 40 and "=" not in core and not any(char.isdigit() for char in core)


def _strip_inner_boxes(content: str) -> str:
    """``\\boxed{\\boxed{42}}`` -> ``42``."""
    for _ in range(3):
        inner = _BOX.match(content.strip())
        if not inner:
            break
        rest = content.strip()[inner.end() :].lstrip()
        group = read_group(rest, 0) if rest.startswith("{") else None
        if group is None or group[1] != len(rest):
            break
        content = group[0]
    return content


def _answer_tags(text: str, lowered: str) -> tuple[list[str], bool]:
    answers: list[str] = []
    position = 0
    for attempt in range(MAX_FINAL_ANSWERS + 1):
        start = lowered.find("<answer>", position)
        if start < 0:
            return answers, False
        if attempt == MAX_FINAL_ANSWERS:
            return answers, True
        content_start = start + len("<answer>")
        end = lowered.find("</answer>", content_start, content_start + MAX_ANSWER_CHARS + 10)
        stop = end if end >= 0 else min(len(text), content_start + MAX_ANSWER_CHARS)
        content = text[content_start:stop]
        boxed, too_many = _boxes(content)
        if too_many:
            return answers, True
        if boxed:
            answers.extend(boxed)
        elif content.strip():  # <answer>The answer is 42.</answer> holds 42
            answers.append(_answer_phrase(content, content.lower(), final_only=False) or content.strip())
        position = stop
    return answers, False


def _hash_lines(text: str) -> tuple[list[str], bool]:
    """``#### 42`` lines, read from the end; a markdown heading (``#### Step 2``, ``#### Solution``)
    is not one."""
    answers: list[str] = []
    end = len(text)
    for _ in range(MAX_FINAL_ANSWERS * 4):  # headings also use ####: look at a few more lines
        start = text.rfind("####", 0, end)
        if start < 0:
            break
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        content = text[start : min(line_end, start + MAX_ANSWER_CHARS)].lstrip("#").strip()
        end = text.rfind("\n", 0, start) + 1 if start else 0
        if content and (_HASH_ANSWER_START.match(content) or (" " not in content and _has_digit(content))):
            answers.append(content)
            if len(answers) > MAX_FINAL_ANSWERS:
                return answers[::-1], True
        if end <= 0:
            break
    return answers[::-1], False


def _answer_heading(text: str) -> str:
    """PRM800K: a ``# Answer`` line, the answer on the next non-empty line(s) up to a blank line."""
    last = None
    for last in _HEADING.finditer(text[-TAIL_CHARS * 4 :]):  # noqa: B007  (the last match is used below)
        pass
    if last is None:
        return ""
    rest = text[-TAIL_CHARS * 4 :][last.end() : last.end() + MAX_ANSWER_CHARS].strip()
    block = rest.split("\n\n", 1)[0].strip()
    return block if clean_answer(block) else ""


def _answer_phrase(text: str, lowered: str, *, final_only: bool = True) -> str:
    last = None
    for last in _PHRASE.finditer(lowered):  # noqa: B007  (the last match is used below)
        pass
    if last is None:
        return ""
    window = text[last.end() : last.end() + MAX_ANSWER_CHARS].lstrip(" \t:*")
    if window.startswith("\n"):  # "Final answer:\n42"
        window = window.lstrip()
    end = _sentence_end(window)
    sentence = _without_trailing_clause(window[:end])
    if not clean_answer(sentence) or _NOT_AN_ANSWER.match(clean_answer(sentence)):
        return ""
    if final_only and not _is_closing(text[last.end() + (len(text[last.end() :]) - len(window)) + end :]):
        return ""  # more work follows: the phrase was not the final statement
    return sentence.strip()


def _sentence_end(window: str) -> int:
    """Where the sentence starting ``window`` ends: a full stop, a line break, or the end;
    full stops inside ``$...$`` (``$3.5$``) or numbers (``3.5``) do not end it."""
    index = 0
    in_math = False
    while index < len(window):
        char = window[index]
        if char == "$":
            in_math = not in_math
        elif (char == "\n" and (not in_math or window.startswith("\n\n", index))) or (
            char == "." and not in_math and window[index + 1 : index + 2] in ("", " ", "\n", "\t")
        ):
            return index
        index += 1
    return len(window)


def _is_closing(rest: str) -> bool:
    """Whether ``rest`` (what follows an answer) is only a closing remark ("I hope it is correct.")."""
    rest = rest.strip(" \t\n.!*")
    if not rest:
        return True
    if len(rest) > 300 or "$" in rest or "=" in rest or "\\" in rest:
        return False
    return not _has_digit(rest)


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


def _without_trailing_clause(sentence: str) -> str:
    """ "42, which is even" -> "42". A clause inside parentheses ("3 (4 if we count zero)")
    or one that doubts the answer ("3, but it could be 4") stays: the hedge check reads it."""
    depth = 0
    counted = 0
    in_math = False
    for match in _TRAILING_CLAUSE.finditer(sentence):
        for char in sentence[counted : match.start()]:
            depth += char in "([{"
            depth -= char in ")]}"
            in_math ^= char == "$"
        counted = match.start()
        if depth <= 0 and not in_math:
            clause = sentence[match.start() :]
            return sentence if DOUBT.search(clause) else sentence[: match.start()]
    return sentence


# ---------------------------------------------------------------- unmarked answers
def _is_bare_answer(text: str) -> bool:
    """A short response that is itself an answer: ``\\frac{10}{9}``, ``(2, \\infty)``, ``five``."""
    if "\n" in text or not text:
        return False
    return len(text.split()) <= 2 or not _WORDY.search(text)


def _final_statement(tail: str) -> str:
    """The last line (or its last sentences) that holds mathematics or a number; closing
    remarks without any ("I hope it is correct.") are skipped."""
    end = len(tail)
    while end > 0:
        start = tail.rfind("\n", 0, end) + 1
        line = tail[start:end].strip()
        end = start - 1
        if not line or (_is_closing(line) and not _MATH_SPAN.search(line)):
            continue
        return line
    return ""


def _last_math_span(statement: str) -> str:
    last = ""
    for match in _MATH_SPAN.finditer(statement):
        content = next(group for group in match.groups() if group is not None)
        if match.group(4) is not None and content[:1].isdigit() and content[-1:].isspace():
            continue  # "$5 and $7": currency, not mathematics
        if content.strip():
            last = content.strip()
    return last.rstrip(" .,;") if last else ""


def _last_value(statement: str) -> str:
    """The last whole token holding a digit, with its brackets (``(2, 5]``), currency and
    space-separated thousands (``1 000``); trailing punctuation dropped."""
    statement = statement[-MAX_ANSWER_CHARS:]
    thousands = list(_SPACE_THOUSANDS.finditer(statement))
    tokens = [m for m in _TOKEN.finditer(statement) if _has_digit(m.group(0))]
    if not tokens:
        return ""
    start, end = tokens[-1].span()
    for earlier in tokens[:-1]:  # "either 4 or 5", "3 (maybe 4)": the candidates together, a hedge
        between = statement[earlier.end() : start]
        if OR.search(between) or DOUBT.search(between):
            start = earlier.start()
            break
    if thousands and thousands[-1].end() >= end - 1 and thousands[-1].start() < start:
        start = thousands[-1].start()
    start, end = _balance(statement, start, end)
    value = statement[start:end].rstrip(".,;:!?")
    while value.endswith(")") and value.count(")") > value.count("("):
        value = value[:-1]
    value = value.lstrip("(") if value.count("(") > value.count(")") else value
    return value.strip()


def _balance(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``text[start:end]`` to whole bracket groups: ``\\infty)`` -> ``(2, \\infty)``."""
    limit = 120
    depth = 0
    for char in text[start:end]:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
    while depth < 0 and start > 0 and limit:  # unmatched closers: reach back to the opener
        start -= 1
        limit -= 1
        if text[start] in ")]}":
            depth -= 1
        elif text[start] in "([{":
            depth += 1
    while depth > 0 and end < len(text) and limit:
        if text[end] in "([{":
            depth += 1
        elif text[end] in ")]}":
            depth -= 1
        end += 1
        limit -= 1
    return start, end


def _distinct(answers: list[str]) -> tuple[str, ...]:
    """Answers without repeats (same spelling once cleaned), keeping the order of last use."""
    if len(answers) == 1:
        return (answers[0],)
    seen: dict[str, str] = {}
    for answer in answers:
        key = compact(clean_answer(answer))
        seen.pop(key, None)
        seen[key] = answer
    return tuple(seen.values())
