"""The receipt's fields as read: the contract between the reader, the ledger, the command line
and the thread flow. Amounts are ``Decimal`` in major units (never float); a field not found is
``None``; each field's confidence is 0..1 in ``confidence``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal
from typing import Literal

PaymentMethod = Literal["cash", "credit_card", "debit_card", "qr_code", "ic_card", "other"]
PAYMENT_METHODS: tuple[PaymentMethod, ...] = (
    "cash", "credit_card", "debit_card", "qr_code", "ic_card", "other")

Category = Literal["transport", "lodging", "entertainment", "supplies", "communication",
                   "outsourcing", "misc"]
CATEGORIES: tuple[Category, ...] = (
    "transport", "lodging", "entertainment", "supplies", "communication", "outsourcing", "misc")
# The Japanese account names (勘定科目) a user may write for each category.
CATEGORY_JA: dict[Category, str] = {
    "transport": "交通費", "lodging": "宿泊費", "entertainment": "交際費", "supplies": "備品",
    "communication": "通信費", "outsourcing": "外注費", "misc": "雑費",
}

TaxStyle = Literal["included", "added"]  # 内税 (tax-included prices) / 外税 (tax added on top)

# The fields a user can see, correct and the reader reports confidence for.
FIELDS = ("merchant", "date", "total", "tax", "tax_rate", "currency", "payment_method",
          "category", "invoice_number")


@dataclass(frozen=True)
class LineItem:
    name: str
    amount: Decimal


@dataclass(frozen=True)
class TaxLine:
    """Tax for one rate where printed (8% reduced, 10% standard): the taxable amount and tax."""

    rate: Decimal  # percent, e.g. Decimal("8")
    tax: Decimal
    base: Decimal | None = None


@dataclass(frozen=True)
class Receipt:
    merchant: str | None = None
    date: Date | None = None
    total: Decimal | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    tax_rate: Decimal | None = None  # percent when one rate applies to the whole receipt
    tax_lines: tuple[TaxLine, ...] = ()
    tax_style: TaxStyle | None = None
    currency: str | None = None  # ISO 4217: "JPY", "USD", "EUR", "GBP", "MYR", ...
    payment_method: PaymentMethod | None = None
    category: Category | None = None
    invoice_number: str | None = None  # "T" + 13 digits
    invoice_number_valid: bool | None = None  # None where no number was read
    invoice_compliant: bool | None = None  # Japan's qualified-invoice rules; None if not Japanese
    invoice_missing: tuple[str, ...] = ()  # what a qualified invoice lacks, e.g. "issuer"
    items: tuple[LineItem, ...] = ()
    confidence: dict[str, float] = field(default_factory=dict)  # per FIELDS name, 0..1
    is_receipt: bool = True  # False: the image is not a receipt at all
    readable: bool = True  # False: too blurred, dark or small to read; ask for a retake
    retake_tips: tuple[str, ...] = ()  # string keys in bot/strings.py, e.g. "retake_blur"
    totals_disagree: bool = False  # subtotal + tax (外税) != total
    ocr_text: str = ""  # the text read, in layout order (each label with its amount on one line)

    def unsure(self, threshold: float = 0.6) -> tuple[str, ...]:
        """Fields that were read but with a confidence under ``threshold``, or not found."""
        return tuple(f for f in FIELDS if self.confidence.get(f, 0.0) < threshold)
