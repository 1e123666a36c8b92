"""Word counts as IFEval makes them, without NLTK.

* ``count_words``: IFEval counts ``\\w+`` runs (NLTK's ``RegexpTokenizer(r"\\w+")``).
* ``count_capital_words``: IFEval splits with NLTK's ``word_tokenize`` (Treebank rules) and
  counts tokens that are all upper case. Only the Treebank rules that can change that count
  are kept here: punctuation that separates words (``AT&T`` is two tokens), split
  contractions (``DON'T`` is ``DO`` + ``N'T``, both upper case) and the few fused words
  Treebank splits (``CANNOT``). Quote conversion only creates tokens without letters, so it
  is left out.
"""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"\W+")

_OPENING_MARKS = re.compile(r"([«“‘„]|`+)")
_LEADING_APOSTROPHE = re.compile(r"(?i)(?<!\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)")
_COLON_OR_COMMA = re.compile(r"([:,])([^\d])")
_FINAL_COLON_OR_COMMA = re.compile(r"([:,])$")
# A period ending a sentence (IFEval tokenises sentence by sentence; only a contraction
# before such a period, "IT'S.", changes the count, and those end sentences).
_FINAL_PERIOD = re.compile(r"([^.])(\.)([\])}>\"'»”’]*)(?=\s|$)")
_SEPARATE = re.compile(r"\.{2,}|[;@#$%&\u2012-\u2015?!*\]\[(){}<>»”’\"]|--")
_TRAILING_APOSTROPHE = re.compile(r"([^'])' ")
_CONTRACTION_SHORT = re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') ")
_CONTRACTION_LONG = re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ")
_FUSED = [
    re.compile(p)
    for p in (
        r"(?i)\b(can)(not)\b",
        r"(?i)\b(d)('ye)\b",
        r"(?i)\b(gim)(me)\b",
        r"(?i)\b(gon)(na)\b",
        r"(?i)\b(got)(ta)\b",
        r"(?i)\b(lem)(me)\b",
        r"(?i)\b(more)('n)\b",
        r"(?i)\b(wan)(na)(?=\s)",
        r"(?i) ('t)(is)\b",
        r"(?i) ('t)(was)\b",
    )
]
_SPACES = re.compile(r"\s+")


def count_words(text: str) -> int:
    """The number of ``\\w+`` runs: the non-empty pieces between ``\\W+`` runs (faster)."""
    pieces = _NON_WORD.split(text)
    return len(pieces) - (pieces[0] == "") - (len(pieces) > 1 and pieces[-1] == "")


def treebank_tokens(text: str) -> list[str]:
    """Tokens as NLTK's ``word_tokenize`` cuts them, up to tokens without letters."""
    text = _OPENING_MARKS.sub(r" \1 ", text)
    text = _LEADING_APOSTROPHE.sub(r"\1 ", text)
    text = _COLON_OR_COMMA.sub(r" \1 \2", text)
    text = _FINAL_COLON_OR_COMMA.sub(r" \1 ", text)
    text = _FINAL_PERIOD.sub(r"\1 \2\3 ", text)
    text = _SEPARATE.sub(r" \g<0> ", text)
    text = _TRAILING_APOSTROPHE.sub(r"\1 ' ", text)
    text = _SPACES.sub(" ", " " + text + " ")
    text = _CONTRACTION_SHORT.sub(r"\1 \2 ", text)
    text = _CONTRACTION_LONG.sub(r"\1 \2 ", text)
    for fused in _FUSED:
        text = fused.sub(r" \1 \2 ", text)
    return text.split()


def count_capital_words(text: str) -> int:
    # Every rule above looks at most one character past a word, so tokens never cross the
    # text's whitespace: only the whitespace-separated chunks with a capital need the rules.
    # (A chunk ending in an apostrophe is split differently before a space than before a
    # newline, so such text is tokenised whole.)
    chunks = [chunk for chunk in text.split() if chunk != chunk.lower()]
    if not chunks:
        return 0
    if not any(chunk.endswith("'") for chunk in chunks):
        text = " ".join(chunks)
    return sum(1 for token in treebank_tokens(text) if token.isupper())
