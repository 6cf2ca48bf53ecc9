"""Shared test configuration. Server fixtures live in tests/fixtures/, one module per server;
each is session-scoped, starts the real thing on free loopback ports and cleans up after itself."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.ocr",
    "tests.fixtures.pki",
    "tests.fixtures.s3",
    "tests.fixtures.db",
    "tests.fixtures.service",
]

RESOURCES = Path(__file__).parent / "resources"


@pytest.fixture(scope="session")
def resources() -> Path:
    """Folder of real input files (licences in resources/README.md)."""
    return RESOURCES
