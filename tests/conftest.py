"""Shared test configuration. Server fixtures live in tests/fixtures/, one module per server;
each is session-scoped, starts the real thing on free loopback ports and cleans up after itself."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.ocr",
    "tests.fixtures.pki",
    "tests.fixtures.s3",
    "tests.fixtures.db",
    "tests.fixtures.service",
    "tests.fixtures.scale",
]

RESOURCES = Path(__file__).parent / "resources"

#: Markers every test in a folder carries (so no test file has to remember them).
_FOLDER_MARKERS: dict[str, tuple[str, ...]] = {
    "unit": ("unit",),
    "integration": ("integration",),
    "e2e": ("e2e", "integration"),
    "browser": ("browser", "e2e", "integration"),
    "fuzz": ("fuzz",),
}


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Each test gets the root logger as it found it: a command run in-process configures
    logging onto a stderr stand-in that is closed afterwards, and later tests would then see
    "Logging error" tracebacks."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the folder it lives in: ``tests/<folder>/...``."""
    tests = Path(__file__).parent
    for item in items:
        try:
            folder = item.path.relative_to(tests).parts[0]
        except (ValueError, IndexError):
            continue
        for name in _FOLDER_MARKERS.get(folder, ()):
            item.add_marker(name)


@pytest.fixture(scope="session")
def resources() -> Path:
    """Folder of real input files (licences in resources/README.md)."""
    return RESOURCES
