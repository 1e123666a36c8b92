"""Responses that follow, or deliberately break, a row's IFEval constraints.

Used by the sample-data generator (each instruction-following row carries a compliant example as its
``reference_answer``) and by ``rft rehearse`` (a grader must score compliant responses high and
violating ones low). The rules follow the IFEval reference checkers. :func:`compliant_response`
returns ``None`` for an instruction or a combination it cannot satisfy reliably (response language,
letter frequency, all capitals, conflicting rules); the caller reports those rows.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .format_texts import CAPITAL_WORDS, PLACEHOLDERS, body_sentences, opposite_sentences

SUPPORTED = frozenset(
    {
        "keywords:existence",
        "keywords:frequency",
        "keywords:forbidden_words",
        "length_constraints:number_sentences",
        "length_constraints:number_paragraphs",
        "length_constraints:number_words",
        "length_constraints:nth_paragraph_first_word",
        "detectable_content:number_placeholders",
        "detectable_content:postscript",
        "detectable_format:number_bullet_lists",
        "detectable_format:constrained_response",
        "detectable_format:number_highlighted_sections",
        "detectable_format:multiple_sections",
        "detectable_format:json_format",
        "detectable_format:title",
        "combination:two_responses",
        "combination:repeat_prompt",
        "startend:end_checker",
        "change_case:capital_word_frequency",
        "change_case:english_lowercase",
        "punctuation:no_comma",
        "startend:quotation",
    }
)
# Whole-response shapes that leave no room for most other rules.
_EXCLUSIVE = {"detectable_format:json_format", "combination:two_responses"}
_ALONGSIDE_EXCLUSIVE = {
    "keywords:existence",
    "keywords:forbidden_words",
    "punctuation:no_comma",
    "change_case:english_lowercase",
}
_WORD = re.compile(r"\w+")


def constraints_of(instruction_ids: Sequence[str], kwargs: Sequence[Any] | None) -> dict[str, dict[str, Any]]:
    """``{instruction id: kwargs}`` with IFEval's null padding removed (a repeated id keeps the last)."""
    kwargs = list(kwargs) if kwargs is not None else [{}] * len(instruction_ids)
    return {i: {k: v for k, v in (a or {}).items() if v is not None} for i, a in zip(instruction_ids, kwargs)}


def compliant_response(instruction_ids: Sequence[str], kwargs: Sequence[Any] | None, *, topic: str) -> str | None:
    """A response meeting every constraint, or ``None`` when we cannot build one reliably."""
    try:
        return _compliant(constraints_of(instruction_ids, kwargs), topic)
    except (AttributeError, KeyError, TypeError, ValueError):  # kwargs of the wrong shape or type
        return None


def _compliant(rules: Mapping[str, Mapping[str, Any]], topic: str) -> str | None:
    if not rules or not set(rules) <= SUPPORTED or _conflicting(rules):
        return None
    rng = random.Random(f"{topic}|{json.dumps(rules, sort_keys=True)}")
    sentences = body_sentences(topic, rng)
    # Start from a natural length (two sentences per paragraph or section), then grow or shrink it
    # until the word and sentence counts fit.
    blocks = max(
        _int(rules, "length_constraints:number_paragraphs", "num_paragraphs"),
        _int(rules, "length_constraints:nth_paragraph_first_word", "num_paragraphs"),
        _int(rules, "detectable_format:multiple_sections", "num_sections"),
        2,
    )
    preferred = min(2 * blocks + 1, len(sentences))
    for count in range(preferred, len(sentences) + 1):
        text = _assemble(rules, sentences[:count], topic)
        if text is None:
            return None
        verdict = _length_verdict(rules, text)
        if verdict == "ok":
            return text
        if verdict == "too long":
            break
    for count in range(preferred - 1, 0, -1):
        text = _assemble(rules, sentences[:count], topic)
        if text is not None and _length_verdict(rules, text) == "ok":
            return text
    return None


def _conflicting(rules: Mapping[str, Mapping[str, Any]]) -> bool:
    ids = set(rules)
    if ids & _EXCLUSIVE and (len(ids & _EXCLUSIVE) > 1 or ids - _EXCLUSIVE - _ALONGSIDE_EXCLUSIVE):
        return True
    lower = "change_case:english_lowercase" in ids
    if lower and ids & {"detectable_format:constrained_response", "change_case:capital_word_frequency"}:
        return True
    if lower and any(
        c.isupper() for c in str(rules.get("detectable_format:multiple_sections", {}).get("section_spliter", ""))
    ):
        return True
    if ids >= {"combination:repeat_prompt", "startend:quotation"}:
        return True
    if ids >= {"length_constraints:number_paragraphs", "length_constraints:nth_paragraph_first_word"}:
        return True
    if "length_constraints:nth_paragraph_first_word" in ids and ids & {
        "detectable_format:title",
        "detectable_content:postscript",
        "detectable_format:multiple_sections",
        "combination:repeat_prompt",
        "startend:quotation",
    }:
        return True
    for rule in rules.values():  # relations other than IFEval's two, or "less than" we cannot plan
        relation = rule.get("relation") or rule.get("capital_relation")
        if relation not in (None, "at least", "less than"):
            return True
    if rules.get("keywords:frequency", {}).get("relation") == "less than":
        return True
    if rules.get("change_case:capital_word_frequency", {}).get("capital_relation") == "less than":
        return True
    no_comma = "punctuation:no_comma" in ids
    return no_comma and any("," in json.dumps(v) for v in rules.values())


def _assemble(rules: Mapping[str, Mapping[str, Any]], sentences: list[str], topic: str) -> str | None:
    ids = set(rules)
    sentences = list(sentences)
    extras = _keyword_sentences(rules)
    if "detectable_format:json_format" in ids:
        text = json.dumps({"answer": " ".join(extras + sentences)})
        return text.lower() if "change_case:english_lowercase" in ids else text
    if "combination:two_responses" in ids:
        half = max(1, len(sentences) // 2)
        first, second = " ".join(extras + sentences[:half]), " ".join(extras + opposite_sentences(topic))
        text = f"{first}\n\n******\n\n{second}"
        return text.lower() if "change_case:english_lowercase" in ids else text
    body = extras + sentences
    # Highlights go on sentences that do not become bullets, never on a line's first character
    # (IFEval would count '*word* ...' at the start of a line as a bullet).
    bullets = _int(rules, "detectable_format:number_bullet_lists", "num_bullets")
    highlights = _int(rules, "detectable_format:number_highlighted_sections", "num_highlights")
    while len(body) < bullets + highlights:
        body.append(f"Point number {len(body) + 1} matters here.")
    for index in range(bullets, bullets + highlights):
        body[index] = _highlight(body[index])
    if "detectable_format:constrained_response" in ids:
        body.insert(0, "My answer is yes.")
    placeholders = _int(rules, "detectable_content:number_placeholders", "num_placeholders")
    if placeholders:
        names = [PLACEHOLDERS[n] if n < len(PLACEHOLDERS) else f"[detail {n + 1}]" for n in range(placeholders)]
        body.append("Fill in " + " and ".join(names) + " before you send it.")
    capitals = _int(rules, "change_case:capital_word_frequency", "capital_frequency")
    if capitals:
        body.append("Remember " + " ".join(CAPITAL_WORDS[n % len(CAPITAL_WORDS)] for n in range(capitals)) + " today.")
    blocks = _blocks(rules, body)
    if blocks is None:
        return None
    if "detectable_content:postscript" in ids:
        marker = str(rules["detectable_content:postscript"].get("postscript_marker") or "P.S.")
        blocks[-1] += f"\n{marker.rstrip('.')}. Thank you for your time."
    if "startend:end_checker" in ids:
        blocks[-1] += "\n" + str(rules["startend:end_checker"]["end_phrase"]).strip()
    text = _join_blocks(rules, blocks)
    if "detectable_format:title" in ids:
        text = f"<<{topic.title()} Notes>>\n{text}"
    if "combination:repeat_prompt" in ids:
        text = str(rules["combination:repeat_prompt"]["prompt_to_repeat"]).strip() + "\n" + text
    if "startend:quotation" in ids:
        text = f'"{text}"'
    if "change_case:english_lowercase" in ids:
        text = text.lower()
    return text


def _keyword_sentences(rules: Mapping[str, Mapping[str, Any]]) -> list[str]:
    out = []
    keywords = rules.get("keywords:existence", {}).get("keywords") or []
    if keywords:
        out.append("This note covers " + " and ".join(str(k) for k in keywords) + ".")
    frequency = rules.get("keywords:frequency")
    if frequency:
        word = str(frequency["keyword"])
        out += [f"The {word} matters in step {n + 1}." for n in range(int(frequency["frequency"]))]
    return out


def _int(rules: Mapping[str, Mapping[str, Any]], instruction: str, name: str) -> int:
    return int(rules.get(instruction, {}).get(name, 0) or 0)


def _highlight(sentence: str) -> str:
    first, _, rest = sentence.partition(" ")
    second, _, tail = rest.partition(" ")
    return f"{first} *{second}* {tail}".rstrip()


def _blocks(rules: Mapping[str, Mapping[str, Any]], body: list[str]) -> list[str] | None:
    """Split the sentences into the paragraphs, bullets or sections the rules ask for."""
    bullets = _int(rules, "detectable_format:number_bullet_lists", "num_bullets")
    bullet_lines = [f"* {body[n]}" for n in range(bullets)]
    rest = body[bullets:] or ["That covers the main ideas."]
    if "detectable_format:multiple_sections" in rules:
        spec = rules["detectable_format:multiple_sections"]
        count = int(spec.get("num_sections", 1))
        chunks = _split(rest, count)
        blocks = [f"{spec['section_spliter']} {n + 1}\n{' '.join(c)}" for n, c in enumerate(chunks)]
        if bullet_lines:
            blocks[0] += "\n" + "\n".join(bullet_lines)
        return blocks
    paragraphs = _int(rules, "length_constraints:number_paragraphs", "num_paragraphs")
    nth = rules.get("length_constraints:nth_paragraph_first_word")
    if nth:
        paragraphs = int(nth["num_paragraphs"])
        if not 1 <= int(nth["nth_paragraph"]) <= paragraphs:
            return None
    chunks = _split(rest, max(paragraphs, 1))
    blocks = [" ".join(c) for c in chunks]
    if nth:
        index = int(nth["nth_paragraph"]) - 1
        blocks[index] = f"{str(nth['first_word']).capitalize()} {blocks[index][0].lower()}{blocks[index][1:]}"
    if bullet_lines:
        blocks[-1 if paragraphs else 0] += "\n" + "\n".join(bullet_lines)
    return blocks


def _split(items: list[str], parts: int) -> list[list[str]]:
    while len(items) < parts:
        items = items + [f"More on this in part {len(items) + 1}."]
    size, extra = divmod(len(items), parts)
    chunks, start = [], 0
    for n in range(parts):
        end = start + size + (1 if n < extra else 0)
        chunks.append(items[start:end])
        start = end
    return chunks


def _join_blocks(rules: Mapping[str, Mapping[str, Any]], blocks: list[str]) -> str:
    # IFEval counts paragraphs split by '***' for number_paragraphs, by blank lines otherwise.
    separator = "\n\n***\n\n" if "length_constraints:number_paragraphs" in rules else "\n\n"
    return separator.join(blocks)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def count_sentences(text: str) -> int:
    """Sentence ends as our own texts write them: '.', '!' or '?' followed by a space or the end."""
    return len(re.findall(r"[.!?](?=\s|$|\")", text))


def _length_verdict(rules: Mapping[str, Mapping[str, Any]], text: str) -> str:
    """'ok', 'too short' (add sentences) or 'too long' (no count will work), with safety margins."""
    verdicts = []
    words = rules.get("length_constraints:number_words")
    if words:
        verdicts.append(_compare(count_words(text), words["relation"], int(words["num_words"]), margin=3))
    sentences = rules.get("length_constraints:number_sentences")
    if sentences:
        verdicts.append(
            _compare(count_sentences(text), sentences["relation"], int(sentences["num_sentences"]), margin=1)
        )
    if "too long" in verdicts:
        return "too long"
    return "too short" if "too short" in verdicts else "ok"


def _compare(value: int, relation: str, target: int, *, margin: int) -> str:
    if relation == "at least":
        return "ok" if value >= target + margin else "too short"
    return "ok" if value < target - margin else "too long"
