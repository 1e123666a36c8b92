"""Each IFEval instruction of the format grader, with the edge cases its reference has."""

from __future__ import annotations

import pytest

from graders.format_rules import INSTRUCTIONS
from graders.format_rules.arguments import BadKwargs, RowContext


def check(instruction_id: str, response: str, prompt: str = "", **kwargs) -> bool:
    return INSTRUCTIONS[instruction_id](kwargs, RowContext(last_user_prompt=prompt))(response)


def build(instruction_id: str, **kwargs):
    return INSTRUCTIONS[instruction_id](kwargs, RowContext())


def test_all_25_ifeval_instruction_ids_are_registered():
    families = {instruction_id.split(":")[0] for instruction_id in INSTRUCTIONS}
    assert len(INSTRUCTIONS) == 25
    assert families == {
        "keywords",
        "language",
        "length_constraints",
        "detectable_content",
        "detectable_format",
        "combination",
        "change_case",
        "startend",
        "punctuation",
    }


# -- keywords ---------------------------------------------------------------------------------------
def test_keyword_existence_ignores_case_and_needs_every_keyword():
    assert check("keywords:existence", "The MONA LISA hangs near the River.", keywords=["mona lisa", "river"])
    assert not check("keywords:existence", "The Mona Lisa hangs in Paris.", keywords=["Mona Lisa", "river"])


def test_keywords_are_literal_text_not_patterns():
    assert check("keywords:existence", "I write C++ daily.", keywords=["C++"])
    assert not check("keywords:existence", "Made in the UXS.", keywords=["U.S."])


@pytest.mark.parametrize(
    ("frequency", "relation", "expected"),
    [(3, "at least", True), (4, "at least", False), (4, "less than", True), (3, "less than", False)],
)
def test_keyword_frequency_counts_every_casing(frequency, relation, expected):
    response = "keyword, Keyword, KEYWORD"
    assert check("keywords:frequency", response, keyword="keyword", frequency=frequency, relation=relation) is expected


def test_forbidden_words_match_whole_words_in_any_case():
    assert not check("keywords:forbidden_words", "They seized POWER in 1933.", forbidden_words=["power", "house"])
    assert check("keywords:forbidden_words", "A powerful household name.", forbidden_words=["power", "house"])


def test_letter_frequency_counts_case_insensitively_and_accepts_symbols():
    assert check(
        "keywords:letter_frequency", "There is the T. Four T's.", letter="t", let_frequency=4, let_relation="at least"
    )
    assert check("keywords:letter_frequency", "#1 #2 #3", letter="#", let_frequency=3, let_relation="at least")
    assert check("keywords:letter_frequency", "asdfghjkl!!aA", letter="a", let_frequency=4, let_relation="less than")
    with pytest.raises(BadKwargs, match="single character"):
        build("keywords:letter_frequency", letter="ab", let_frequency=1, let_relation="at least")


# -- language ---------------------------------------------------------------------------------------
def test_response_language_uses_the_seeded_detector():
    assert check("language:response_language", "The weather is lovely today and we walk by the sea.", language="en")
    assert check("language:response_language", "Desayunamos en la playa con nuestros amigos hoy.", language="es")
    assert not check("language:response_language", "The weather is lovely today and we walk by the sea.", language="fr")


def test_text_the_detector_cannot_classify_counts_as_followed():
    assert check("language:response_language", "12345 !!! 678", language="de")


def test_chinese_code_matches_either_script_and_unknown_codes_are_refused():
    assert check("language:response_language", "今天天气很好，我们去公园散步吧。", language="zh")
    with pytest.raises(BadKwargs, match="langdetect"):
        build("language:response_language", language="xx")


# -- length -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("response", "count"),
    [
        ("One. Two! Three?", 3),
        ("Dr. Smith arrived at noon. He sat down.", 2),
        ("Plans:\n1. Buy milk\n2. Call home", 3),
        ("It costs $3.50 today. Fine.", 2),
        ("Wait... what happened? Nothing.", 2),
    ],
)
def test_number_sentences_counts_like_punkt(response, count):
    assert check("length_constraints:number_sentences", response, num_sentences=count, relation="at least")
    assert not check("length_constraints:number_sentences", response, num_sentences=count + 1, relation="at least")
    assert check("length_constraints:number_sentences", response, num_sentences=count + 1, relation="less than")


def test_number_words_counts_word_character_runs():
    assert check("length_constraints:number_words", "don't stop-now", num_words=4, relation="at least")
    assert not check("length_constraints:number_words", "don't stop-now", num_words=4, relation="less than")


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("paragraph 1\n***\nparagraph 2\n***\nparagraph 3", True),
        ("***\nparagraph 1\n***\nparagraph 2\n***\nparagraph 3\n***", True),  # dividers may open and close
        ("paragraph 1\n***\n***\nparagraph 2\n***\nparagraph 3", False),  # an empty paragraph in between
        ("paragraph 1\n\nparagraph 2\n\nparagraph 3", False),  # blank lines are not the divider
    ],
)
def test_number_paragraphs_uses_the_markdown_divider(response, expected):
    assert check("length_constraints:number_paragraphs", response, num_paragraphs=3) is expected


def test_nth_paragraph_first_word_strips_quotes_and_punctuation():
    response = 'Wow.\n\nI agree.\n\n"Really?! more than three?"\n\nYes.\n\nHaha, right.'
    assert check(
        "length_constraints:nth_paragraph_first_word", response, num_paragraphs=5, nth_paragraph=3, first_word="really"
    )
    assert not check(
        "length_constraints:nth_paragraph_first_word", response, num_paragraphs=4, nth_paragraph=3, first_word="really"
    )
    assert not check(
        "length_constraints:nth_paragraph_first_word",
        "one\n\ntwo",
        num_paragraphs=3,
        nth_paragraph=3,
        first_word="three",
    )
    with pytest.raises(BadKwargs, match="nth_paragraph"):
        build("length_constraints:nth_paragraph_first_word", num_paragraphs=2, nth_paragraph=3, first_word="x")


# -- detectable content -----------------------------------------------------------------------------
def test_placeholders_are_square_brackets_on_one_line():
    assert check("detectable_content:number_placeholders", "Dear [name], see [address].", num_placeholders=2)
    assert not check("detectable_content:number_placeholders", "Dear [name\n], see [address].", num_placeholders=2)


@pytest.mark.parametrize(
    ("marker", "response", "expected"),
    [
        ("P.S.", "Thanks.\n\nP.S. See you soon.", True),
        ("P.S.", "Thanks. p.s. lower case counts too", True),
        ("P.S.", "Thanks.\nP. S. with a space", True),
        ("P.S.", "Thanks.\nPS no periods", False),
        ("P.P.S", "Thanks.\nP.P.S. one more thing", True),
        ("P.P.S", "Thanks.\np. p. s spaced out", True),
        ("P.P.S", "Thanks.\nP.S. only one", False),
        ("PS:", "Thanks.\nP.S. this is not PS colon", False),
        ("PS:", "Thanks.\nps: custom marker", True),
    ],
)
def test_postscript_spellings(marker, response, expected):
    assert check("detectable_content:postscript", response, postscript_marker=marker) is expected


# -- detectable format ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("response", "bullets"),
    [
        ("* one\n* two", 2),
        ("- one\n-two\n  - three", 3),
        ("Paragraph 1\n***\nParagraph 2\n***\n* only one bullet", 1),  # *** separators are not bullets
        ("**Bold line**\n* a real bullet", 1),
        ("Inline asterisk (*), *, is not a bullet.\n  * This is.", 1),
        ("Text\n---\n- item", 2),  # IFEval counts a --- rule as a dash bullet
    ],
)
def test_bullet_lists(response, bullets):
    assert check("detectable_format:number_bullet_lists", response, num_bullets=bullets)
    assert not check("detectable_format:number_bullet_lists", response, num_bullets=bullets + 1)


def test_constrained_response_needs_one_of_the_three_answers():
    assert check("detectable_format:constrained_response", "My answer is no. I am still learning.")
    assert not check("detectable_format:constrained_response", "My answer is nope.")


def test_highlighted_sections_count_single_and_double_markup():
    assert check("detectable_format:number_highlighted_sections", "*one* and **two** here", num_highlights=2)
    assert not check("detectable_format:number_highlighted_sections", "*one\nand ** ** here", num_highlights=1)


def test_multiple_sections_need_the_splitter_and_a_number():
    response = "SECTION 1\nintro\nSECTION 2\nbody\nSECTION 3\nend"
    assert check("detectable_format:multiple_sections", response, section_spliter="SECTION", num_sections=3)
    assert not check("detectable_format:multiple_sections", response, section_spliter="Section", num_sections=1)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ('{"a": 1}', True),
        ('```json\n{"a": [1, 2]}\n```', True),
        ("```\n[1, 2]\n```", True),
        ('Here it is: {"a": 1}', False),
        ("[" * 100_000, False),
    ],
)
def test_json_format(response, expected):
    assert check("detectable_format:json_format", response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("<<Song of Joy>>\nLa la la.", True),
        ("Is a title at the end fine?\n<<This is the title>>", True),
        ("<<a <<b>> >> nested titles", True),
        ("<< >>\nThere is no title.", False),
        ("<<This is not a title.\nThis is a paragraph.>>", False),
        ("<<<>>", False),
    ],
)
def test_title_in_double_angular_brackets(response, expected):
    assert check("detectable_format:title", response) is expected


# -- combination ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("This is response 1.\n******\nThis is response 2.", True),
        ("******\nResponse 1\n******\nResponse 2\n******", True),
        ("Same answer.\n******\n  Same answer.  ", False),  # two responses that are the same
        ("One.\n******\nTwo.\n******\nThree.", False),
        ("******\nOne.\n******\n******\nTwo.\n******", False),  # an empty response in between
    ],
)
def test_two_responses(response, expected):
    assert check("combination:two_responses", response) is expected


def test_repeat_prompt_uses_the_kwarg_then_the_last_user_prompt():
    assert check(
        "combination:repeat_prompt", "write a CL description. Here it is.", prompt_to_repeat="Write a CL description."
    )
    assert not check(
        "combination:repeat_prompt", "Hi. Write a CL description.", prompt_to_repeat="Write a CL description."
    )
    assert check("combination:repeat_prompt", "Name three rivers. Nile, Amazon, Rhine.", prompt="Name three rivers.")
    with pytest.raises(BadKwargs, match="no 'prompt_to_repeat'"):
        build("combination:repeat_prompt")


# -- change case ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("response", "capitals"),
    [
        ("HERE there are THREE FUlly CAPITAL words.", 3),
        ("DON'T STOP", 3),  # Treebank splits DO + N'T
        ("AT&T and I", 3),
        ("CANNOT", 2),
    ],
)
def test_capital_word_frequency_counts_treebank_tokens(response, capitals):
    assert check(
        "change_case:capital_word_frequency", response, capital_frequency=capitals, capital_relation="at least"
    )
    assert not check(
        "change_case:capital_word_frequency", response, capital_frequency=capitals, capital_relation="less than"
    )


def test_english_capital_and_lowercase():
    assert check("change_case:english_capital", "THIS IS AN ENGLISH SENTENCE. EVERY LETTER IS CAPITALIZED!")
    assert not check("change_case:english_capital", "Every Word Is Capitalized.")
    assert not check("change_case:english_capital", "CECI EST UNE PHRASE ENTIÈREMENT EN FRANÇAIS ET EN MAJUSCULES.")
    assert check("change_case:english_lowercase", "every letter of this english sentence is lowercase.")
    assert not check("change_case:english_lowercase", "Almost every letter is lowercase.")


# -- start / end, punctuation -----------------------------------------------------------------------
def test_end_phrase_ignores_case_space_and_a_closing_quote():
    assert check("startend:end_checker", '"The answer is 7. Any more questions?"  \n', end_phrase="any more questions?")
    assert not check("startend:end_checker", "This will fail. Paris is cool.", end_phrase="this will fail.")


def test_quotation_wraps_the_whole_response():
    assert check("startend:quotation", '  "All of it is quoted."\n')
    assert not check("startend:quotation", '"Quoted." But not everything.')
    assert not check("startend:quotation", '"')


def test_no_comma():
    assert check("punctuation:no_comma", "No commas here. None at all.")
    assert not check("punctuation:no_comma", "Since the start, people punctuate.")


# -- kwargs validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "missing kwarg 'num_words'"),
        ({"num_words": -1, "relation": "at least"}, "must not be negative"),
        ({"num_words": True, "relation": "at least"}, "whole number"),
        ({"num_words": "10", "relation": "at least"}, "whole number"),
        ({"num_words": 10, "relation": "at most"}, "must be one of"),
        ({"num_words": 10, "relation": "at least", "extra": 1}, "unexpected kwargs"),
    ],
)
def test_bad_kwargs_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(BadKwargs, match=message):
        INSTRUCTIONS["length_constraints:number_words"](kwargs, RowContext())


def test_null_kwargs_are_ignored_as_in_the_hugging_face_copy_of_ifeval():
    kwargs = {"num_words": 3.0, "relation": "at least", "keyword": None, "language": None}
    assert INSTRUCTIONS["length_constraints:number_words"](kwargs, RowContext())("one two three")
    assert INSTRUCTIONS["punctuation:no_comma"]({"num_words": None}, RowContext())("fine")
