"""Stage 2, the content: what a dossier says and shows about one case, as of its day.

Pure functions over a :class:`~dossier.data.model.CaseFile` cut to its day:
the measures (counts, decisions, quiet spells: ``analysis``), the sentences
and figures a reader sees, built once for every output (``view``), the case
as every output opens it (``context``), the timeline (``figures``; what goes where in
``timeline_layout``, the drawing in ``timeline_drawing``, its look, marker
shapes and axis in ``figure_style``), the
sections each notebook cell shows (``sections``) and the HTML templates they
fill (``pages``), and a meeting's agenda with each item's case in a sentence,
as the meeting pack and its mail show it (``agenda``). Nothing here starts a kernel, writes a dossier or sends a
mail.

May import: ``data`` and the top-level ``errors``, ``catalogue`` and
``resources``; nothing of ``run``, ``share`` or ``cli``.
"""
