"""The merchant: the issuer's name among a receipt's first rows, not its title, address,
phone, registration number, slogan or greeting. Pure functions on strings."""

from __future__ import annotations

import re

from bot.receipts.amounts import find_amounts

MAX_MERCHANT = 60
# The buyer named on an invoice or an official receipt: "Client:", "Bill to", "Diterima daripada"
# (received from), "Nama" (name), "Pelanggan" (customer)
_BUYER = (r"\b(client|customer|bill\s*to|sold\s*to|ship\s*to|pelanggan|received\s*from|"
          r"diterima\s*daripada|kepada|nama|name\s*:|attn|attention)\b|"
          # a Japanese 領収書's addressee: "株式会社アルファ技研様", "…御中", "上様"
          r"様\s*$|御\s*中\s*$|^\W*上\s*様|"
          # and what it was for ("但 お品代として") and its formula ("上記正に領収いたしました")
          r"^\W*但|として\s*$|上\s*記")
_NOT_MERCHANT = re.compile(
    r"領\s*収\s*[書証]|レシート|receipt|invoice|tax\s*invoice|いらっしゃいませ|welcome|ようこそ|"
    r"毎度|ありがと|thank|\btel\b|tel\s*[:.]|電話|\bfax\b|〒|\d{2,4}-\d{2,4}-\d{3,4}|登録番号|"
    r"www\.|http|@|(都|道|府|県|市|区|町|村).{0,12}\d|丁目|番地|street|\bst\b|\broad\b|\brd\b|"
    r"avenue|\bave\b|jalan|\bno\.|レジ|\breg\b|担当|cashier|\bdate\b|\btime\b|店\s*番|#\d|"
    # who served: a salesman, a cashier in Malay, a waiter
    r"sales\s*(man|person|rep)|juruwang|kasir|served\s*by|waiter|pelayan|"
    r"\d{1,2}\s*月\s*\d{1,2}\s*日|"
    + _BUYER, re.I)



def merchant(rows: list[str], heights: list[float] | None = None,
             latin_first: bool = False) -> tuple[str | None, float]:
    """The issuer's name: a row among the first ones that names a company (SDN BHD, 株式会社,
    Inc., Ltd.: the issuer's legal name), else the one printed biggest and highest that is
    not a title, address, phone, date, slogan or greeting. A name broken over two rows ("POPULAR
    BOOK" over "CO. (M) SDN BHD") is joined. ``latin_first``: a receipt in a Latin-script
    country, where a shop's name in Chinese characters printed over its romanised name
    ("成發茶室" over "SENG HUAT COFFEE SHOP") gives way to it."""
    typical = sorted(heights)[len(heights) // 2] if heights else 1.0
    candidates: list[tuple[float, int, str]] = []
    after_formerly = after_owner = False
    joined = -1  # the last row already read as part of the name above it
    for i, text in enumerate(rows[:MERCHANT_ROWS]):
        if i <= joined:
            continue
        clean = _name_end(_bare(_FKA.sub("", text)))
        skip_old_name, after_formerly = after_formerly, bool(_FORMERLY.search(clean))
        # the owner's legal name under the shop's own ("Owned by:" then "X SDN BHD"): a
        # candidate still, without the company bonus that would put it above the shop's name
        owner, after_owner = after_owner or bool(_OWNER.search(clean)), bool(
            _OWNER.fullmatch(clean))
        if skip_old_name or not _name_like(clean):
            continue
        clean = _OWN_BY.sub("", clean)  # the name, not its label: "OWN BY:CHEF LEE SDN BHD"
        pos = i
        # a name broken at its "&" ("THE COFFEE BEAN" over "& TEA LEAF (M) SDN. BHD.", "CHUAN
        # HUAT HARDWARE &" over "MACHINERY (M) SDN BHD")
        above = rows[i - 1].strip() if i > 0 else ""
        if ((re.match(r"(&|and\b)", clean, re.I) or re.search(r"(&|\band)$", above, re.I))
                and _name_like(above) and not _COMPANY.search(above)):
            clean = f"{above} {clean}"
        # a legal name with no name of its own ("SEAFOOD RESTAURANT SDN BHD", "STATIONERY SDN.
        # BHD") finishes the row above ("HAI XIAN LOU"): a registered name has a distinctive part
        elif _COMPANY.search(clean) and _generic_only(clean) and _plain_name(above):
            clean = f"{_bare(above)} {clean}"
        # a trade word alone finishes the brand above it ("AZ MOBILE" over "COMMUNICATION"):
        # the two rows are one name, in the place of the first
        elif (_generic_only(clean) and not _COMPANY.search(clean) and _plain_name(above)
              and not _generic_only(above) and candidates and candidates[-1][1] == i - 1):
            clean, pos = f"{candidates.pop()[2]} {clean}", i - 1
        end = i
        below = _bare(rows[i + 1]) if i + 1 < len(rows) else ""
        if (_TRADE_ROW.fullmatch(clean) and _name_like(below) and not _TRADE_ROW.fullmatch(below)
                and not _REG_ROW.match(rows[i + 1].strip())):
            # the shop's trade in Malay over its own name ("KEDAI PERKAKASAN & BAHAN BINAAN"
            # over "HOCK SOON"): the registered name is both rows
            clean, joined, end = f"{clean} {below}", i + 1, i + 1
        elif i + 1 < len(rows) and _SUFFIX_ROW.match(rows[i + 1].strip()) and not _COMPANY.search(
                clean) and _name_like(rows[i + 1].strip(), suffix_row=True):
            clean, joined, end = f"{clean} {_REG_NO.sub('', rows[i + 1]).strip()}", i + 1, i + 1
        if (end + 1 < len(rows) and (clean.count("(") > clean.count(")")
                                     or _TAIL_ROW.match(rows[end + 1]))
              and re.match(r"[^()]*\)", rows[end + 1])
              and _name_like(rows[end + 1].strip(), suffix_row=True)):
            # "AIK HUAT HARDWARE ENTERPRISE (SETIA" over "ALAM) SDN BHD": the bracket goes on
            # (also on a third row: "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" / "ALAM) SDN BHD")
            clean = _name_end(f"{clean} {_REG_NO.sub('', rows[end + 1]).strip()}")
            joined = end = end + 1
        height = heights[i] if heights and i < len(heights) else 1.0
        size = min(height / typical, 1.6) if typical else 1.0
        company = _issuer_form(clean) and not owner
        # the registration number printed on the row under the name ("(1365663-P)")
        registered = ((end + 1 < len(rows) and bool(_REG_ROW.match(rows[end + 1].strip())))
                      or (bool(_REG_IN_ROW.search(rows[end])) and not owner)
                      ) and not _generic_only(clean)  # "MALAYSIA" over "COMPANY REG NO.: ..."
        score = (size * (1.0 - 0.08 * pos) + (1.0 if company or registered else 0.0)
                 - (0.5 if _gibberish(clean) and not company else 0.0)
                 - (0.8 if latin_first and not re.search(r"[A-Za-z]{2}", clean) else 0.0))
        candidates.append((score, i, clean[:MAX_MERCHANT]))
    if not candidates:
        # nothing names the issuer at the top (a 領収書 starts with its amount and addressee):
        # the company stamped at its foot
        foot = (_bare(r) for r in rows[MERCHANT_ROWS:])
        found = next((c for c in foot if _COMPANY.search(c) and _name_like(c)), None)
        return (found[:MAX_MERCHANT], 0.6) if found else (None, 0.0)
    candidates.sort(key=lambda c: (-c[0], c[1]))
    best = candidates[0]
    margin = best[0] / candidates[1][0] if len(candidates) > 1 and candidates[1][0] > 0 else 2.0
    # below the header only: a company in the header under a shop's name is its owner or
    # operator ("SANYU STATIONERY SHOP" ... "OWNED BY :" "SANYU SUPPLY SDN BHD")
    name = _registered_below(best[2], rows[MERCHANT_ROWS:]) or best[2]
    if not _COMPANY.search(best[2]) and (issuer := _issued_by(rows)):
        return issuer, 0.85
    name = _spelled_out(name, [c[2] for c in candidates]) or name
    return name, min(0.95, 0.55 + 0.3 * (margin - 1) + (0.2 if best[1] < 3 else 0.0))


# An app's e-receipt names who issues it under the brand's logo ("Grab" on top; "Issued on
# behalf of the driver by" over "GRABCAR SDN. BHD."; "Receipt issued by:"): that company is the
# issuer. "Issued by driver" over a person's name is not: the row must be a company's.
_ISSUED_BY = re.compile(r"\b(issued|provided|dikeluarkan)\s+(on\s+behalf\s+of\b.{0,30}?\s+)?"
                        r"(by|oleh)\b\W*", re.I)


def _issued_by(rows: list[str]) -> str | None:
    for i, row in enumerate(rows):
        if (m := _ISSUED_BY.search(row)) is None:
            continue
        rest = row[m.end():].strip()
        named = rest or (rows[i + 1].strip() if i + 1 < len(rows) else "")
        clean = _name_end(_bare(named))
        if _COMPANY.search(clean) and _name_like(clean):
            return clean[:MAX_MERCHANT]
    return None


def _spelled_out(name: str, others: list[str]) -> str | None:
    """A name printed as initials ("KTM BERHAD") where a row near it spells them out
    ("KERETAPI TANAH MELAYU BERHAD"): the name in full, as it is registered."""
    m = re.match(r"\W*([A-Z]{2,5})\s", name)
    if m is None or not _COMPANY.search(name):
        return None
    initials = m.group(1)
    for other in others:
        words = re.findall(r"[A-Za-z]+", other)
        if (_COMPANY.search(other) and words[0].upper() != initials
                and len(words) > len(initials)
                and "".join(w[0] for w in words[:len(initials)]).upper() == initials):
            return other
    return None


# A brand's registered name printed in the footer, as a British slip prints it ("Boots"
# on top, "Boots UK Limited, 1 Thane Road, Nottingham" at the foot): it starts with the brand's
# first word and ends at its legal form
_LEGAL_END = (r"\b(ltd|limited|plc|inc|llc|pte\.?\s*ltd|pty\.?\s*ltd|sdn\.?\s*bhd|bhd|berhad|"
              r"gmbh|trading|enterprises?)\b\.?")


def _registered_below(brand: str, rows: list[str]) -> str | None:
    if _COMPANY.search(brand):
        return None
    # its first word: three letters or more, or two capitals before another word ("TB HARDWARE")
    first = re.match(r"\W*([^\W\d_]{3,}|[A-Z]{2}(?=\s+[^\W\d_]{3,}))", brand)
    if first is None:
        return None
    pattern = re.compile(rf"^\W*({re.escape(first.group(1))}\b[^,:;]{{0,50}}?{_LEGAL_END})", re.I)
    for row in rows:
        if (m := pattern.match(row)) and not _NOT_COMPANY_ROW.search(m.group(1)):
            return m.group(1)[:MAX_MERCHANT]
    return None


MERCHANT_ROWS = 10
# "CO. NO.", "Co. Reg. No:", "Company No." before a registration number (optional)
_CO_NO = r"((co\.?|company)\s*(reg\.?\s*)?no\.?\s*:?\s*)?"
# A row that is only a company registration number: "(1365663-P)", "(001610235 P)", "CO. NO.
# 1234-A", "(002107265-V) <97" (a speck after it), "(JM0456789-T)" (a business number's state
# letters before it)
_REG_ROW = re.compile(
    rf"^\W*{_CO_NO}([a-z]{{1,3}}\s?)?\d{{4,}}[-\s]?[a-z]\W*(<?\d{{0,3}})\W*$", re.I)
# The same number printed on the name's own row: "KILAT AUTO CARE (SA0456789-U)"
_REG_IN_ROW = re.compile(
    rf"[(<\[{{]\s*{_CO_NO}(\d{{1,2}}-)?[a-z]{{0,3}}\d{{4,}}[-\s]*[a-z]\s*[)>\]}}]", re.I)
# A register or branch number printed beside the name: "#000002 ", "(728384-M)", "<484297-M>".
_REG_NO = re.compile(
    rf"^\s*#\d+\s+|\s*[(<\[{{]\s*{_CO_NO}(\d{{1,2}}-)?[a-z]{{0,3}}\d{{3,}}"
    r"[-\s]*[a-z0-9]?\s*[)>\]}]+\s*$|"
    # the number with letters OCR read for some digits ("(IU7S369-P)" for "(1075369-P)")
    r"\s*[(<\[{]\s*(?=(?:[a-z]*\d){4})[a-z\d]{5,12}-[a-z]\s*[)>\]}]+\s*$|"
    r"\s+\d{5,}-[a-z0-9]\b.*$", re.I)
# Legal forms that mark a row as the issuer's registered name.
_COMPANY = re.compile(
    r"\bsdn\b|\bbhd\b|\bberhad\b|\b[s5]/b\b|\bs[dbeou]n\b\.?\s*[b38d]h[dou]\b|\bs[dbeou]n[b38d]h[dou]\b|\benterpr[i1l]ses?\b|\btrading\b|株式会社|[(（]\s*株\s*[)）]|"
    r"有限会社|合同会社|協同組合|医療法人|社団法人|財団法人|\binc\b\.?|\bltd\b\.?|\blimited\b|\bllc\b|\bcorp(oration)?\b|\bgmbh\b|"
    r"\bplc\b|\bpte\b|\bco\.\s*(\(m\)|ltd|inc|$)", re.I)
# A row that only finishes the name on the row above: "CO. (M) SDN BHD", "SDN. BHD.", "TRADING"
# (a branch in brackets before it: "HEALTHPLUS PHARMACY" over "(BANGSAR) SDN BHD")
_SUFFIX_ROW = re.compile(r"(\([^()\d]{2,30}\)\s*(?=sdn\b|bhd\b|s/b\b|berhad\b|pte\b|pty\b|ltd\b|"
                         r"limited\b|plc\b|inc\b|llc\b))?"
                         r"(co\.?\s*\(m\)|\(m\)|sdn\b|bhd\b|s/b\b|berhad\b|inc\b|ltd\b|trading\b|"
                         r"enterpr[i1l]ses?|pte\b|pty\b|limited\b|plc\b|llc\b)", re.I)
# A bracket's close and a legal form: the end of a name whose bracket opened on the row above,
# also where OCR lost the open bracket ("ENTERPRISETSETIA" over "ALAM) SDN~BHD")
_TAIL_ROW = re.compile(r"[^()]{0,20}\)\W*(s[dbeou]n\b\W*[b38d]h[dou]\b|bhd\b|berhad\b)", re.I)
# What rules out even a row with a company suffix (an address word does not: "JALAN JAYA
# TRADING" is a name).
_NOT_COMPANY_ROW = re.compile(r"\btel\b|tel\s*[:.]|電話|\bfax\b|www\.|http|@|登録番号|〒|"
                              r"\d{2,4}-\d{2,4}-\d{3,4}|receipt|invoice|レシート|領\s*収|" + _BUYER,
                              re.I)
# A government office under the government's name ("KERAJAAN MALAYSIA" over "JABATAN
# PENGANGKUTAN JALAN MALAYSIA"): the office issues the receipt, as a company would; its name
# may hold address words (JALAN, SELANGOR)
_AGENCY = re.compile(r"\W*(jabatan|pejabat|kementerian|majlis|lembaga|perbadanan|suruhanjaya|"
                     r"dewan\s*bandaraya|mahkamah|ibu\s*pejabat|department|ministry|"
                     r"office\s*of)\b(?!.*\d)", re.I)
# The shop's owner named under the shop's own name: "Owned by:", "Dimiliki oleh" (Malay).
_OWNER = re.compile(r"\W*(owned|operated|managed)\s*by\b\W*|\W*dimiliki\s*oleh\b\W*", re.I)
# The owner's label before its name on one row ("OWNED BY: ", "OWN BY:" as OCR reads it)
_OWN_BY = re.compile(r"^\W*(?:own(?:ed)?|operated|managed)\s*by\s*:\s*(?=\w)", re.I)
# The old name after the new on one row: "MYNEWS RETAIL SB(306295-X) FKA BISONSTORES SB"
_FKA = re.compile(r"(?<=\S)\s+(f\.?k\.?a\.?|formerly(\s*known\s*as)?)\s.*$", re.I)
_FORMERLY = re.compile(r"formerly|known\s*as|旧\s*社\s*名", re.I)
# A row of a Malay shop's trade alone, printed over its own name: "KEDAI MAKANAN & MINUMAN",
# "SYARIKAT PERNIAGAAN BUKU", "KEDAI UBAT DAN RUNCIT"
_TRADE_WORD = (r"(kedai|syarikat|perniagaan|restoran|makanan|minuman|perkakasan|bahan|binaan|"
               r"buku|runcit|ubat(-ubatan)?|kopi|alat|tulis|jualan|elektrik|besi|papan|kayu|"
               r"motor|emas|kain|roti|kek|barangan|am|&|dan)")
_TRADE_ROW = re.compile(rf"(kedai|syarikat|perniagaan|restoran)(\s+{_TRADE_WORD})*\W*", re.I)
# Address words (Malay and English) and the lines shops print around their name.
_ADDRESS = re.compile(
    r"\b(jln|jalan|tmn|taman|bandar|kawasan|seksyen|persiaran|lorong|lrg|kampung|mukim|"
    r"perindustrian|selangor|kuala\s*lumpur|johor|shah\s*alam|petaling|bangunan|wisma)\b|"
    r"\bsel\.|\b\d{5}\b|"
    # words that also name shops ("Park Lane Hotel") count only beside a number
    r"(?=.*\d)\b(lot|section|batu|floor|level|blok|block|kg|industrial|suite|unit|building|"
    r"highway|boulevard|blvd|lane|drive)\b", re.I)
_NOT_NAME = re.compile(
    r"posted|cash\s*(sale|bill|receipt)|\btable\b|goods\s*sold|returnable|exchangeable|"
    r"your\s*order|order\s*(no|number)|please|\bcopy\b|company\s*no|\bco\.?\s*no\b|"
    r"\b(roc|gst|sst|reg|id)\b\s*(no|:|id|reg)|\bgst\b|\bpromo|licensee|\bserver\b|"
    r"\bqty\b|description|\bprice\b|\bmember|\bslip\b|\bbill\b|\bcounter\b|\bpos\b|"
    r"\bterminal\b|\bopen\b.*\b(daily|hours)|business\s*hours|営業時間|お買上|"
    r"^\W*[(<\[].*[)>\]]\W*$", re.I)


# A legal name ends at its legal form: what OCR joined after it on the same row is the address
# ("X SDN BHD L4-17 (B), Level 4,"), cut where it holds a digit.
_AFTER_FORM = re.compile(r"(\b(s[dbeou]n\.?\s*[b38d]h[dou]|berhad|bhd|[s5]/b|ltd|inc|llc|gmbh|plc)"
                         r"\b\.?)(?P<rest>\s+\S.*)$", re.I)


def _bare(row: str) -> str:
    """A row without the registration or branch number printed beside a name, and the
    rules and marks around it."""
    return _REG_NO.sub("", row).strip(" -=*・|:_")


def _plain_name(row: str) -> bool:
    """A row that may start a name finished on the row under it: name-like, and no company,
    address, other text or owner's label of its own."""
    return (_name_like(row) and not _COMPANY.search(row) and not _ADDRESS.search(row)
            and not _NOT_NAME.search(row) and not _OWNER.search(row))


def _gibberish(clean: str) -> bool:
    """OCR of a logo or a speck: mostly one- and two-letter fragments ("NOG N N ASN", "T ICE",
    "(RTINGY) S OO S.I1")."""
    words = re.findall(r"[^\W\d_]+", clean)
    short = sum(1 for w in words if len(w) <= 2)
    return bool(words) and (short * 2 >= len(words) or max(len(w) for w in words) <= 3)


# Words that name a trade or a legal form, not a business: a registered name made of these alone
# lacks its distinctive part (printed on the row above)
_GENERIC = frozenset((
    "restaurant", "restoran", "seafood", "cafe", "kopitiam", "bakery", "confectionery", "trading",
    "enterprise", "enterprises", "holdings", "marketing", "distributor", "distributors",
    "distribution", "stationery", "stationer", "stationers", "hardware", "service", "services",
    "food", "foods", "industries", "industry", "resources", "supplies", "supply", "engineering",
    "electrical", "electronics", "motor", "motors", "pharmacy", "medical", "book", "books",
    "bookstore", "bookstores", "store", "stores", "mart", "supermarket", "hypermarket",
    "catering", "company", "co", "m", "and", "the", "group", "retail", "management",
    "development", "products", "printing", "auto", "automotive", "workshop", "tyre", "tyres",
    "clinic", "optical", "florist", "laundry", "boutique", "fashion", "textile", "textiles",
    "furniture", "global", "international", "malaysia", "asia", "sdn", "bhd", "berhad", "s", "b",
    "inc", "ltd", "limited", "communication", "communications", "telecommunication",
))


def _generic_only(clean: str) -> bool:
    words = re.findall(r"[^\W\d_]+", clean.lower())
    return bool(words) and all(w in _GENERIC for w in words)


def _name_end(clean: str) -> str:
    m = _AFTER_FORM.search(clean)
    if m and re.search(r"\d", m.group("rest")):
        return clean[:m.start("rest")]
    return clean


def _priced(clean: str) -> bool:
    """A Japanese item row: a price of 100 or more printed at the row's end, with no yen mark
    ("御飲物生ビール中 2 880", "御宿泊料 22,000"); a shop's name never ends in one."""
    amounts = find_amounts(clean, "JPY")
    return (bool(amounts) and bool(_CJK.search(clean)) and amounts[-1].end == len(clean.rstrip())
            and amounts[-1].value >= 100)


_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _issuer_form(clean: str) -> bool:
    """A registered company's name (its legal form) or a government office's."""
    return bool(_COMPANY.search(clean) or _AGENCY.match(clean))


def _name_like(clean: str, suffix_row: bool = False) -> bool:
    letters = re.findall(r"[^\W\d_]", clean)
    company = _issuer_form(clean)
    if clean.isascii() and not re.search(r"[A-Za-z]{3}", clean):
        return False  # "EL", "F; ay ws": specks read as letters, no Latin name
    if len(letters) < 2 or (_NOT_COMPANY_ROW if company else _NOT_MERCHANT).search(clean) or any(
            a.currency or a.decimals for a in find_amounts(clean)):
        return False
    if not suffix_row and not company and (_NOT_NAME.search(clean) or _ADDRESS.search(clean)):
        return False
    if _priced(clean):
        return False
    return sum(ch.isdigit() for ch in clean) <= len(clean) / 3
