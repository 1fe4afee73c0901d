"""A vision model's second opinion on a receipt (``bot.receipts.opinion``): the answer's schema
is the ``Receipt``'s fields, agreement raises confidence, a difference lowers it and the card
names the field to check with the model's reading (ja and en)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot import strings
from bot.receipts.card import UNSURE, card
from bot.receipts.entry import Entry
from bot.receipts.model import FIELDS, Receipt
from bot.receipts.opinion import DISAGREE_CAP, ReceiptFields, as_receipt, compare
from bot.vision.constrained import Unreadable, parse_answer

OCR = Receipt(merchant="AEON BIG (M) SDN BHD", date=date(2019, 3, 5), total=Decimal("23.40"),
              tax=Decimal("1.32"), currency="MYR", payment_method="cash",
              confidence={"merchant": 0.7, "date": 0.9, "total": 0.5, "tax": 0.8,
                          "currency": 0.9, "payment_method": 0.6})


def _reading(**fields: object) -> Receipt:
    base: dict[str, object] = {
        "is_receipt": True, "merchant": "Aeon Big", "date": "2019-03-05", "total": "23.40",
        "tax": "1.32", "tax_rate": None, "currency": "myr", "payment_method": "cash",
        "category": None, "invoice_number": None}
    base.update(fields)
    return as_receipt(ReceiptFields.model_validate(base, strict=True))


def test_the_answer_schema_is_the_receipts_fields() -> None:
    assert set(ReceiptFields.model_fields) == {*FIELDS, "is_receipt"}
    schema = ReceiptFields.model_json_schema()
    assert set(schema["required"]) == set(ReceiptFields.model_fields)  # strict servers need all
    assert schema["additionalProperties"] is False


def test_agreement_raises_confidence() -> None:
    got = compare(OCR, _reading())
    assert set(got.agree) == {"merchant", "date", "total", "tax", "currency", "payment_method"}
    assert got.differ == ()
    assert got.receipt.confidence["total"] == 0.9  # 1 - 0.5 * 0.2
    assert all(got.receipt.confidence[f] > OCR.confidence[f] for f in got.agree)
    assert got.receipt.unsure() == ("tax_rate", "category", "invoice_number")  # not read


def test_a_difference_is_marked_and_named_on_the_card() -> None:
    got = compare(OCR, _reading(total="32.40", category="supplies"))
    assert got.differ == ("total", "category")  # category: only the model read one
    assert got.receipt.total == Decimal("23.40")  # the OCR reading stays; a person decides
    assert got.receipt.confidence["total"] == DISAGREE_CAP
    entry = Entry(n=3, receipt=got.receipt, original=got.receipt, added_by="u", added_at=0.0)
    en = card(entry, "en", checks=got.differ, reading=got.reading)
    assert strings.t("receipts.check_field", "en", field="Total", value="32.40 MYR") in en
    assert strings.t("receipts.check_field", "en", field="Category", value="Supplies") in en
    assert f"Total: 23.40 MYR {UNSURE}" in en
    ja = card(entry, "ja", checks=got.differ, reading=got.reading)
    assert strings.t("receipts.check_field", "ja", field="合計", value="32.40 MYR") in ja
    assert "確認してください" in ja


def test_a_field_only_ocr_read_is_left_alone() -> None:
    got = compare(OCR, _reading(tax=None, merchant=None))
    assert "tax" not in got.agree + got.differ and "merchant" not in got.agree + got.differ
    assert got.receipt.confidence["tax"] == OCR.confidence["tax"]


def test_names_dates_and_amounts_compare_as_people_read_them() -> None:
    assert "merchant" in compare(OCR, _reading(merchant="ＡＥＯＮ ＢＩＧ (M) SDN. BHD")).agree
    assert "merchant" in compare(OCR, _reading(merchant="TESCO")).differ
    assert "total" in compare(OCR, _reading(total="23.4")).agree
    assert "date" in compare(OCR, _reading(date="2019-05-03")).differ
    # a date that does not exist is no reading at all
    assert "date" not in compare(OCR, _reading(date="2019-02-30")).differ


def test_the_models_text_is_parsed_strictly() -> None:
    text = ('{"is_receipt": true, "merchant": "A", "date": "2019-03-05", "total": 23.4, '
            '"tax": null, "tax_rate": null, "currency": "MYR", "payment_method": "cash", '
            '"category": null, "invoice_number": null}')
    with pytest.raises(Unreadable, match="total"):  # a number, not the decimal string asked
        parse_answer(text, ReceiptFields)
