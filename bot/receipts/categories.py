"""The expense category from the merchant's name, what was bought and the receipt's words, in
Japanese and English. Lodging first (a hotel's bill lists parking and breakfast too); a
convenience store by what was bought (stamps, stationery), never as entertainment; other
merchants by their name, then by the words on the receipt. Pure functions on strings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from bot.receipts.model import Category

# What a phone shop sells besides airtime: accessories are supplies
_ACCESSORY = (r"adapters?|chargers?|cables?|casing|cases?|covers?|screen\s*protectors?|"
              r"tempered\s*glass|earphones?|headphones?|earbuds?|armou?r|usb-?c|type-?c")
_ACCESSORY_RE = re.compile(rf"\b({_ACCESSORY})\b|充電器|ケース|保護フィルム|イヤホン", re.I)
# Latin words are matched whole ("TRAINEE" is no train, "BARCODE" no bar); Japanese by
# substring (no spaces between words).
CATEGORY_KEYS: tuple[tuple[Category, re.Pattern[str]], ...] = (
    ("lodging", re.compile(
        r"ホテル|旅館|宿泊|民宿|ゲストハウス|ペンション|東横イン|ルートイン|ドーミーイン|"
        r"\b(inn|hotels?|motel|hostel|resort|lodge|ryokan|guest\s*house|room\s*charge|"
        r"accommodation|penginapan|suites|serviced\s*(apartments?|residences?)|room\s*rate)\b",
        re.I)),
    ("transport", re.compile(
        r"タクシー|交通(?!系)|鉄道|駅|バス|運賃|乗車|高速|駐車|ガソリン|給油|航空|空港|"
        r"旅客鉄道|新幹線|乗車券|特急券|地下鉄|東京メトロ|チャージ|出光|エネオス|コスモ石油|"
        r"タイムズ|リパーク|ENEOS|ハイオク|軽油|"
        # fuel sold by the litre ("42.18 L @ 189.9 c/L")
        r"\b\d+(\.\d+)?\s*(l|ltr|litres?|liters?)\s*@|"
        r"\b(jr|taxi|cab|transit|railways?|rail|trains?|bus|fares?|parking|fuel|petrol|"
        r"gasoline|gas\s*station|airlines?|airways|uber|lyft|grab\s*car|tolls?|petronas|"
        r"bhpetrol|caltex|shell|esso|petrokiosk|petroleum|service\s*station|stesen\s*minyak|"
        r"ron\s*9[57]|primax|fuelsave|v-?power|diesel|parkir|letak\s*kereta|petron|"
        # trains, buses, flights, tolls and hired cars in Malaysia
        r"ktm|komuter|lrt|mrt|monorail|klia\s*(ekspres|transit)|rapid\s*kl|airasia|"
        r"malaysia\s*airlines|firefly|malindo|batik\s*air|e-?hailing|bas|tiket\s*bas|"
        # express buses and their terminals
        r"transnasional|plusliner|aeroline|causeway\s*link|coach(es)?|bus\s*terminal|"
        r"terminal\s*bersepadu|platform|"
        r"plaza\s*tol|kereta\s*sewa|car\s*rental|rent\s*a\s*car|teksi|tambang|"
        r"amtrak|trainline|national\s*rail|mtr|comfortdelgro|13cabs|cabs?|qantas|unleaded|"
        r"delta|united\s*airlines|ampol|chevron|bp|caltex|ncp|wilson\s*parking|"
        r"secure\s*parking|car\s*park)\b", re.I)),
    ("communication", re.compile(
        r"ドコモ|ソフトバンク|携帯|通信|郵便|切手|レターパック|はがき|ヤマト運輸|宅急便|佐川急便|"
        r"ゆうパック|"
        r"\b(docomo|softbank|au|sim|mobile|telecom|vodafone|verizon|at&t|t-mobile|"
        r"wireless(?!\s*(mouse|keyboard|charger|ear\w*|head\w*|speaker))|"
        r"post\s*office|postage|stamps?|courier|internet|broadband|celcom|maxis|digi|hotlink|"
        r"reload|(?<!gas )top\s*-?\s*up|prepaid|umobile|u\s*mobile|tune\s*talk|telekom|unifi|"
        r"pos\s*(malaysia|laju)|setem|gdex|gd\s*express|j\s*&\s*t|ninja\s*van|city-?link|dhl|"
        r"fedex|singpost|australia\s*post|royal\s*mail|usps|ups|sf\s*express|singtel|telstra|"
        r"optus|vodafone|csl|starhub|recharge)\b", re.I)),
    ("outsourcing", re.compile(
        r"翻訳|印刷|デザイン|制作|業務委託|外注|出力センター|名刺|キンコーズ|合\s*い?\s*鍵|"
        r"靴修理|修理|リペア|"
        r"\b(translation|printing|design|consult\w*|freelanc\w*|agency|advertising|percetakan|"
        r"photocopy|passport\s*photo|fotostat|photostat|name\s*cards?|kad\s*nama|lamination|"
        r"hosting|domain|\w*print(?!ers?\b)\w*|copy\s*centre|colou?r\s*print|b/w\s*cop\w*|"
        r"binding|posters?|tax\s*agent|"
        r"accounting|audit\w*|secretarial|ads|campaigns?|iklan|logistics?|cleaning|"
        r"pembersihan|pest\s*control|janitorial|aircond\w*|chemical\s*wash|servicing)\b",
        re.I)),
    ("supplies", re.compile(
        r"文具|文房具|事務用品|オフィス|用品|ホームセンター|家電|カメラ|電機|コピー用紙|ボールペン|"
        r"書店|紀伊國屋|丸善|ジュンク堂|ヨドバシ|ビックカメラ|ヤマダ電機|ケーズデンキ|電池|"
        r"ノート|ファイル|ホルダー|付箋|テープ|封筒|ペン(?!ション)|電卓|ホッチキス|クリップ|"
        r"延長コード|輪ゴム|消しゴム|万年筆|インク|伊東屋|"
        r"\b(office|stationery|stationers?|supplies|staples|depot|electronics|electrical|hardware|"
        r"printer|pens?|paper|usb|stapler|notebook|d\.?i\.?y\.?|bookstores?|bookshops?|books?|"
        r"tools?|"
        # Malay: stationery, book(s), pencil, electric(al), tools and fittings, pipes
        r"alat\s*tulis|buku|pensel|elektrik|perkakasan|paip|sanitary|building\s*materials?|"
        r"cement|computer(?!\s*-?\s*generated)|laptop|ssd|mouse|keyboard|led|bulb|mentol|"
        r"wayar|suis|electric|pvc|"
        r"pipes?|drill|grinder|makita|bosch|spanner|screws?|nails?|paku|officeworks|currys|"
        r"jb\s*hi-?fi|best\s*buy|challenger|home\s*depot|bunnings|screwfix|whsmith|hdmi|"
        r"microsd|toner|ink\s*cartridge|power\s*bank|"
        + _ACCESSORY + r")\b",
        re.I)),
    ("entertainment", re.compile(
        r"居酒屋|レストラン|食堂|寿司|鮨|焼肉|焼鳥|カフェ|喫茶|珈琲|ダイニング|バー(?![ゲコ])|酒|"
        r"料理|ビール|ワイン|ランチ|ディナー|コース|飲食|麺|ラーメン|らーめん|そば|蕎麦|うどん|"
        r"定食|牛丼|餃子|吉野家|松屋|すき家|一蘭|鳥貴族|ドトール|スターバックス|コメダ|タリーズ|"
        r"コーヒー|マクドナルド|モスバーガー|"
        r"\b(restaurants?|restoran|cafe|café|coffee|bar|grill|bistro|diner|sushi|pizza|steak|"
        r"kitchen|brasserie|pub|wine|beer|dinner|lunch|tavern|food\s*court|bakery|kopitiam|"
        r"bread\s*house|bakehouse|boulangerie|patisserie|"
        r"f\s*&\s*b|dining|buffet|ramen|udon|sashimi|bento|boba|milk\s*tea|bubble\s*tea|"
        r"burgers?|nuggets?|fries|chicken\s*chop|qsr|nando'?s|kfc|mcdonald'?s|starbucks|"
        # Malay: coffee shop, food shop, rice, noodles, tea, the hawker's dishes
        r"kedai\s*(kopi|makan)|makanan|nasi|mee|laksa|cendol|rojak|roti\s*canai|teh\s*tarik|"
        r"kopi|kuey\s*teow|wantan|baker'?s|pret|greggs|costa|espresso|flat\s*white|latte|"
        r"cappuccino|bistro|dim\s*sum|wetherspoon|ya\s*kun|toast\s*box)\b",
        re.I)),
)
_CONVENIENCE = re.compile(
    r"セブン\s*-?\s*イレブン|セブンイレブン|ファミリーマート|ファミマ|ローソン|ミニストップ|"
    r"デイリーヤマザキ|セイコーマート|ポプラ|コンビニ|ダイソー|セリア|キャンドゥ|"
    r"\b(7\s*-?\s*eleven|seven\s*-?\s*eleven|family\s*mart|lawson|ministop|speed\s*mart|"
    r"mynews|kk\s*mart|convenience)\b", re.I)
_BOUGHT_AT_CONVENIENCE: tuple[Category, ...] = ("communication", "supplies", "transport")
# Shops whose bills are misc whatever their words say: groceries (a supermarket sells coffee,
# pens and bread), clinics and pharmacies ("Consultation" is no consultancy), vets and pet
# shops, florists ("FLORAL DESIGN"), laundries, opticians
_MISC_SHOP = re.compile(
    r"ドラッグ|薬局|調剤|マツモトキヨシ|ウエルシア|クリニック|内科|医院|病院|歯科|クリーニング|"
    r"スーパー|イオン|イトーヨーカドー|成城石井|ドン・キホーテ|"
    r"\b(super\s*market|hyper\s*market|megahyper|hypermart|superstore|grocer\w*|runcit|"
    r"aeon|tesco|giant|mydin|econsave|lotus'?s|klinik|clinic|poliklinik|polyclinic|dental|"
    r"pharmacy|farmasi|hospital|medical|veterinar\w*|vet|pets?|florists?|floral|flowers?|"
    r"laundry|dobi|optical|optometry|\w*mart|latihan|kursus|training|mechanic|bengkel|"
    r"tuisyen|tuition|academy|akademi|"
    r"auto\s*(care|repair|service)|repair\s*order|tyres?|tayar|car\s*wash|"
    # utilities: electricity and water bills
    r"bil\s*(elektrik|air)|electricity|water\s*bill|tenaga\s*nasional|sarawak\s*energy|"
    r"indah\s*water|air\s*selangor|syabas)\b", re.I)
# "STAPLES THE OFFICE SUPERSTORE" sells supplies; "X TRAINING & CONSULTANCY" sells a service
_OFFICE = re.compile(r"\boffice|stationer|consult", re.I)
# A repair shop sells a service whatever it repairs ("ZEE MOBILE REPAIR CENTRE")
_REPAIR = re.compile(r"\brepairs?\b|修理|リペア", re.I)
# The issuer of a transit or toll card, whose receipts are top-ups ("RELOAD RECEIPT" at a toll
# plaza, "TOP-UP RECEIPT" at a ticket office): named on the slip, the card pays for anything
_TRANSIT_CARD = re.compile(r"touch\s*'?\s*n\s*'?\s*go|\bez-?link\b|transitlink|\bmyki\b|"
                           r"\bopal\b|\boctopus\s*cards?\b", re.I)
# A hotel's restaurant or bar bill (a table, covers, a server) with no stay on it is a meal
_DINING = re.compile(r"\btable\b|\bcovers?\b|\bserver\b|\bpax\b|\bdining\b|\bbistro\b|"
                     r"restoran|restaurant|\bcafe\b|buffet", re.I)
_STAY = re.compile(r"room\s*(charge|rate)|\bnights?\b|\barr(ival)?\b|\bdep(arture)?\b|"
                   r"check.?(in|out)|accommodation|folio|guest\s*bill|宿泊|泊|チェックイン", re.I)
# Groceries bought to cook, not a meal: staples (Malay and English) and goods sold by weight or
# volume ("GULA PASIR 1KG", "MINYAK MASAK 5KG", "MILO 400G"): they count for misc
_GROCERY = re.compile(
    r"\b(beras|gula|tepung|minyak\s*(masak|sawit|paket)|susu|telur|garam|sabun|rice\s*\d|"
    r"sugar|flour|cooking\s*oil|eggs?|detergent|\d+(\.\d+)?\s?(kg|g|ml|l|ltr)\b)", re.I)


def category(merchant: str | None, text: str, items: Sequence[str] = (),
             amounts: Sequence[Decimal] = ()) -> tuple[Category, float]:
    """The expense category and a confidence: the merchant's name first (lodging before the
    rest; groceries, clinics, pharmacies, vets, florists, laundries and opticians are misc), a
    convenience store (named on the slip) by what most of the money bought, then the
    receipt's words; misc otherwise. ``amounts``, where given, are the items' amounts."""
    keys = dict(CATEGORY_KEYS)
    name = merchant or ""
    # the brand printed over the company ("FamilyMart" over "QL MAXINCOME"): the first rows
    # without digits (not the address)
    head = "\n".join(r for r in text.splitlines()[:3] if not re.search(r"\d", r))
    if keys["lodging"].search(name):
        if _DINING.search(text) and not _STAY.search(text):
            return "entertainment", 0.8
        return "lodging", 0.9
    if _CONVENIENCE.search(name) or _CONVENIENCE.search(head):
        return _bought_at_convenience(keys, items, amounts), 0.7
    # the name's own words before the brand's over it ("CENTRAL PARKING SYSTEM" under "SUNWAY
    # MEDICAL CENTRE CAR PARK" runs a car park, not a clinic)
    named = [cat for cat, pattern in CATEGORY_KEYS if pattern.search(name)]
    if (_MISC_SHOP.search(name) or (_MISC_SHOP.search(head) and not named)) and not _OFFICE.search(
            name):
        return "misc", 0.8
    if _REPAIR.search(name):
        return "outsourcing", 0.85
    if _TRANSIT_CARD.search(name):
        return "transport", 0.85
    if named:
        # a name of two trades ("CSL COMPUTER & TRADING": a phone brand's letters and a
        # computer shop) by what the slip's words say most
        cat = max(named, key=lambda c: len(keys[c].findall(text))) if len(named) > 1 else named[0]
        if cat == "communication" and _mostly(_ACCESSORY_RE, items, amounts):
            return "supplies", 0.8  # a phone shop's cables, cases and chargers
        return cat, 0.9
    # a bill with room charges and parking is a hotel's: lodging words count double
    scores = {cat: len(pattern.findall(text)) * (2 if cat == "lodging" else 1)
              for cat, pattern in CATEGORY_KEYS}
    scores["misc"] = len(_GROCERY.findall(text))
    best = max(scores, key=lambda c: scores[c])
    if scores[best]:
        return best, 0.7 if best != "misc" else 0.6
    return "misc", 0.5


def _mostly(pattern: re.Pattern[str], items: Sequence[str], amounts: Sequence[Decimal]) -> bool:
    """Items the pattern names are half the money or more (with no amounts: half the items)."""
    if not items:
        return False
    weights = list(amounts) if len(amounts) == len(items) else [Decimal(1)] * len(items)
    part = sum((abs(w) for i, w in zip(items, weights, strict=True) if pattern.search(i)),
               Decimal(0))
    return part > 0 and part * 2 >= sum((abs(w) for w in weights), Decimal(0))


def _bought_at_convenience(keys: dict[Category, re.Pattern[str]], items: Sequence[str],
                           amounts: Sequence[Decimal]) -> Category:
    """Stamps, a phone reload, stationery or a bus card where they are most of the money (with
    no amounts: where any was bought); snacks and drinks are misc, never entertainment."""
    weights = list(amounts) if len(amounts) == len(items) else [Decimal(1)] * len(items)
    spent = sum((abs(w) for w in weights), Decimal(0))
    for cat in _BOUGHT_AT_CONVENIENCE:
        part = sum((abs(w) for i, w in zip(items, weights, strict=True) if keys[cat].search(i)),
                   Decimal(0))
        if part and (not amounts or part * 2 >= spent):
            return cat
    return "misc"
