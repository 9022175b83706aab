"""What the notebook's cells show in a dossier: outputs kept to a size, her print, safe HTML.

While the notebook runs, every output a cell sends is counted as it arrives
(:class:`OutputLimits`, :func:`capped_client`): past a limit the rest of the cell's
output is left out, as Jupyter's output limits do, and the cell is marked with where it
was cut. A cell that prints in an endless loop so costs the render a bounded amount of
memory, however long it runs.

As the dossier is exported (:class:`ShownOutputs`): the standard output of the analyst's
own cells shows, as preformatted text; the standard cells' printing, every cell's
standard error and warnings do not. Her HTML (Markdown, rich outputs) is cleaned of
scripts, frames, event handlers and links a reader should not follow
(:func:`clean_html`). A cut cell ends with a sentence that says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from html import escape
from urllib.parse import urlsplit

from ..catalogue import text
from .notebooks import is_analyst_cell

#: Where a cell's mark of a cut output is kept in its metadata.
CUT_KEY = "dossier"
#: Mime types of her outputs that carry HTML, and are cleaned.
HTML_TYPES = ("text/html",)


@dataclass(frozen=True)
class OutputLimits:
    """How much output the dossier keeps, in bytes (UTF-8 for text).

    Parameters
    ----------
    stream
        A cell's printed text (standard output and error together): at the limit the text
        is cut and the rest left out.
    cell
        All outputs of one cell (text, HTML, images): an output past the limit is left out.
    notebook
        All outputs of the notebook: past it every further output is left out.
    """

    stream: int = 20_000
    cell: int = 20_000_000
    notebook: int = 100_000_000

    def __post_init__(self) -> None:
        for name in ("stream", "cell", "notebook"):
            if getattr(self, name) < 1:
                raise ValueError(f"OutputLimits.{name} must be at least 1 byte")


DEFAULT_LIMITS = OutputLimits()


def _size(content: dict, room: int) -> int:
    """About how many bytes an output's content holds (its text, or its data by type).

    A text longer than ``room`` characters is over it anyway: it is not encoded to count.
    """
    if "text" in content:
        text = content["text"]
        return len(text) if len(text) > room else len(text.encode("utf-8", "surrogatepass"))
    data = content.get("data") or {}
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values()) + sum(
        len(line) for line in content.get("traceback") or ()
    )


class OutputCounter:
    """Counts a notebook's outputs as they arrive and says what of each to keep."""

    def __init__(self, limits: OutputLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.total = 0
        self._cells: dict[int, int] = {}
        self._streams: dict[int, int] = {}

    def cleared(self, index: int) -> None:
        """The cell at ``index`` cleared its outputs: they no longer count."""
        self.total -= self._cells.pop(index, 0)
        self._streams.pop(index, None)

    def admit(self, cell, index: int, msg_type: str, content: dict) -> dict | None:
        """The output's ``content`` to keep (a stream's text perhaps cut), or None to leave it out.

        Marks ``cell`` with where its output was cut (see :func:`cut_at`).
        """
        stream = content.get("name") if msg_type == "stream" else None
        rooms = [(self.limits.cell - self._cells.get(index, 0), self.limits.cell),
                 (self.limits.notebook - self.total, self.limits.notebook)]  # fmt: skip
        if stream is not None:
            rooms.append((self.limits.stream - self._streams.get(index, 0), self.limits.stream))
        room, limit = min(rooms)
        size = _size(content, max(room, 0))
        if size <= room:
            self._count(index, size, stream is not None)
            return content
        _mark_cut(cell, limit, stream)
        if stream is None or room <= 0:
            return None
        kept = content["text"][:room].encode("utf-8", "surrogatepass")[:room].decode("utf-8", "ignore")
        self._count(index, room, True)
        return {**content, "text": kept}

    def _count(self, index: int, size: int, stream: bool) -> None:
        self.total += size
        self._cells[index] = self._cells.get(index, 0) + size
        if stream:
            self._streams[index] = self._streams.get(index, 0) + size


def _mark_cut(cell, limit: int, stream: str | None) -> None:
    marks = cell.setdefault("metadata", {}).setdefault(CUT_KEY, {}).setdefault("output_cut", [])
    mark = {"after": limit, "stream": stream}
    if mark not in marks:
        marks.append(mark)


def cut_at(cell) -> list[dict]:
    """Where the outputs of ``cell`` were cut: ``{"after": bytes, "stream": name or None}`` each."""
    return list(cell.get("metadata", {}).get(CUT_KEY, {}).get("output_cut", ()))


@cache
def capped_client(base: type) -> type:
    """``base`` (an nbclient ``NotebookClient`` class) keeping its outputs within limits.

    Each output is counted as it arrives (:class:`OutputCounter`); what is past a limit is
    never stored. A stream's text joins the stream output before it, as JupyterLab shows it.
    """

    class CappedClient(base):
        def __init__(self, *args, output_limits: OutputLimits = DEFAULT_LIMITS, **kwargs):
            super().__init__(*args, **kwargs)
            self.counter = OutputCounter(output_limits)

        def output(self, outs, msg, display_id, cell_index):
            if self.output_hook_stack[msg["parent_header"].get("msg_id")]:
                return super().output(outs, msg, display_id, cell_index)
            if self.clear_before_next_output:  # the clear the base class will now make
                self.counter.cleared(cell_index)
            cell = self.nb.cells[cell_index]
            content = self.counter.admit(cell, cell_index, msg["msg_type"], msg["content"])
            if content is None:
                return None
            if content is not msg["content"]:
                msg = {**msg, "content": content}
            last = outs[-1] if outs and not self.clear_before_next_output else None
            if (msg["msg_type"] == "stream" and last is not None and last.get("output_type") == "stream"
                    and last.get("name") == content.get("name") and not display_id):  # fmt: skip
                last["text"] += content["text"]
                return last
            return super().output(outs, msg, display_id, cell_index)

        def clear_output(self, outs, msg, cell_index):
            super().clear_output(outs, msg, cell_index)
            if not outs:
                self.counter.cleared(cell_index)

    CappedClient.__name__ = CappedClient.__qualname__ = f"Capped{base.__name__}"
    return CappedClient


# --- As the dossier is exported -----------------------------------------------------------------

#: Her HTML may link only to these; ``data:`` only for images (see :func:`_keep_url`).
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
#: What her HTML keeps besides nh3's own safe list, on any element: classes and ids
#: (Markdown's heading anchors, a table's class), a language and a title.
_EXTRA_ATTRIBUTES = {"*": {"class", "id", "lang", "title"}}


def link_allowed(url: str) -> bool:
    """Whether a dossier may link to ``url``: the web, mail, or a place relative to the page."""
    scheme = urlsplit(url.strip()).scheme.lower()
    return scheme in LINK_SCHEMES or not scheme


def _keep_url(tag: str, attribute: str, value: str) -> str | None:
    """An attribute of her HTML as kept: a link as :func:`link_allowed` says; an image only
    from the page itself (``data:image/…``)."""
    if tag == "img" and attribute == "src":
        return value if value.startswith("data:image/") else None
    if attribute in ("href", "src", "cite"):
        return value if link_allowed(value) else None
    return value


def clean_html(html: str) -> str:
    """The analyst's HTML without scripts, frames, forms, styles, event handlers, or links
    other than to http(s), mail and places in the dossier (nh3, the ammonia sanitiser)."""
    import nh3

    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, names in _EXTRA_ATTRIBUTES.items():
        attributes.setdefault(tag, set()).update(names)
    return nh3.clean(
        html,
        attributes=attributes,
        url_schemes=set(LINK_SCHEMES | {"data"}),
        attribute_filter=_keep_url,
        link_rel=None,
    )


def cut_notice(after: int, lang: str) -> str:
    """The paragraph that ends a cell whose output was cut, in ``lang``."""
    size = f"{after / 1000:.0f} kB" if after < 1_000_000 else f"{after / 1_000_000:.0f} MB"
    return f'<p class="output-cut">{escape(text("phrase.output_cut", lang, size=size))}</p>'


def shown_outputs(cell, lang: str) -> list:
    """The outputs of the code ``cell`` that its dossier shows, in order (see the module)."""
    from nbformat.v4 import new_output

    hers = is_analyst_cell(cell)
    shown = []
    for output in cell.get("outputs", ()):
        if output.get("output_type") == "stream":
            if hers and output.get("name") == "stdout":
                shown.append(output)
            continue
        if hers:
            for mime in HTML_TYPES:
                if mime in output.get("data", {}):
                    output["data"][mime] = clean_html(_joined(output["data"][mime]))
        shown.append(output)
    cuts = [c for c in cut_at(cell) if c["stream"] is None or (hers and c["stream"] == "stdout")]
    if cuts:
        notice = cut_notice(min(c["after"] for c in cuts), lang)
        shown.append(new_output("display_data", data={"text/html": notice}))
    return shown


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def shown_preprocessor():
    """An nbconvert preprocessor that leaves each code cell with :func:`shown_outputs`.

    The dossier's language comes from the export's resources (``resources["dossier"]``).
    """
    from nbconvert.preprocessors import Preprocessor

    class ShownOutputs(Preprocessor):
        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type == "code":
                cell.outputs = shown_outputs(cell, resources["dossier"]["lang"])
            return cell, resources

    return ShownOutputs(enabled=True)
