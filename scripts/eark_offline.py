"""Run ``eark-validator`` (PyPI 1.1.3) with no network access.

At import time eark-validator 1.1.3 fetches four CSIP vocabularies from earkcsip.dilcis.eu with
``urlopen``, although the package ships the same files in ``ipxml/resources/vocabs``. This shim
answers those URLs from the shipped files and refuses every other URL, then runs the
validator's own command line: ``python scripts/eark_offline.py [eark-validator args] PACKAGE``.
Run it with the interpreter of the separate ``.venv-eark`` (``make eark``): eark-validator pins
lxml 5.1.0, which sohoa's own environment does not use.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from importlib.resources import files
from typing import IO, Any

_VOCAB_HOST = "https://earkcsip.dilcis.eu/schema/"


def _offline_urlopen(url: Any, *args: Any, **kwargs: Any) -> IO[bytes]:
    address = url if isinstance(url, str) else url.full_url
    if address.startswith(_VOCAB_HOST):
        name = address.removeprefix(_VOCAB_HOST)
        local = files("eark_validator.ipxml.resources.vocabs").joinpath(name)
        if local.is_file():
            return local.open("rb")
    raise urllib.error.URLError(f"offline: {address} is not fetched")


def main() -> None:
    urllib.request.urlopen = _offline_urlopen  # type: ignore[assignment]
    from eark_validator.cli.app import main as eark_main  # after the patch: it binds urlopen

    sys.exit(eark_main())


if __name__ == "__main__":
    main()
