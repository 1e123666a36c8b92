"""A response that breaks as many of a row's IFEval constraints as it can, for ``rft rehearse``.

A format grader that scores this about as high as a compliant response cannot tell right from wrong.
Each rule is broken the simplest way the IFEval checker notices: a comma for ``no_comma``, mixed case
for the case rules, the forbidden words written out, no title, bullets, sections or postscript, too
few (or too many) words, and so on. Rules that cannot be broken (e.g. "at least 0 bullets") are
simply left satisfied, so a row can still score above 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .format_synthesis import constraints_of

_OPENING = "Well, Here Is My Reply About {topic}."
_FILLER = "This Part Keeps Going With More Words About The Same Subject"
_CLOSING = "Thanks For Reading."


def violating_response(instruction_ids: Sequence[str], kwargs: Sequence[Any] | None, *, topic: str) -> str:
    try:
        return _violating(constraints_of(instruction_ids, kwargs), topic)
    except (AttributeError, KeyError, TypeError, ValueError):  # kwargs of the wrong shape: break what we can
        return _OPENING.format(topic=topic) + " " + _CLOSING


def _violating(rules: Mapping[str, Mapping[str, Any]], topic: str) -> str:
    sentences = [_OPENING.format(topic=topic)]
    sentences += _length_breakers(rules)
    sentences += _keyword_breakers(rules)
    end = rules.get("startend:end_checker", {}).get("end_phrase")
    sentences.append("Goodbye For Now." if end and str(end).strip().lower() == _CLOSING.lower() else _CLOSING)
    text = _remove_required_words(rules, " ".join(sentences))
    text = _structure_breakers(rules, text)
    if rules.get("language:response_language", {}).get("language") == "en":
        text = "Voici ma réponse, écrite en français pour changer."
    return text


def _length_breakers(rules: Mapping[str, Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    words = rules.get("length_constraints:number_words")
    if words and words.get("relation") == "less than":
        # One long sentence, so a sentence-count rule stays broken too.
        target = int(words.get("num_words", 0)) + 10
        per_chunk = len(_FILLER.split())
        out.append(" and ".join([_FILLER] * (target // per_chunk + 1)) + ".")
    sentences = rules.get("length_constraints:number_sentences")
    if sentences and sentences.get("relation") == "less than":
        out += ["Another Sentence Follows." for _ in range(int(sentences.get("num_sentences", 0)) + 2)]
    return out


def _keyword_breakers(rules: Mapping[str, Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    forbidden = rules.get("keywords:forbidden_words", {}).get("forbidden_words") or []
    if forbidden:
        out.append("It Mentions " + " And ".join(str(w) for w in forbidden) + ".")
    frequency = rules.get("keywords:frequency")
    if frequency and frequency.get("relation") == "less than":
        out += [f"Again {frequency.get('keyword')}." for _ in range(int(frequency.get("frequency", 0)) + 1)]
    letter = rules.get("keywords:letter_frequency")
    if letter and letter.get("let_relation") == "less than":
        out.append(str(letter.get("letter", "")) * (int(letter.get("let_frequency", 0)) + 1) + ".")
    capitals = rules.get("change_case:capital_word_frequency")
    if capitals and capitals.get("capital_relation") == "less than":
        out.append(" ".join(["LOUD"] * (int(capitals.get("capital_frequency", 0)) + 1)) + ".")
    bullets = rules.get("detectable_format:number_bullet_lists", {}).get("num_bullets")
    if bullets is not None and int(bullets) == 0:
        out.append("\n* An Unwanted Bullet.\n")
    return out


def _remove_required_words(rules: Mapping[str, Mapping[str, Any]], text: str) -> str:
    """Drop words the rules require (keywords, a required letter, all-capital words)."""
    required = list(rules.get("keywords:existence", {}).get("keywords") or [])
    frequency = rules.get("keywords:frequency")
    if frequency and frequency.get("relation") != "less than":
        required.append(frequency.get("keyword"))
    for word in filter(None, map(str, required)):
        text = re.sub(re.escape(word), "Item", text, flags=re.IGNORECASE)
    letter = rules.get("keywords:letter_frequency")
    if letter and letter.get("let_relation") != "less than" and str(letter.get("letter", "")):
        text = re.sub(re.escape(str(letter["letter"])), "", text, flags=re.IGNORECASE)
    capitals = rules.get("change_case:capital_word_frequency")
    if capitals and capitals.get("capital_relation") != "less than":
        text = re.sub(r"\b[A-Z]{2,}\b", lambda m: m.group(0).title(), text)
    return text


def _structure_breakers(rules: Mapping[str, Mapping[str, Any]], text: str) -> str:
    """Paragraph counts: give one paragraph, or two when exactly one is asked for."""
    paragraphs = rules.get("length_constraints:number_paragraphs", {}).get("num_paragraphs")
    if paragraphs is not None and int(paragraphs) == 1:
        text = f"{text}\n\n***\n\nA Second Paragraph Nobody Asked For."
    nth = rules.get("length_constraints:nth_paragraph_first_word")
    if nth and int(nth.get("num_paragraphs", 0)) == 1:
        text = f"{text}\n\nA Second Paragraph Nobody Asked For."
    return text
