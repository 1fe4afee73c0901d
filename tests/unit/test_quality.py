"""Quality hints on real sample photos and images degraded or rendered here."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from skimage import data

from bot import strings
from bot.imaging.quality import QualityHint, assess


def _codes(hints: list[QualityHint]) -> list[str]:
    return [h.code for h in hints]


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


def test_good_photos_get_no_hints(astronaut):
    assert assess(astronaut) == []
    assert assess(data.coffee()) == []  # numpy input too
    assert assess(data.camera()) == []  # greyscale


def test_small_image_reports_its_size():
    hints = assess(data.chelsea())  # 451 x 300
    assert _codes(hints) == ["small"]
    assert hints[0].params == {"width": 451, "height": 300}
    assert "451×300" in strings.t("quality.small", "en", **hints[0].params)


def test_blurred_photo(astronaut):
    assert _codes(assess(astronaut.filter(ImageFilter.GaussianBlur(4)))) == ["blurry"]
    assert assess(astronaut.filter(ImageFilter.GaussianBlur(0.5))) == []


def test_dark_photo_is_dark_not_blurred(astronaut):
    dark = (np.asarray(astronaut) * 0.2).astype(np.uint8)
    hints = assess(dark)
    assert _codes(hints) == ["dark"]
    assert hints[0].params["mean"] < 55


def test_glare_spot_but_not_a_white_page():
    photo = Image.fromarray(data.coffee())
    ImageDraw.Draw(photo).ellipse((200, 100, 380, 260), fill="white")
    hints = assess(photo)
    assert _codes(hints) == ["glare"]
    assert 0.02 < hints[0].params["clipped_share"] < 0.4

    page = Image.new("RGB", (800, 1000), "white")
    draw = ImageDraw.Draw(page)
    for i in range(20):
        draw.text((40, 40 + i * 45), f"TOTAL 1,200 YEN  line {i}", fill="black",
                  font=ImageFont.load_default(size=28))
    assert assess(page) == []


def test_rgba_and_bad_arrays():
    rgba = np.dstack([data.astronaut(), np.full((512, 512), 255, np.uint8)])
    assert assess(rgba) == []
    with pytest.raises(ValueError):
        assess(np.zeros((4, 4, 5), np.uint8))


def test_every_hint_has_sentences():
    for code in ("small", "blurry", "dark", "glare"):
        for lang in ("en", "ja"):
            assert strings.t(f"quality.{code}", lang, width=1, height=1)


@pytest.mark.parametrize("size", [(20000, 10), (10, 20000), (5000, 1), (1, 1)])
def test_extreme_strips_get_hints_not_errors(size):
    """A 20000x10 PNG once crashed cv2.resize with a zero height (regression)."""
    rng = np.random.default_rng(0)
    w, h = size
    hints = assess(Image.fromarray(rng.integers(0, 255, (h, w), dtype=np.uint8)))
    assert "small" in _codes(hints)
