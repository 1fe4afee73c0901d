"""The expense category from the merchant's name, what was bought and the receipt's words, in
Japanese and English. Lodging first (a hotel's bill lists parking and breakfast too); a
convenience store by what was bought (stamps, stationery), never as entertainment; other
merchants by their name, then by the words on the receipt. Pure functions on strings."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.receipts.model import Category

# Latin words are matched whole ("TRAINEE" is no train, "BARCODE" no bar); Japanese by
# substring (no spaces between words).
CATEGORY_KEYS: tuple[tuple[Category, re.Pattern[str]], ...] = (
    ("lodging", re.compile(
        r"ホテル|旅館|宿泊|民宿|ゲストハウス|ペンション|東横イン|ルートイン|ドーミーイン|"
        r"\b(inn|hotels?|motel|hostel|resort|lodge|ryokan|guest\s*house|room\s*charge|"
        r"accommodation|penginapan)\b", re.I)),
    ("transport", re.compile(
        r"タクシー|交通(?!系)|鉄道|駅|バス|運賃|乗車|高速|駐車|ガソリン|給油|航空|空港|"
        r"\b(jr|taxi|cab|transit|railways?|rail|trains?|bus|fares?|parking|fuel|petrol|"
        r"gasoline|gas\s*station|airlines?|airways|uber|lyft|grab\s*car|tolls?|petronas|"
        r"bhpetrol|caltex|shell|esso|petrokiosk)\b", re.I)),
    ("communication", re.compile(
        r"ドコモ|ソフトバンク|携帯|通信|郵便|切手|レターパック|はがき|"
        r"\b(docomo|softbank|au|sim|wireless|mobile|telecom|vodafone|verizon|at&t|t-mobile|"
        r"post\s*office|postage|stamps?|courier|internet|broadband|celcom|maxis|digi)\b", re.I)),
    ("outsourcing", re.compile(
        r"翻訳|印刷|デザイン|制作|業務委託|外注|"
        r"\b(translation|printing|design|consult\w*|freelanc\w*|agency|advertising)\b", re.I)),
    ("supplies", re.compile(
        r"文具|文房具|事務用品|オフィス|用品|ホームセンター|家電|カメラ|電機|コピー用紙|ボールペン|"
        r"\b(office|stationery|stationer|supplies|staples|depot|electronics|electrical|hardware|"
        r"printer|pens?|paper|usb|stapler|notebook|d\.?i\.?y\.?|bookstore|books?|tools?)\b",
        re.I)),
    ("entertainment", re.compile(
        r"居酒屋|レストラン|食堂|寿司|鮨|焼肉|焼鳥|カフェ|喫茶|珈琲|ダイニング|バー(?![ゲコ])|酒|"
        r"料理|ビール|ワイン|ランチ|ディナー|コース|"
        r"\b(restaurants?|restoran|cafe|café|coffee|bar|grill|bistro|diner|sushi|pizza|steak|"
        r"kitchen|brasserie|pub|wine|beer|dinner|lunch|tavern|food\s*court|bakery|kopitiam)\b",
        re.I)),
)
_CONVENIENCE = re.compile(
    r"セブン\s*-?\s*イレブン|セブンイレブン|ファミリーマート|ファミマ|ローソン|ミニストップ|"
    r"デイリーヤマザキ|セイコーマート|ポプラ|コンビニ|"
    r"\b(7\s*-?\s*eleven|seven\s*-?\s*eleven|family\s*mart|lawson|ministop|speed\s*mart|"
    r"mynews|kk\s*mart|convenience)\b", re.I)
_BOUGHT_AT_CONVENIENCE: tuple[Category, ...] = ("communication", "supplies", "transport")


def category(merchant: str | None, text: str,
             items: Sequence[str] = ()) -> tuple[Category, float]:
    """The expense category and a confidence: the merchant's name first (lodging before the
    rest), a convenience store by what was bought, then the receipt's words; misc otherwise."""
    keys = dict(CATEGORY_KEYS)
    name = merchant or ""
    if keys["lodging"].search(name):
        return "lodging", 0.9
    if _CONVENIENCE.search(name):
        bought = "\n".join(items)
        for cat in _BOUGHT_AT_CONVENIENCE:
            if keys[cat].search(bought):
                return cat, 0.7
        return "misc", 0.8
    for cat, pattern in CATEGORY_KEYS:
        if pattern.search(name):
            return cat, 0.9
    # a bill with room charges and parking is a hotel's: lodging words count double
    scores = {cat: len(pattern.findall(text)) * (2 if cat == "lodging" else 1)
              for cat, pattern in CATEGORY_KEYS}
    best = max(scores, key=lambda c: scores[c])
    if scores[best]:
        return best, 0.7
    return "misc", 0.5
