"""Import: a registry's open-standard records turned into a data folder in the contract.

One reader per standard, each writing the same kind of folder (``folder``: the
contract's CSV files, ``import.json`` saying what was read and what was left out
and why, ``dossier.toml`` with the data's language), whole or not at all:

- ``oparl_client``: a polite, resilient HTTP client for OParl servers (httpx);
- ``oparl``: OParl 1.0 and 1.1, from a System or Body URL, in full or only the
  changes since the last import (its ``Snapshot`` keeps what was read);
- ``oparl_map``: OParl objects to contract rows;
- ``xml_stream``: XML read safely and as a stream (defusedxml), element helpers;
- ``fgs``: FGS Ärendehantering 1.0 and 2.0 (CITS ERMS 2.x) to contract rows;
- ``rows``: what the readers share: the rows collected, dates, the import log.

A stage beside the data flow's start: it writes what ``data`` reads. May import
``data`` (the contract), the top-level ``errors``, ``catalogue`` and ``resources``;
only ``cli`` imports it.
"""
