"""マネーフォワード クラウド会計「仕訳帳」import file: one journal (仕訳) per receipt, a
compound journal (複合仕訳) with one 借方 line per tax rate where the receipt prints its 8 % and
10 % parts.

The layout follows Money Forward's guide「仕訳帳」をインポートする
(https://biz.moneyforward.com/support/tax-return/guide/import-books/ib01.html, and the
account guide's page of the same name) and its sample format, whose header row is, in order:

    取引No, 取引日, 借方勘定科目, 借方補助科目, 借方部門, 借方取引先, 借方税区分, 借方インボイス,
    借方金額(円), 借方税額, 貸方勘定科目, 貸方補助科目, 貸方部門, 貸方取引先, 貸方税区分,
    貸方インボイス, 貸方金額(円), 貸方税額, 摘要, 仕訳メモ, タグ, MF仕訳タイプ, 決算整理仕訳,
    作成日時, 作成者, 最終更新日時, 最終更新者

Required: 取引No (1, 2, 3… in sequence; rows with the same 取引No and 取引日 whose 借方 and
貸方 totals agree form one compound journal), 取引日, 勘定科目 and 金額. Account, 補助科目,
税区分 and 部門 names must match the company's settings exactly, which is why they come from
the policy (``[receipts.accounts]``, ``[receipts.moneyforward]``). 借方インボイス is empty for a
qualified invoice (Money Forward then sets 適格 from the 税区分), ``80%控除`` or ``50%控除`` in
the transitional years for a receipt without a valid registration number. 借方取引先 stays
empty (a name Money Forward does not know would stop the import): the merchant goes in 摘要.

What Miru writes per receipt: 借方 the category's account at the line's 税区分 and yen amount
(税額 where printed), 貸方 the policy's ``credit_account`` (未払金 by default: the company owes
the person who paid) for the total, 税区分 対象外; 摘要 merchant, receipt number, who paid;
仕訳メモ the approval. Encoding: Shift_JIS (cp932) by default, UTF-8 without a BOM on request
(``[receipts.moneyforward] encoding``): Money Forward offers its templates in both.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import strings
from bot.receipts.export_common import (
    Encoded,
    Item,
    deduction,
    free_text,
    lines,
    slash_date,
    tax_key,
    write_csv,
    yen,
)
from config.receipts_policy import ReceiptsPolicy

HEADER = ("取引No", "取引日", "借方勘定科目", "借方補助科目", "借方部門", "借方取引先",
          "借方税区分", "借方インボイス", "借方金額(円)", "借方税額", "貸方勘定科目",
          "貸方補助科目", "貸方部門", "貸方取引先", "貸方税区分", "貸方インボイス", "貸方金額(円)",
          "貸方税額", "摘要", "仕訳メモ", "タグ", "MF仕訳タイプ", "決算整理仕訳", "作成日時",
          "作成者", "最終更新日時", "最終更新者")
INVOICE = {"80": "80%控除", "50": "50%控除", "0": ""}


def moneyforward_csv(items: Sequence[Item], policy: ReceiptsPolicy,
                     names: dict[str, str]) -> Encoded:
    """The import file for ``items`` (already chosen by ``select_for_import``)."""
    conf = policy.moneyforward
    rows: list[tuple[int, list[object]]] = []
    for number, item in enumerate(items, start=1):
        e, r = item.entry, item.entry.receipt
        assert r.date is not None and r.total is not None
        invoice = INVOICE.get(deduction(r), "")
        memo = _memo(item)
        summary = _summary(item, names)
        for index, line in enumerate(lines(r)):
            key = tax_key(line, r, split=False) if deduction(r) != "0" else "none"
            credit = ([conf.credit_account, "", "", "", conf.tax["none"], "", yen(r.total), ""]
                      if index == 0 else ["", "", "", "", "", "", "", ""])
            rows.append((e.n, [
                number, slash_date(r.date), policy.account(r.category), "", "", "",
                conf.tax[key], invoice, yen(line.amount), yen(line.tax), *credit,
                summary, memo if index == 0 else "", "", "", "", "", "", "", ""]))
    return write_csv(HEADER, rows, conf.encoding)


def _summary(item: Item, names: dict[str, str]) -> str:
    e = item.entry
    who = names.get(e.added_by) or e.added_by_name or e.added_by
    return free_text(f"{e.receipt.merchant or ''} #{e.n} {who}", 120)


def _memo(item: Item) -> str:
    a = item.entry.approval
    status = strings.t(f"expense.status.{a.status}", "ja")
    if a.decided:
        status += f" {a.by_name or a.by}"
        if a.reason:
            status += f": {a.reason}"
    return free_text(status, 120)
