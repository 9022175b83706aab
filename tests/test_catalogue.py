"""The word catalogue: complete in both languages, a label for every coded value."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from dossier.catalogue import (
    LANGUAGES,
    TERMINOLOGY,
    WORDS,
    Source,
    Words,
    check_language,
    label,
    text,
    words,
)
from dossier.data.contract import CASE_STATUSES, DOC_TYPES, EVENT_KINDS, FORUM_KINDS, MEETING_STATES
from dossier.data.contract import RELATIONS as RELATION_CODES
from dossier.errors import ParameterError


def fields(words: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(words) if name}


@pytest.mark.parametrize("key", sorted(WORDS))
def test_every_key_has_every_language_non_empty_with_the_same_fields(key):
    words = WORDS[key]
    assert len(words) == len(LANGUAGES) == 3
    for lang, said in zip(LANGUAGES, words, strict=True):
        assert isinstance(said, str) and said.strip(), f"{key} has no {lang} words"
        assert fields(said) == fields(words[0]), f"{key} in {lang} has other fields than in sv"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_module_has_the_same_keys(lang):
    from dossier import catalogue

    module = getattr(catalogue, lang)
    keys = set(module.TERMS) | set(module.WORDS)
    assert keys == set(WORDS)
    assert not set(module.TERMS) & set(module.WORDS), "a key is both a term and a word"


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


def test_labels_in_every_language():
    assert label("kind", "referred_back", "sv") == "återremiss"
    assert label("kind", "referred_back", "en") == "referred back"
    assert label("kind", "referred_back", "de") == "Zurückverweisung"
    assert label("kind", "tabled", "de") == "Vertagung"
    assert label("status", "open") == "pågående"
    assert label("relation_inverse", "replaces", "en") == "replaced by"


def test_an_unknown_code_is_shown_as_it_is():
    assert label("kind", "sammanträde", "sv") == "sammanträde"


def test_text_fills_in_fields():
    assert text("count.events", "sv", n=3) == "3 händelser"
    assert text("duration.years", "en", n=2) == "2 years"
    assert text("heading.timeline", "en") == "Timeline"


@pytest.mark.parametrize("group", ["kind", "forum_kind", "status", "heading"])
def test_the_terms_a_reader_decides_by_are_in_the_reviewed_table(group):
    keys = {key for key in WORDS if key.startswith(f"{group}.")}
    for lang in LANGUAGES:
        reviewed = {term.key for term in TERMINOLOGY[lang]}
        assert keys and keys <= reviewed, lang
        for term in TERMINOLOGY[lang]:
            assert text(term.key, lang) == term.word


def test_the_reviewed_english_avoids_the_words_that_mislead():
    english = " ".join(en for _, en, _ in WORDS.values()).casefold()
    assert label("kind", "tabled", "en") == "adjourned"
    # "tabled" means the opposite in British and American usage; "owner forum" is no English.
    for misleading in ("tabled", "owner forum", "handling", " mo ", " yr "):
        assert misleading not in f" {english} "
    assert text("field.owner", "en") == "Responsible body"
    assert text("field.paragraph", "en") == "§"
    assert all(
        term.why
        for term in TERMINOLOGY["en"]
        if term.key in ("kind.tabled", "kind.referred_back", "field.owner", "field.paragraph")
    )


def test_words_keep_source_text_apart_from_the_catalogues():
    said = words("status_sentence.pending_no_points", "en", title=Source("Förslag"), when="2023")
    assert str(said) == "Pending proposal: Förslag (2023)."
    assert [type(part) for part in said] == [str, Source, str]
    assert Words.from_pairs(said.pairs()) == said
    assert isinstance(Words.from_pairs(said.pairs())[1], Source)
    # Plain text around a field merges; nested words keep their own source parts.
    nested = words("phrase.and", "sv", first=said, second="1 handling")
    assert str(nested) == "Pending proposal: Förslag (2023). och 1 handling"
    assert sum(isinstance(part, Source) for part in nested) == 1


def test_an_unknown_language_is_a_parameter_error():
    assert check_language("de") == "de"
    with pytest.raises(ParameterError, match="unknown language 'fr': use one of sv, en, de"):
        text("heading.timeline", "fr")


DOCS = Path(__file__).resolve().parents[1] / "docs"
#: A row of a terminology table: | `key` | word | why |
TABLE_ROW = re.compile(r"^\| `([a-z_.]+)` \| (.*?) \| (.*?) \|$", re.MULTILINE)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogue_follows_the_reviewed_terminology_table_in_docs(lang):
    table = (DOCS / f"terminology.{lang}.md").read_text(encoding="utf-8")
    reviewed = [(key, word, why.strip()) for key, word, why in TABLE_ROW.findall(table)]
    catalogue = [(term.key, term.word, term.why) for term in TERMINOLOGY[lang]]
    assert sorted(reviewed) == sorted(catalogue)
    assert len(reviewed) == len({key for key, _, _ in reviewed}), "a key twice in the table"
    # The terms a reader decides by are all in it, in every language.
    for group in ("kind", "forum_kind", "status", "state"):
        codes = {key for key in WORDS if key.startswith(f"{group}.")}
        assert codes <= {key for key, _, _ in reviewed}, group
    assert {f"count.{kind}" for kind in ("discussed", "referred_back", "tabled", "deferred")} <= {
        key for key, _, _ in reviewed
    }


def test_the_swedish_reads_as_a_registrar_writes_and_the_english_kinds_differ():
    assert text("field.time_open", "sv") == "Handläggningstid"
    assert text("count.deferred", "sv") == "Antal gånger uppskjutet"
    # Event kinds are nouns, as the others are.
    assert [label("kind", k, "sv") for k in ("registered", "deferred", "closed")] == [
        "registrering", "uppskov", "avslut"
    ]
    swedish = " ".join(sv for sv, _, _ in WORDS.values())
    assert "dossiern" not in swedish and "Tid öppet" not in swedish and "gjord med dossier" not in swedish
    # The two kinds that put a matter off read apart in English and German.
    for lang in ("en", "de"):
        tabled, deferred = (text(f"count.{kind}", lang) for kind in ("tabled", "deferred"))
        assert len({tabled, deferred} | {"Times postponed"}) == 3
    assert text("activity.ago", "sv", length="3 månader") == "Senaste händelse för 3 månader sedan."


@pytest.mark.parametrize(
    ("lang", "said"), [("sv", "1\xa0234 händelser"), ("en", "1,234 events"), ("de", "1.234 Ereignisse")]
)
def test_a_count_is_written_as_the_language_writes_numbers(lang, said):
    assert text("count.events", lang, n=1234) == said
    assert str(words("count.events", lang, n=1234)) == said
    # A row number is a place in a file, not a count: as the spreadsheet shows it.
    assert text("phrase.file_row", lang, file="events.csv", row=1234).endswith(" 1234")
