"""The amounts of a receipt from its rows: the total among look-alikes (cross-checked against
subtotal + tax, the items, cash tendered minus change and the payment row), the taxes per rate,
and the items. Pure functions on ``fields.Line`` rows; ``reader.read_fields`` calls them."""

from __future__ import annotations

import itertools
import re
from datetime import date as Date
from decimal import Decimal

from bot.receipts import fields as F
from bot.receipts.amounts import minor_units
from bot.receipts.dates import find_dates
from bot.receipts.model import LineItem, TaxLine

MAX_ITEMS = 100
# Keys in bot/strings.py for the retake tips (the thread flow renders them).
def find_total(lines: list[F.Line], currency: str | None = None
               ) -> tuple[Decimal | None, float, int]:
    """The total row: the strongest total word (the later of equals), among the rows printed
    before the payment (CASH, CHANGE, card) and before a tax summary table (its "TOTAL" column
    sums the tax). A rounded total wins: a total row after a rounding adjustment whatever its
    word ("Total (Incl. SST)", "Rounding Adj", "Total"; "SUBTOTAL" too), or a "ROUNDING" row
    that prints the rounded amount rather than the adjustment."""
    best: tuple[float, int, Decimal] | None = None
    adjusted = next((ln.index for ln in lines if is_adjustment(ln, currency)), None)
    cut = _candidates_end(lines)
    refund = any(_REFUND.search(ln.text) for ln in lines)
    slip = refund and refund_slip(lines)
    for ln in lines[:cut]:
        if ln.amount is None or ln.amount == 0:
            continue
        strength = F.row_total_strength(ln)
        value = ln.amount
        if value < 0 and (slip or _REFUND_TOTAL.search(ln.label)) and (
                strength >= 0.9 or _REFUND_TOTAL.search(ln.label)):
            # a refund slip's or credit note's total: the amount given back, kept negative so
            # that a ledger's sums net it off what was spent
            strength = max(strength, 0.95)
        elif value < 0:  # a minus OCR added, or a slip netting returns ("Total Payable: -1.73")
            if refund or strength < 0.9:
                continue
            value = -value
        after_adjust = adjusted is not None and ln.index > adjusted
        if strength >= 0.9 and after_adjust:
            strength = 1.0
        elif after_adjust and F.is_subtotal(ln.label):
            strength = 0.95
        elif (best is not None and _ROUND.search(ln.label) and not is_adjustment(ln, currency)
              and abs(value - best[2]) <= max_adjustment(currency)):
            strength = 1.0  # "ROUNDING RM 42.35" under "TOTAL SALES RM 42.33"
        if strength and (best is None or strength >= best[0]):
            best = (strength, ln.index, value)
    if best is None and any(re.search(r"領\s*収", ln.text) for ln in lines):
        # a 領収書's amount printed on its own ("¥5,000-", "¥14,720※") above 但し書き
        for ln in lines[:cut]:
            if (ln.amount is not None and ln.amount > 0 and ln.amounts[-1].currency
                    and not ln.label.strip(" ¥$€£:-※*")):
                return ln.amount, 0.8, ln.index
    if best is None:
        # next row's amount when a label stands alone (合計 on one row, ¥1,234 under it)
        for a, b in itertools.pairwise(lines):
            if a.amount is None and F.total_strength(a.text) and b.amount and (
                    not b.label.strip(" ¥$€£:")
                    or (_PAYMENT.search(b.label) and not re.search(r"\d", a.text))):
                return b.amount, 0.7, b.index
        return None, 0.0, -1
    return _after_net_and_rounding(lines, best, cut, currency)


_TAX_ADDED = re.compile(r"外\s*\d+\s*%\s*税")  # "(外8%税 ¥207)"; its base, "外8%対象額", is no tax


def _after_net_and_rounding(lines: list[F.Line], best: tuple[float, int, Decimal], cut: int,
                            currency: str | None) -> tuple[Decimal, float, int]:
    """The total row found, or the one it gives way to: a total with tax rows after it and a
    total of them all below (the UK's "Net 72.85", "VAT 20% 3.60", "TOTAL 76.45"; Japan's
    "お買上計 ¥4,360", "(外8%税 ¥207)", "(外10%税 ¥176)", "合計 ¥4,743"; a Malaysian "NETT
    TOTAL" is the last total printed and has none), and a rounded total printed after the
    payment rows ("TOTAL $18.63", "Cash", "Change", "TOTAL ROUNDED $18.60")."""
    strength, row, value = best
    tax = Decimal(0)
    for ln in lines[row + 1:cut]:
        if ln.amount is None:
            continue
        if (F.is_tax(ln.label) or _TAX_ADDED.search(ln.label)) and not F.row_total_strength(ln):
            tax += ln.amount
        elif tax and F.row_total_strength(ln) >= 0.9 and ln.amount == value + tax:
            return ln.amount, 0.95, ln.index
    for ln in lines[cut:]:
        if (ln.amount is not None and ln.index > row and F.total_strength(ln.label) == 1.0
                and re.search(r"round", ln.label, re.I)
                and abs(ln.amount - value) <= max_adjustment(currency)):
            return ln.amount, 1.0, ln.index
    return value, strength, row


_ROUND = re.compile(r"round|端数|調整", re.I)
_REFUND = re.compile(r"refund|\breturn(ed)?\b|credit\s*note|返\s*品|返\s*金", re.I)
# The row that totals what is given back: "Refund Total", "Total Refund", "Refund Amount",
# "Total Credit Amount", "返金額", "返品合計"
_REFUND_TOTAL = re.compile(
    r"refund\w*\s*(total|amount|amt|sum)|total\s*(refund|credit)|credit\s*(amount|amt|total)|"
    r"bayaran\s*balik|返\s*(金|品)\s*(額|合\s*計|計)", re.I)
# Words that make a refund row a policy or a deposit's, not the slip's heading ("No refund",
# "Goods sold are not returnable", "Deposit refundable upon check-out")
_REFUND_POLICY = re.compile(r"\bnot?\b|\bnon\b|policy|within|\bwill\b|\bdays?\b|exchange|"
                            r"deposit|\bif\b|\bupon\b|tidak|bukan|"
                            # "返品・交換はレシートをお持ちの上14日以内に", "返品はできません"
                            r"交換|お持ち|でき|以内|場合|際", re.I)


def refund_slip(lines: list[F.Line]) -> bool:
    """The slip is a refund or a credit note: a heading row (a few words, no amount) says so
    ("** REFUND **", "CREDIT NOTE", "Return/Refund Details", "返品")."""
    return any(ln.amount is None and _REFUND.search(ln.text) and len(ln.text.split()) <= 6
               and not _REFUND_POLICY.search(ln.text) for ln in lines)
# The first row of a tax summary table printed under the total: a column header ("CODE % NET
# GST TOTAL", "GST SUMMARY", "RATE NET(RM) GST(RM)") or a rate row ("SR @ 6% 83.93 5.04").
_SUMMARY_HEAD = re.compile(
    r"(gst|tax|vat|sst)\s*summary|summary\s*of\s*(gst|tax)|"
    r"\b(net|amt|amount|rate|code)\b.*\b(gst|tax|vat|sst)\b.*\b(total|amt|amount|rm)\b", re.I)
_SUMMARY_RATE = re.compile(r"^\W*(s|z|e|sr|zr|zrl|es|os|tx)\b\W*(@|=|\d)[^a-z]*\d(\.\d+)?\s*%",
                           re.I)
# A row of what was paid: once the total is printed, rows after it are tender and change.
_PAYMENT = re.compile(r"\bcash\b|tender|\bchange\b|\bpaid\b|\bpayment\b|^\W*pay\b|"
                      r"\btunai\b|\bbaki\b|\bdeposit\s*(received|paid)|預|釣|visa|master|\bamex\b|"
                      r"credit|debit|\bcard\b", re.I)


def _summary_row(ln: F.Line) -> bool:
    return bool((_SUMMARY_HEAD.search(ln.text) and ln.amount is None)
                or _SUMMARY_RATE.search(ln.text))


def _payment_row(ln: F.Line) -> bool:
    return bool(ln.amount is not None and _PAYMENT.search(ln.label)
                and not F.total_strength(ln.label) and not _ROUND.search(ln.label))


# "Total Paid" right over the change is what was handed over, not the bill (a bakery's till:
# "Grand Total RM21.85", "Total Paid RM50.00", "Change RM28.15"); an app's "Total Paid" with no
# change under it is its total
_PAID_TOTAL = re.compile(r"total\s*paid|paid\s*total", re.I)
_CHANGE_ROW = re.compile(r"^\W*(change|baki)\b|釣", re.I)


def _handed_over(lines: list[F.Line], ln: F.Line) -> bool:
    after = next((x for x in lines[ln.index + 1:] if x.amount is not None), None)
    return bool(_PAID_TOTAL.search(ln.label) and after is not None
                and _CHANGE_ROW.search(after.label) and after.amount)


def _candidates_end(lines: list[F.Line]) -> int:
    """Where total rows stop: the first tax summary row or payment row after the first total;
    where no total row was read above them, a tax summary table after the payment rows (its
    "Total :" row sums the tax table, not the bill)."""
    first = next((ln.index for ln in lines if ln.amount is not None
                  and F.row_total_strength(ln) >= 0.9), None)
    paid = next((ln.index for ln in lines if _payment_row(ln)), None)
    table = next((ln.index for ln in lines[paid + 1:] if _summary_row(ln)),
                 None) if paid is not None else None
    if first is None or (table is not None and table < first):
        return table if table is not None else len(lines)
    for ln in lines[first + 1:]:
        if _summary_row(ln) or _payment_row(ln) or _handed_over(lines, ln):
            return ln.index
    return len(lines)


def max_adjustment(currency: str | None) -> Decimal:
    """The largest rounding adjustment: cash rounding to 5 or 10 cents, or yen 端数."""
    return Decimal("0.10") if minor_units(currency) else Decimal(10)


def is_adjustment(ln: F.Line, currency: str | None = None) -> bool:
    """A rounding adjustment row ("Rounding Adj -0.02", "端数調整 -3"): small, not a total."""
    return (ln.amount is not None and bool(_ROUND.search(ln.label))
            and not F.total_strength(ln.label) and abs(ln.amount) < max_adjustment(currency))


def find_taxes(lines: list[F.Line], japanese: bool
               ) -> tuple[Decimal | None, list[TaxLine], str | None]:
    found: list[TaxLine] = []
    included: bool | None = None
    summary: Decimal | None = None
    # taxes are printed under the subtotal; above it a "City tax" is an item
    first = next((ln.index for ln in lines if F.is_subtotal(ln.label)), 0)
    for i, ln in enumerate(lines):
        if (i < first or ln.amount is None or not F.is_tax(ln.label)
                or F.total_strength(ln.label) >= 0.9 or _item_follows(lines, i)
                or _TAX_ID.search(ln.label) or _identifier(ln) or _TOTAL_WITH_TAX.search(ln.label)):
            continue
        prev = lines[i - 1].text if i else ""
        # "(10%対象 ¥1,000" on the row above "内消費税 ¥90)": the base and its rate
        base_above = bool(prev) and ("対象" in prev or F.tax_rate(prev, japanese) is not None
                                     ) and not F.is_tax(lines[i - 1].label) and not (
                                         _NOT_TAX_RATE.search(prev))
        rate = F.tax_rate(ln.text, japanese) or (
            F.tax_rate(prev, japanese) if base_above else None)
        base = ln.amounts[-2].value if len(ln.amounts) >= 2 else (
            lines[i - 1].amount if base_above else None)
        flag = F.tax_included(ln.text) if F.tax_included(ln.text) is not None else (
            F.tax_included(prev) if base_above else None)
        included = flag if flag is not None else included
        if re.search(r"合\s*計|total|計\s*$", ln.label, re.I) and "内" not in ln.label:
            summary = ln.amount
            continue
        if rate is None and japanese and base:
            rate = _japanese_rate(ln.amount, base, flag)
        if rate is None or rate not in {t.rate for t in found}:
            found.append(TaxLine(rate or Decimal(0), _tax_amount(ln), base))
    tax = summary if summary is not None else (
        sum((t.tax for t in found), Decimal(0)) if found else None)
    tax_lines = [t for t in found if t.rate > 0]
    if included is None and japanese and found and all(
            re.search(r"消\s*費\s*税", ln.label) and not re.search(r"内|込|対\s*象", ln.text)
            for ln in lines if ln.amount is not None and F.is_tax(ln.label)):
        included = False  # "消費税等 ¥192" on its own row, not "(内消費税": tax added (外税)
    style = None if included is None else ("included" if included else "added")
    return tax, tax_lines, style


def _tax_amount(ln: F.Line) -> Decimal:
    """A tax row's amount: its last, unless that is a bare whole number from the next column
    printed after an amount with cents ("TAX 0.00 94")."""
    last = ln.amounts[-1]
    if (last.decimals == 0 and len(ln.amounts) >= 2 and ln.amounts[-2].decimals == 2
            and last.currency is None):
        return ln.amounts[-2].value
    return last.value


# "TOTAL 6% SUPPLIES (EXCL. GST)", "AMT PAID INCL. GST": an amount with or without its tax
_TOTAL_WITH_TAX = re.compile(r"(total|amt|amount|合\s*計).*(excl|incl(?!uded)|before|w/o|without|"
                             r"\binc\b|税\s*抜|税\s*込)", re.I)
# A rate printed for something else than tax: a service charge, a discount, a tip.
_NOT_TAX_RATE = re.compile(r"serv|charge|\bsvc\b|\bsrv\b|\bchg\b|disc|less|off\b|\btips?\b|"
                           r"gratuity|サービス|値\s*引|割\s*引", re.I)
# A tax registration row ("GST REG NO: 000123456789", "SST ID"): its number is no amount.
_TAX_ID = re.compile(r"\b(reg|regn|id|no|number|ref)\b|登録|番号", re.I)


def _identifier(ln: F.Line) -> bool:
    """A long bare number (an ID, not money): seven digits or more with no decimals."""
    a = ln.amounts[-1]
    return a.decimals == 0 and a.currency is None and abs(a.value) >= 1_000_000


# cash handed over: "CASH", "Tendered", "Received Cash", "Paid" (a parking ticket's)
TENDERED = (r"預|投\s*入|tender|\breceived\b|^\W*paid\b|^\W*(rm\s*)?cash\b|現\s*金|^\W*payment\b|"
            r"paid\s*(amount|amt)|^\W*(rm\s*)?tunai\b|"
            # a label that ends in "Cash" ("Received Cash" as a photo reads it: "Fecsived Cash")
            r"^\W*(?!total|nett?\b)[a-z]{4,}\s+cash\W*(rm)?\W*$")
PAID = re.compile("|".join(p.pattern for m, p in F.PAYMENT_KEYS if m != "cash"), re.I)


def unread_total_after(lines: list[F.Line], row: int) -> bool:
    """A total row follows the rounding adjustment at ``row`` (before any payment) but its
    amount could not be read: the rounded total is the printed total plus the adjustment. With
    no such row the printed total stands (the adjustment rounds what was paid in cash)."""
    for ln in lines[row + 1:]:
        if ln.amount is not None and _PAYMENT.search(ln.label) and not F.total_strength(ln.label):
            return False
        if F.total_strength(ln.text) >= 0.9 and (
                ln.amount is None or (ln.amounts[-1].decimals == 0 and ln.amount < 10)):
            return True
    return False


def _item_follows(lines: list[F.Line], i: int) -> bool:
    """An item row (a plain name and price) comes after row ``i`` before any total: row ``i``
    is an item too ("City tax" on a hotel bill), not the receipt's tax. Below a subtotal or
    total row nothing is an item."""
    if any(F.total_strength(ln.label) or F.is_subtotal(ln.label) for ln in lines[:i]):
        return False
    for ln in lines[i + 1:]:
        if F.total_strength(ln.label) or F.is_subtotal(ln.label) or F.TENDER.search(ln.label):
            return False
        if (ln.amount is not None and not F.is_tax(ln.label) and not PAID.search(ln.label)
                and len(re.findall(r"[^\W\d_]", ln.label)) >= 2):
            return True
    return False


def _japanese_rate(tax: Decimal, base: Decimal, included: bool | None) -> Decimal | None:
    """8% or 10% from a tax and its base when OCR lost the printed rate (内税 bases include
    the tax; Japan rounds the tax down, so allow a yen or two)."""
    net = base - tax if included is not False else base
    if net <= 0:
        return None
    for rate in (Decimal(10), Decimal(8)):
        if abs(net * rate / 100 - tax) <= 2:
            return rate
    return None


_DISCOUNT = re.compile(r"値\s*引|割\s*引|discount|coupon|クーポン|voucher|diskaun|potongan|baucar",
                       re.I)
_NOT_A_CUT = re.compile(r"round|端数|調整|change|釣|refund|返", re.I)


def discounted(lines: list[F.Line]) -> bool:
    """A discount or coupon row that takes something off ("Total Item Discount: 0.00" does
    not), or a row below the subtotal that takes an amount off whatever its label ("Member 10%
    -3.00"; a rounding adjustment is no discount)."""
    if any(_DISCOUNT.search(ln.label) and ln.amount != 0 for ln in lines):
        return True
    sub = next((ln.index for ln in lines if ln.amount is not None and F.is_subtotal(ln.label)),
               None)
    return sub is not None and any(
        ln.amount is not None and ln.amount < 0 and not _NOT_A_CUT.search(ln.label)
        for ln in lines[sub + 1:])


_HEADER = re.compile(r"\btel\b|電話|\breg\b|レジ|\bno\.|#\d|登録番号|担当|cashier|〒|"
                     r"\d{2,4}-\d{2,4}-\d{3,4}", re.I)


def find_items(lines: list[F.Line], total_row: int,
           currency: str | None = None) -> tuple[LineItem, ...]:
    """The rows between the header (shop, address, date, register) and the subtotal/total that
    have a name and an amount. A tax-worded row among them ("City tax") is an item when an item
    follows it; in a currency with cents, an item's price prints its cents."""
    stops = [ln.index for ln in lines if F.is_subtotal(ln.label) or (
        ln.amount is not None and (F.TENDER.search(ln.label) or (PAID.search(ln.label)
                                   and ln.index > 2)))]
    end = min([*stops, total_row] if total_row >= 0 else [*stops, len(lines)])
    head = [ln.index for ln in lines[:end] if find_dates_cheap(ln.text) or _HEADER.search(ln.text)
            or find_dates(ln.text, today=Date(2100, 1, 1))]
    start = max(head) + 1 if head else 0
    cents = minor_units(currency) > 0
    rows = [ln for ln in lines[start:end] if ln.amount is not None
            and len(re.findall(r"[^\W\d_]", ln.label)) >= 2
            and not (cents and ln.amounts[-1].decimals != 2) and not _NOT_ITEM.search(ln.label)]
    out = []
    for i, ln in enumerate(rows):
        name = ln.label.strip(" .:-¥$€£*")
        later_item = any(not F.is_tax(x.label) for x in rows[i + 1:])
        if ((F.is_tax(ln.label) and not later_item) or F.TENDER.search(ln.label)
                or F.total_strength(ln.label)):
            continue
        out.append(LineItem(name[:80], ln.amount))  # type: ignore[arg-type]
        if len(out) >= MAX_ITEMS:
            break
    return tuple(out)


# Rows in the item block that are no purchase: totals of a group, counts, tips, service fees.
_NOT_ITEM = re.compile(r"total|合\s*計|小\s*計|\bqty\b|item\s*count|\btips?\b|gratuity|"
                       r"番\s*号|車\s*番|機\s*番|残\s*額|"
                       r"チップ|心付け|\bchange\b|\bcash\b|tender|\btunai\b|\bbaki\b|:\s*$", re.I)


def find_dates_cheap(text: str) -> bool:
    return bool(re.search(r"\d{1,4}\s*[/.\-年]\s*\d{1,2}\s*[/.\-月]\s*\d{1,2}|\btel\b|電話", text,
                          re.I))
