"""Stage 1, the data: from a registry's export to a checked :class:`~dossier.data.model.Registry`.

The data contract as data (``contract``), partial dates (``dates``), reading CSV
and ``.xlsx`` exactly as exported (``sources``, ``xlsx``), translating an export
with its own headers through ``dossier.toml`` (``mapping``, ``mapping_guide``),
the contract's checks (``checks``) and the load that runs them (``validate``),
the case model (``model``), the ``check`` report (``report``) and synthetic
data for tests and benchmarks (``synthetic``).

May import: the top-level ``errors``, ``catalogue`` and ``resources``; nothing
of ``content``, ``run``, ``share`` or ``cli``.
"""
