"""Fields from a receipt's rows of text: what each printed row means, read the way receipts are
printed (a label on the left, its amount the rightmost number on the row).

Pure functions on strings, no OCR: the unit tests feed them text directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.receipts.amounts import Amount, find_amounts
from bot.receipts.model import PaymentMethod

# Rows whose amount is the total, strongest first. Several may appear (with and without tax,
# before and after rounding): the strongest wins, and among equals the later row.
_TOTAL_KEYS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p, re.I), s) for p, s in (
        (r"(rounded|after rounding|nett?)\s*(total|amount|amt)|"
         r"total\s*(amount|amt)?\s*(\(?rounded\)?|after\s*(rounding|adj))|^\W*nett?\b", 1.0),
        (r"grand\s*total|総\s*合\s*計|ご\s*請\s*求\s*額|お\s*支\s*払\s*(金\s*)?額|"
         r"領\s*収\s*金\s*額|(total|amount|amt)\s*payable|"
         r"jumlah\s*(besar|keseluruhan|bayaran|perlu\s*(di)?bayar)", 0.97),
        (r"税\s*込\s*(合\s*計|計)|total\s*\(?incl", 0.96),
        (r"amount\s*due|balance\s*due|total\s*due|お\s*会\s*計|(amt|amount)\s*paid\b|"
         r"(amount|amt)\s*(to\s*be\s*paid|to\s*pay)|"
         r"お\s*買\s*上\s*(げ\s*)?(合\s*)?計", 0.95),
        (r"(?<!小)合\s*計|(?<!sub)(?<!sub )(?<!sub-)total\b|\btotal|^\s*balance\b|ご利用金額|"
         r"^\W*due\b|\bjumlah\b|^\W*ttl\b|"
         # a 領収書's amount, a taxi's fare, a parking fee, an IC card's charge
         # what a car park or a toll gate charges ("駐車料金 900円", "通行料金 ¥2,370"); a toll
         # booth's number ("料金所 No.03") is none
         r"^\W*(金\s*額|運\s*賃|入\s*金\s*額|"
         r"((駐\s*車|通\s*行|利\s*用)\s*)?料\s*金(?!\s*所))", 0.9),
        (r"(?<![小点数])計\s*$|^\s*計\b|\bamount\b", 0.5),
    ))
# Rows that mention a total word but are not the total.
_NOT_TOTAL = re.compile(
    r"小\s*計|sub\s*-?\s*total|点\s*数|合計点|個\s*数|total\s*(qty|quantity|items?|savings?|"
    r"discount|tax|vat|gst|tips?\b|before|excl|ex\.|w/o|without|number|loading|promo\w*\s*sav)|"
    r"items?\s*(sold|count|total)|ttl\s*(qty|items?|disc\w*|tax|gst)|"
    r"対\s*象|税\s*抜|税\s*別|本体|excl|before\s*tax|\bpoints?\b|ポイント|釣|預|change|tender|"
    r"\bqty\b|round(ing)?\s*adj|端数|taxable|saving|paid\s*(amount|amt)|"
    # Malay: subtotal, quantity, items, tax, discount, before, without / not including, change
    r"jumlah\s*(kecil|kuantiti|item|barang|cukai|diskaun|potongan|jimat)|sub\s*jumlah|"
    r"sebelum|tanpa|tidak\s*termasuk|\bbaki\b|balance\s*(refund|return)", re.I)
# A tax word makes a row a tax row, unless the row says the total includes the tax.
_TAX_WORD = re.compile(r"消費税|税\s*額|\btax\b|\bvat\b|\bgst\b|\bsst\b|\bcukai\b", re.I)
# "INCL. GST" and "INCLUSIVE OF GST" name a total; "GST INCLUDED" and "TOTAL INCLUDED GST @ 6%"
# name the tax inside it.
_WITH_TAX = re.compile(
    r"\bincl(?!uded)|including|\binc\b\.?|(?<!ex)clusive|税\s*込|w/\s*tax|with\s*(gst|tax|vat|sst)|"
    # "Inclusive" as a photo's OCR reads it ("('ictusive", "lnclusive"); not "Exclusive"
    r"\b(?!ex)[a-z]{1,4}usive\b|"
    r"(?<!tidak )termasuk",
    re.I)
_SUBTOTAL = re.compile(r"小\s*計|sub\s*-?\s*total|税\s*抜\s*(合\s*)?計|total\s*(excl|before|w/o)|"
                       r"jumlah\s*kecil|sub\s*jumlah|jumlah\s*(sebelum|tanpa|tidak\s*termasuk)",
                       re.I)
_TAX = re.compile(
    r"消\s*費\s*税|内\s*税|外\s*税|税\s*額|\btax\b|\bvat\b|\bgst\b|\bsst\b|\bhst\b|\bpst\b|"
    r"\bmwst\b|\bust\b|\biva\b|\btva\b|sales\s*tax|\bcukai\b", re.I)
_INCLUDED = re.compile(r"内\s*消\s*費|内\s*税|\(\s*内|税\s*込|incl|included|inkl|\binc\b", re.I)
_ADDED = re.compile(r"外\s*税|外\s*消\s*費|plus\s*tax|\+\s*tax", re.I)
_RATE = re.compile(r"(\d{1,2}(?:[.,]\d{1,3})?)\s*%")
TENDER = re.compile(
    r"お?\s*預\s*[りか]|預\s*り\s*金|お?\s*釣\s*り?|釣\s*銭|おつり|cash\s*tendered|tendered|"
    r"\bchange\b|\bcash\b(?!\s*back)|現\s*金|rounding|端数|値\s*引|discount|割\s*引|\bpoints?\b|ポイント|"
    r"\btunai\b|\bbaki\b|pengenapan|diskaun|potongan",
    re.I)

PAYMENT_KEYS: tuple[tuple[PaymentMethod, re.Pattern[str]], ...] = (
    ("debit_card", re.compile(r"デビ.{0,2}ト|デビ.{0,3}カード|debit|eftpos|\bnets\b", re.I)),
    ("qr_code", re.compile(r"paypay|楽天\s*ペイ|d\s*払い|au\s*pay|メルペイ|line\s*pay|alipay|"
                           r"wechat|qr|コード決済|バーコード|grabpay|touch\s*'?n\s*go|"
                           r"paynow|\bboost\b|shopee\s*pay|e-?\s*wallet|\btng\b|duit\s*now|"
                           r"\bmae\b|big\s*pay|fave\s*pay|\bpayme\b|\bfps\b", re.I)),
    ("ic_card", re.compile(r"交通系|suica|pasmo|icoca|manaca|toica|kitaca|sugoca|nimoca|nanaco|"
                           r"waon|edy|電子マネー|quicpay|(?-i:\biD\b)|\bic\s*card|oyster|octopus|ezlink|"
                           r"ez-link", re.I)),
    ("credit_card", re.compile(r"クレジット|credit|visa|master\s*card|mastercard|\bmc\b|jcb|amex|"
                               r"apple\s*pay|google\s*pay|"
                               r"american\s*express|diners|カード|card\b|\*{3,}|x{4,}", re.I)),
    ("cash", re.compile(r"現\s*金|お?\s*預\s*[りか]|お?\s*釣\s*り|おつり|cash|\bchange\b|\btunai\b|"
                        r"\bbaki\b", re.I)),
)

INVOICE_RE = re.compile(r"(?<![A-Za-z0-9])[TＴ]\s?[-:]?\s?((?:\d[\s-]?){12}\d)(?!\d)")


@dataclass(frozen=True)
class Line:
    """One printed row: its text, the amounts on it, and its position (row index)."""

    index: int
    text: str
    amounts: tuple[Amount, ...]

    @property
    def label(self) -> str:
        return self.text[: self.amounts[-1].start] if self.amounts else self.text

    @property
    def last_label(self) -> str:
        """The words just before the row's amount ("TOTAL" in "TOTAL SAVING 0.00 TOTAL 41.50")."""
        if len(self.amounts) < 2:
            return self.label
        return self.text[self.amounts[-2].end: self.amounts[-1].start]

    @property
    def amount(self) -> Decimal | None:
        """The row's amount: the rightmost number (a label's value is printed at the right)."""
        return self.amounts[-1].value if self.amounts else None


# A total and its rounding adjustment read as one row ("Grand TotalRM 15.40 Rounding RM0.01"):
# a row reads its last label, which made the adjustment the total (SROIE 524)
_TOTAL_THEN_ROUNDING = re.compile(
    r"^(?P<total>.*\btota.*?\d[.,]\d{2})\s+(?P<rounding>round(ing)?\b(\s*adj\w*)?\W*"
    r"(RM|\$)?\s?-?\d{1,3}[.,]\d{2}\W*)$", re.I)


def split_rows(rows: list[str], heights: list[float] | None = None
               ) -> tuple[list[str], list[float] | None]:
    """Rows OCR joined that print two rows' fields (a total and its rounding), as two rows;
    their heights follow them."""
    out: list[str] = []
    sizes: list[float] = []
    for i, row in enumerate(rows):
        parts = [row]
        if m := _TOTAL_THEN_ROUNDING.match(row):
            parts = [m.group("total"), m.group("rounding")]
        out.extend(parts)
        if heights is not None and i < len(heights):
            sizes.extend([heights[i]] * len(parts))
    return out, (sizes if heights is not None else None)


def lines_of(rows: list[str], currency: str | None) -> list[Line]:
    return [Line(i, t, tuple(find_amounts(_dash_point(_strip_noise(t)), currency)))
            for i, t in enumerate(rows)]


# OCR reads a total's decimal point as a dash ("TOTAL 22-60"): on a total row with no amount,
# a last number of the form digits-dash-two-digits is that amount (a date has two dashes).
_DASH_AMOUNT = re.compile(r"(?<![\d\-/.])(\d{1,6})-(\d{2})\s*$")
_TOTAL_WORD = re.compile(r"\btotal\b|\bttl\b|\bjumlah\b|\bamount\b|\bnett?\b", re.I)


# The change's point read as a space ("Change 38 00"): on a change or cash row whose amounts
# print no cents, a last number of the form digits-space-two-digits is that amount
_SPACE_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,6}) (\d{2})\s*$")
_CHANGE_OR_CASH = re.compile(r"^\W*(change|baki|cash)\b", re.I)


def _dash_point(text: str) -> str:
    if _TOTAL_WORD.search(text) and not find_amounts(text):
        return _DASH_AMOUNT.sub(r"\1.\2", text)
    if _CHANGE_OR_CASH.search(text) and not any(a.decimals for a in find_amounts(text)):
        return _SPACE_AMOUNT.sub(r"\1.\2", text)
    return text


# OCR's usual misreadings of currency marks next to digits: "S$" as "SS"/"$$", "RM0" as "RMO".
_SGD = re.compile(r"(?<![A-Za-z$])(?:S\$?S|\$\$|S\$\$|SS\$)(?=\s?\d)")
# "RM" read as "PM" when glued to the amount after a label ("Total PM1.00"; a time's "PM"
# follows a digit)
_PM = re.compile(r"(?<=[A-Za-z:]\s)PM(?=\d{1,6}[.,]\d{2}\b)")
_OH = re.compile(r"(RM|\$|¥|£|€)\s?[Oo](?=[.,]\d)")
# "RMI11.90": a "1" read as "I", "l" or "|" right after the currency mark of an amount
_EYE = re.compile(r"(RM|\$|£|€)\s?[Il|](?=\d*[.,]\d{2}(?!\d))")
_COLON = re.compile(r"([£$€¥]\s?\d{1,6}):(\d{2})(?!\d)")  # "£52:37" after a mark is no time
_SEMI = re.compile(r"(\d)\s?;\s?,?(\d{2,3})(?!\d)")  # "103;71": a comma or point misread
_QUOTE = re.compile(r"(\d)[''`](?=[\s\-€円]|$)")  # "23,13'-€": a speck after the cents
_GLUED = re.compile(r"([A-Za-z]{3,})(\d)(?![A-Za-z]{2})")  # "TENDERED100,00": a label glued to its
# amount; not a letter read as a digit inside a word ("ENTERPR1SE")
_LABEL_COLON = re.compile(r"([A-Za-z]{2,}[.#]?):(?=\d)")  # "Qty:1", "No.:80201": no space after
# "GST AMT :RM4.43", "PAID BY:CC:7186:RM78.30": a colon right before an amount's mark
_MARK_COLON = re.compile(r":(?=(?:RM|S\$|\$|£|€|¥)\s?\d)")
_CODE_GLUED = re.compile(r"(\d[.,]\d{2})([A-Z]{1,2})\b")  # "16.90SR": a GST code glued to a price
# A Japanese tax mark glued after an item's price ("¥183軽": reduced rate, "840非": tax-free)
_TAX_MARK = re.compile(r"(\d)([軽非])(?=\s*$)")
_SPLIT = re.compile(r"(\d)\s?([.,])\s?[.,]?\s?(\d{2,3})(?!\d)")


# "cl" read as "d" in the label of a total without tax: "Total Exdl. of GST" (total_strength
# reads the misread "TOTAL" itself).
_EXCL_MISREAD = re.compile(r"\b(ex|in)dl(?=\b|\.|usive)", re.I)
# and with the "l" lost too, before the tax it names: "Total Amt Ind. GST @ 6%"
_EXCL_SHORT = re.compile(r"\b(ex|in)d(?=\.?\s*(of\s*)?(gst|tax|sst|vat)\b)", re.I)


# TOTAL with its L read as a one before the amount's mark or a colon ("Grand Tota1RM14.20"):
# split off as a digit, it would take the total word with it
_TOTA1 = re.compile(r"\b(tota)1(?=\s|:|RM|\$|$)", re.I)


def _cl(m: re.Match[str]) -> str:
    """"Ex"/"In" and the "cl" OCR read as "d" (or "dl"), in the case the row prints."""
    return m.group(1) + ("CL" if m.group(0)[2].isupper() else "cl")


def clean_row(text: str) -> str:
    """A row with OCR's usual confusions around amounts undone (``S$34 .13`` -> ``S$34.13``,
    ``SS1.58`` -> ``S$1.58``, ``7.,330`` -> ``7,330``), ``Exdl.`` for ``Excl.``, and a space
    after a label's colon (``Qty:1 Total RM 11.60``: the 1 is the quantity's, not the label's)."""
    text = _EXCL_MISREAD.sub(_cl, text)
    text = _TOTA1.sub(lambda m: m.group(1) + ("L" if m.group(1)[-1].isupper() else "l"), text)
    text = _EXCL_SHORT.sub(_cl, text)
    text = _EYE.sub(r"\g<1>1", text)
    text = _SGD.sub("S$", text)
    text = _PM.sub("RM", text)
    text = _SEMI.sub(r"\1,\2", text)
    text = _COLON.sub(r"\1.\2", text)
    text = _QUOTE.sub(r"\1", text)
    text = _GLUED.sub(r"\1 \2", text)
    text = _LABEL_COLON.sub(r"\1: ", text)
    text = _MARK_COLON.sub(": ", text)
    text = _CODE_GLUED.sub(r"\1 \2", text)
    text = _OH.sub(r"\g<1>0", text)
    text = _TAX_MARK.sub(r"\1 \2", text)
    return _SPLIT.sub(r"\1\2\3", text)


_TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")
_COUNT = re.compile(r"(\d+)\s*(点|個|items?|pcs|qty)\b|(?<![A-Za-z])[x×@*]\s*\d+(?![\d.,])", re.I)


def _strip_noise(text: str) -> str:
    """Times, counts, rates and card numbers blanked out of a row before its amounts are read
    (same length, so the amounts' positions still index the row)."""
    for pattern in (_TIME, _COUNT, _RATE, _CARD):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


_CARD = re.compile(r"[*xX·•●]{2,}[\d\s*xX·•●-]*")  # "****1234", "····4821"


def check_digit(base12: str) -> int:
    """Japan's 法人番号 check digit for the 12-digit base number (財務省令第七十号 第二条):
    9 - (Σ Pn×Qn mod 9), Pn the n-th digit from the right, Qn 1 for odd n and 2 for even n.
    A qualified-invoice registration number is "T" + the check digit + the base."""
    total = sum(int(d) * (2 if n % 2 == 0 else 1) for n, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def invoice_number(text: str) -> tuple[str | None, bool | None]:
    """The first "T" + 13 digits in ``text`` and whether its check digit holds."""
    for m in INVOICE_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        if len(digits) == 13:
            return "T" + digits, digits[0] != "0" and int(digits[0]) == check_digit(digits[1:])
    return None, None


def row_total_strength(line: Line) -> float:
    """``total_strength`` of a row: its label, or the words right before its amount where the
    row prints two fields ("QTY : 1 TOTAL RM : 11.60")."""
    own = total_strength(line.label)
    last = line.last_label
    if own or last == line.label or len(re.findall(r"[^\W\d_]", last)) < 3:
        return own
    return total_strength(last)


# "TOTAL" as OCR misreads it on thermal paper: "Tota]", "Tatal", "Totel", "TOTIAI", "Totai",
# "T0TAL", "Iotal", "Tooa1", "IUIAL" (a faded bar turns "T" into "I" and "O" into "U"), and with
# its last letter lost before a colon or a ringgit amount ("Grand Tota: 6.70", a phone photo of
# SROIE 440; "Grand TotaRM15.40").
_TOTAL_MISREAD = re.compile(
    r"(?<![a-z])[tjil1][o0au][tfiol][il1]?[a4@e](?:[l1i\]|!](?![a-z])|(?=\s*:)|(?=RM\b))",
    re.I)


def total_strength(label: str) -> float:
    """How surely a row's label names the total (0: not a total row)."""
    label = _TOTAL_MISREAD.sub("total", label)
    if _NOT_TOTAL.search(label):
        return 0.0
    if _TOTAL_KEYS[0][0].search(label):
        return _TOTAL_KEYS[0][1]  # "TOTAL AFTER ADJ INCL GST": a rounded total, tax word or not
    if _TAX_WORD.search(label) and not _WITH_TAX.search(label):
        return 0.0
    for pattern, strength in _TOTAL_KEYS:
        if pattern.search(label):
            return strength
    return 0.0


def is_subtotal(label: str) -> bool:
    return bool(_SUBTOTAL.search(label))


def is_tax(label: str) -> bool:
    return bool(_TAX.search(label)) and not _SUBTOTAL.search(label)


# Japan's rates (8% reduced, 10% standard) as OCR often misreads them: "1096", "109%", "8 対象".
_JA_RATE = re.compile(r"(?<![\d.])(10|8)\s?(?:9?%+|96|(?=\s?(?:対象|\))))")


def tax_rate(text: str, japanese: bool = False) -> Decimal | None:
    m = _RATE.search(text)
    if japanese:
        ja = _JA_RATE.search(text)
        if ja and (m is None or Decimal(m.group(1).replace(",", ".")) not in (Decimal(8),
                                                                               Decimal(10))):
            return Decimal(ja.group(1))
    if not m:
        return None
    rate = Decimal(m.group(1).replace(",", "."))
    if rate == rate.to_integral_value():
        rate = rate.quantize(Decimal(1))  # "6.00%" is 6
    return rate if 0 < rate <= 30 else None


def tax_included(text: str) -> bool | None:
    if _INCLUDED.search(text):
        return True
    if _ADDED.search(text):
        return False
    return None


def payment_method(text: str) -> tuple[PaymentMethod | None, float]:
    """The payment method named in the receipt's text; cash when only tendered/change show."""
    hits = [(method, len(p.findall(text))) for method, p in PAYMENT_KEYS]
    found = [(m, n) for m, n in hits if n]
    if not found:
        return None, 0.0
    non_cash = [(m, n) for m, n in found if m != "cash"]
    change = re.search(r"(お?\s*釣\s*り?|おつり|\bchange\b)\D{0,6}([1-9][\d,.]*)", text, re.I)
    if change and re.search(r"預|tender", text, re.I):
        return "cash", 0.85  # cash handed over and change given back: no card pays so
    if non_cash:
        # ranked by the keys' order: a specific word (デビット, PayPay) beats a generic "card"
        method = non_cash[0][0]
        return method, 0.9 if len(non_cash) == 1 or method != "credit_card" else 0.75
    return "cash", 0.9
