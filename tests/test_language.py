"""The data's own language: ``[data] lang`` in the data folder's dossier.toml marks its text.

Source text (titles, names, proposals) keeps the registry's language in a dossier of
any language, marked with it in the HTML (``lang``) and in the PDF's tags (``/Lang``).
Without the setting its language is unknown (``lang=""``), never taken to be Swedish.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from conftest import AS_OF, SAMPLE_CASE, SAMPLE_DATA

from dossier import sections as show
from dossier.catalogue import Source, Words
from dossier.content.pages import say
from dossier.data.language import data_language, is_language_tag, setting_text
from dossier.data.validate import load
from dossier.errors import DataError

TITLE = "Länsgemensam påverkansagenda"


def sample_copy(folder: Path, setting: str | None) -> Path:
    """The sample data in ``folder``, its dossier.toml saying ``setting`` (None: no dossier.toml)."""
    data = folder / "data"
    shutil.copytree(SAMPLE_DATA, data)
    toml = data / "dossier.toml"
    if setting is None:
        toml.unlink()
    else:
        toml.write_text(setting, encoding="utf-8")
    return data


def marked(html: str, text: str) -> set[str]:
    """The ``lang`` of every span that holds exactly ``text``."""
    return set(re.findall(rf'<span lang="([^"]*)">{re.escape(text)}</span>', html))


# --- The setting ------------------------------------------------------------------------------


def test_the_sample_says_its_data_is_swedish():
    assert data_language(SAMPLE_DATA) == "sv"
    assert load(SAMPLE_DATA).source_lang == "sv"


@pytest.mark.parametrize("tag", ["de", "de-AT", "sv-FI", "se", "gsw-CH", "zh-Hant-TW", "en-GB"])
def test_a_data_folder_says_its_language_as_bcp_47(tmp_path, tag):
    data = sample_copy(tmp_path, setting_text(tag))
    assert data_language(data) == tag
    assert load(data).case_file(SAMPLE_CASE).source_lang == tag


def test_without_the_setting_the_datas_language_is_unknown(tmp_path):
    assert data_language(sample_copy(tmp_path / "none", None)) == ""
    assert data_language(sample_copy(tmp_path / "empty", "[data]\n")) == ""


@pytest.mark.parametrize(
    ("setting", "where", "expected"),
    [
        ('[data]\nlang = "Deutsch"\n', "dossier.toml line 2", "is not a language tag"),
        ('[data]\nlang = "xx"\n', "dossier.toml line 2", 'e.g. "sv", "de", "en-GB"'),
        ("[data]\nlang = 7\n", "dossier.toml line 2", "is not a language tag"),
        ('# notes\n[data]\nlanguage = "de"\n', "dossier.toml line 3", "is not a key of [data] (keys: lang)"),
        ('data = "de"\n', "dossier.toml line 1", "must be a table: write it as [data]"),
    ],
)
def test_a_setting_that_is_not_a_language_is_refused_naming_its_line(tmp_path, setting, where, expected):
    data = sample_copy(tmp_path, setting)
    with pytest.raises(DataError) as caught:
        load(data)
    message = str(caught.value)
    assert where in message and expected in message


def test_the_check_command_refuses_a_bad_setting_with_exit_2(tmp_path, capsys):
    from dossier.cli import main

    data = sample_copy(tmp_path, '[data]\nlang = "Deutsch"\n')
    assert main(["check", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "dossier.toml line 2" in err and "'Deutsch'" in err and "Traceback" not in err


def test_only_well_formed_tags_of_known_languages_are_language_tags():
    assert all(map(is_language_tag, ["sv", "de-DE", "fi", "smj", "nb-NO"]))
    assert not any(map(is_language_tag, ["", "svenska", "s", "de_DE", "xx", "de-", None]))
    with pytest.raises(ValueError, match="not a language tag"):
        setting_text("Deutsch")


# --- The marks in the HTML --------------------------------------------------------------------


def test_source_text_is_marked_with_the_datas_language_on_a_page_of_another():
    said = Words(["Beschluss: ", Source("Haushaltssatzung 2024"), "."])
    assert say(said, "sv", "de") == 'Beschluss: <span lang="de">Haushaltssatzung 2024</span>.'
    assert say(said, "de", "de") == "Beschluss: Haushaltssatzung 2024."
    # Unknown: marked as such, never as the page's language or as Swedish.
    assert say(said, "en", "") == 'Beschluss: <span lang="">Haushaltssatzung 2024</span>.'
    assert say(Source("<b>"), "sv", "de") == '<span lang="de">&lt;b&gt;</span>'


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
def test_a_dossier_of_german_data_marks_its_text_german_in_every_language(tmp_path, lang):
    data = sample_copy(tmp_path, setting_text("de"))
    case = show.open_case(SAMPLE_CASE, data_dir=data, as_of=AS_OF, lang=lang)
    page = "".join(str(part(case)) for part in (show.header, show.summary, show.history))
    if lang == "de":
        assert f">{TITLE}</h1>" in page and not re.search(r'<span lang="', page)
    else:
        assert marked(page, TITLE) == {"de"}
        assert "Regionala utvecklingsnämnden" in marked_texts(page, "de")
        assert '<span lang="sv"' not in page


def marked_texts(html: str, lang: str) -> set[str]:
    return set(re.findall(rf'<span lang="{lang}">([^<]*)</span>', html))


@pytest.mark.parametrize("lang", ["sv", "en", "de"])
def test_without_the_setting_no_text_is_marked_swedish(tmp_path, lang):
    data = sample_copy(tmp_path, None)
    case = show.open_case(SAMPLE_CASE, data_dir=data, as_of=AS_OF, lang=lang)
    page = str(show.header(case))
    assert marked(page, TITLE) == {""}
    assert '<span lang="sv"' not in page


# --- The marks in the PDF's tags --------------------------------------------------------------


def structure_langs(path: Path) -> dict[str, int]:
    """How many structure elements carry each ``/Lang``, and the catalogue's as ``"catalog"``."""
    import pikepdf

    found: dict[str, int] = {}
    with pikepdf.open(path) as pdf:
        found["catalog:" + str(pdf.Root.Lang)] = 1

        def walk(element) -> None:
            if not isinstance(element, pikepdf.Dictionary):
                return
            if "/Lang" in element and "/S" in element:
                lang = str(element.Lang)
                found[lang] = found.get(lang, 0) + 1
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                walk(kid)

        walk(pdf.Root.StructTreeRoot)
    return found


def test_text_of_an_unknown_language_is_tagged_undetermined_and_the_pdf_stays_pdf_ua(
    tmp_path, conformance
):
    from dossier.run.export import lay_out, write_document

    page = ('<!DOCTYPE html><html lang="sv"><head><title>Ärende</title></head><body>'
            '<h1><span lang="">Haushaltssatzung</span></h1><p>Beslut om <span lang="de">Vorlage'
            "</span> i nämnden.</p></body></html>")  # fmt: skip
    pdf = tmp_path / "marked.pdf"
    pdf.write_bytes(write_document(lay_out(page), None))
    assert structure_langs(pdf) == {"catalog:sv": 1, "und": 1, "de": 1}
    assert conformance(pdf, "ua1") == []


@pytest.mark.kernel
@pytest.mark.xdist_group("render")
def test_the_pdf_tags_carry_the_datas_language(tmp_path, sample_dossier_en, conformance):
    from dossier.content.parameters import DossierParameters
    from dossier.run.render import RenderOptions, build_dossier

    # The sample in English: its Swedish text is tagged Swedish.
    english = structure_langs(sample_dossier_en.files.pdf)
    assert english.get("catalog:en") == 1 and english.get("sv", 0) > 10, english
    # German data in a Swedish dossier: the document is Swedish, the data's text German.
    data = sample_copy(tmp_path, setting_text("de"))
    options = RenderOptions(DossierParameters(lang="sv", as_of=dt.date.fromisoformat(AS_OF)))
    files = build_dossier(SAMPLE_CASE, data_dir=data, out_dir=tmp_path / "out", options=options)
    german = structure_langs(files.pdf)
    # (one element says "sv": the header, which carries the page's language itself)
    assert german.get("catalog:sv") == 1 and german.get("de", 0) > 10 and german.get("sv", 0) <= 1, german
    assert marked(files.html.read_text(encoding="utf-8"), TITLE) == {"de"}
    assert conformance(files.pdf, "ua1") == []


def test_check_says_the_datas_language_or_how_to_give_it(tmp_path, capsys):
    from dossier.cli import main

    assert main(["check", "--data", str(SAMPLE_DATA)]) == 0
    assert "Language of the data's text: sv" in capsys.readouterr().out
    assert main(["check", "--data", str(sample_copy(tmp_path, None))]) == 0
    assert 'unknown (say it in dossier.toml: [data] lang = "sv"' in capsys.readouterr().out


def test_a_mapping_file_named_on_the_command_line_says_the_language_too(tmp_path):
    data = sample_copy(tmp_path, None)
    elsewhere = tmp_path / "mapping.toml"
    elsewhere.write_text(setting_text("de"), encoding="utf-8")
    assert load(data, mapping=elsewhere).source_lang == "de"
    assert load(data).source_lang == ""


def test_a_starter_mapping_keeps_the_language_it_replaces_or_says_how_to_give_it(tmp_path):
    from dossier.cli import main

    export = tmp_path / "export"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "registry_export", export)
    assert data_language(export) == "sv"
    assert main(["init-mapping", "--data", str(export), "--force"]) == 0
    assert '[data]\nlang = "sv"  # kept' in (export / "dossier.toml").read_text(encoding="utf-8")
    assert load(export).source_lang == "sv"
    (export / "dossier.toml").unlink()
    assert main(["init-mapping", "--data", str(export)]) == 0
    assert '# lang = "sv"' in (export / "dossier.toml").read_text(encoding="utf-8")
    assert load(export).source_lang == ""


def test_a_written_batch_report_gives_the_datas_language_only_as_a_tag():
    from dossier.run.results import BatchReport

    assert BatchReport.language_of({"source_lang": "de"}) == "de"
    assert BatchReport.language_of({"source_lang": '"><script>'}) == ""
    assert BatchReport.language_of({"source_lang": ["sv"]}) == ""
    assert BatchReport.language_of({}) == ""
