"""Round seven of the minor-cue grammar: stages of a child's life, and what only looks like one
(docs/policy.md, "Round seven").

``life_stage_hits`` reads normalised text (lower case, katakana folded to hiragana) and gives
``(start, label)`` hits: youth sports and clubs (peewee football, 12U travel ball, a scout troop
with a child, 部活 with 息子, ジュニアユース, ミニバス, スイミングの進級), a baby's firsts said
without an owner (first tooth with she/he, pulling up on the couch, rolling from back to tummy,
歯が2本生えてきた, 寝返りした, ついに歩いた, 卒乳), a young child's life (the little guy at nap
time, his booster seat, 学童, お年玉 with 甥っ子, シッター), puberty (puberty, "13 going on 30",
思春期/反抗期 with a child), school events with a child (science fair + he, "15 and a half" +
her permit, 来年から中学, a teacher's 生徒たち).

``not_now`` is the guard every hit of the grammar passes: the speaker's or an adult's past told
as a memory (when i was 12 i had..., 小学生のころ…遊んでた, 昔, 〜のとき…行った, my dad at 10,
父の七五三; the caller keeps the hit when a picture of then or a child is named), an animal's or
a thing's age (柴犬の小太郎、今日で7才; "our sourdough starter is 8 years old"), adults called
kids or baby (31 and 28, off to college, signed the lease, 3 years together), a school as a place
("the elementary school down the street"), an event as a season or a likeness (運動会シーズン,
入学式みたいな), a toy (ミニランドセル) and an idiom (心は少年, "a kid at heart").
"""

from __future__ import annotations

import re

from safety import cue_words as W
from safety.milestones import adult_or_animal_en

_CLAUSE = re.compile(r"[.!?\n。！？]")
_KIN_EN = (r"sons?|daughters?|kids?|child|children|grandsons?|granddaughters?|nieces?|nephews?|"
           r"stepsons?|stepdaughters?|boys?|girls?|toddlers?|babies|baby")
_KIN_EN_RE = re.compile(rf"(?<![a-z])(?:{_KIN_EN})(?![a-z])")
_PRONOUN_EN = re.compile(r"(?<![a-z])(?:she|he|her|his|him)(?![a-z])|(?:she|he)'s")
_ANIMAL_EN = re.compile(r"(?<![a-z])(?:dog|doggy|puppy|pup|kitten|kitty|cat|foal|calf|horse|"
                        r"pony|hamster|bunny|rabbit|pet|parrot|bird|goat|lamb)s?(?![a-z])")
_KIN_JA = re.compile(r"娘|息子|うちの子|長男|長女|次男|次女|三男|三女|甥|姪|孫|子供|子ども|こども|"
                     r"下の子|上の子|ちびっ?こ")
_ANIMAL_JA = re.compile(rf"{W.JA_ANIMALS}|愛犬|愛猫|子犬|子猫|文鳥|ぺっと")
_ADULT_JA = re.compile(r"大人|おとな|社会人|大学|専門学校|ますたーず|成人|会社|社内|職場")


def _clause(low: str, start: int, end: int, reach: int = 80) -> str:
    head = _CLAUSE.split(low[max(0, start - reach):start])[-1]
    tail = _CLAUSE.split(low[end:end + reach])[0]
    return head + low[start:end] + tail


# --- what fires --------------------------------------------------------------------------------
# (pattern, label, what else the message needs: None, or a pattern that must be found in it)
_EN_ALONE = re.compile(
    r"(?<![a-z])(?:(?P<sport>(?:pee[\s-]?wee|mite|squirt|bantam)\s+(?:football|hockey|soccer|"
    r"baseball|basketball|cheer\w*|league|wrestling)|t-?ball|tee[\s-]?ball|travel\s+ball|"
    r"coach[\s-]pitch)"
    r"|(?P<pull>pull\w*\s+(?:her|him|them)sel(?:f|ves)\s+up\s+(?:on|onto|to|using|against)\s+"
    r"(?:the\s+|her\s+|his\s+)?(?:couch|sofa|furniture|coffee\s+table|table|crib|ottoman|gate))"
    r"|(?P<roll>roll\w*\s+(?:over\s+)?from\s+(?:her\s+|his\s+)?(?:back\s+to\s+(?:her\s+|his\s+)?"
    r"(?:tummy|belly)|(?:tummy|belly)\s+to\s+(?:her\s+|his\s+)?back)|tummy\s+time)"
    r"|(?P<puberty>puberty)(?!\s+(?:blockers?|again))"
    r"|(?P<little>little\s+league)(?!\s+(?:of|stuff|move|operation|mistake|compared))"
    r")(?![a-z])")
_EN_IDIOM_BEFORE = re.compile(r"(?<![a-z])(?:second|2nd|like|is|was|so|pretty|strictly|such|"
                              r"real|kinda|old|former|ex)\s+$")  # also "the old little league crew"
# A baby's first that needs a third person in the message ("first tooth!!! she's cranky").
_EN_FIRST = re.compile(r"(?<![a-z])first\s+(?P<e>tooth|haircut|steps|words?)(?![a-z])"
                       r"(?!\s+(?:with|into|in|since|towards?|of|as|implants?|extractions?|"
                       r"fillings?|crowns?|root))")
_EN_OWN_BEFORE = re.compile(r"(?<![a-z])(?:my|our|your|a|the\s+company'?s)\s+(?:very\s+)?$")
# A young child's gear with its owner, or a "little guy" at nap time.
_GEAR = (r"stroller|pacifier|binky|sippy\s+cup|high\s+chair|diaper|nappy|onesie|"
         r"booster\s+seat|playpen|bassinet|baby\s+monitor|playmat|car\s+seat")
_EN_GEAR_OWNED = re.compile(
    rf"(?<![a-z])(?:his|her|their|baby'?s|(?:{_KIN_EN})'s)\s+(?P<e>{_GEAR})(?![a-z])")
_EN_LITTLE = re.compile(r"(?<![a-z])(?:my|our|the|this)\s+(?P<e>little\s+(?:guy|man|dude|lady|"
                        r"peanut|munchkin|bean|nugget))(?![a-z])")
_ELDER_EN = re.compile(r"(?<![a-z])(?:grandpa|grandma|grandfather|grandmother|dad|mom|father|"
                       r"mother|husband|wife|patient|resident|elderly)(?:'s)?(?![a-z])")
_CAR_SEAT_CHILD = re.compile(r"booster|(?:rear|forward)[\s-]facing|infant|outgr[eo]w")
_CHILD_CARE_EN = re.compile(rf"(?<![a-z])(?:nap\s*time|naps?|crib|{_GEAR}|daycare|preschool|potty|"
                            r"teething|toddler|bedtime\s+story|snack\s+time)(?![a-z])")
_SCOUT = re.compile(r"(?<![a-z])(?:(?:girl|cub|boy)\s+scouts?|brownies?|daisy\s+troop|"
                    r"scout\s+troop|cookie\s+booth)(?![a-z])")
_SCOUT_CHILD = re.compile(rf"(?<![a-z])(?:(?:{_KIN_EN})(?![a-z])(?!\s+scouts?)|"
                          r"(?:her|his)\s+(?:troop|den))")
_AGE_GROUP = re.compile(r"(?<![a-z0-9#])(?P<n>[0-9]{1,2})u(?![a-z0-9])")
_SPORT = re.compile(r"(?<![a-z])(?:teams?|travel|ball|baseball|softball|soccer|volleyball|"
                    r"hockey|basketball|lacrosse|tournament|squad|division|club|league|roster|"
                    r"tryouts?|game|season)(?![a-z])")
_RACK = re.compile(r"(?<![a-z])(?:rack|server|cabinet|chassis|enclosure|case|rackmount)")
_GOING_ON = re.compile(rf"{W.NUM}\s+going\s+on\s+(?:[2-9][0-9]|twenty|thirty|forty|fifty)"
                       r"(?![0-9a-z])")
_AND_A_HALF = re.compile(
    rf"(?:^|[.!?,;:(]\s*|(?<![a-z])(?:is|she's|he's|turned|turns|now)\s+){W.NUM}\s+and\s+a\s+half"
    r"(?!\s+(?:years?|yrs?|months?|weeks?|days?|hours?|minutes?|miles?|km|feet|ft|inches|"
    r"pounds?|lbs?|kg|stone|dollars?|bucks|stars?|points?)(?![a-z]))")
_PERMIT = re.compile(r"(?<![a-z])(?:her|his)\s+(?:driving\s+|driver'?s\s+)?permit(?![a-z])")
_DRIVING = re.compile(r"(?<![a-z])(?:roads?|drive|driving|driver|car|wheel|parking|dmv|"
                      r"behind\s+the\s+wheel)(?![a-z])")
_EVENT_EN = re.compile(r"(?<![a-z])(?P<e>science\s+fair|school\s+play|spelling\s+bee|prom|"
                       r"homecoming|book\s+fair|picture\s+day|class\s+picture)(?![a-z])")
_EVENT_ADULT_EN = re.compile(r"(?<![a-z])(?:judg\w*|volunteer\w*|teach\w*|organi[sz]\w*|host\w*|"
                             r"sponsor\w*|chaperon\w*|my\s+own|i\s+went|went\s+to\s+my|"
                             r"at\s+work|office|company|coworkers?|colleagues?)(?![a-z])")

_JA_ALONE = re.compile(
    r"(?P<e>じゅにあゆーす|卒乳|断乳|夜泣き|あんよ(?:が|でき|した|上手)"
    r"|(?:初めて|はじめて|ついに|やっと|とうとう)\s*(?:[0-9一二三]\s*歩\s*)?"
    r"(?:歩いた|歩けた|歩き(?:始め|出し)た)"
    r"|歯が\s*[0-9一二三四五六七八九]+\s*本\s*生え"
    r"|寝返り\s*(?:が\s*)?(?:した|できた|できる|成功|返り|まだ|練習)"
    r"|学童(?!期|用)|(?:高校|中学|小学校?)\s*受験(?!生の?\s*(?:指導|向け))"
    r"|べびーしったー)(?!そば|蕎麦|らーめん)")
_JA_CARE_WORK = re.compile(rf"(?:保育)?\s*(?:で\s*(?:働|勤|ばいと|ぱーと)|"
                           rf"{W.ADULT_ROLE_JA.pattern}|\s*の?\s*(?:指導員|支援員))")
_JA_NOT_BABY = re.compile(r"腰|肩|夜中|眠れ|寝苦し|打っ|打つ|りはびり|手術|退院|祖父|祖母|父|母|"
                          r"km|きろ|万歩|時間")
_JA_WITH_CHILD = re.compile(r"(?P<e>部活|お年玉(?!付|つき|年賀|くじ)|しったー|みにばす|"
                            r"(?:思春期|反抗期|いやいや期)(?!外来))")
_MINIBAS_TEAM = re.compile(r"(?:けっと)?\s*の?\s*(?:試合|大会|ちーむ|練習|少年団|くらぶ)")
_JA_PUBERTY_ALONE = re.compile(r"(?:思春期|反抗期|いやいや期)\s*(?:真っ只中|まっただ中|真っ最中|"
                               r"に突入|突入|が始ま|到来|の(?:子|男子|女子|中学生|小学生))")
_JA_SWIM = re.compile(r"すいみんぐ[^。!?！？\n]{0,12}(?:進級|検定|級|わっぺん|ばっじ)")
_JA_NEXT_SCHOOL = re.compile(
    r"(?:来年|来春|今年|今春|この春|(?<!青)春|4月|四月|来月)\s*(?:から|に|で|は)?\s*(?:は\s*)?"
    r"(?P<s>小学校?|中学校?|高校)(?=生(?!活)|\s*(?:に|へ)\s*(?:入学|進学|上が|なる)|入学|進学|1年|一年|"
    r"なので|だから|です|[!、。])")
_JA_PUPILS = re.compile(r"生徒(?:たち|達|さん)?(?!会長)")
_JA_PUPILS_CONTEXT = re.compile(r"担任|うちのくらす|くらすの|教え子")
_JA_PUPILS_ADULT = re.compile(r"大学|専門|教室|大人|社会人|英会話|よが|料理")
_JA_PAST_WORDS = re.compile(r"昔|むかし|当時|頃|ころ|とき|時代|だった")


# Cheap first tests: a substring each pattern cannot match without (most messages have none).
_ALONE_KEYS = ("wee", "mite", "squirt", "bantam", "ball", "pitch", "pull", "roll", "tummy",
               "puberty", "league")
_GEAR_KEYS = ("crib", "stroller", "pacifier", "binky", "sippy", "chair", "diaper", "nappy",
              "onesie", "booster", "playpen", "bassinet", "monitor", "playmat", "seat")
_EVENT_KEYS = ("fair", "play", "bee", "prom", "homecoming", "picture")


def _any(low: str, keys: tuple[str, ...]) -> bool:
    return any(key in low for key in keys)


def _english(low: str, max_age: int) -> list[tuple[int, str]]:
    hits: list[tuple[int, str]] = []
    for m in _EN_ALONE.finditer(low) if _any(low, _ALONE_KEYS) else ():
        kind = m.lastgroup or "event"
        if _EN_IDIOM_BEFORE.search(low, max(0, m.start() - 10), m.start()) and kind in (
                "puberty", "little"):
            continue  # "second puberty", "strictly little league", "my old little league crew"
        if adult_or_animal_en(low, m.start(), m.end()):
            continue
        hits.append((m.start(), "event:" + " ".join(m.group(0).split())))
    if _PRONOUN_EN.search(low) or _KIN_EN_RE.search(low):
        for m in _EN_FIRST.finditer(low) if "first" in low else ():
            if not _EN_OWN_BEFORE.search(low, max(0, m.start() - 16), m.start()) \
                    and not _ANIMAL_EN.search(low):
                hits.append((m.start(), "event:first " + m["e"]))
    for m in _EN_GEAR_OWNED.finditer(low) if _any(low, _GEAR_KEYS) else ():
        if m["e"] == "car seat" and not _CAR_SEAT_CHILD.search(low):
            continue
        if not _ANIMAL_EN.search(low[max(0, m.start() - 24):m.end()]) \
                and not _ELDER_EN.search(low):  # grandpa's diaper: an adult's care
            hits.append((m.start(), "event:" + " ".join(m["e"].split())))
    for m in _EN_LITTLE.finditer(low) if "little" in low else ():
        if _CHILD_CARE_EN.search(low) and not _ANIMAL_EN.search(low):
            hits.append((m.start(), " ".join(m["e"].split())))
    if _any(low, ("scout", "brownie", "troop", "booth")) and _SCOUT.search(low) \
            and _SCOUT_CHILD.search(low):
        hits.extend((m.start(), "event:scouts") for m in _SCOUT.finditer(low))
    for m in _AGE_GROUP.finditer(low):
        clause = _clause(low, m.start(), m.end())
        if int(m["n"]) <= max_age and _SPORT.search(clause) and not _RACK.search(clause):
            hits.append((m.start(), f"age:{m['n']}"))
    for pattern, first in ((_GOING_ON, "going on"), (_AND_A_HALF, "and a half")):
        for m in pattern.finditer(low) if first in low else ():  # a cheap first test
            n = int(m["n"]) if m["n"].isdigit() else W.NUMBER_WORDS[m["n"]]
            if n <= max_age and (pattern is _GOING_ON or _PRONOUN_EN.search(low)) \
                    and not _ANIMAL_EN.search(low):
                hits.append((m.start("n"), f"age:{n}"))
    for m in _PERMIT.finditer(low) if "permit" in low else ():
        if _DRIVING.search(low):
            hits.append((m.start(), "event:permit"))
    if _PRONOUN_EN.search(low) or _KIN_EN_RE.search(low):
        for m in _EVENT_EN.finditer(low) if _any(low, _EVENT_KEYS) else ():
            if not _EVENT_ADULT_EN.search(low) and not _ANIMAL_EN.search(low) \
                    and not W.COLLEGE.search(low) \
                    and not adult_or_animal_en(low, m.start(), m.end()) \
                    and not _IDIOM_EN.search(low, max(0, m.start() - 12), m.start()):
                hits.append((m.start(), "event:" + " ".join(m["e"].split())))
    return hits


_IDIOM_EN = re.compile(r"(?<![a-z])(?:had|have|has|having|like)\s+a\s+$")


def _japanese(low: str) -> list[tuple[int, str]]:
    hits: list[tuple[int, str]] = []
    for m in _JA_ALONE.finditer(low):
        sentence = _clause(low, m.start(), m.end(), 40)
        if _ANIMAL_JA.search(sentence) or _JA_NOT_BABY.search(sentence):
            continue
        if m["e"].startswith("学童") and _JA_CARE_WORK.match(low, m.end()):
            continue  # 学童保育の先生, 学童で働いています: the adult there
        if m["e"].endswith("受験") and W.GRADE_JA_MATERIAL.match(low, m.end()):
            continue  # 中学受験の問題集: a book
        hits.append((m.start(), "event:" + "".join(m["e"].split())))
    child = _KIN_JA.search(low) and not _ADULT_JA.search(low)
    for m in _JA_WITH_CHILD.finditer(low):
        word = m["e"]
        before = low[max(0, m.start() - 8):m.start()]
        if word == "しったー" and (_ANIMAL_JA.search(before) or re.search(r"(?:ぺっと|きゃっと|"
                                                                          r"どっぐ)\s*$", before)):
            continue
        if word == "みにばす" and not (child or _MINIBAS_TEAM.match(low, m.end())):
            continue
        if word == "部活" and W.ADULT_ROLE_JA.match(low, m.end()):
            continue  # 部活の顧問: the adult
        if child or word == "みにばす" or (word in ("思春期", "反抗期", "いやいや期")
                                          and _JA_PUBERTY_ALONE.match(low, m.start())):
            hits.append((m.start(), "event:" + word))
    if _JA_SWIM.search(low) and not _ADULT_JA.search(low):
        hits.extend((m.start(), "event:すいみんぐ") for m in _JA_SWIM.finditer(low))
    for m in _JA_NEXT_SCHOOL.finditer(low):
        hits.append((m.start(), "school:" + "".join(m.group(0).split())))
    if _JA_PUPILS_CONTEXT.search(low) and not _JA_PUPILS_ADULT.search(low):
        hits.extend((m.start(), "生徒") for m in _JA_PUPILS.finditer(low))
    return hits


_CHILD_OWNER = re.compile(rf"(?<![a-z])(?:{_KIN_EN})(?:'s|s')\s+$|(?:娘|息子|うちの子|孫|甥|姪)"
                          r"(?:っ子)?\s*の\s*$")


def child_owner_before(low: str, start: int) -> bool:
    """A child owns the school named next ("my son's preschool teacher", 娘の保育園の先生): the
    teacher after it is the child's, so the school cue stands."""
    return _CHILD_OWNER.search(low, max(0, start - 24), start) is not None


def life_stage_hits(low: str, max_age: int) -> list[tuple[int, str]]:
    """Every youth sport, baby's first, young child's life, puberty and school-event cue."""
    return _english(low, max_age) + _japanese(low)


# --- what does not: the guard ------------------------------------------------------------------
# A memory: "when i was", "as a kid", "back in the 90s", 昔, 当時; 〜のころ/のとき + a past verb.
_PAST_BEFORE_EN = re.compile(
    r"(?<![a-z])(?:(?:back\s+)?when\s+(?:i|we)\s+(?:was|were)\s+(?:in\s+)?(?:like\s+|about\s+)?"
    r"(?:the\s+)?|(?:back\s+)?when\s+$)$")
_I_WAS = re.compile(r"(?:i|we)\s+(?:was|were)(?![a-z])")
_DECADE = re.compile(r"(?<![a-z0-9])(?:in|from|during)\s+the\s+(?:19)?'?[2-9]0'?s(?![a-z])")
_HERE = re.compile("")
_PRESENT_EN = re.compile(r"(?<![a-z])(?:is|are|am|now|currently|today)(?![a-z])"
                         r"|[a-z]'(?:s|re|m)(?![a-z])")
_JA_YOUNG = ("少年", "少女", "児", "生徒", "赤ちゃん")
_WORD = re.compile(r"[a-z']+")
_PAST_JA_AFTER = re.compile(r"[^、。!?！？\n]{0,8}?(?:の\s*)?"
                            r"(?:頃|ころ|とき|時(?![計間刻点])|時代)")
_PAST_JA_BEFORE = re.compile(r"(?:昔|むかし|当時|その頃|あの頃)[^。!?！？\n]{0,14}$")
_PAST_VERB_JA = re.compile(r"(?:た|てた|でた|だった|でした|ました|たなぁ|たなー|たな|たんだ)"
                           r"(?:よね|な|なぁ|ね|っけ|んだ|んだよね)?\s*(?:[、。!?！？\n]|$)|た\s*[一-鿿ぁ-ゖ]")
# An adult's own childhood: 父の七五三, "my dad at 10", "my mom's kindergarten".
_ADULT_KIN_JA = re.compile(r"(?:父|母|親父|おやじ|お袋|おふくろ|祖父|祖母|じいちゃん|ばあちゃん|夫|"
                           r"旦那|妻|嫁|上司|両親|義父|義母)\s*の\s*$")  # not 母が保育園に迎えに
_ADULT_KIN_EN = re.compile(
    r"(?<![a-z])(?:my|our|his|her)\s+(?:dad|mom|mum|father|mother|grandpa|grandma|grandfather|"
    r"grandmother|husband|wife|parents|boss|uncle|aunt)(?:'s)?\s+(?:(?:at|was|when)\s+)?$")
# The subject of an age is a thing or an animal: "our sourdough starter is 8 years old".
_SUBJECT_BEFORE = re.compile(r"(?<![a-z])([a-z]+)\s+(?:is|was|turns|turned|just\s+turned|'s)\s+"
                             r"(?:now\s+|only\s+|almost\s+|about\s+)?$")
_MORE_THINGS = W.words("starter sourdough bakery blog shop car truck bike plant tree account")
_ANIMAL_JA_BEFORE = re.compile(rf"(?:{W.JA_ANIMALS}|愛犬|愛猫|文鳥)[^。!?！？\n]{{0,16}}$")
# Adults called kids, baby, little one.
_GROWN = re.compile(
    r"(?<![a-z])(?:(?:left\s+for|off\s+to|away\s+at|first\s+year\s+(?:at|of|in)|graduated\s+"
    r"(?:from\s+)?|goes\s+to|started)\s+(?:college|university|uni|grad\s+school|law\s+school|"
    r"med\s+school)|(?:signed|signing)\s+(?:the\s+|a\s+|her\s+|his\s+)?lease|(?:first|own)\s+"
    r"apartment|mortgage|[0-9]+\s+(?:years?|months?)\s+together)(?![a-z])"
    r"|(?<![a-z])grown[^.!?\n]{0,24}(?<![0-9])[2-9][0-9]\s*(?:and|&|,)\s*[2-9][0-9](?![0-9])")
_GOAT = re.compile(r"(?<![a-z])(?:goats?|nanny|doe|billy|kidding\s+season)(?![a-z])|🐐")
_BORN_BEFORE = re.compile(r"(?<![a-z])(?:had|has|having|gave\s+birth\s+to|birthed|delivered|"
                          r"born)\s+(?:a\s+|two\s+|twin\s+|her\s+)?$")
_KID_WORDS = frozenset({"kid", "kids", "child", "children", "little one", "baby", "kiddo"})
# Places and generic mentions.
_PLACE_AFTER_EN = re.compile(
    r"[\s-]+(?:(?:down|up|across)\s+the\s+(?:street|road|block|way)|(?:a)?round\s+the\s+corner|"
    r"next\s+door|near(?:by)?\s+(?:my|our|the)\s+(?:house|place|home|office)|in\s+(?:my|our|the)"
    r"\s+neighbou?rhood)")
_SEASON_JA = re.compile(r"\s*(?:しーずん|の季節|の時期|らっしゅ)")
_LIKENESS_JA = re.compile(r"\s*(?:みたいな?|のよう|っぽい|さながら)")
_TOY_BEFORE_JA = re.compile(r"(?:みに|みにちゅあ|おもちゃ|ふぃぎゅあ)\s*の?\s*$")
_REMADE_AFTER_JA = re.compile(r"\s*(?:を|の|から)?\s*(?:りめいく|再利用|再生)")
_HEART_JA = re.compile(r"心\s*(?:は|が|だけは)\s*"
                       r"(?:いつまでも|ずっと|永遠の|まだ|今も|まだまだ)?\s*$")
_HEART_AFTER = re.compile(r"\s*(?:の\s*)?心(?![臓理配電])|'?s?\s+at\s+heart")


def past_memory(low: str, start: int, label: str) -> bool:
    """A cue told as a memory of long ago: the speaker's ("when i was 12 i had this", 小学生の
    ころ…遊んでた, 昔ここで少年野球やってた, "in the 60s") or an adult's (父の七五三, "my dad at
    10"). The caller keeps the hit when the message names a picture of then or a child."""
    before = low[max(0, start - 32):start]
    if _PAST_BEFORE_EN.search(before) and (
            not before.rstrip().endswith("when") or _I_WAS.match(low, start)):
        return True
    clause = _clause(low, start, start + len(label))
    if _DECADE.search(clause) and not _PRESENT_EN.search(clause):
        return True  # "in the 80s i was 12" (not "she's 14 and into music from the 90s")
    if _ADULT_KIN_JA.search(low, max(0, start - 8), start) or \
            _ADULT_KIN_EN.search(low, max(0, start - 24), start):
        return True
    word = label.split(":")[-1]
    end = start + len(word)
    if _PAST_JA_BEFORE.search(low, max(0, start - 16), start) or _JA_PAST_WORDS.search(word):
        after: re.Match[str] | None = _HERE.match(low, end)
    else:
        after = _PAST_JA_AFTER.match(low, end)
    if after:
        tail = _CLAUSE.split(low[after.end():after.end() + 40])[0]
        return bool(_PAST_VERB_JA.search(tail))
    return False


def not_now(low: str, start: int, label: str) -> bool:
    """Whether a grammar hit names no person under 18 now (see the module docstring), apart from
    the memory rule (``past_memory``), which the caller weighs against a picture."""
    if label.startswith("age:"):
        m = _SUBJECT_BEFORE.search(low, max(0, start - 32), start)
        if m and (m.group(1) in W.THINGS or m.group(1) in _MORE_THINGS):
            return True
        if _ANIMAL_JA_BEFORE.search(low, max(0, start - 24), start) and not any(
                p in low[max(0, start - 24):start] for p in (*W.JA_PERSONS, *_JA_YOUNG)):
            return True
    word = label.split(":")[-1]
    end = start + len(word)
    if word in _KID_WORDS or word.startswith("baby"):
        clause = _clause(low, start, end, 120)
        rest = _CLAUSE.split(low[start:start + 120])[0]
        if _GROWN.search(rest) or (word.startswith("kid") and _GOAT.search(clause)
                                     and _BORN_BEFORE.search(low, max(0, start - 24), start)):
            return True  # grown children; a goat's newborn kid
    if W.SCHOOL_WORD.search(word) and not label.startswith("school:") \
            and _PLACE_AFTER_EN.match(low, end) \
            and not any(w.removesuffix("'s") in W.PERSONS
                        for w in _WORD.findall(low, max(0, start - 32), start)):
        return True
    if label.startswith("event:") and (_SEASON_JA.match(low, end) or _LIKENESS_JA.match(low, end)):
        return True
    if _TOY_BEFORE_JA.search(low, max(0, start - 8), start) or _REMADE_AFTER_JA.match(low, end):
        return True
    return bool(_HEART_JA.search(low, max(0, start - 12), start) or _HEART_AFTER.match(low, end))
