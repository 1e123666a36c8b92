"""The 25 IFEval instruction ids and the kwargs each one reads (google-research ``instruction_following_eval``).

A written-down copy of IFEval's interface, kept as the specification the sample-dataset generator's
tests check their rows against (tests/unit/test_dataset_generator.py). The dataset validator does not
use it: it builds each row's constraints with the format grader's own code instead.
"""

from __future__ import annotations

IFEVAL_KWARGS: dict[str, frozenset[str]] = {
    "keywords:existence": frozenset({"keywords"}),
    "keywords:frequency": frozenset({"keyword", "frequency", "relation"}),
    "keywords:forbidden_words": frozenset({"forbidden_words"}),
    "keywords:letter_frequency": frozenset({"letter", "let_frequency", "let_relation"}),
    "language:response_language": frozenset({"language"}),
    "length_constraints:number_sentences": frozenset({"num_sentences", "relation"}),
    "length_constraints:number_paragraphs": frozenset({"num_paragraphs"}),
    "length_constraints:number_words": frozenset({"num_words", "relation"}),
    "length_constraints:nth_paragraph_first_word": frozenset({"num_paragraphs", "nth_paragraph", "first_word"}),
    "detectable_content:number_placeholders": frozenset({"num_placeholders"}),
    "detectable_content:postscript": frozenset({"postscript_marker"}),
    "detectable_format:number_bullet_lists": frozenset({"num_bullets"}),
    "detectable_format:constrained_response": frozenset(),
    "detectable_format:number_highlighted_sections": frozenset({"num_highlights"}),
    "detectable_format:multiple_sections": frozenset({"section_spliter", "num_sections"}),
    "detectable_format:json_format": frozenset(),
    "detectable_format:title": frozenset(),
    "combination:two_responses": frozenset(),
    "combination:repeat_prompt": frozenset({"prompt_to_repeat"}),
    "startend:end_checker": frozenset({"end_phrase"}),
    "change_case:capital_word_frequency": frozenset({"capital_frequency", "capital_relation"}),
    "change_case:english_capital": frozenset(),
    "change_case:english_lowercase": frozenset(),
    "punctuation:no_comma": frozenset(),
    "startend:quotation": frozenset(),
}

# IFEval's comparison words for the ``relation`` style kwargs.
RELATIONS = ("less than", "at least")
