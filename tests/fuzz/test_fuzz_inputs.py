"""Fuzz the upload checks and verification with mutated PDFs, TIFFs, PNGs and JPEGs (#11).

10,000 cases from a seeded corpus (``derandomize``: the same cases on every run): 5,000 through
the intake checks that run before anything is stored (``pipeline.adapters.check_input``),
4,700 through the verification caps and ``verify_pdf`` itself in-process, 300 through
``POST /verify`` over HTTP (the child-process box). Zero crashes (only ``SohoaError`` input
problems), zero 5xx, no case over its time limit, the API's memory bounded.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from pydantic import SecretStr
from sqlalchemy import Engine

from api.app import create_app
from core.domain import SignatureLevel
from core.errors import SohoaError
from core.settings import Settings
from pipeline import adapters
from pipeline.context import Runtime
from signing import SignatureRequest, sign_pdf
from signing.pdfcaps import VerifyCaps, check_caps
from signing.verify import verify_pdf
from storage.db import session_factory
from tests.fuzz.mutations import mutated

pytestmark = [
    pytest.mark.slow,
    pytest.mark.integration,
    # a failing case is shown shrunk; the warning is about the repr of 100 KB seeds
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning"),
]

_FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
_EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpg": ".jpg", "tif": ".tif", "bmp": ".bmp"}


def _images() -> dict[str, bytes]:
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (96, 64), "white")
    ImageDraw.Draw(page).text((4, 20), "Số hóa 2025", fill="black")
    made: dict[str, bytes] = {}
    for name, image, fmt, extra in (
        ("rgb.png", page, "PNG", {}),
        ("palette.png", page.convert("P", colors=2), "PNG", {}),
        ("grey.jpg", page.convert("L"), "JPEG", {"quality": 70}),
        ("rgb.jpg", page, "JPEG", {"quality": 80}),
        ("g4.tif", page.convert("1"), "TIFF", {"compression": "group4", "dpi": (200, 200)}),
        ("lzw.tif", page, "TIFF", {"compression": "tiff_lzw"}),
        ("page.bmp", page, "BMP", {}),
    ):
        out = io.BytesIO()
        image.save(out, fmt, **extra)
        made[name] = out.getvalue()
    return made


@pytest.fixture(scope="module")
def corpus(
    signing_settings: Settings,
    pdfa_1page: Path,
    resources: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, bytes]:
    """The seeds: signed PDFs (B-B, B-LTA, two signatures), PDF/As, scans of each kind."""
    seeds = {"pdfa.pdf": pdfa_1page.read_bytes()}
    for level in (SignatureLevel.B_B, SignatureLevel.B_LTA):
        request = SignatureRequest(level=level)
        seeds[f"signed-{level.value}.pdf"] = sign_pdf(
            pdfa_1page, None, request, settings=signing_settings
        ).data
    twice = sign_pdf(
        seeds["signed-B-B.pdf"], None, SignatureRequest(level=SignatureLevel.B_T),
        settings=signing_settings,
    ).data  # fmt: skip
    seeds["signed-twice.pdf"] = twice
    for name in ("kcs.pdf", "cardinal.pdf"):
        seeds[name] = (resources / name).read_bytes()
    seeds.update(_images())
    return seeds


def _only_input_problems(exc: BaseException) -> None:
    if not isinstance(exc, SohoaError) or exc.status >= 500:
        raise AssertionError(f"crash: {type(exc).__name__}: {exc}") from exc


# Pillow warns about each damaged TIFF tag it skips; the check still decides
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_intake_checks_never_crash(
    corpus: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("fuzz-intake")
    config = Settings(data_dir=work / "data")
    slowest = [0.0]

    @given(mutated(corpus))
    def case(seed: tuple[str, bytes]) -> None:
        name, data = seed
        path = work / f"upload{_EXTENSIONS[name.rsplit('.', 1)[1]]}"
        path.write_bytes(data)
        started = time.monotonic()
        try:
            adapters.check_input(path, config)
        except Exception as exc:
            _only_input_problems(exc)
        elapsed = time.monotonic() - started
        slowest[0] = max(slowest[0], elapsed)
        assert elapsed < 10, f"{name}: the intake check took {elapsed:.1f} s"

    settings(_FUZZ, max_examples=5000)(case)()
    print(f"intake: slowest case {slowest[0] * 1000:.0f} ms")


def test_verification_never_crashes(corpus: dict[str, bytes], signing_settings: Settings) -> None:
    from signing.trust import trust_roots_for

    roots = trust_roots_for(signing_settings)
    caps = VerifyCaps.from_settings(signing_settings)
    slowest = [0.0]

    @given(mutated(corpus))
    def case(seed: tuple[str, bytes]) -> None:
        _, data = seed
        started = time.monotonic()
        try:
            check_caps(data, caps)
            report = verify_pdf(data, trust_roots=roots, fetch="none")
            assert report.verdict in ("valid", "invalid", "indeterminate")
            report.to_dict()
        except Exception as exc:
            _only_input_problems(exc)
        elapsed = time.monotonic() - started
        slowest[0] = max(slowest[0], elapsed)
        assert elapsed < 20, f"verification took {elapsed:.1f} s"

    logging.disable(logging.CRITICAL)  # pyHanko logs every failed check with a traceback
    try:
        settings(_FUZZ, max_examples=4700)(case)()
    finally:
        logging.disable(logging.NOTSET)
    print(f"verification: slowest case {slowest[0] * 1000:.0f} ms")


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture(scope="module")
def api(signing_settings: Settings, sqlite_engine: Engine) -> Iterator[TestClient]:
    config = signing_settings.model_copy(
        update={
            "jwt_secret": SecretStr("fuzz-test-secret-fuzz-test-secret-fuzz"),
            "public_rate_limit_per_minute": 1_000_000,
        }
    )
    runtime = Runtime(
        settings=config, engine=sqlite_engine, sessions=session_factory(sqlite_engine)
    )
    with TestClient(create_app(config, runtime=runtime)) as client:
        yield client


def test_verify_over_http_never_answers_5xx(
    corpus: dict[str, bytes], api: TestClient, signing_settings: Settings
) -> None:
    api.post("/api/v1/verify", files={"file": ("warm.pdf", corpus["pdfa.pdf"])})
    before = _rss_mib()
    limit = signing_settings.verify_wall_seconds + 10
    statuses: dict[int, int] = {}

    @given(mutated(corpus))
    def case(seed: tuple[str, bytes]) -> None:
        name, data = seed
        started = time.monotonic()
        response = api.post("/api/v1/verify", files={"file": (name, data)})
        elapsed = time.monotonic() - started
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        else:
            assert response.json()["verdict"] in ("valid", "invalid", "indeterminate")
        assert elapsed < limit, f"POST /verify took {elapsed:.1f} s"

    settings(_FUZZ, max_examples=300)(case)()
    grown = _rss_mib() - before
    print(f"HTTP: statuses {statuses}; API process RSS grew {grown:.0f} MiB")
    assert grown < 150, "the API process must not keep what verification allocated"
