"""World knowledge the minor-cue grammar needs: a child's ceremonies and firsts, school events,
coming-of-age rites, a teenager's driving permit, youth sports (docs/policy.md, "Round six").

``milestone_hits`` reads normalised text (lower case, katakana folded to hiragana) and gives
``(start, label)`` hits labelled ``event:<what>``. Some words name a child on their own (七五三,
bar mitzvah, learner's permit, 離乳食); others only with a person they belong to ("her science
fair project", "his first steps"; not "first steps with Rust", "volunteers for the science fair").
Guards: an animal's (愛犬の七五三, "the puppy's first steps", "doggy daycare"), an adult's (an
adult age in the clause, "adult prom", "alumni", 大人の修学旅行, 社内運動会, 大学の入学式, 母校,
同窓会), a product (お食い初め用の食器, 離乳食のレシピ本) and an idiom ("had a field day", "teething
problems", 七五三掛け).
"""

from __future__ import annotations

import re

from safety import cue_words as W

_CLAUSE = re.compile(r"[.!?\n。！？]")
_ANIMAL_EN = (r"dog|doggy|doggie|puppy|pup|puppies|kitten|kitty|cat|foal|calf|horse|pony|"
              r"hamster|bunny|rabbit|pet|parrot|bird")
_ANIMAL_NEAR_EN = re.compile(rf"(?<![a-z])(?:{_ANIMAL_EN})(?:'?s)?(?![a-z])")
_ADULT_EN = re.compile(
    r"(?<![a-z])(?:adults?|grown[\s-]?ups|an?\s+grown[\s-]?up|alumni|alum|reunion|21\+|18\+|themed|retired|"
    r"class\s+of\s+(?:19|20)[0-9]{2}|as\s+an\s+adult|deploy\w*|soldiers?|troops|military)"
    r"(?![a-z])"
    r"|(?<![a-z])(?:at|i'?m|is|was|turned|turning|now)\s+(?:like\s+)?(?:[2-9][0-9])(?![0-9])"
    r"|(?<![0-9])[2-9][0-9](?:th)?\s+birthday")
_OWNER_EN = re.compile(
    r"(?<![a-z])(?:her|his|their|our|baby'?s|(?:"
    + W.PERSON_RE + r"|little\s+(?:guy|man|lady|one|princess|prince))'s)\s+(?:very\s+)?$")

# Words that name a child's event on their own (English).
_ALONE_EN = re.compile(
    r"(?<![a-z])(?P<e>(?:bar|bat|b'?nai)[\s-]+mitzvah|first\s+(?:holy\s+)?communion|"
    r"(?:junior|senior)\s+prom|prom\s+(?:pics?|photos?|pictures?|dress(?:es)?|date|night|king|"
    r"queen|season|proposal|court)|promposal|homecoming\s+(?:dance|dress(?:es)?|court|king|queen|"
    r"mums?|proposal|pics?|photos?|pictures?|week|float)|(?:ready\s+for|going\s+to|asked\s+\w+\s+"
    r"to)\s+(?:homecoming|prom)|pinewood\s+derby|tooth\s+fairy|sleepaway\s+camp|"
    r"show[\s-]+and[\s-]+tell(?!\s+(?:of|session|meeting|demo|for))|picture\s+day\s+at\s+school|"
    r"first\s+day\s+of\s+(?:school|kindergarten|preschool|pre-k|(?:first|second|third|fourth|"
    r"fifth|1st|2nd|3rd|4th|5th)\s+grade)|learner(?:'?s|s')?\s+permit|"
    r"driver(?:'?s|s')?\s+ed(?:ucation)?|permit\s+test|pop\s+warner|(?:girl|boy|cub)\s+scouts?"
    r"(?!\s+(?:cookies?|leaders?|masters?|moms?|dads?|volunteers?))|brownie\s+troop|"
    r"little\s+league(?=\s+(?:game|team|baseball|softball|season|practice|world|tournament|"
    r"all-?stars?|field|uniform|tryouts|coach)|\s*$|[,.!])|travel\s+(?:softball|baseball|"
    r"soccer|hockey|volleyball|basketball|lacrosse)\s+team|christening(?!\s+of\s+(?:the|a|her|"
    r"his)\s+(?:ship|boat|vessel|yacht))|starting\s+solids|potty[\s-]+training|"
    r"(?:riding|ride|rode|bike)\s+without\s+(?:the\s+)?training\s+wheels|"
    r"teething(?!\s+(?:problems?|issues?|troubles?|pains?|phase\s+of))|"
    r"(?:lost|losing|pulled|wiggly|loose)\s+(?:(?:her|his|their|a)\s+)?(?:first\s+)?"
    r"(?:baby\s+)?tooth)(?![a-z])")
# Events that need a person they belong to ("her science fair project", "his first steps").
_OWNED_EN = re.compile(
    r"(?P<e>science\s+fair|spelling\s+bee|school\s+play|field\s+day|first\s+steps|"
    r"first\s+tooth|first\s+words?|first\s+haircut|baptism|quince|recital|confirmation(?!\s+"
    r"(?:hearings?|votes?|bias|emails?|numbers?|codes?|letters?|pages?|process))|"
    r"little\s+league|prom|homecoming)(?![a-z])")
# A school-day event said of a school ("field day at my son's school").
_AT_SCHOOL_EN = re.compile(r"(?<![a-z])(?P<e>field\s+day|science\s+fair|picture\s+day|"
                           r"school\s+play)\s+(?:at|for)\s+(?:(?:my|our|her|his|the)\s+)?"
                           r"(?:\w+'s\s+)?(?:elementary\s+)?school")
_OWNER_AFTER_EN = re.compile(
    r"\s+(?:\w+\s+)?(?:for|of)\s+(?:our|my|his|her|their)\s+(?:little\s+(?:guy|man|lady|one|"
    r"princess|prince)|son|daughter|grandson|granddaughter|nephew|niece|godson|goddaughter|baby|"
    r"boy|girl)(?![a-z])")
_IDIOM_EN = re.compile(r"(?<![a-z])(?:had|have|has|having)\s+a\s+$")  # "had a field day"

# Japanese: ceremonies, school events and firsts that name a child on their own.
_ALONE_JA = re.compile(
    r"(?P<e>七五三(?!掛|縄|飾)|(?:お|初)?宮参り|お食い?初め|百日祝い?|初節句|"
    r"(?:はーふ|1/2|二分の一)成人式|十三参り|お七夜|卒園式?|入園式|お遊戯会|学芸会|授業参観|"
    r"参観日|林間学校|臨海学校|自由研究|運動会|修学旅行|入学式|すぽ少|すぽーつ少年団|りとるりーぐ|"
    r"離乳食|つかまり立ち|伝い歩き|乳歯|補助輪|初めての寝返り|歯が生え(?:てき|始め|た)|"
    r"(?:小学校?|中学校?|高校)\s*の\s*部活)")
_JA_NOT_AFTER = re.compile(
    r"(?:以来|ぶり|振り|用|日和|せっと|ぐっず|の\s*(?:れしぴ|本|作り方|講座|教室|食器|ばいと|仕事))")
_JA_ADULT_BEFORE = re.compile(
    r"(?:大人の?|社内|会社の?|職場の?|社員|市民|町内|大学の?|大学院の?|専門学校の?|短大の?|"
    r"母校の?|同窓会で?)\s*$")
_JA_ANIMAL_BEFORE = re.compile(rf"(?:{W.JA_ANIMALS}|愛犬|愛猫|ぺっと)\s*(?:の|も|が)?\s*$")
_JA_NEEDS = {  # words that need a child's context in the sentence
    "乳歯": re.compile(r"抜け|生え|ぐらぐら|娘|息子|子"),
    "補助輪": re.compile(r"自転車|じてんしゃ|乗れ"),
}
_JA_ADULT_NEAR = re.compile(r"大人|おとな|親知らず|同窓会|卒業して|職場|会社|社内|同僚")
# 中学の部活: a youth club; U-12の大会: a youth age group.
# 卒業式 is a child's only with a school of children in the sentence (息子の卒業式、小学校最後の日).
_JA_GRADUATION = re.compile(r"卒業式")
_JA_SCHOOL_BEFORE = re.compile(r"(?:小学校?|中学校?|幼稚園|保育園|こども園)\s*の?\s*$")
_JA_CHILD_SCHOOL = re.compile(r"小学|中学|幼稚園|保育園|こども園|卒園")
_JA_YOUTH_AGE = re.compile(r"(?<![a-z])(?:u|under)\s*-?\s*(?P<n>[0-9]{1,2})(?![0-9])\s*の?\s*"
                           r"(?:大会|代表|ちーむ|選抜|りーぐ|世代|かてごりー|日本代表|の部)")
_JA_SCHOOL_CHILD = re.compile(r"(?:小学校?|中学校?)\s*(?:[1-6]\s*年生?)?\s*の\s*"
                              r"(?:娘|息子|子|弟|妹|甥|姪|孫)")
_HAIHAI = re.compile(r"ハイハイ(?!ハイ)")


def _clause(low: str, start: int, end: int) -> str:
    head = _CLAUSE.split(low[max(0, start - 80):start])[-1]
    tail = _CLAUSE.split(low[end:end + 80])[0]
    return head + low[start:end] + tail


def adult_or_animal_en(low: str, start: int, end: int) -> bool:
    clause = _clause(low, start, end)
    return bool(_ADULT_EN.search(clause) or _ANIMAL_NEAR_EN.search(
        low[max(0, start - 24):start]))


def _english(low: str) -> list[tuple[int, str]]:
    hits: list[tuple[int, str]] = []
    for m in _ALONE_EN.finditer(low):
        if not adult_or_animal_en(low, m.start(), m.end()):
            hits.append((m.start(), "event:" + " ".join(m["e"].split())))
    for m in _OWNED_EN.finditer(low):
        owner = _OWNER_EN.search(low, max(0, m.start() - 40), m.start()) or \
            _OWNER_AFTER_EN.match(low, m.end())
        if owner and not _IDIOM_EN.search(low, max(0, m.start() - 12), m.start()) \
                and not _ANIMAL_NEAR_EN.search(owner.group(0)) \
                and not adult_or_animal_en(low, m.start(), m.end()):
            hits.append((m.start(), "event:" + " ".join(m["e"].split())))
    for m in _AT_SCHOOL_EN.finditer(low):
        if not _IDIOM_EN.search(low, max(0, m.start() - 12), m.start()) \
                and not adult_or_animal_en(low, m.start(), m.end()):
            hits.append((m.start(), "event:" + " ".join(m["e"].split())))
    return hits


def _japanese(low: str, script: str | None, max_age: int) -> list[tuple[int, str]]:
    hits: list[tuple[int, str]] = []
    for m in _ALONE_JA.finditer(low):
        word = m["e"]
        before = low[max(0, m.start() - 8):m.start()]
        if _JA_SCHOOL_BEFORE.search(before):
            continue  # 小学校の運動会: the school-event rule's (safety.cue_words.SCHOOL_EVENT_JA)
        sentence = _clause(low, m.start(), m.end())
        if _JA_NOT_AFTER.match(low, m.end()) or _JA_ADULT_BEFORE.search(before) \
                or _JA_ANIMAL_BEFORE.search(before) or _JA_ADULT_NEAR.search(sentence):
            continue
        need = _JA_NEEDS.get(word)
        if need is not None and not need.search(sentence.replace(word, "")):
            continue
        hits.append((m.start(), "event:" + "".join(word.split())))
    for m in _JA_GRADUATION.finditer(low):
        sentence = _clause(low, m.start(), m.end())
        if _JA_CHILD_SCHOOL.search(sentence) and not _JA_ADULT_NEAR.search(sentence) and \
                not _JA_NOT_AFTER.match(low, m.end()) and \
                not _JA_ADULT_BEFORE.search(low[max(0, m.start() - 8):m.start()]):
            hits.append((m.start(), "event:卒業式"))
    hits.extend((m.start(), f"age:{m['n']}") for m in _JA_YOUTH_AGE.finditer(low)
                if int(m["n"]) <= max_age)
    hits.extend((m.start(), "school:" + "".join(m.group(0).split()))
                for m in _JA_SCHOOL_CHILD.finditer(low))
    if script is not None:
        hits.extend((m.start(), "event:はいはい") for m in _HAIHAI.finditer(script))
    return hits


def milestone_hits(low: str, script: str | None, max_age: int) -> list[tuple[int, str]]:
    """Every ceremony, school event, rite, permit, youth-sport and first in ``low``.

    ``script`` is the same text before katakana was folded (ハイハイ, crawling, is not はいはい,
    "yes, yes"), where known."""
    return _english(low) + _japanese(low, script, max_age)


_THING_OWNER = re.compile(r"(?<![a-z])([a-z]+)'s\s+$")


def thing_birthday(low: str, start: int) -> bool:
    """"my dog's first birthday", "the bakery's 10th birthday": the owner is no person."""
    m = _THING_OWNER.search(low, max(0, start - 24), start)
    if m is None:
        return False
    word = m.group(1)
    return word in W.THINGS or word in _BIRTHDAY_THINGS or bool(_ANIMAL_NEAR_EN.fullmatch(word))


_BIRTHDAY_THINGS = W.words("bakery starter sourdough blog shop store cafe restaurant channel "
                           "podcast website company brand plant car truck bike account")
