"""The synthetic scans' seeded noise: the OCR bench's floor and scans share it."""

from __future__ import annotations

from PIL import ImageChops, ImageStat

from samples.pages import render_page, seeded_grain


def test_seeded_grain_is_the_same_for_a_seed_and_has_the_asked_spread() -> None:
    first, again = seeded_grain((300, 200), 18, 5), seeded_grain((300, 200), 18, 5)
    other = seeded_grain((300, 200), 18, 6)
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()
    stats = ImageStat.Stat(first)
    assert abs(stats.mean[0] - 128) < 1.5
    assert abs(stats.stddev[0] - 18) < 1.0


def test_a_skewed_and_an_upright_page_of_one_noise_seed_share_their_grain() -> None:
    def blank(skew: float, seed: int) -> bytes:
        # No text, no blur, no JPEG: what is left is the page's grain.
        page = render_page(1, dpi=50, skew_degrees=skew, lines=0, blur=0, jpeg_quality=0,
                           noise_seed=seed)  # fmt: skip
        return page.image.tobytes()

    assert blank(2.0, 3) == blank(0.0, 3)
    assert blank(0.0, 3) != blank(0.0, 4)


def test_without_a_noise_seed_the_grain_differs_from_call_to_call() -> None:
    first = render_page(1, dpi=50, lines=0, blur=0, jpeg_quality=0, skew_degrees=0)
    second = render_page(1, dpi=50, lines=0, blur=0, jpeg_quality=0, skew_degrees=0)
    assert ImageChops.difference(first.image, second.image).getbbox() is not None
