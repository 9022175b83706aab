"""The word catalogue: complete in both languages, a label for every coded value."""

from __future__ import annotations

import string

import pytest

from dossier.catalogue import LANGUAGES, WORDS, check_language, label, text
from dossier.data.contract import CASE_STATUSES, DOC_TYPES, EVENT_KINDS, FORUM_KINDS, MEETING_STATES
from dossier.data.contract import RELATIONS as RELATION_CODES
from dossier.errors import ParameterError


def fields(words: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(words) if name}


@pytest.mark.parametrize("key", sorted(WORDS))
def test_every_key_has_both_languages_non_empty_with_the_same_fields(key):
    words = WORDS[key]
    assert len(words) == len(LANGUAGES) == 2
    sv, en = words
    assert isinstance(sv, str) and sv.strip()
    assert isinstance(en, str) and en.strip()
    assert fields(sv) == fields(en)


@pytest.mark.parametrize(
    ("group", "codes"),
    [
        ("kind", EVENT_KINDS),
        ("forum_kind", FORUM_KINDS),
        ("status", CASE_STATUSES),
        ("state", MEETING_STATES),
        ("relation", RELATION_CODES),
        ("relation_inverse", RELATION_CODES),
        ("doc_type", DOC_TYPES),
    ],
)
def test_every_code_of_the_contract_has_a_label(group, codes):
    for code in codes:
        assert f"{group}.{code}" in WORDS, f"{group}.{code} has no label"
    # The catalogue has no labels for codes the contract does not know.
    assert {k.split(".", 1)[1] for k in WORDS if k.startswith(f"{group}.")} == set(codes)


def test_labels_in_both_languages():
    assert label("kind", "referred_back", "sv") == "återremiss"
    assert label("kind", "referred_back", "en") == "referral back"
    assert label("status", "open") == "pågående"
    assert label("relation_inverse", "replaces", "en") == "replaced by"


def test_an_unknown_code_is_shown_as_it_is():
    assert label("kind", "sammanträde", "sv") == "sammanträde"


def test_text_fills_in_fields():
    assert text("phrase.points", "sv", n=3) == "3 punkter"
    assert text("phrase.years_months", "en", years=1, months=2) == "1 yr 2 mo"
    assert text("heading.timeline", "en") == "Timeline"


def test_an_unknown_language_is_a_parameter_error():
    assert check_language("en") == "en"
    with pytest.raises(ParameterError, match="unknown language 'de': use one of sv, en"):
        text("heading.timeline", "de")
