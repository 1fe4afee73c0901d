"""The receipt reader: an image (already screened) in, a ``Receipt`` out, each field with a
confidence.

Steps: turn the photo upright and find the paper and flatten it (``prepare``: ``OcrReader.turn``,
``paper``), read words with their boxes and group them into printed rows (``layout``), read the
fields from the rows (``fields``, ``amounts``, ``dates``, ``merchant``; the total cross-checked
in ``votes``), and where the total is unbacked or no date was found, read the total and date
rows again on their own bands (``reread``). Works offline on a CPU; no vision model is needed
(one gives a second opinion where configured: ``opinion``).

Engine: ``read_receipt`` takes any ``WordSource``; an ``OcrReader`` reads with its engine per
language, RapidOCR 3.10 for both by default since issue 21 (``bot.vision.ocr.DEFAULT_ENGINES``;
figures in docs/models.md). Tesseract jpn+eng remains an engine to choose (the receipt is then
read again with eng alone where the amounts disagree on a slip with no Japanese).
"""

from __future__ import annotations

import io
import re
from datetime import date as Date
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from bot.errors import CorruptImage
from bot.receipts import categories as K
from bot.receipts import checks as C
from bot.receipts import fields as F
from bot.receipts import merchant as M
from bot.receipts import reread as RR
from bot.receipts import totals as T
from bot.receipts import votes as V
from bot.receipts.amounts import detect_currency, find_amounts, minor_units
from bot.receipts.dates import find_dates, purchase_date
from bot.receipts.layout import Row, group_rows, rows_text
from bot.receipts.model import Receipt, TaxLine
from bot.receipts.paper import Quality, flatten, runs_down
from bot.vision.ocr_words import (
    Ocr,
    ReadsTurned,
    Word,
    tesseract_words,
    turn_image,
    upright,
)

# Retake thresholds (variance of the Laplacian on the flattened paper at OCR scale; mean gray;
# the paper's short side in pixels). Generated photos measure 45-750, the same blurred by a
# Gaussian of radius 3-6 px 1.4-9.5 (/tmp script on seeds 3, 5, 10; 2026-11-28).
MIN_SHARPNESS = 20.0
MIN_BRIGHTNESS = 60.0
MIN_SHORT_SIDE = 220
MAX_SIDE = 4000
TIP_BLUR = "receipts.retake_blur"
TIP_DARK = "receipts.retake_dark"
TIP_SMALL = "receipts.retake_small"


class WordSource(Protocol):
    def __call__(self, image: Image.Image, lang: str) -> list[Word]: ...


def word_source(ocr: Ocr | WordSource | None = None) -> WordSource:
    """Where words with boxes come from: a ``WordSource`` as it is, an ``Ocr`` reader's
    ``words``, or Tesseract with its default time limit."""
    if ocr is None:
        return tesseract_words
    return ocr if callable(ocr) else ocr.words


def read_rows(image: Image.Image, *, ocr: Ocr | WordSource | None = None,
              lang_hint: str | None = None) -> tuple[list[Row], Quality]:
    """The photo flattened and read into printed rows (label and amount on one row)."""
    lang = "en" if (lang_hint or "").lower().startswith("en") else "ja"
    _, quality, words = prepare_and_read(image, ocr, lang)
    return group_rows(words, lang), quality


def layout_text(image: Image.Image, ocr: Ocr | WordSource | None = None) -> str:
    """The text in ``image`` in layout order, one printed row a line (a receipt's labels with
    their amounts): the OCR context a vision model gets for ``miru ask``."""
    rows, _ = read_rows(image, ocr=ocr)
    return rows_text(rows)


def read_receipt(image: Image.Image, *, ocr: Ocr | WordSource | None = None,
                 lang_hint: str | None = None, today: Date | None = None) -> Receipt:
    """Fields from a photo or scan of one receipt. Never raises for what is in the picture: a
    photo that is not a receipt gives ``is_receipt=False``, one too blurred, dark or small gives
    ``readable=False`` with ``retake_tips``. OCR engine faults raise ``EngineError`` /
    ``EngineUnavailable``."""
    if min(image.size) < MIN_SHORT_SIDE // 2:
        return Receipt(readable=False, retake_tips=(TIP_SMALL,))
    source = word_source(ocr)
    english_only = (lang_hint or "").lower().startswith("en")
    lang = "en" if english_only else "ja"
    paper, quality, words = prepare_and_read(image, ocr, lang)
    first = _read_paper(paper, source, lang, quality, lang_hint, today, words)
    if (english_only or _agrees(first) or not first.is_receipt or _japanese(first.ocr_text)
            or _one_reading(ocr)):
        return first
    # A receipt with no Japanese whose amounts do not agree: read again with the English model
    # alone (jpn+eng turns "€" into "を" and big bold digits into kana); keep the reading whose
    # amounts agree, else the surer total.
    second = _read_paper(paper, source, "en", quality, lang_hint, today)
    if _agrees(second) or second.confidence.get("total", 0) > first.confidence.get("total", 0):
        return second
    return first


def prepare(image: Image.Image, ocr: Ocr | WordSource | None = None,
            ) -> tuple[Image.Image, Quality]:
    """The photo turned upright and the paper flattened, with its quality measured. Turned
    before the paper is measured: a sideways photo's rows are columns, and its sharpness at
    the wrong scale read as blur."""
    return flatten(upright(_normalised(image), ocr))


def prepare_and_read(image: Image.Image, ocr: Ocr | WordSource | None, lang: str,
                     ) -> tuple[Image.Image, Quality, list[Word]]:
    """The paper upright and flat, its quality, and its words read once. Where the reader
    tells the turn while it reads (rapidocr: ``ReadsTurned``), the paper is flattened and read
    as it lies: upright or upside down, its words are kept (turned with it) and no detection
    is spent on the turn alone. A photo whose ink runs down the page (``paper.runs_down``,
    15-20 ms) is turned a quarter first; one the reading still finds on its side is
    turned, flattened anew (its rows were columns, its sharpness measured at the wrong scale)
    and read again. Otherwise the turn is checked first (``prepare``)."""
    source = word_source(ocr)
    if not (isinstance(ocr, ReadsTurned) and ocr.reads_turned(lang)):
        paper, quality = prepare(image, ocr)
        return paper, quality, source(paper, lang)
    photo = _normalised(image)
    if runs_down(np.asarray(photo)):  # a first guess: on its side, turned a quarter before
        photo = turn_image(photo, 90)  # the reading (which tells 0 from 180, and any miss)
    paper, quality = flatten(photo)
    turn, words = ocr.read_turned(paper, lang)
    if words is None:  # on its side
        paper, quality = flatten(turn_image(photo, turn))
        turn, words = ocr.read_turned(paper, lang)
        if words is None:  # on its side again: read it as it now lies
            return paper, quality, source(paper, lang)
    return turn_image(paper, turn), quality, words


def _read_paper(paper: Image.Image, source: WordSource, lang: str, quality: Quality,
                lang_hint: str | None, today: Date | None,
                words: list[Word] | None = None) -> Receipt:
    if words is None:
        words = source(paper, lang)
    return look_again(words, lang, RR.band_reader(paper, source, lang), quality=quality,
                      lang_hint=lang_hint, today=today)


def look_again(words: list[Word], lang: str, band: RR.BandReader, *,
               quality: Quality | None = None, lang_hint: str | None = None,
               today: Date | None = None) -> Receipt:
    """The fields from one reading's words, with a second look at the total and date rows
    (``reread``) where the total is unbacked or no date was found."""
    def read(found: list[Word]) -> Receipt:
        return read_words(found, lang, quality=quality, lang_hint=lang_hint, today=today)

    return RR.look_again(read(words), words, lang, band, read, _agrees)


def read_words(words: list[Word], lang: str, *, quality: Quality | None = None,
               lang_hint: str | None = None, today: Date | None = None) -> Receipt:
    """The fields from one OCR reading's words (grouped into printed rows here)."""
    rows = group_rows(words, lang)
    return read_fields([r.text for r in rows], [r.height for r in rows],
                       quality=quality, lang_hint=lang_hint, today=today,
                       ocr_conf=(sum(r.conf for r in rows) / len(rows)) if rows else 0.0)


def _one_reading(ocr: Ocr | WordSource | None) -> bool:
    """The reader reads "ja" and "en" alike (rapidocr for both): a second pass would repeat."""
    engines = getattr(ocr, "engines_by_lang", None)
    return isinstance(engines, dict) and engines.get("ja") == engines.get("en") == "rapidocr"


def _agrees(r: Receipt) -> bool:
    """The total is backed by a second reading of the receipt: the items add up to it, subtotal
    and tax make it, another row (the payment) prints it again, or the cash tendered less the
    change makes it."""
    if r.total is None:
        return False
    if r.items and sum((i.amount for i in r.items), Decimal(0)) == r.total:
        return True
    if r.subtotal is not None and (r.subtotal + (r.tax or 0) == r.total) and not r.totals_disagree:
        return True
    rows = r.ocr_text.splitlines()
    amounts = [a.value for row in rows for a in find_amounts(row)[-1:]]
    if amounts.count(r.total) >= 2:
        return True
    tendered, change = V.cash_and_change(F.lines_of(rows, r.currency))
    return tendered is not None and change is not None and tendered - change == r.total


def read_receipt_file(path: str | Path, *, ocr: Ocr | WordSource | None = None,
                      lang_hint: str | None = None) -> Receipt:
    """``read_receipt`` on an image file (EXIF orientation applied), for the command line; a
    file that is not a readable image raises ``CorruptImage``. Screen it first: this only
    reads."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise CorruptImage(f"{path}: {err.strerror or err}") from err
    return read_receipt_bytes(data, ocr=ocr, lang_hint=lang_hint)


def read_receipt_bytes(data: bytes, *, ocr: Ocr | WordSource | None = None,
                       lang_hint: str | None = None) -> Receipt:
    """``read_receipt`` on encoded image bytes; undecodable bytes raise ``CorruptImage``."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            upright = ImageOps.exif_transpose(img)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError) as err:
        raise CorruptImage("the image could not be decoded") from err
    return read_receipt(upright, ocr=ocr, lang_hint=lang_hint)


def _normalised(image: Image.Image) -> Image.Image:
    """RGB, transparency on white, the long side at most MAX_SIDE (a 48 MP photo reads no
    better than a 12 MP one, and far slower): a larger photo is reduced by the whole factor k
    that brings it under, each k x k block to its mean (``Image.reduce``; its long side between
    MAX_SIDE / 2 and MAX_SIDE). On SROIE's 35 MP development scans (56, 7016 px: halved to 3508)
    every field reads as with the bilinear resize to 4000 px, one total better, for about 0.15 s
    less a scan (0.06 against 0.21 s for the resize alone); bilinear had replaced Lanczos for
    0.3 s less in the round before."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:  # a box filter over whole k x k blocks (a quarter of the
        image = image.reduce(-(-max(image.size) // MAX_SIDE))  # CPU of a bilinear resize)
    return image


def _tips(q: Quality | None) -> tuple[str, ...]:
    if q is None:
        return ()
    tips = []
    if q.sharpness < MIN_SHARPNESS:
        tips.append(TIP_BLUR)
    if q.brightness < MIN_BRIGHTNESS:
        tips.append(TIP_DARK)
    if q.short_side < MIN_SHORT_SIDE:
        tips.append(TIP_SMALL)
    return tuple(tips)


# where a shop's name in Chinese, Japanese or Korean is the name people write
_CJK_CURRENCIES = frozenset(("JPY", "CNY", "TWD", "HKD", "KRW", "MOP"))

def read_fields(rows: list[str], heights: list[float] | None = None, *,
                quality: Quality | None = None, lang_hint: str | None = None,
                today: Date | None = None, ocr_conf: float = 0.8) -> Receipt:
    """The fields from rows of text (one printed row each, top to bottom)."""
    rows, heights = F.split_rows([F.clean_row(r) for r in rows], heights)
    japanese = _japanese("\n".join(rows)) or (lang_hint or "").startswith("ja")
    if not japanese:  # the jpn model reads "€" after an amount as "を"
        rows = [_EURO_AS_WO.sub(r"\1 €", r) for r in rows]
    text = "\n".join(rows)
    currency, cur_conf = detect_currency(text, japanese=japanese)
    lines = F.lines_of(rows, currency)
    conf: dict[str, float] = {}
    total, total_conf, total_row = T.find_total(lines, currency)
    # a refund's total is negative: the checks below weigh the amount given back, then it takes
    # its sign again
    sign = -1 if total is not None and total < 0 else 1
    total = abs(total) if total is not None else None
    subtotal = next((ln.amount for ln in lines if ln.amount is not None and ln.amount > 0
                     and F.is_subtotal(ln.label)), None)
    tax, tax_lines, style = T.find_taxes(lines, japanese)
    adjustments = [ln for ln in lines if T.is_adjustment(ln, currency)]
    rounding = sum((ln.amount for ln in adjustments if ln.amount is not None), Decimal(0))
    adjust_row = adjustments[0].index if adjustments else None
    if (total is not None and adjust_row is not None and total_row < adjust_row
            and T.unread_total_after(lines, adjust_row)):
        total = total + rounding  # the rounded total printed after the adjustment was unreadable
    if total is None:
        total, total_conf = V.total_otherwise(lines, subtotal, tax, style, currency)
    zero = next((ln.index for ln in lines if ln.amount == 0 and F.row_total_strength(ln) >= 0.9),
                None)
    if total is None and zero is not None:  # an exchange: the return pays for the new item
        total, total_conf, total_row = Decimal(0), 0.5, zero
    if tax is None and (unread := C.unread_tax(lines, total, total_row, subtotal, rounding,
                                               currency)) is not None:
        tax, style = unread, style or "added"  # the tax row's amount was unreadable
    total = V.lost_point(lines, total, total_row, currency)
    if (tax is not None and total is not None and tax >= total and minor_units(currency)
            and tax == tax.to_integral_value() and tax / 100 < total):
        tax = tax / 100  # "9.77" read as "977": a tax is never more than the total
    total, total_conf = V.reconcile(lines, total, total_conf, total_row, subtotal, tax, rounding,
                                   style, currency)
    disagree = False
    if total is not None and subtotal is not None and tax is not None:
        if subtotal + tax + rounding == total:
            style = style or "added"
            total_conf = max(total_conf, 0.97)
        elif subtotal == total or style == "included":
            style = style or "included"
        else:
            disagree = C.disagrees(lines, total, total_row, subtotal, tax, rounding, currency)
    paid = [ln.amount for ln in lines if ln.amount is not None and ln.amount == total
            and ln.index != total_row]
    if total is not None and paid:
        total_conf = min(0.99, total_conf + 0.05)
    total = total * sign if total is not None else None
    tax_rates = {t.rate for t in tax_lines}
    tax_rate = tax_rates.pop() if len(tax_rates) == 1 else None
    conf["total"] = total_conf * (0.6 + 0.4 * ocr_conf) if total is not None else 0.0
    conf["subtotal"] = 0.8 if subtotal is not None else 0.0
    conf["tax"] = 0.85 if tax is not None else 0.0
    conf["tax_rate"] = 0.85 if tax_rate is not None else 0.0
    conf["currency"] = cur_conf
    found = find_dates(text, currency=currency, japanese=japanese, today=today)
    best = purchase_date(text, found)
    conf["date"] = best.confidence if best else 0.0
    merchant, conf["merchant"] = M.merchant(
        rows, heights, latin_first=not japanese and currency not in _CJK_CURRENCIES)
    pay, conf["payment_method"] = F.payment_method(_without_loyalty(text))

    invoice, valid = F.invoice_number(text)
    if invoice is None:
        invoice, valid = _invoice_by_label(rows)
    conf["invoice_number"] = (0.95 if valid else 0.5) if invoice else 0.0
    items = T.find_items(lines, total_row, currency)
    category, conf["category"] = K.category(merchant, text, [i.name for i in items],
                                            [i.amount for i in items])
    compliant, missing = _compliance(japanese, currency, invoice, valid, merchant,
                                     best.value if best else None, total, tax_lines, tax_rate,
                                     tax)
    keywords = sum(1 for ln in lines if F.total_strength(ln.label) or F.is_subtotal(ln.label)
                   or F.is_tax(ln.label) or F.TENDER.search(ln.label))
    amounts = sum(1 for ln in lines if ln.amount is not None)
    tips = _tips(quality)
    looks_like = (keywords >= 1 and amounts >= 2) or (total is not None and (best or amounts >= 3))
    # unreadable: a sheet of paper whose text could not be read into the fields that matter;
    # no receipt words on something that is not a sheet: not a receipt at all
    sheet = quality is None or quality.paper
    readable = not (tips and (total is None or best is None) and (looks_like or sheet))
    is_receipt = bool(looks_like) or not readable
    return Receipt(
        merchant=merchant, date=best.value if best else None, total=total, subtotal=subtotal,
        tax=tax, tax_rate=tax_rate, tax_lines=tuple(tax_lines), tax_style=style,  # type: ignore[arg-type]
        currency=currency, payment_method=pay, category=category if is_receipt else None,
        invoice_number=invoice, invoice_number_valid=valid, invoice_compliant=compliant,
        invoice_missing=missing, items=items,
        confidence={k: round(v, 3) for k, v in conf.items() if k in _CONF_FIELDS},
        is_receipt=is_receipt, readable=readable, retake_tips=tips if not readable else (),
        totals_disagree=disagree, ocr_text=text)


_CONF_FIELDS = ("merchant", "date", "total", "tax", "tax_rate", "currency", "payment_method",
                "category", "invoice_number")


_EURO_AS_WO = re.compile(r"(\d)\s?[をè](?![\u3040-\u30ff])")


def _japanese(text: str) -> bool:
    """Japanese when kana or kanji make a real share of the letters (not a stray misread), and
    the text has kana or a word every Japanese receipt prints (円, 税, 合計, 領収): a logo read as
    a run of Chinese characters on a Malaysian slip is not Japanese."""
    ja = len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", text))
    letters = len(re.findall(r"[^\W\d_]", text))
    return ja >= 4 and ja >= 0.15 * letters and bool(_JA_MARK.search(text))


_JA_MARK = re.compile(r"[\u3040-\u30ff]|円|税|合\s*計|小\s*計|領\s*収|お\s*買")


def _without_loyalty(text: str) -> str:
    return re.sub(r"ポイント\s*カード|point\s*card|gift\s*card|loyalty\s*card|member\s*card",
                  " ", text, flags=re.I)


def _invoice_by_label(rows: list[str]) -> tuple[str | None, bool | None]:
    """The number after 登録番号 when OCR lost or misread its "T" (as 1, 7, I or 丁)."""
    for row in rows:
        if "登録番号" in row:
            digits = re.sub(r"\D", "", row.split("登録番号", 1)[1])
            if len(digits) == 14 and digits[0] in "17":
                digits = digits[1:]
            if len(digits) == 13:
                return F.invoice_number("T" + digits)
    return None, None


def _compliance(japanese: bool, currency: str | None, invoice: str | None, valid: bool | None,
                merchant: str | None, when: Date | None, total: Decimal | None,
                tax_lines: list[TaxLine], tax_rate: Decimal | None, tax: Decimal | None,
                ) -> tuple[bool | None, tuple[str, ...]]:
    """Japan's simplified qualified invoice (適格簡易請求書): registration number, issuer, date,
    amounts, and tax or rate per rate. None for receipts that are not Japanese."""
    if not japanese and currency != "JPY":
        return None, ()
    missing = []
    if not invoice or not valid:
        missing.append("registration_number")
    if not merchant:
        missing.append("issuer")
    if when is None:
        missing.append("date")
    if total is None:
        missing.append("amounts")
    if not tax_lines and tax_rate is None and tax is None:
        missing.append("tax_per_rate")
    return not missing, tuple(missing)


__all__ = [
    "layout_text",
    "look_again",
    "minor_units",
    "prepare",
    "prepare_and_read",
    "read_fields",
    "read_receipt",
    "read_receipt_bytes",
    "read_receipt_file",
    "read_words",
]
