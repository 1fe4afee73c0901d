"""Exports an accountant imports without editing: freee 取引インポート and Money Forward 仕訳帳
files read back as the software reads them (Shift_JIS, their header rows, required columns,
tax categories from the policy), the generic CSV with its BOM and approval columns, and the
image archive's searchable, safe names."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest

from bot.models import ThreadKey
from bot.receipts.archive import build_archive, image_name
from bot.receipts.entry import Approval, Entry
from bot.receipts.export_common import (
    Item,
    lines,
    reference,
    select_for_import,
    tax_key,
    write_csv,
)
from bot.receipts.freee import HEADER as FREEE_HEADER
from bot.receipts.freee import freee_csv
from bot.receipts.model import Receipt, TaxLine
from bot.receipts.moneyforward import HEADER as MF_HEADER
from bot.receipts.moneyforward import moneyforward_csv
from bot.receipts.summary import CSV_COLUMNS, csv_bytes
from config.policy import PolicyConfig

THREAD = ThreadKey("slack", "T1", "C1", "1700000000.000100")
VALID = "T1234567890123"
POLICY = PolicyConfig().receipts


APPROVED = Approval("approved", "UBOSS", "Boss", 1.0)


def item(n: int, approval: Approval = APPROVED, *,
         by: str = "UALICE", **fields: object) -> Item:
    base: dict[str, object] = {"date": date(2026, 11, 28), "total": Decimal("3300"),
                               "currency": "JPY", "merchant": "ファミリーマート",
                               "category": "transport"}
    r = Receipt(**{**base, **fields})  # type: ignore[arg-type]
    return Item(THREAD, Entry(n, r, r, by, 1.0, f"sha{n}", approval=approval,
                              added_by_name="Alice"))


def read(data: bytes, encoding: str = "cp932") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_freee_file_reads_back_in_shift_jis_with_freees_header() -> None:
    items = [item(1, tax_rate=Decimal(10), tax=Decimal(300), invoice_number=VALID,
                  invoice_number_valid=True),
             item(2, merchant="東横イン", category="lodging", total=Decimal("9000"),
                  tax_rate=Decimal(10), date=date(2026, 11, 30))]
    out = freee_csv(items, POLICY, {"UALICE": "Alice"})
    assert not out.data.startswith(b"\xef\xbb\xbf")  # Shift_JIS, no BOM
    rows = read(out.data)
    assert tuple(rows[0]) == FREEE_HEADER and len(rows[0]) == 20
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["収支区分"] == "支出" and first["発生日"] == "2026/11/28"
    assert first["勘定科目"] == "旅費交通費" and first["税区分"] == "課対仕入10%"
    assert (first["金額"], first["税計算区分"], first["税額"]) == ("3300", "内税", "300")
    assert first["取引先"] == "ファミリーマート" and first["管理番号"] == reference(items[0])
    assert first["備考"] == "ファミリーマート #1 Alice 承認済み(Boss)"  # free text: NFKC
    assert first["決済口座"] == "" and first["決済日"] == ""  # unsettled: reimbursed later
    second = dict(zip(rows[0], rows[2], strict=True))
    # lodging -> 旅費交通費 (the policy's map); no registration number after 2026-09-30: 50 %
    assert second["勘定科目"] == "旅費交通費" and second["税区分"] == "課対仕入（控50）10%"
    assert rows[1][-1] == "" and out.replaced == 0


def test_freee_settled_with_a_payment_account_and_names_from_the_policy() -> None:
    policy = PolicyConfig.model_validate({"receipts": {
        "accounts": {"transport": "交通費"}, "freee": {"payment_account": "現金",
                                                       "encoding": "utf-8"}}}).receipts
    rows = read(freee_csv([item(1, tax_rate=Decimal(8), date=date(2026, 9, 30))], policy,
                          {}).data, "utf-8")
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["勘定科目"] == "交通費" and row["税区分"] == "課対仕入（控80）8%（軽）"
    assert (row["決済日"], row["決済口座"], row["決済金額"]) == ("2026/09/30", "現金", "3300")


def test_moneyforward_journal_balances_and_uses_the_invoice_column() -> None:
    mixed = item(3, total=Decimal("2180"), tax_style="included", tax_lines=(
        TaxLine(Decimal(8), Decimal(80), Decimal("1080")),
        TaxLine(Decimal(10), Decimal(100), Decimal("1100"))), date=date(2026, 12, 1),
        invoice_number=VALID, invoice_number_valid=True)
    items = [item(1, tax_rate=Decimal(10)), mixed]
    rows = read(moneyforward_csv(items, POLICY, {"UALICE": "Alice"}).data)
    assert tuple(rows[0]) == MF_HEADER and len(rows[0]) == 27
    one = dict(zip(rows[0], rows[1], strict=True))
    assert (one["取引No"], one["取引日"], one["借方勘定科目"]) == ("1", "2026/11/28", "旅費交通費")
    assert one["借方税区分"] == "課税仕入 10%" and one["借方インボイス"] == "50%控除"
    assert (one["借方金額(円)"], one["貸方勘定科目"], one["貸方金額(円)"]) == ("3300", "未払金",
                                                                          "3300")
    assert one["貸方税区分"] == "対象外" and "ファミリーマート #1 Alice" in one["摘要"]
    assert one["仕訳メモ"] == "承認済み Boss"
    # the mixed-rate receipt: one compound journal, two debit lines, debits = credit
    two = [dict(zip(rows[0], r, strict=True)) for r in rows[2:]]
    assert [r["取引No"] for r in two] == ["2", "2"] and two[0]["取引日"] == two[1]["取引日"]
    assert [r["借方税区分"] for r in two] == ["課税仕入 (軽)8%", "課税仕入 10%"]
    assert [r["借方インボイス"] for r in two] == ["", ""]  # a qualified invoice
    debits = sum(int(r["借方金額(円)"]) for r in two)
    credits = sum(int(r["貸方金額(円)"] or 0) for r in two)
    assert debits == credits == 2180


@pytest.mark.parametrize(("day", "valid", "key"), [
    (date(2023, 9, 30), False, "10"),  # before the invoice system
    (date(2023, 10, 1), False, "10_80"),
    (date(2026, 9, 30), False, "10_80"),
    (date(2026, 10, 1), False, "10_50"),
    (date(2029, 9, 30), False, "10_50"),
    (date(2029, 10, 1), False, "none"),
    (date(2026, 11, 28), True, "10"),
])
def test_qualified_invoice_and_the_transitional_deduction(day: date, valid: bool,
                                                          key: str) -> None:
    r = item(1, date=day, invoice_number=VALID if valid else None,
             invoice_number_valid=valid or None, tax_rate=Decimal(10)).entry.receipt
    assert tax_key(lines(r)[0], r) == key


def test_the_rate_a_receipt_implies_and_a_split_that_does_not_add_up() -> None:
    r = item(1, total=Decimal("1080"), tax=Decimal("80")).entry.receipt
    assert lines(r)[0].rate == Decimal(8)
    odd = item(2, total=Decimal("2000"), tax_lines=(
        TaxLine(Decimal(8), Decimal(80), Decimal("1080")),
        TaxLine(Decimal(10), Decimal(100), Decimal("1100")))).entry.receipt
    assert [ln.amount for ln in lines(odd)] == [Decimal("2000")]  # parts do not add up: one


def test_what_an_import_leaves_out_and_why() -> None:
    items = [item(1), item(2, Approval()), item(3, Approval("rejected", "B", "Boss", 1.0, "x")),
             item(4, currency="USD", total=Decimal("23.45")), item(5, total=None),
             item(6, date=None)]
    chosen = select_for_import(items, ("approved", "pending"))
    assert [i.entry.n for i in chosen.items] == [1, 2]
    assert chosen.left_out == {"rejected": [3], "currency": [4], "no_total": [5],
                               "no_date": [6]}
    approved_only = select_for_import(items, ("approved",))
    assert approved_only.left_out["status"] == [2]


def test_characters_shift_jis_cannot_hold_become_question_marks_and_are_counted() -> None:
    out = write_csv(("a",), [(7, ["Café 🍜 ＝"])], "cp932")
    assert read(out.data) == [["a"], ["Caf? ? ＝"]] and out.replaced == 2
    assert out.rows_replaced == (7,)
    formula = write_csv(("a",), [(1, ["=HYPERLINK(1)"])], "cp932")
    assert read(formula.data)[1] == ["'=HYPERLINK(1)"]


def test_generic_csv_has_a_bom_and_the_approval() -> None:
    items = [item(1), item(2, Approval("rejected", "UBOSS", "Boss", 1_764_300_000.0, "私用"))]
    data = csv_bytes([i.entry for i in items], refs=[reference(i) for i in items],
                     image_names={reference(items[0]): "2026-11-28_3300_ファミリーマート.jpg"})
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert (rows[0]["status"], rows[0]["decided_by"]) == ("approved", "Boss")
    assert rows[1]["status"] == "rejected" and rows[1]["reason"] == "私用"
    assert rows[1]["decided_at"].startswith("2025-11-28T")
    assert rows[0]["image_file"] == "2026-11-28_3300_ファミリーマート.jpg"
    assert rows[0]["added_by_name"] == "Alice"


def test_image_names_are_searchable_and_safe() -> None:
    e = item(1).entry
    assert image_name(e, "jpg") == "2026-11-28_3300_ファミリーマート.jpg"
    usd = item(2, total=Decimal("23.45"), currency="USD", merchant="CORNER MARKET").entry
    assert image_name(usd, "png") == "2026-11-28_23.45USD_CORNER-MARKET.png"
    hostile = item(3, merchant="../../etc/passwd\x00<script>:*?", date=None, total=None).entry
    name = image_name(hostile, "jpg")
    assert name.startswith("nodate_nototal_") and "/" not in name and ".." not in name
    assert all(c not in name for c in '<>:"\\|?*\x00')
    long = item(4, merchant="長" * 500).entry
    assert len(image_name(long, "jpg")) <= 120


def test_archive_names_each_image_once_stops_at_its_size_and_indexes_them() -> None:
    items = [item(1), item(2), item(3), item(4)]  # #1 and #2 share date, amount, merchant
    jpeg = b"\xff\xd8" + b"x" * 1000
    images = {(THREAD.tag(), f"sha{n}"): jpeg for n in (1, 2, 3)}  # #4's image is not kept
    archive = build_archive(items, images, lambda names: csv_bytes(
        [i.entry for i in items], refs=[reference(i) for i in items], image_names=names),
        max_bytes=2500)
    assert archive.missing == (4,) and archive.too_big == (3,)
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zf:
        names = zf.namelist()
        assert names == ["receipts.csv", "2026-11-28_3300_ファミリーマート.jpg",
                         "2026-11-28_3300_ファミリーマート_2.jpg"]
        assert zf.getinfo(names[1]).flag_bits & 0x800  # UTF-8 names, as unzip tools expect
        index = list(csv.DictReader(io.StringIO(zf.read("receipts.csv").decode("utf-8-sig"))))
    assert [r["image_file"] for r in index] == [*names[1:], "", ""]


@pytest.mark.parametrize(("day", "invoice"), [(date(2025, 6, 1), "80%控除"),
                                              (date(2027, 1, 5), "50%控除"),
                                              (date(2023, 9, 1), "")])
def test_moneyforward_invoice_column_by_date(day: date, invoice: str) -> None:
    rows = read(moneyforward_csv([item(1, date=day)], POLICY, {}).data)
    assert dict(zip(rows[0], rows[1], strict=True))["借方インボイス"] == invoice
