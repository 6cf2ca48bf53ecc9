"""Shared checks of a written archive package: eark-validator, METS XSD, EAD DTD, PREMIS."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any

from lxml import etree

from storage.archive.checks import offset_problems, premis_problems

ROOT = Path(__file__).resolve().parents[1]
EARK_PYTHON = ROOT / ".venv-eark" / "bin" / "python"
SCHEMAS = ROOT / "storage" / "archive" / "schemas"
_GLAMCONV = importlib.util.find_spec("glamconv")
assert _GLAMCONV is not None and _GLAMCONV.origin, "glamconv (dev dependency) ships the EAD DTD"
EAD_DTD = Path(_GLAMCONV.origin).parent / "ead" / "ead-2002-dtd" / "ead.dtd"
XLINK_URL = "http://www.loc.gov/standards/xlink/xlink.xsd"


def mets_schema() -> etree.XMLSchema:
    # mets.xsd imports XLink from loc.gov: point it at the copy beside it (no network).
    text = (
        (SCHEMAS / "mets.xsd")
        .read_bytes()
        .replace(XLINK_URL.encode(), (SCHEMAS / "xlink.xsd").as_uri().encode())
    )
    return etree.XMLSchema(etree.fromstring(text, base_url=(SCHEMAS / "mets.xsd").as_uri()))


def eark_report(package: Path) -> dict[str, Any]:
    """eark-validator's JSON report of ``package`` (recursing into representations, checksums)."""
    assert EARK_PYTHON.exists(), "run `make eark` (the eark-validator environment)"
    done = subprocess.run(
        [str(EARK_PYTHON), str(ROOT / "scripts" / "eark_offline.py"), "-r", "-c", package.name],
        cwd=package.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    report: dict[str, Any] = json.JSONDecoder().raw_decode(text[text.index('{"uid"') :])[0]
    return report


def eark_errors(report: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "rule_id" in node:
                if node.get("severity") == "Error":
                    found.append(f"{node['rule_id']}: {node['message'][:120]}")
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(report)
    return found


def check_package(package: Path) -> dict[str, Any]:
    """Every check a package must pass; returns the eark-validator report."""
    report = eark_report(package)
    assert eark_errors(report) == []
    assert report["structure"]["status"] == "WellFormed"
    assert report["metadata"]["schema_results"]["status"] == "VALID"
    assert report["metadata"]["schematron_results"]["status"] == "VALID"
    schema = mets_schema()
    for mets in [package / "METS.xml", *package.glob("representations/*/METS.xml")]:
        doc = etree.parse(str(mets))
        assert schema.validate(doc), (mets, schema.error_log)
        assert (
            offset_problems(mets.read_bytes(), attributes=("CREATED", "CREATEDATE", "LASTMODDATE"))
            == []
        )
    ead = etree.parse(str(package / "metadata" / "descriptive" / "ead.xml"))
    dtd = etree.DTD(str(EAD_DTD))
    assert dtd.validate(ead), str(dtd.error_log)
    premis = (package / "metadata" / "preservation" / "premis.xml").read_bytes()
    assert premis_problems(premis) == []
    sums = subprocess.run(
        ["sha256sum", "--check", "--quiet", "SHA256SUMS"],
        cwd=package,
        capture_output=True,
        check=False,
    )
    assert sums.returncode == 0, sums.stdout
    return report
