"""The sample dossier's HTML, byte for byte as it was: a faster render must not change a byte.

``tests/golden/RUN-168-2020.sv.html`` is ``dossier render RUN/168/2020 --as-of 2023-06-01``
(Swedish, the sample data) as rendered before the render was made faster. Two renders of it
give the same bytes (nothing in it is a path, a clock or a random number), so it is compared
whole, with nothing normalised. A change meant to change the dossier renews the golden copy
in the same commit, and says why.
"""

from __future__ import annotations

import difflib

import pytest
from conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "RUN-168-2020.sv.html"


@pytest.mark.xdist_group("render")
def test_the_sample_dossiers_html_is_byte_for_byte_the_golden_copy(sample_dossier_sv) -> None:
    rendered = sample_dossier_sv.files.html.read_bytes()
    golden = GOLDEN.read_bytes()
    if rendered != golden:
        diff = difflib.unified_diff(
            golden.decode("utf-8").splitlines(),
            rendered.decode("utf-8").splitlines(),
            "golden",
            "rendered",
            lineterm="",
            n=1,
        )
        pytest.fail("the sample dossier's HTML changed:\n" + "\n".join(list(diff)[:40]))
