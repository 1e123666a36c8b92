"""String clean-up shared by extraction and comparison: presentation out, mathematics kept."""

from __future__ import annotations

import re
from functools import lru_cache

# Cleaning is pure and the same strings recur (a reference for every sample of its prompt,
# an answer read by several checks): cache it.
CACHE_SIZE = 8192

_PLAIN_TEXT = re.compile(r"[\w.,%/+\-=]+(?: [\w.,%/+\-=]+)*\s*")
_MATH_DELIMITERS = re.compile(r"\\\$|\$|(?<!\\)\\[()\[\]]")
_THIN_SPACE_IN_NUMBER = re.compile(r"(?<=\d)(?:\\[,!]|\{,\}|\\ )(?=\d)")
# LaTeX thousands separators: "10,\!080", "32,\! 349", "1\,000"; plain spaces: "1 000 000".
_LATEX_THOUSANDS = re.compile(r"(?<=\d),\s*\\!\s*(?=\d{3}(?!\d))|(?<=\d)\{,\}\s*(?=\d{3}(?!\d))")
_SPACE_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d,])")
_SPACING = re.compile(r"(?<!\\)\\[,;:! ]|\\q?quad\b|~|\\displaystyle\b|\\textstyle\b")
_LEFT_RIGHT = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])\.?")
_FRAC_VARIANTS = re.compile(r"\\[dt]frac(?![a-zA-Z])")
_TEXT_COMMAND = re.compile(r"\\(?:text|textbf|textit|textrm|mbox|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}")
_WHITESPACE = re.compile(r"\s+")
_TRAILING_PUNCTUATION = re.compile(r"[\s.,;:?]+$")
_MARKDOWN_EMPHASIS = re.compile(r"^(?:\*\*|__|\*|_)+|(?:\*\*|__|\*|_)+$")

# Words that are mathematics, not units or prose, when they follow a number.
MATH_WORDS = frozenset(
    {
        "pi",
        "sqrt",
        "sin",
        "cos",
        "tan",
        "cot",
        "sec",
        "csc",
        "log",
        "ln",
        "exp",
        "e",
        "i",
        "inf",
        "infinity",
        "or",
        "and",
        "plus",
        "minus",
        "times",
        "over",
        "divided",
        "to",
    }
)
_CHOICE = re.compile(r"\(?([A-Ea-e])\)?")
_CHOICE_ANSWER = re.compile(r"\(?([A-Ea-e])(?:\)|\.|:|\s|$)")
_WORDS = re.compile(r"[A-Za-z][A-Za-z' \-]*")
_MAYBE_LIST = re.compile(r"[,;]|\b(?:or|and)\b|\\q?quad|\\lor|\\vee")
_SEPARATOR_WORDS = re.compile(r"\s+(?:or|and)\s+|\\q?quad\b|\\(?:lor|vee)\b")


@lru_cache(maxsize=CACHE_SIZE)
def clean_answer(text: str) -> str:
    """An extracted answer without math delimiters, markdown, spacing commands or sizing."""
    if _PLAIN_TEXT.fullmatch(text) and "_" not in (text[:1], text.rstrip()[-1:]):  # nothing to undo
        text = _TRAILING_PUNCTUATION.sub("", text.strip())
        return _SPACE_THOUSANDS.sub(_join_digits, text) if " " in text else text
    text = _MATH_DELIMITERS.sub(" ", text)
    text = _LATEX_THOUSANDS.sub(",", text)
    text = _THIN_SPACE_IN_NUMBER.sub("", text)
    text = _SPACING.sub(" ", text)
    text = _LEFT_RIGHT.sub("", text)
    text = _FRAC_VARIANTS.sub(r"\\frac", text)
    text = text.replace("\u2212", "-").replace("\u2013", "-")
    text = _WHITESPACE.sub(" ", text).strip()
    if " " in text:
        text = _SPACE_THOUSANDS.sub(_join_digits, text)
    text = _MARKDOWN_EMPHASIS.sub("", text).strip()
    text = _TRAILING_PUNCTUATION.sub("", text)
    while text.startswith("{") and _closes_at_end(text):  # {84} -> 84
        text = text[1:-1].strip()
    return text


def _join_digits(match: re.Match[str]) -> str:
    return str(match.group(0)).replace(" ", "")


def _closes_at_end(text: str) -> bool:
    """Whether the brace opening ``text`` is closed by its last character."""
    depth = 0
    for index, char in enumerate(text):
        if char == "{" and text[index - 1 : index] != "\\":
            depth += 1
        elif char == "}" and text[index - 1 : index] != "\\":
            depth -= 1
            if depth == 0:
                return index == len(text) - 1
    return False


@lru_cache(maxsize=CACHE_SIZE)
def unwrap_text(text: str) -> str:
    """``\\text{cm}`` -> `` cm ``, for the comparisons that read units and words."""
    if "\\" not in text:
        return " ".join(text.split())
    for _ in range(3):  # nested wrappers are rare and shallow
        unwrapped = _TEXT_COMMAND.sub(r" \1 ", text)
        if unwrapped == text:
            break
        text = unwrapped
    return _WHITESPACE.sub(" ", text).strip()


@lru_cache(maxsize=CACHE_SIZE)
def compact(text: str) -> str:
    """A key under which two spellings of the same answer are the same string."""
    if "\\" not in text and "{" not in text:
        return "".join(text.split())
    return re.sub(r"\s+|\\!|\\,", "", unwrap_text(text)).replace("{,}", ",")


@lru_cache(maxsize=CACHE_SIZE)
def split_items(text: str) -> tuple[str, ...]:
    """Top-level items of a list answer: ``1, 2 or 3`` -> three items; ``(1, 2)`` stays one.

    A comma between a digit and exactly three digits is a thousands separator, not a split.
    """
    if not _MAYBE_LIST.search(text):
        return (text.strip(),) if text.strip() else ()
    text = _SEPARATOR_WORDS.sub(";", unwrap_text(text))
    items: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and char in ",;" and not _is_thousands_comma(text, index):
            items.append(text[start:index])
            start = index + 1
    items.append(text[start:])
    return tuple(item.strip() for item in items if item.strip())


def _is_thousands_comma(text: str, index: int) -> bool:
    if text[index] != "," or index == 0 or not text[index - 1].isdigit():
        return False
    digits = text[index + 1 : index + 4]
    after = text[index + 4 : index + 5]
    return len(digits) == 3 and digits.isdigit() and not after.isdigit()


def choice_letter(reference: str) -> str | None:
    """``B`` for a multiple-choice reference such as ``B`` or ``(B)``."""
    match = _CHOICE.fullmatch(unwrap_text(reference).strip())
    return match.group(1).upper() if match else None


def answer_choice_letter(answer: str) -> str | None:
    match = _CHOICE_ANSWER.match(unwrap_text(answer).strip())
    return match.group(1).upper() if match else None


def is_word_answer(text: str) -> bool:
    """Prose such as ``Monday`` or ``no solution``, compared as words rather than symbols."""
    text = unwrap_text(text)
    if not _WORDS.fullmatch(text):
        return False
    words = re.findall(r"[A-Za-z]+", text)
    return any(len(word) >= 3 and word.lower() not in MATH_WORDS for word in words)


def normalize_words(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", unwrap_text(text).lower())
    return " ".join(word for word in words if word not in {"the", "a", "an"})
