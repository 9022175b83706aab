"""Stage 1, the data: from a registry's export to a checked :class:`~dossier.data.model.Registry`.

The data contract as data (``contract``), partial dates (``dates``), reading a
data folder exactly as exported (``sources``: which file is which table; one CSV
file in ``csv_file``, one workbook's sheet in ``xlsx``), the contract's checks
(``checks``) and the load that runs them (``validate``), what a fault confined
to a case's rows costs (``faults``), the case model (``model``), the ``check`` report (``report``), synthetic data for tests and
benchmarks (``synthetic``), and what changed in a case's records between two
dossiers (``changes``).

An export with its own headers is translated into the contract by the mapping
layer, one module per step:

- ``aliases``: the built-in header names and labels, and how names are matched;
- ``mapping_file``: reading and checking the mapping file, ``dossier.toml``;
- ``mapping_plan``: planning a table's translation from a file's header;
- ``mapping``: translating the rows, and checking them in the export's terms;
- ``mapping_guide``: what the analyst is told (``check --explain``, ``init-mapping``).

``sources`` reads through the first four, which never import ``sources``;
``mapping_guide`` reads a folder through ``sources``.

May import: the top-level ``errors``, ``catalogue`` and ``resources``; nothing of ``ingest`` (which
writes what this stage reads), ``content``, ``run``, ``share`` or ``cli``.
"""
