"""Find the final answer in a model's response, as models write it.

Sources, most explicit first: ``<answer>`` tags, ``\\boxed{}``/``\\fbox{}`` (nested braces),
a GSM8K ``#### 42`` line, a phrase such as "The answer is ..." / "Answer:"; then, without any
marker, a final equation ``... = 42`` or the last number. Every scan is linear in the text
and each answer is read from a bounded window, so hostile inputs cannot make it slow.

Boxes, tags and ``####`` lines are final by nature, so all of them are returned (deduplicated)
and the grader rewards the response only if every one is right: boxing several candidates
earns nothing. "The answer is" may be said and then corrected, so only the last one counts.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .hedging import DOUBT, OR
from .normalize import clean_answer, compact

MAX_ANSWER_CHARS = 1_000
MAX_FINAL_ANSWERS = 8  # more boxes or tags than this is spam, whatever they hold
TAIL_CHARS = 2_000  # the window the unmarked sources look at
LAST_NUMBER_CHARS = 500

EXPLICIT_SOURCES = ("answer_tag", "boxed", "hash_marker", "answer_phrase")  # then "final_equation", "last_number"

_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_PHRASE = re.compile(r"answers?(?:\s*\*\*)?\s*(?:is\b|are\b|was\b|would be\b|will be\b|:|=)\s*:?(?:\s*\*\*)?")
_SENTENCE_END = re.compile(r"(?<!\d)\.(?=\s|$)|\.(?=\s+[A-Z])|\n")
_TRAILING_CLAUSE = re.compile(
    r"(?:,\s*|\s+)(?:which|so|because|since|as|but|meaning|where|given|when|if|therefore|thus|i\.e\.)\b",
    re.IGNORECASE,
)
# A remark in parentheses right after a box, e.g. "\boxed{3} (or maybe 4)".
_BOX_REMARK = re.compile(r"[ \t$]*(?:\\[\])][ \t$]*)?\(([^()\n]{1,80})\)")
_HASH_ANSWER_START = re.compile(r"[\d\-+$\\(\[{.\u2212]")
# Simpler than a full number pattern, and three times faster; parse_number checks the grouping.
_NUMBER_RUN = re.compile(r"\d[\d,]*(?:\.\d+)?(?:/\d+)?%?")


class Extraction(NamedTuple):
    answers: tuple[str, ...]  # distinct final answers of the chosen source, the last one last
    source: str  # one of EXPLICIT_SOURCES, "final_equation", "last_number" or "none"
    too_many: bool = False  # more boxes/tags/#### lines than MAX_FINAL_ANSWERS

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
    """The final answer(s) in ``text``; ``implicit=False`` keeps to explicit markers."""
    thinking_end = text.rfind("</think>")
    if thinking_end >= 0:  # answers drafted while reasoning are not the final answer
        text = text[thinking_end + len("</think>"):]
    lowered = text.lower()
    for source, finder in (("answer_tag", _answer_tags), ("boxed", _boxes), ("hash_marker", _hash_lines)):
        answers, too_many = finder(text, lowered)
        if answers or too_many:
            return Extraction(answers=_distinct(answers), source=source, too_many=too_many)
    phrase = _answer_phrase(text, lowered)
    if phrase:
        return Extraction(answers=(phrase,), source="answer_phrase")
    if not implicit:
        return NOTHING
    tail = text[-TAIL_CHARS:]
    equation = _final_equation(tail)
    if equation:
        return Extraction(answers=(equation,), source="final_equation")
    number = _last_number(tail)
    if number:
        return Extraction(answers=(number,), source="last_number")
    return NOTHING


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
                return text[open_index + 1:index], index + 1
        index += 1
    return None


def _boxes(text: str, lowered: str = "") -> tuple[list[str], bool]:
    answers: list[str] = []
    attempts = 0
    position = 0
    while True:
        match = _BOX.search(text, position)
        if not match:
            return answers, False
        attempts += 1
        if attempts > MAX_FINAL_ANSWERS:
            return answers, True
        index = match.end()
        while index < len(text) and text[index] == " ":
            index += 1
        if index < len(text) and text[index] == "{":
            group = read_group(text, index)
            if group is None:  # unbalanced or too long: kept whole, so it is refused, not skipped
                content, position = text[index + 1:index + 2 + MAX_ANSWER_CHARS], match.end()
            else:
                content, position = group
        else:  # \boxed 42
            token = re.match(r"[^\s$]{1,100}", text[index:index + 100])
            content, position = (token.group(0), index + token.end()) if token else ("", index)
        content = _strip_inner_boxes(content)
        remark = _BOX_REMARK.match(text, position)
        if remark and (OR.search(remark.group(1)) or DOUBT.search(remark.group(1))):
            content = f"{content} ({remark.group(1)})"  # an alternative offered beside the box
        if content.strip():
            answers.append(content.strip())


def _strip_inner_boxes(content: str) -> str:
    """``\\boxed{\\boxed{42}}`` -> ``42``."""
    for _ in range(3):
        inner = _BOX.match(content.strip())
        if not inner:
            break
        rest = content.strip()[inner.end():].lstrip()
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
            answers.append(_answer_phrase(content, content.lower()) or content.strip())
        position = stop
    return answers, False


def _hash_lines(text: str, lowered: str = "") -> tuple[list[str], bool]:
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
        content = text[start:min(line_end, start + MAX_ANSWER_CHARS)].lstrip("#").strip()
        end = text.rfind("\n", 0, start) + 1 if start else 0
        if content and (_HASH_ANSWER_START.match(content) or (" " not in content and _has_digit(content))):
            answers.append(content)
            if len(answers) > MAX_FINAL_ANSWERS:
                return answers[::-1], True
        if end <= 0:
            break
    return answers[::-1], False


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


def _answer_phrase(text: str, lowered: str) -> str:
    last = None
    for last in _PHRASE.finditer(lowered):
        pass
    if last is None:
        return ""
    window = text[last.end():last.end() + MAX_ANSWER_CHARS].lstrip(" \t:*")
    if window.startswith("\n"):  # "Final answer:\n42"
        window = window.lstrip()
    end = _SENTENCE_END.search(window)
    sentence = window[:end.start()] if end else window
    sentence = _without_trailing_clause(sentence)
    return sentence.strip() if clean_answer(sentence) else ""


def _without_trailing_clause(sentence: str) -> str:
    """"42, which is even" -> "42". A clause inside parentheses ("3 (4 if we count zero)")
    or one that doubts the answer ("3, but it could be 4") stays: the hedge check reads it."""
    depth = 0
    counted = 0
    for match in _TRAILING_CLAUSE.finditer(sentence):
        for char in sentence[counted:match.start()]:
            depth += char in "([{"
            depth -= char in ")]}"
        counted = match.start()
        if depth <= 0:
            clause = sentence[match.start():]
            return sentence if DOUBT.search(clause) else sentence[:match.start()]
    return sentence


def _final_equation(tail: str) -> str:
    line = _last_line(tail)
    cleaned = line.replace("==", " ").replace("<=", " ").replace(">=", " ").replace("!=", " ")
    if "=" not in cleaned:
        return ""
    right = cleaned.rsplit("=", 1)[1].strip()
    return right if _has_digit(right) and len(right) <= 60 else ""


def _last_number(tail: str) -> str:
    """The last number; when the last sentence offers several joined by "or" (or "maybe", ...),
    all of them."""
    window = tail[-LAST_NUMBER_CHARS:]
    numbers = list(_NUMBER_RUN.finditer(window))
    if not numbers:
        return ""
    last = numbers[-1]
    sentence_start = max(window.rfind(". ", 0, last.start()), window.rfind("\n", 0, last.start())) + 1
    in_sentence = [m for m in numbers if m.start() >= sentence_start]
    between = window[in_sentence[0].end():last.start()] if len(in_sentence) > 1 else ""
    if between and (OR.search(between) or DOUBT.search(between)):
        return window[_number_start(window, in_sentence[0].start()):last.end()]
    return window[_number_start(window, last.start()):last.end()].rstrip(",")


def _number_start(window: str, start: int) -> int:
    """Include a currency sign and a minus sign written before the digits."""
    for sign in ("$", "-"):
        if start > 0 and window[start - 1] == sign:
            start -= 1
    return start


def _last_line(text: str) -> str:
    end = len(text)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = clean_answer(text[start:end])
        if line:
            return line
        end = start - 1
    return ""


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
