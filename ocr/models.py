"""The optional "best" Tesseract models (larger, slightly more accurate, ~2× slower).

Debian ships the small "fast" networks. The integer "best" ones are published on the npm registry
as ``@tesseract.js-data/<lang>`` (file ``4.0.0_best_int/<lang>.traineddata.gz``). A tessdata
folder for ``--tessdata-dir`` must also hold ``osd.traineddata`` and ``configs/`` (the ``tsv``
output config), which are copied from the system's tessdata.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from core.errors import ConfigurationError

NPM_VERSION = "1.0.0"
_MEMBER = "package/4.0.0_best_int/{lang}.traineddata.gz"


def system_tessdata() -> Path:
    """The tessdata folder of the installed Tesseract (from ``tesseract --list-langs``)."""
    out = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r'"([^"]+)"', out)
    if not found:
        raise ConfigurationError("cannot find Tesseract's tessdata folder")
    return Path(found.group(1))


def install_best_models(target: Path, languages: Sequence[str]) -> Path:
    """Fetch the best models for ``languages`` with npm into ``target``; returns ``target``.

    Raises:
        ConfigurationError: npm is missing or a package lacks the model.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise ConfigurationError("npm is needed to fetch the best models (apt install npm)")
    target.mkdir(parents=True, exist_ok=True)
    system = system_tessdata()
    shutil.copy2(system / "osd.traineddata", target / "osd.traineddata")
    shutil.copytree(system / "configs", target / "configs", dirs_exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sohoa-models-") as folder:
        for lang in languages:
            if (target / f"{lang}.traineddata").is_file():
                continue
            package = f"@tesseract.js-data/{lang}@{NPM_VERSION}"
            done = subprocess.run(
                [npm, "pack", package, "--silent", "--pack-destination", folder],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise ConfigurationError(f"npm pack {package} failed: {done.stderr.strip()[:200]}")
            tgz = Path(folder) / done.stdout.strip().splitlines()[-1]
            with tarfile.open(tgz) as archive:
                member = archive.extractfile(_MEMBER.format(lang=lang))
                if member is None:
                    raise ConfigurationError(f"{package} has no best_int model")
                partial = target / f"{lang}.traineddata.partial"
                with gzip.open(member) as model, partial.open("wb") as out:
                    shutil.copyfileobj(model, out)
                partial.replace(target / f"{lang}.traineddata")
    return target
