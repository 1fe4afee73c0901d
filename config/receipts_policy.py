"""``[receipts]`` in the policy file: expense threads' approvals, the time zone months are
counted in, and how exports put receipts into accounting software (docs/policy.md, Expense
threads).

The account names (勘定科目) and tax categories (税区分) are the accounting software's own
words: an import fails on a name the company's books do not have, so they live here, where an
operator matches them to the books, and no export hard-codes them.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

CATEGORY_KEYS = ("transport", "lodging", "entertainment", "supplies", "communication",
                 "outsourcing", "misc", "none")
STATUSES = ("pending", "approved", "rejected")
# Tax keys: the rate ("10", "8"), with "_80"/"_50" for a receipt that is no qualified invoice
# (the transitional 80 % deduction until 2026-09-30, then 50 % until 2029-09-30), and "none" for
# a receipt without a Japanese tax rate.
TAX_KEYS = ("10", "8", "10_80", "8_80", "10_50", "8_50", "none")
FREEE_TAX = {"10": "課対仕入10%", "8": "課対仕入8%（軽）",
             "10_80": "課対仕入（控80）10%", "8_80": "課対仕入（控80）8%（軽）",
             "10_50": "課対仕入（控50）10%", "8_50": "課対仕入（控50）8%（軽）", "none": "対象外"}
MF_TAX = {"10": "課税仕入 10%", "8": "課税仕入 (軽)8%", "none": "対象外"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _default_accounts() -> dict[str, str]:
    return {"transport": "旅費交通費", "lodging": "旅費交通費", "entertainment": "接待交際費",
            "supplies": "消耗品費", "communication": "通信費", "outsourcing": "外注費",
            "misc": "雑費", "none": "雑費"}


def _names(value: dict[str, str], allowed: tuple[str, ...], what: str) -> dict[str, str]:
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(unknown)} (known: {', '.join(allowed)})")
    for key, name in value.items():
        if not name.strip() or len(name) > 40 or any(c in name for c in ",\"\r\n"):
            raise ValueError(f"{what} {key}: {name!r} must be 1..40 characters without commas, "
                             "quotes or line breaks")
    return value


class FreeeExport(_Frozen):
    """freee 取引インポート: the file's encoding, the 決済口座 (empty: an unsettled 取引, for
    expenses reimbursed later) and the 税区分 names."""

    encoding: Literal["cp932", "utf-8"] = "cp932"
    payment_account: str = Field("", max_length=40)
    tax: dict[str, str] = Field(default_factory=lambda: dict(FREEE_TAX))

    @field_validator("tax")
    @classmethod
    def _tax(cls, value: dict[str, str]) -> dict[str, str]:
        return {**FREEE_TAX, **_names(value, TAX_KEYS, "tax key")}


class MoneyForwardExport(_Frozen):
    """マネーフォワード クラウド会計 仕訳帳インポート: the encoding, the 貸方 account (the
    company owes the person who paid: 未払金), and the 税区分 names; the transitional deduction
    goes in 借方インボイス, so MF needs no ``_80``/``_50`` tax keys."""

    encoding: Literal["cp932", "utf-8"] = "cp932"
    credit_account: str = Field("未払金", min_length=1, max_length=40)
    tax: dict[str, str] = Field(default_factory=lambda: dict(MF_TAX))

    @field_validator("tax")
    @classmethod
    def _tax(cls, value: dict[str, str]) -> dict[str, str]:
        return {**MF_TAX, **_names(value, TAX_KEYS, "tax key")}


class ReceiptsPolicy(_Frozen):
    """``[receipts]``: ``approvals`` (buttons on receipt cards, ``approve #N``; off: neither),
    ``timezone`` ("this month", "今月" and report months), ``export_statuses`` (which receipts
    the freee and Money Forward exports carry; rejected ones never), ``accounts`` (category ->
    勘定科目), and the two import layouts."""

    approvals: bool = True
    timezone: str = "UTC"
    export_statuses: tuple[Literal["pending", "approved"], ...] = ("approved", "pending")
    accounts: dict[str, str] = Field(default_factory=_default_accounts)
    freee: FreeeExport = FreeeExport()
    moneyforward: MoneyForwardExport = MoneyForwardExport()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value == "UTC":  # needs no time-zone database
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {value!r} is not an IANA time zone (e.g. Asia/Tokyo, "
                             "UTC)") from None
        return value

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, value: dict[str, str]) -> dict[str, str]:
        return {**_default_accounts(), **_names(value, CATEGORY_KEYS, "category")}

    @field_validator("export_statuses")
    @classmethod
    def _statuses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("export_statuses: name at least one of approved, pending")
        return value

    def tz(self) -> tzinfo:
        return UTC if self.timezone == "UTC" else ZoneInfo(self.timezone)

    def account(self, category: str | None) -> str:
        return self.accounts.get(category or "none", self.accounts["none"])
