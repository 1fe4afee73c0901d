"""freee 会計「取引インポート」(取引・口座振替のインポート) file: one 支出 取引 per receipt (one per
tax rate where the receipt prints its 8 % and 10 % parts).

The layout follows freee's help page「取引・口座振替のインポート(一括登録)」
(https://support.freee.co.jp/hc/ja/articles/202847320) and the sample file it links, whose
header row the import expects unchanged, in this order:

    収支区分, 管理番号, 発生日, 決済期日, 取引先, 勘定科目, 税区分, 金額, 税計算区分, 税額, 備考,
    品目, 部門, メモタグ（複数指定可、カンマ区切り）, セグメント1, セグメント2, セグメント3,
    決済日, 決済口座, 決済金額

Required there: 収支区分 (「収入」or「支出」), 発生日 (YYYY/MM/DD), 勘定科目, 税区分 and 金額.
What Miru writes:

- 収支区分 ``支出``; 管理番号 the receipt's reference (``export_common.reference``); 発生日 the
  receipt's date; 取引先 the merchant; 勘定科目 the policy's account for the category
  (``[receipts.accounts]``); 税区分 the policy's freee name for the line's rate and the
  receipt's qualified-invoice standing (``[receipts.freee.tax]``: 課対仕入10%, 課対仕入8%（軽）,
  課対仕入（控80）10%, …); 金額 the tax-included yen amount with 税計算区分 ``内税`` and 税額
  where the receipt prints it (freee computes it otherwise); 備考 the merchant, the receipt's
  number, who paid and its approval.
- 決済日, 決済口座 and 決済金額 when the policy names a 決済口座 (``payment_account``, e.g.
  ``現金``): a settled 取引. Without one they stay empty and the 取引 is unsettled (未決済), as
  expenses reimbursed later are.

Encoding: Shift_JIS (cp932) by default: freee's sample files are Shift_JIS and guides for its
import convert to it; ``[receipts.freee] encoding = "utf-8"`` writes UTF-8 without a BOM.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import strings
from bot.receipts.export_common import (
    Encoded,
    Item,
    free_text,
    lines,
    reference,
    slash_date,
    tax_key,
    write_csv,
    yen,
)
from config.receipts_policy import ReceiptsPolicy

HEADER = ("収支区分", "管理番号", "発生日", "決済期日", "取引先", "勘定科目", "税区分", "金額",
          "税計算区分", "税額", "備考", "品目", "部門", "メモタグ（複数指定可、カンマ区切り）",
          "セグメント1", "セグメント2", "セグメント3", "決済日", "決済口座", "決済金額")


def freee_csv(items: Sequence[Item], policy: ReceiptsPolicy, names: dict[str, str]) -> Encoded:
    """The import file for ``items`` (already chosen by ``select_for_import``); ``names``:
    user id -> the name shown, for 備考."""
    conf = policy.freee
    rows: list[tuple[int, list[object]]] = []
    for item in items:
        e, r = item.entry, item.entry.receipt
        assert r.date is not None and r.total is not None
        account = policy.account(r.category)
        for line in lines(r):
            settled = [slash_date(r.date), conf.payment_account, yen(line.amount)] \
                if conf.payment_account else ["", "", ""]
            rows.append((e.n, [
                "支出", reference(item), slash_date(r.date), "", free_text(r.merchant, 60),
                account, conf.tax[tax_key(line, r)], yen(line.amount), "内税", yen(line.tax),
                note(item, names), "", "", "", "", "", "", *settled]))
    return write_csv(HEADER, rows, conf.encoding)


def note(item: Item, names: dict[str, str]) -> str:
    """備考/摘要: merchant, receipt number, who paid, and the approval (in Japanese: the
    accounting software's language)."""
    e = item.entry
    who = names.get(e.added_by) or e.added_by_name or e.added_by
    status = strings.t(f"expense.status.{e.status}", "ja")
    if e.approval.decided and e.approval.by_name:
        status += f"（{e.approval.by_name}）"
    return free_text(f"{e.receipt.merchant or ''} #{e.n} {who} {status}", 120)
