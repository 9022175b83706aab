"""No dead link in what leaves the machine: a meeting pack, a mail's files.

Every link of every file is walked (``link_walker``): it opens where the file is read, or
it is not there. Shown on small dossiers made by the real export and bound by the real
binder, with a dossier PDF crafted as an attacker would (pikepdf) among them, and on the
sample meeting's batch and mail.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import pikepdf
import pytest
from conftest import SAMPLE_CASE as CASE
from conftest import SAMPLE_MEETING as MEETING
from conftest import run_in_process as run
from conftest import small_dossier
from link_walker import html_dead_links, pdf_dead_links
from mails import attachments, html_part, mail_args, parse
from pdf_structure import cover_with_links, destinations, page_texts

from dossier.run.export import write_pdf
from dossier.run.pack import PackedDossier, write_pack_pdf

#: Links a dossier's own page may hold: a section of its own, its related cases' dossiers
#: beside it (one bound in the pack, one not), the data's web and mail addresses, and
#: what an analyst's own cell could put there.
LINKS = (
    '<p><a href="#s1">Till avsnitt 1</a> · <a href="../A-2-2021/A-2-2021.html">A/2/2021</a>'
    ' · <a href="../X-9-2020/X-9-2020.html">X/9/2020</a> · <a href="https://example.org/a">webb</a>'
    ' · <a href="mailto:registrator@example.org">e-post</a> · <a href="file:///etc/passwd">fil</a>'
    ' · <a href="javascript:alert(1)">skript</a> · <a href="notes.txt">anteckning</a></p>'
)


def craft(path: Path) -> None:
    """Add to a dossier's PDF what runs: JavaScript on opening the document and a page, a
    link that launches a program, one that runs JavaScript, a form field with a script."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        pdf.Root.OpenAction = pdf.make_indirect(script)
        pdf.Root.AA = pikepdf.Dictionary(WC=script)
        page = pdf.pages[0].obj
        page.AA = pikepdf.Dictionary(O=script)
        launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("/bin/sh"))
        rect = pikepdf.Array([10, 10, 50, 50])
        page.Annots.append(pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=rect, A=launch)))
        page.Annots.append(pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=rect, A=script,
            AA=pikepdf.Dictionary(E=script))))
        page.Annots.append(pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, Rect=rect,
            AA=pikepdf.Dictionary(K=script))))
        goto = pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.String("s2"),
                                  Next=script)  # fmt: skip
        page.Annots.append(pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=rect, A=goto)))
        pdf.save(path)


def linked_pack(folder: Path, *, crafted: bool) -> tuple[Path, list[PackedDossier]]:
    """Two dossiers with :data:`LINKS` bound in a pack, the first one ``crafted``."""
    dossiers = []
    for item, case_id, sections in (("7", "A/1/2020", 2), ("8", "A/2/2021", 1)):
        slug = case_id.replace("/", "-")
        page = small_dossier(case_id, "Ärende", sections).replace("</section>", LINKS + "</section>", 1)
        write_pdf(page, folder / f"{slug}.pdf")
        dossiers.append(PackedDossier(item, case_id, "Ärende", slug, folder / f"{slug}.pdf"))
    if crafted:
        craft(dossiers[0].pdf)
        assert pdf_dead_links(dossiers[0].pdf)  # the walker sees what was crafted
    path = folder / "pack.pdf"
    write_pack_pdf(path, cover_with_links(dossiers), dossiers, lang="sv")
    return path, dossiers


@pytest.fixture(scope="module")
def crafted_pack(tmp_path_factory) -> tuple[Path, list[PackedDossier]]:
    return linked_pack(tmp_path_factory.mktemp("links"), crafted=True)


def uris(path: Path) -> list[str]:
    with pikepdf.open(path) as pdf:
        return [str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", ())
                if "/A" in a and a.A.get("/S") == "/URI"]  # fmt: skip


def test_a_pack_holds_no_link_that_cannot_open_and_nothing_that_runs(crafted_pack):
    path, _ = crafted_pack
    assert pdf_dead_links(path) == []
    assert sorted(set(uris(path))) == ["https://example.org/a", "mailto:registrator@example.org"]
    # The links that went leave their text: the cases and the files are named, not linked.
    first = page_texts(path)[1]
    for words in ("X/9/2020", "fil", "skript", "anteckning", "A/2/2021"):
        assert words in first


def test_a_related_case_bound_in_the_pack_is_a_jump_to_its_first_page(crafted_pack):
    path, _ = crafted_pack
    where = destinations(path)
    with pikepdf.open(path) as pdf:
        dests = [str(a.Dest) for a in pdf.pages[1].Annots if "/Dest" in a]
    assert "item:A-2-2021" in dests and where["item:A-2-2021"] == 4
    # A GoTo of the dossier's own keeps its place in that dossier, not the other's.
    assert "A-1-2020:s2" in dests and "s2" not in dests


def test_a_pack_of_links_that_went_is_still_one_tagged_document(tmp_path, conformance):
    path, _ = linked_pack(tmp_path, crafted=False)
    assert pdf_dead_links(path) == []
    assert conformance(path, "ua1") == []


@pytest.mark.kernel
@pytest.mark.xdist_group("batch")
def test_a_crafted_dossier_pdf_in_the_output_folder_runs_nothing_in_the_pack(tmp_path):
    """A dossier's PDF replaced in --out (its manifest made to vouch for it): the batch takes it
    as current and binds it; the pack keeps none of what it would run."""
    import json

    from batch_runs import batch

    from dossier.run.manifest import file_record

    first = batch(tmp_path / "out", "--meeting", MEETING, "--workers", "2")
    assert first.status == 0, first.stderr
    folder = tmp_path / "out" / "RUN-168-2020"
    craft(folder / "RUN-168-2020.pdf")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["RUN-168-2020.pdf"] = file_record((folder / "RUN-168-2020.pdf").read_bytes())
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "out" / "batch-report.json").unlink()  # not the same batch: the pack is bound again
    again = batch(tmp_path / "out", "--meeting", MEETING, "--workers", "2")
    assert again.status == 0, again.stderr
    assert again.report["counts"]["skipped"] == 2
    assert pdf_dead_links(folder / "RUN-168-2020.pdf")  # what was crafted is there
    assert pdf_dead_links(tmp_path / "out" / again.report["meeting_pack"]["pdf"]) == []


# -- the files of a mail -----------------------------------------------------------------------

RELATED = "RUN/136/2022"


@pytest.fixture
def folder(rendered: Path, tmp_path: Path) -> Path:
    """This test's own copy of the sample's rendered output folder (its dossiers current)."""
    import shutil

    return Path(shutil.copytree(rendered, tmp_path / "dossiers"))


def walk_mail(path: Path) -> tuple[dict[str, bytes], list[str]]:
    """A mail's attachments, and every link in them and in its body that cannot open."""
    message = parse(path.read_bytes())
    found = attachments(message)
    sent = set(found)
    dead = [f"body: {href}" for href in html_dead_links(html_part(message), sent)]
    for name, data in found.items():
        if name.endswith(".html"):
            dead += [f"{name}: {href}" for href in html_dead_links(data.decode("utf-8"), sent)]
        else:
            dead += [f"{name}: {problem}" for problem in pdf_dead_links(data, sent)]
    return found, dead


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_a_mail_of_related_cases_links_each_to_the_others_file_sent_with_it(folder, capsys):
    code, stdout, stderr = run(capsys, *mail_args(folder, CASE, RELATED, "--attach", "both"))
    assert code == 0, stderr
    found, dead = walk_mail(Path(stdout.strip()))
    assert len(found) == 4 and dead == []
    name = {(n.split()[0], n.rsplit(".", 1)[1]): n for n in found}
    page = found[name["RUN-168-2020", "html"]].decode("utf-8")
    assert f'<a href="{quote(name["RUN-136-2022", "html"])}">{RELATED}</a>' in page
    pdf = found[name["RUN-168-2020", "pdf"]]
    with pikepdf.open(BytesIO(pdf)) as opened:
        targets = {str(a.A.URI) for p in opened.pages for a in p.get("/Annots", ()) if "/A" in a}
    assert targets == {quote(name["RUN-136-2022", "pdf"])}


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_a_mail_names_a_related_case_whose_dossier_it_does_not_send(folder, capsys):
    code, stdout, stderr = run(capsys, *mail_args(folder, CASE, "--attach", "both"))
    assert code == 0, stderr
    found, dead = walk_mail(Path(stdout.strip()))
    assert len(found) == 2 and dead == []
    own_folder = folder / "RUN-168-2020"
    page = next(data for n, data in found.items() if n.endswith(".html")).decode("utf-8")
    own = (own_folder / "RUN-168-2020.html").read_text(encoding="utf-8")
    assert "../RUN-136-2022/RUN-136-2022.html" in own  # in the folder, where it opens
    assert page == own.replace('<a href="../RUN-136-2022/RUN-136-2022.html">', "<a>")
    pdf = next(data for n, data in found.items() if n.endswith(".pdf"))
    (folder / "sent.pdf").write_bytes(pdf)
    assert page_texts(folder / "sent.pdf") == page_texts(own_folder / "RUN-168-2020.pdf")


@pytest.mark.kernel
@pytest.mark.xdist_group("mail")
def test_a_meeting_mail_with_its_pack_and_dossiers_holds_no_dead_link(folder, capsys):
    code, stdout, stderr = run(capsys, *mail_args(folder, "--meeting", MEETING, "--attach", "both"))
    assert code == 0, stderr
    found, dead = walk_mail(Path(stdout.strip()))
    assert len(found) == 3 and dead == []
    pack = next(data for n, data in found.items() if n.startswith(MEETING))
    with pikepdf.open(BytesIO(pack)) as opened:
        jumps = {str(a.Dest) for p in opened.pages for a in p.get("/Annots", ()) if "/Dest" in a}
    assert {"item:RUN-168-2020", "item:RUN-136-2022"} <= jumps
