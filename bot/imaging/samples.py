"""Benign sample images rendered with Pillow: receipts and signs in Japanese and English, and a
photo carrying GPS EXIF. Used by ``scripts/make_samples.py`` (``make demo``), the OCR bench and
tests. Rendering is deterministic: the same arguments give the same pixels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FONT_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LATIN_FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
_CJK_JP_INDEX = 0  # face 0 of the .ttc is "Noto Sans CJK JP"


@dataclass(frozen=True)
class Receipt:
    """What a receipt says; ``items`` and the money fields are already formatted strings."""

    lang: str
    merchant: str
    address: str
    date: str
    items: tuple[tuple[str, str], ...]
    subtotal: tuple[str, str]
    tax: tuple[str, str]
    total: tuple[str, str]
    payment: tuple[str, str]
    invoice: tuple[str, str]

    def lines(self) -> tuple[str, ...]:
        """The receipt's text, one printed line per entry (label and amount joined by a space)."""
        rows = [*self.items, self.subtotal, self.tax, self.total, self.payment, self.invoice]
        return (self.merchant, self.address, self.date, *(f"{a} {b}" for a, b in rows))


@dataclass(frozen=True, eq=False)
class Rendered:
    """A rendered image and the text it shows (the ground truth for OCR)."""

    image: Image.Image
    lines: tuple[str, ...]
    lang: str

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


RECEIPT_JA = Receipt(
    lang="ja",
    merchant="ファミリーストア 渋谷道玄坂店",
    address="東京都渋谷区道玄坂1-2-3",
    date="2026年11月20日 14:32",
    items=(
        ("おにぎり 鮭", "¥160"),
        ("ミックスサンド", "¥398"),
        ("緑茶 500ml", "¥150"),
        ("からあげ", "¥280"),
        ("プリン", "¥134"),
    ),
    subtotal=("小計", "¥1,122"),
    tax=("消費税(10%)", "¥112"),
    total=("合計", "¥1,234"),
    payment=("お支払い", "クレジット"),
    invoice=("登録番号", "T1234567890123"),
)

RECEIPT_EN = Receipt(
    lang="en",
    merchant="CORNER MARKET",
    address="123 Main Street, Springfield",
    date="Date: 2026-11-20 14:32",
    items=(
        ("Coffee", "$3.50"),
        ("Bagel", "$2.75"),
        ("Turkey sandwich", "$8.95"),
        ("Orange juice", "$4.10"),
        ("Cookie", "$2.41"),
    ),
    subtotal=("Subtotal", "$21.71"),
    tax=("Tax (8%)", "$1.74"),
    total=("Total", "$23.45"),
    payment=("Paid", "VISA ****1234"),
    invoice=("Invoice No.", "INV-2026-0042"),
)


def font(lang: str, size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK JP for Japanese, DejaVu Sans otherwise."""
    if lang == "ja":
        path = CJK_FONT_BOLD if bold else CJK_FONT
        return ImageFont.truetype(str(path), size, index=_CJK_JP_INDEX)
    return ImageFont.truetype(str(LATIN_FONT_BOLD if bold else LATIN_FONT), size)


def render_receipt(receipt: Receipt, *, width: int = 560, size: int = 24) -> Rendered:
    """A till receipt: centred header, label/amount rows with amounts right-aligned, rules."""
    regular, bold = font(receipt.lang, size), font(receipt.lang, size, bold=True)
    big = font(receipt.lang, int(size * 1.3), bold=True)
    pad, line_h = size, int(size * 1.7)
    rows: list[tuple[str, str, ImageFont.FreeTypeFont, str]] = [
        (receipt.merchant, "", big, "center"),
        (receipt.address, "", regular, "center"),
        (receipt.date, "", regular, "left"),
        ("", "", regular, "rule"),
        *((a, b, regular, "split") for a, b in receipt.items),
        ("", "", regular, "rule"),
        (*receipt.subtotal, regular, "split"),
        (*receipt.tax, regular, "split"),
        (*receipt.total, bold, "split"),
        ("", "", regular, "rule"),
        (*receipt.payment, regular, "split"),
        (*receipt.invoice, regular, "split"),
    ]
    height = pad * 2 + line_h * len(rows) + int(size * 0.5)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    y = pad
    for left, right, face, kind in rows:
        if kind == "rule":
            mid = y + line_h // 2
            draw.line((pad, mid, width - pad, mid), fill=(90, 90, 90), width=2)
        elif kind == "center":
            draw.text((width / 2, y), left, font=face, fill="black", anchor="ma")
        else:
            draw.text((pad, y), left, font=face, fill="black")
            if right:
                draw.text((width - pad, y), right, font=face, fill="black", anchor="ra")
        y += line_h
    return Rendered(img, receipt.lines(), receipt.lang)


def render_sign(
    lines: Sequence[str],
    lang: str,
    *,
    size: int = 48,
    fg: tuple[int, int, int] = (255, 255, 255),
    bg: tuple[int, int, int] = (20, 90, 160),
) -> Rendered:
    """A sign or notice: centred bold lines on a coloured panel with a border."""
    face = font(lang, size, bold=True)
    pad, line_h = size, int(size * 1.5)
    width = max(int(face.getlength(line)) for line in lines) + pad * 2
    height = line_h * len(lines) + pad * 2
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    draw.rectangle((6, 6, width - 7, height - 7), outline=fg, width=4)
    for i, line in enumerate(lines):
        draw.text((width / 2, pad + i * line_h), line, font=face, fill=fg, anchor="ma")
    return Rendered(img, tuple(lines), lang)


def scaled(rendered: Rendered, factor: float) -> Rendered:
    """The same image resized by ``factor`` (e.g. 0.5 for a small, low-resolution capture)."""
    w, h = rendered.image.size
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return Rendered(rendered.image.resize(size, Image.Resampling.LANCZOS), rendered.lines,
                    rendered.lang)


def _rational_dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (float(degrees), float(minutes), seconds)


def photo_with_gps(lat: float = 35.6595, lon: float = 139.7005, *, quality: int = 90) -> bytes:
    """skimage's ``coffee`` photo as JPEG with camera and GPS EXIF (Shibuya by default)."""
    from skimage import data  # only the demo and tests need scikit-image

    img = Image.fromarray(data.coffee())
    exif = Image.Exif()
    exif[0x010F] = "MiruCam"  # Make
    exif[0x0110] = "Demo 1"  # Model
    exif[0x0132] = "2026:11:20 14:32:00"  # DateTime
    exif[0x8825] = {  # GPSInfo IFD
        1: "N" if lat >= 0 else "S",
        2: _rational_dms(abs(lat)),
        3: "E" if lon >= 0 else "W",
        4: _rational_dms(abs(lon)),
    }
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def png_bytes(img: Image.Image) -> bytes:
    """PNG bytes without metadata (Pillow writes no timestamp, so output is deterministic)."""
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()
