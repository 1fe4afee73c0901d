"""Generated receipts with ground truth, for the reader's tests and bench/receipts.py.

``generate(seed)`` renders one receipt (Japanese or English; several Debian fonts; layouts with
the label left and the amount right-aligned; 内税/外税/8%+10%/sales tax/VAT/rounding; cash, card,
QR, IC; every date form the reader handles; several currencies) and degrades it like a phone
photo or a scan (tilt, perspective, a table behind the paper, blur, noise, JPEG). It returns the
image and the truth as a ``bot.receipts.model.Receipt``. Deterministic from the seed.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bot.receipts.model import Category, LineItem, PaymentMethod, Receipt, TaxLine

FONTS_JA = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
            "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"]
FONTS_EN = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
            "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
            "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf", *FONTS_JA[:1]]

MERCHANTS_JA: dict[Category, list[str]] = {
    "transport": ["日本交通タクシー", "さくら交通 タクシー", "JR東日本 新宿駅",
                  "タイムズ駐車場 渋谷"],
    "lodging": ["ホテル銀座プラザ", "旅館 花月", "ビジネスホテル 東横", "ホテル京都イン"],
    "entertainment": ["居酒屋 さくら", "レストラン ボンジュール", "焼肉 牛角亭", "寿司処 海鮮"],
    "supplies": ["文具のアオヤマ", "オフィス用品 センター", "ヨドバシカメラ 新宿",
                 "ホームセンター 山田"],
    "communication": ["ドコモショップ 渋谷店", "ソフトバンク 新宿", "新宿郵便局",
                      "携帯ショップ 池袋"],
    "outsourcing": ["株式会社 翻訳センター", "デザイン制作 株式会社アトリエ", "印刷のミドリ"],
    "misc": ["ファミリーマート 赤坂店", "ローソン 新橋店", "マツモトキヨシ 銀座店",
             "ダイソー 上野店"],
}
ITEMS_JA: dict[Category, list[str]] = {
    "transport": ["運賃", "迎車料金", "高速料金", "駐車料金", "乗車券"],
    "lodging": ["宿泊料 シングル", "朝食", "入湯税", "宿泊税"],
    "entertainment": ["生ビール", "枝豆", "刺身盛合せ", "ランチセット", "コース料理", "ワイン"],
    "supplies": ["ボールペン", "コピー用紙 A4", "USBメモリ", "ファイル", "ノート", "電池"],
    "communication": ["端末代金", "切手 84円", "レターパック", "SIMカード", "月額料金"],
    "outsourcing": ["翻訳料", "デザイン料", "名刺印刷", "チラシ印刷"],
    "misc": ["お茶", "おにぎり", "ティッシュ", "マスク", "弁当", "コーヒー"],
}
MERCHANTS_EN: dict[Category, list[str]] = {
    "transport": ["Yellow Cab Co.", "City Taxi", "Metro Transit", "Shell Gas Station"],
    "lodging": ["Grand Plaza Hotel", "Holiday Inn Express", "Sunset Motel", "Harbour View Inn"],
    "entertainment": ["Olive Tree Restaurant", "Blue Bottle Cafe", "Joe's Bar & Grill",
                      "Sakura Sushi Bar"],
    "supplies": ["Office Depot", "Staples", "Paper & Pen Stationery", "Tech Electronics"],
    "communication": ["Verizon Wireless", "Vodafone Store", "Post Office", "Mobile Phone Shop"],
    "outsourcing": ["Acme Printing Services", "Lingua Translation Ltd", "Pixel Design Studio"],
    "misc": ["Walgreens", "7-Eleven", "Corner Pharmacy", "Green Grocer Market"],
}
ITEMS_EN: dict[Category, list[str]] = {
    "transport": ["Fare", "Tolls", "Airport surcharge", "Unleaded fuel", "Day pass"],
    "lodging": ["Room charge", "Breakfast", "City tax", "Parking"],
    "entertainment": ["Cappuccino", "Caesar Salad", "Pasta", "House Wine", "Burger", "Dessert"],
    "supplies": ["Printer paper", "Ballpoint pens", "Stapler", "USB cable", "Notebook"],
    "communication": ["Prepaid SIM", "Phone case", "Postage stamps", "Monthly plan"],
    "outsourcing": ["Business cards", "Translation", "Logo design", "Flyer printing"],
    "misc": ["Water", "Sandwich", "Tissues", "Chocolate", "Batteries", "Toothpaste"],
}
PAY_JA: dict[PaymentMethod, list[str]] = {
    "credit_card": ["クレジット", "VISA", "クレジットカード"], "debit_card": ["デビットカード"],
    "qr_code": ["PayPay", "楽天ペイ", "d払い"], "ic_card": ["交通系IC", "Suica", "電子マネー"],
}
PAY_EN: dict[PaymentMethod, list[str]] = {
    "credit_card": ["VISA", "MASTERCARD", "CREDIT CARD", "AMEX"], "debit_card": ["DEBIT CARD"],
    "qr_code": ["ALIPAY", "QR PAY", "GRABPAY"], "ic_card": ["EZ-LINK", "OYSTER", "OCTOPUS"],
}
DATE_FORMS_JA = ["kanji", "slash", "era", "era_short", "short"]
DATE_FORMS_EN = ["mdy", "dmy", "mon_d_y", "d_mon_y"]


@dataclass(frozen=True)
class Generated:
    image: Image.Image
    truth: Receipt
    lang: str
    date_form: str
    photo: bool


def check_digit(base12: str) -> int:
    """Japan's 法人番号 check digit for its 12-digit base number (財務省令第七十号 第二条)."""
    total = sum(int(d) * (2 if n % 2 == 0 else 1)
                for n, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def _date_text(d: Date, form: str) -> str:
    mon = d.strftime("%b")
    return {
        "kanji": f"{d.year}年{d.month}月{d.day}日", "slash": f"{d.year}/{d.month:02d}/{d.day:02d}",
        "era": f"令和{d.year - 2018}年{d.month}月{d.day}日",
        "era_short": f"R{d.year - 2018}.{d.month:02d}.{d.day:02d}",
        "short": f"{d.year % 100:02d}-{d.month:02d}-{d.day:02d}",
        "mdy": f"{d.month:02d}/{d.day:02d}/{d.year}", "dmy": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "mon_d_y": f"{mon} {d.day} {d.year}", "d_mon_y": f"{d.day} {mon} {d.year}",
    }[form]


def _money(v: Decimal, cur: str, rng: random.Random) -> str:
    if cur == "JPY":
        n = f"{int(v):,}"
        return rng.choice([f"¥{n}", f"{n}円", f"¥{n}", f"¥{n}-"])
    s = f"{v:,.2f}"
    return {"USD": f"${s}", "GBP": f"£{s}", "MYR": f"RM{s}", "SGD": f"S${s}",
            "EUR": f"{s.replace(',', ' ').replace('.', ',')} €"}[cur]


def generate(seed: int, *, lang: str | None = None, date_form: str | None = None,
             tax_style: str | None = None, photo: bool | None = None,
             payment: PaymentMethod | None = None, tilt: float | None = None,
             long_slip: bool = False,
             today: Date = Date(2026, 11, 28)) -> Generated:
    """One receipt and its truth. Unset options are drawn from the seed."""
    rng = random.Random(seed)
    lang = lang or rng.choice(["ja", "en"])
    ja = lang == "ja"
    category: Category = rng.choice(list(MERCHANTS_JA))
    merchant = rng.choice((MERCHANTS_JA if ja else MERCHANTS_EN)[category])
    currency = "JPY" if ja else rng.choice(["USD", "USD", "GBP", "EUR", "MYR", "SGD"])
    date_form = date_form or rng.choice(DATE_FORMS_JA if ja else DATE_FORMS_EN)
    if not ja and date_form in ("mdy", "dmy"):
        date_form = "mdy" if currency == "USD" else "dmy"
    when = today - timedelta(days=rng.randint(0, 300))
    pay: PaymentMethod = payment if payment is not None else rng.choice(
        ["cash", "cash", "credit_card", "debit_card", "qr_code", "ic_card"])
    names = rng.sample((ITEMS_JA if ja else ITEMS_EN)[category], k=min(
        rng.randint(1, 4), len((ITEMS_JA if ja else ITEMS_EN)[category])))
    if rng.random() < 0.1:  # a long narrow slip
        names = names * 4
    if long_slip:
        names = (names * 30)[:30]
    step = Decimal("1") if ja else Decimal("0.01")
    prices = [Decimal(rng.randint(1, 60) * (10 if ja else 1)) * (Decimal(rng.choice([10, 1, 5]))
              if ja else Decimal("1")) + (Decimal(rng.randint(0, 99)) / 100 if not ja else 0)
              for _ in names]
    prices = [p.quantize(step) for p in prices]
    subtotal = sum(prices, Decimal(0))
    lines: list[tuple[str, str, str]] = []  # (kind, left, right)
    tax_lines: list[TaxLine] = []
    if ja:
        style = tax_style or rng.choice(["added", "included", "mixed"])
        if style == "added":
            tax = (subtotal * Decimal("0.10")).quantize(step, ROUND_DOWN)
            total = subtotal + tax
            lines += [("row", "小計", _money(subtotal, currency, rng)),
                      ("row", "消費税等(10%)", _money(tax, currency, rng))]
            tax_lines.append(TaxLine(Decimal("10"), tax, subtotal))
            tax_style_v = "added"
        else:
            total = subtotal
            if style == "mixed":
                half = sum(prices[: max(1, len(prices) // 2)], Decimal(0))
                parts = [(Decimal("8"), half), (Decimal("10"), total - half)]
            else:
                parts = [(Decimal("10"), total)]
            lines.append(("row", "小計", _money(subtotal, currency, rng)))
            for rate, base in parts:
                if base <= 0:
                    continue
                t = (base * rate / (100 + rate)).quantize(step, ROUND_DOWN)
                tax_lines.append(TaxLine(rate, t, base))
                lines.append(("row", f"({rate}%対象", _money(base, currency, rng)))
                lines.append(("row", " 内消費税等", _money(t, currency, rng) + ")"))
            tax = sum((t.tax for t in tax_lines), Decimal(0))
            tax_style_v = "included"
        total_word = rng.choice(["合計", "合計", "お会計", "ご請求額", "総合計"])
    else:
        rate = {"USD": Decimal("8.875"), "GBP": Decimal("20"), "EUR": Decimal("19"),
                "MYR": Decimal("6"), "SGD": Decimal("9")}[currency]
        label = {"USD": "SALES TAX", "GBP": "VAT", "EUR": "MwSt", "MYR": "SST",
                 "SGD": "GST"}[currency]
        if currency in ("GBP", "EUR"):  # VAT included in prices
            total = subtotal
            tax = (total * rate / (100 + rate)).quantize(step, ROUND_HALF_UP)
            tax_style_v = "included"
            lines.append(("row", f"{label} {rate}% incl.", _money(tax, currency, rng)))
        else:
            tax = (subtotal * rate / 100).quantize(step, ROUND_HALF_UP)
            total = subtotal + tax
            tax_style_v = "added"
            lines = [("row", "SUBTOTAL", _money(subtotal, currency, rng)),
                     ("row", f"{label} {rate}%", _money(tax, currency, rng))]
        tax_lines.append(TaxLine(rate, tax, None))
        total_word = rng.choice(["TOTAL", "TOTAL", "GRAND TOTAL", "AMOUNT DUE", "BALANCE DUE"])
        if currency == "MYR":  # cash totals round to 5 sen: two totals and an adjustment
            rounded = (total * 20).quantize(Decimal(1), ROUND_HALF_UP) / 20
            lines += [("row", f"Total (Incl. {label})", _money(total, currency, rng)),
                      ("row", "Rounding Adj", f"-{_money(total - rounded, currency, rng)}"
                       if total > rounded else _money(rounded - total, currency, rng))]
            total = rounded.quantize(step)
    pay_rows: list[tuple[str, str, str]] = []
    if pay == "cash":
        unit = Decimal(1000) if ja else Decimal(20)
        given = ((total // unit) + 1) * unit
        pay_rows = [("row", "お預り" if ja else "CASH TENDERED", _money(given, currency, rng)),
                    ("row", "お釣り" if ja else "CHANGE", _money(given - total, currency, rng))]
    else:
        word = rng.choice((PAY_JA if ja else PAY_EN)[pay])
        pay_rows = [("row", word, _money(total, currency, rng))]
        if pay in ("credit_card", "debit_card") and rng.random() < 0.6:
            pay_rows.append(("left", f"****-****-****-{rng.randint(1000, 9999)}", ""))
    invoice = None
    if ja and rng.random() < 0.8:
        base12 = f"{rng.randint(10**11, 10**12 - 1)}"
        invoice = f"T{check_digit(base12)}{base12}"
    # --- compose the rows top to bottom
    rows: list[tuple[str, str, str]] = []
    title = rng.random() < 0.5
    if title and rng.random() < 0.5:
        rows.append(("center", "領収書" if ja else "RECEIPT", ""))
    rows.append(("merchant", merchant, ""))
    rows.append(("center", rng.choice(["東京都港区赤坂1-2-3", "大阪市北区梅田2-4-9"]) if ja
                 else rng.choice(["123 Main Street", "45 High St, London", "Jalan Ampang 88"]), ""))
    rows.append(("center", f"TEL 03-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}", ""))
    if title and rows[0][1] != merchant:
        pass
    elif title:
        rows.append(("center", "領収書" if ja else "RECEIPT", ""))
    if invoice:
        rows.append(("left", f"登録番号 {invoice}", ""))
    dt = _date_text(when, date_form)
    rows.append(("left", f"{dt} {rng.randint(8, 22):02d}:{rng.randint(0, 59):02d}", ""))
    reg = "レジ" if ja else "REG"
    rows.append(("left", f"{reg} #{rng.randint(1, 9)}  No.{rng.randint(1000, 9999)}", ""))
    rows.append(("rule", "", ""))
    for name, price in zip(names, prices, strict=True):
        rows.append(("row", name, _money(price, currency, rng)))
    rows.append(("rule", "", ""))
    if ja:
        rows += [*lines[:1], ("big", total_word, _money(total, currency, rng)), *lines[1:]]
    else:
        rows += [*lines, ("big", total_word, _money(total, currency, rng))]
    rows += pay_rows
    rows.append(("center", "ありがとうございました" if ja else "Thank you for your visit!", ""))
    img = _render(rows, ja, rng, 384 if long_slip else None)
    items = tuple(LineItem(n, p) for n, p in zip(names, prices, strict=True))
    truth = Receipt(
        merchant=merchant, date=when, total=total, subtotal=subtotal, tax=tax,
        tax_rate=tax_lines[0].rate if len(tax_lines) == 1 else None, tax_lines=tuple(tax_lines),
        tax_style=tax_style_v, currency=currency, payment_method=pay,  # type: ignore[arg-type]
        category=category, invoice_number=invoice,
        invoice_number_valid=True if invoice else None, items=items)
    photo = rng.random() < 0.6 if photo is None else photo
    img = photograph(img, rng, tilt) if photo else _scan(img, rng)
    return Generated(img, truth, lang, date_form, photo)


def _render(rows: list[tuple[str, str, str]], ja: bool, rng: random.Random,
            width: int | None = None) -> Image.Image:
    path = rng.choice(FONTS_JA if ja else FONTS_EN)
    size = rng.randint(22, 28)
    face = ImageFont.truetype(path, size)
    big = ImageFont.truetype(path, int(size * 1.35))
    width = width or rng.choice([384, 480, 520, 576, 640])  # 384: a 58 mm slip
    margin = rng.randint(18, 34)
    line_h = int(size * 1.55)
    paper = tuple(rng.randint(238, 255) for _ in range(3))
    img = Image.new("RGB", (width, line_h * (len(rows) + 4) + 2 * margin), paper)
    draw = ImageDraw.Draw(img)
    ink = (rng.randint(10, 60) if rng.random() < 0.8 else rng.randint(90, 130),) * 3  # faded
    y = margin + line_h
    for kind, left, right in rows:
        f = big if kind in ("big", "merchant") else face
        if kind == "rule":
            draw.line((margin, y + line_h // 2, width - margin, y + line_h // 2), fill=ink, width=1)
        elif kind in ("center", "merchant"):
            w = draw.textlength(left, font=f)
            draw.text(((width - w) / 2, y), left, font=f, fill=ink)
        else:
            draw.text((margin, y), left, font=f, fill=ink)
            if right:
                w = draw.textlength(right, font=f)
                draw.text((width - margin - w, y), right, font=f, fill=ink)
        y += int(line_h * (1.4 if f is big else 1))
    return img.crop((0, 0, width, y + margin + line_h))


def _table(w: int, h: int, rng: random.Random) -> np.ndarray:
    base = np.array(rng.choice([(120, 80, 50), (90, 90, 95), (60, 40, 30), (150, 120, 90),
                                (40, 60, 80)]), dtype=np.float32)
    nrng = np.random.default_rng(rng.randint(0, 2**31))
    grain = cv2.resize(nrng.normal(0, 18, (max(2, h // 40), max(2, w // 4))).astype(np.float32),
                       (w, h), interpolation=cv2.INTER_CUBIC)
    table = base[None, None, :] + grain[:, :, None]
    return np.clip(table, 0, 255).astype(np.uint8)


def photograph(paper: Image.Image, rng: random.Random, tilt: float | None = None,
               ) -> Image.Image:
    """The paper lying on a table, photographed at an angle: tilt, perspective, lighting, blur,
    noise and JPEG (also for bench/receipts.py --photo, on real scans)."""
    pw, ph = paper.size
    pad = int(max(pw, ph) * rng.uniform(0.15, 0.35))
    w, h = pw + 2 * pad, ph + 2 * pad
    angle = np.deg2rad(rng.uniform(-8, 8) if tilt is None else tilt)
    cx, cy = w / 2, h / 2
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
    corners = []
    for x, y in src - [pw / 2, ph / 2]:
        rx = x * np.cos(angle) - y * np.sin(angle)
        ry = x * np.sin(angle) + y * np.cos(angle)
        jitter = max(pw, ph) * 0.03
        corners.append([cx + rx + rng.uniform(-jitter, jitter),
                        cy + ry + rng.uniform(-jitter, jitter)])
    matrix = cv2.getPerspectiveTransform(src, np.array(corners, dtype=np.float32))
    table = _table(w, h, rng)
    warped = cv2.warpPerspective(np.asarray(paper), matrix, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (w, h))
    out = np.where(mask[:, :, None] > 127, warped, table).astype(np.float32)
    light = np.linspace(rng.uniform(0.8, 1.0), rng.uniform(0.9, 1.05), w, dtype=np.float32)
    out = np.clip(out * light[None, :, None], 0, 255).astype(np.uint8)
    img = Image.fromarray(out)
    scale = rng.uniform(0.9, 1.5)
    img = img.resize((round(w * scale), round(h * scale)), Image.Resampling.BILINEAR)
    return _degrade(img, rng, blur=rng.uniform(0, 1.0))


def _scan(paper: Image.Image, rng: random.Random) -> Image.Image:
    img = paper.rotate(rng.uniform(-3, 3), resample=Image.Resampling.BICUBIC, expand=True,
                       fillcolor=(250, 250, 250))
    return _degrade(img, rng, blur=rng.uniform(0, 0.6))


def _degrade(img: Image.Image, rng: random.Random, *, blur: float) -> Image.Image:
    if blur > 0.2:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    arr = np.asarray(img).astype(np.int16)
    nrng = np.random.default_rng(rng.randint(0, 2**31))
    arr = np.clip(arr + nrng.normal(0, rng.uniform(2, 8), arr.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=rng.randint(55, 92))
    buf.seek(0)
    out = Image.open(buf)
    out.load()
    return out


def blurred(img: Image.Image, radius: float = 6.0) -> Image.Image:
    """A copy too blurred to read (for the retake path)."""
    return img.filter(ImageFilter.GaussianBlur(radius))
