"""Write a package folder (E-ARK CSIP structure) from a :class:`DossierPackage` and its files::

    <OBJID>/METS.xml
    <OBJID>/documentation/package.txt          what the package holds (Vietnamese and English)
    <OBJID>/schemas/mets.xsd, xlink.xsd
    <OBJID>/metadata/descriptive/ead.xml
    <OBJID>/metadata/preservation/premis.xml
    <OBJID>/representations/<rep>/METS.xml
    <OBJID>/representations/<rep>/data/<files>

Every file's SHA-256 is checked as it is placed (the package never holds bytes other than the
ones its metadata describes) and listed in ``<OBJID>/SHA256SUMS`` too.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

from core.errors import Conflict, IntegrityError
from core.hashing import sha256_file
from storage.archive.ead import build_ead
from storage.archive.mets import MetadataFile, representation_mets, root_mets
from storage.archive.model import DossierPackage, PackageFile
from storage.archive.premis import build_premis

SCHEMAS = Path(__file__).parent / "schemas"

#: Puts the bytes of ``file`` at the given path (from S3, verified against its SHA-256).
Fetch = Callable[[PackageFile, Path], None]


def _write(root: Path, relative: str, data: bytes) -> MetadataFile:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return MetadataFile(relative, hashlib.sha256(data).hexdigest(), len(data))


def _description(pkg: DossierPackage) -> bytes:
    lines = [
        f"Gói lưu trữ hồ sơ {pkg.dossier_code} / Archive package of dossier {pkg.dossier_code}",
        f"Cơ quan / Agency: {pkg.agency_name} ({pkg.agency_code})",
        f"Thủ tục / Procedure: {pkg.procedure_code} {pkg.procedure_name or ''}".rstrip(),
        f"Loại gói / OAIS package type: {pkg.package_type} (E-ARK CSIP 2.1)",
        "",
        "METS.xml                          cấu trúc gói / package structure (METS, CSIP)",
        "metadata/descriptive/ead.xml      mô tả hồ sơ, tài liệu / description (EAD 2002)",
        "metadata/preservation/premis.xml  bảo quản: số hóa, ký số, kiểm tra / events (PREMIS 3)",
        f"representations/{pkg.representations[0]}/data     bản quét gốc / originals as received",
        f"representations/{pkg.representations[-1]}/data  bản PDF/A-2b đã ký / signed PDF/A-2b",
        "SHA256SUMS                        SHA-256 mọi tệp / of every file (sha256sum -c)",
        "",
        "Thời gian theo ISO 8601, múi giờ +07:00 / times in ISO 8601 with +07:00.",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_package(pkg: DossierPackage, out_dir: Path, fetch: Fetch) -> Path:
    """Write ``pkg`` under ``out_dir/<OBJID>``; returns the package folder.

    Raises:
        Conflict: the package folder exists already (an export never overwrites).
        IntegrityError: a fetched file does not hash to the SHA-256 its metadata records.
    """
    root = out_dir / pkg.object_id
    if root.exists():
        raise Conflict(f"package {root} already exists", detail_vi=f"Gói {root} đã tồn tại")
    root.mkdir(parents=True)
    try:
        for file in pkg.files:
            target = root / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            fetch(file, target)
            if sha256_file(target) != file.sha256:
                raise IntegrityError(
                    f"{file.path} does not match its recorded SHA-256",
                    detail_vi=f"Tệp {file.path} sai mã băm SHA-256",
                )
        ead = _write(root, "metadata/descriptive/ead.xml", build_ead(pkg))
        premis = _write(root, "metadata/preservation/premis.xml", build_premis(pkg))
        documentation = [_write(root, "documentation/package.txt", _description(pkg))]
        schemas = [
            _write(root, f"schemas/{xsd.name}", xsd.read_bytes())
            for xsd in sorted(SCHEMAS.glob("*.xsd"))
        ]
        reps = {
            rep: _write(root, f"representations/{rep}/METS.xml", representation_mets(pkg, rep))
            for rep in pkg.representations
        }
        _write(root, "METS.xml", root_mets(pkg, ead, premis, reps, documentation, schemas))
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    files = sorted(p for p in root.rglob("*") if p.is_file())
    sums = "".join(f"{sha256_file(p)}  {p.relative_to(root).as_posix()}\n" for p in files)
    (root / "SHA256SUMS").write_text(sums, encoding="ascii")
    return root


__all__ = ["Fetch", "write_package"]
