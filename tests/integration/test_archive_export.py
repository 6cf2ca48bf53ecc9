"""``sohoa archive export`` of a real digitized and signed dossier (SQLite + SeaweedFS)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

import pipeline
from core.domain import SignatureLevel, SignerRole
from core.errors import Conflict, InputError, NotFound
from pipeline.archive import export
from pipeline.context import Runtime
from storage.models import Document
from tests.archive_checks import check_package
from tests.fixtures.service import submit_scans

pytestmark = pytest.mark.slow
PREMIS = "{http://www.loc.gov/premis/v3}"


def test_exported_dossier_package_passes_eark_validator(runtime: Runtime, tmp_path: Path) -> None:
    rt = runtime
    document = submit_scans(rt, tmp_path, [11], type_name="Giấy khai sinh")
    assert pipeline.digitize(rt, document.id) is True
    assert pipeline.sign(rt, document.id, SignerRole.OFFICER, SignatureLevel.B_B) is True
    with rt.sessions() as session:
        doc = session.get(Document, document.id)
        assert doc is not None and doc.signed_sha256 is not None
        code, signed_sha = doc.dossier.code, doc.signed_sha256
        original_sha = doc.originals[0].sha256

    [package] = export(rt, tmp_path / "out", code=code)
    assert package.name == code
    check_package(package)

    # The PDFs are the stored bytes: the signed PDF/A and the original scan.
    [pdf] = (package / "representations" / "preservation" / "data").iterdir()
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == signed_sha
    [scan] = (package / "representations" / "originals" / "data").iterdir()
    assert hashlib.sha256(scan.read_bytes()).hexdigest() == original_sha

    premis = etree.parse(str(package / "metadata" / "preservation" / "premis.xml"))
    types = [e.text for e in premis.iter(f"{PREMIS}eventType")]
    assert types == [
        "ingestion",
        "normalization",
        "digital signature generation",
        "digital signature validation",
    ]
    outcomes = [e.text for e in premis.iter(f"{PREMIS}eventOutcome")]
    assert outcomes[-1] != "failure"  # the signed copy was verified at export
    agents = {e.text for e in premis.iter(f"{PREMIS}agentType")}
    assert {"software", "organization", "person"} <= agents

    # A document's own package: the same checks, named after the document.
    [single] = export(rt, tmp_path / "out", code=code, document=1)
    assert single.name == f"{code}.01"
    check_package(single)
    with pytest.raises(NotFound):
        export(rt, tmp_path / "out", code=code, document=9)
    assert not list((tmp_path / "out").glob(".*staging"))  # no work folder left behind

    # A date range selects the same dossier; exporting again never overwrites.
    with pytest.raises(Conflict):
        export(rt, tmp_path / "out", start=date(2000, 1, 1), end=date(2099, 12, 31))
    with pytest.raises(InputError):
        export(rt, tmp_path / "out")
