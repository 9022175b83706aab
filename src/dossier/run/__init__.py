"""Stage 3, the run: from a case and options to a dossier's files in the output folder.

One dossier as a unit of work and its key (``job``), kernels started ahead of
need (``kernel``, ``kernel_template``) and processes that end together
(``lifetime``), the notebook run through papermill
(``execute``), what its cells show in the dossier (``cell_output``), HTML
and PDF (``export``), the story of one dossier (``render``), many dossiers at
once (``batch``): the cases it renders (``selection``), the processes that
render them (``workers``, on a Dask cluster ``cluster``), and what they did
(``results``, ``report``), the meeting pack (``pack``), its front (``front``)
and its binding (``bind``, ``references``), what a file that leaves the
machine may link to (``links``), what went into each dossier and what came
out (``manifest``), and the output folder: its lock, one folder per case,
each written whole or not at all (``output``).

May import: ``content``, ``data`` and the top-level modules; nothing of
``share`` or ``cli``.
"""
