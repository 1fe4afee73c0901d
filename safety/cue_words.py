"""The minor-cue grammar's fixed vocabulary and the patterns built from it.

``safety.cues`` holds the rules that use them; docs/policy.md describes the grammar. Operators
extend the policy's ``[cues]`` lists; these sets are what the grammar needs to tell a person from
a thing, a clause end from a measurement, and a teacher from a pupil. Everything here is
normalised text (lower case, katakana folded to hiragana). English plural ``s``/``es`` and ``'s``
are stripped before noun lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def words(text: str) -> frozenset[str]:
    """A set of whitespace-separated words."""
    return frozenset(text.split())


# Nouns for people.
PERSONS = words(
    "girl boy kid child children daughter son sister brother niece nephew cousin student pupil "
    "model friend classmate girlfriend boyfriend gf bf baby grandson granddaughter stepdaughter "
    "stepson sis bro me myself person people teen teenager twin actress actor player gymnast "
    "singer idol dancer lad lass toddler victim she he her him who kiddo youngster newborn "
    "infant skater swimmer cheerleader gamer streamer cosplayer teammate neighbor neighbour "
    "grandkid grandchild stepkid goalkeeper athlete footballer runner"
)
# Nouns for things, animals and institutions: an age before or after one of these is theirs.
THINGS = words(
    "laptop computer pc mac phone iphone tablet ipad macbook thinkpad kindle car truck van suv "
    "sedan jeep bike bicycle scooter motorcycle boat yacht ship plane bus train tractor house "
    "home building apartment flat bridge church temple shrine restaurant bar cafe shop store "
    "tree oak pine plant bonsai whisky whiskey scotch bourbon rum wine port brandy cognac sake "
    "malt vintage cheese beer bottle cask barrel dog puppy pup doggo cat kitten kitty horse pony "
    "mare stallion pet bird parrot cockatiel fish goldfish turtle tortoise hamster rabbit bunny "
    "snake lizard gecko cow goat sheep chicken hen lab labrador retriever terrier poodle husky "
    "shiba corgi beagle pug dachshund chihuahua tabby company business startup firm brand "
    "account server database codebase repo project software game console camera lens drive "
    "guitar piano violin watch jeans jacket coat sweater boots sneakers bag shoe sofa couch "
    "mattress furniture carpet floor painting song album book novel movie film show series meme "
    "website site app tradition recipe tyre tire engine battery roof boiler fridge freezer "
    "dishwasher washer dryer microwave oven stove heater toaster kettle blender vacuum tv "
    "monitor keyboard printer router coin stamp vine machine marriage relationship friendship "
    "partnership rivalry career habit feud grudge franchise band club mortgage loan lease "
    "subscription membership warranty anniversary blog channel podcast forum community dram "
    "glenfarclas glenlivet glenfiddich glendronach glenmorangie macallan balvenie lagavulin "
    "laphroaig ardbeg talisker bowmore oban dalmore springbank aberlour bunnahabhain jameson "
    "redbreast yamazaki hibiki hakushu nikka yoichi miyagikyo chivas johnnie"
)
JA_PERSONS = ("娘", "息子", "妹", "弟", "姉", "兄", "姪", "甥", "孫", "女の子", "男の子", "子",
              "彼女", "彼", "長女", "次女", "長男", "次男", "いとこ", "私", "僕", "俺",
              "ちゃん", "くん", "君")
JA_ANIMALS = ("犬|猫|ねこ|いぬ|ぺっと|馬|うさぎ|兎|鳥|いんこ|亀|かめ|はむすたー|金魚|魚|"
              "わんこ|にゃんこ|木|ちわわ|ぷーどる|柴|だっくす|こーぎー")
# What may follow an initialism (jk, jc, js, dk) when it is not the slang for a pupil.
TECH = re.compile(
    r"(?:flip|flop|ff|latch|bundle|files?|code|script|framework|librar(?:y|ies)|lib|modules?|"
    r"functions?|api|sdk|runtime|engine|console|errors?|bugs?|build|dev|frontend|backend|"
    r"packages?|tests?|plugins?|components?|class|objects?|arrays?|json|node|react|vue|version)"
    r"(?![a-z])|ふりっぷ|ふろっぷ|ふぁいる|ばんどる|こーど|らいぶらり|ふれーむわーく|もじゅーる|"
    r"えらー|関数|変数|実装|回路|ばぐ|びるど|ぱっけーじ|てすと|ぷらぐいん|書|"
    r"部屋|物件|間取り|まんしょん|あぱーと|賃貸"  # 2DK, DKの部屋: a dining kitchen
)
# Counters and units: 小/中/高 + a digit before one of these is not a school year (中2階, 中3日).
JA_UNITS = re.compile(
    r"[0-9.,:/\-]|時|階|日|個|枚|本|杯|つ|回|週|号|分|秒|件|人|点|匹|台|冊|着|足|箱|袋|皿|口|切|粒|"
    r"円|万|千|百|年|度|倍|位|番|列|行|歩|条|段|面|問|部|巻|話|章|曲|名|割|泊|戦|勝|敗|合|錠|"
    r"か月|ヶ|ゖ|け月|[a-z%]"
)
# An adult named right after a school year or school word: 高3の時の担任, "my 7th grade teacher".
ADULT_ROLE_EN = re.compile(
    r"(?:\s+(?:[a-z]+\s+)?)(?:teachers?|teaching|principal|coach|counselor|counsellor|"
    r"reunion)(?![a-z])"
)
ADULT_ROLE_JA = re.compile(
    r"(?:\s|の|時|頃|ころ|とき|時代|年生|生|くらす|組)*(?:担任|先生|せんせい|教師|顧問|校長|教頭|"
    r"監督|こーち|同窓会|教員|講師)"
)
# Right after a Japanese cue word, a noun that makes it a compound (a product, a title, a genre,
# a place, a fee, a day, an idiom, a sign), not a person: 少女漫画, 赤ちゃん肌, キッズ携帯,
# 児童書, 子供の日, 小学生並み, 未成年者飲酒禁止, 高校生以下無料.
JA_NOT_PERSON_AFTER = re.compile(
    r"\s*(?:漫画|まんが|小説|文庫|絵本|図書|書(?!い|き|か|け|く)|本(?!人|当|来|気)|服|ふく|"
    r"用品|用(?!事)|携帯|けいたい|すまほ|肌|はだ|向け|むけ|料金|運賃|割引|手当|食堂|映画|番組|"
    r"あにめ|どらま|病院|相談所|並み|並|れべる|ぶらんど|すぺーす|こーなー|売り場|部屋|せっと|"
    r"めにゅー|らんち|ぷれーと|さいず|教育|福祉|扱い|騙し|だまし|っぽい|ぽい|の日|のひ|の使い|型|たいぷ|"
    r"日記|新聞|雑誌|誌|白書|辞典|辞書|講座|教材|どりる|問題集|参考書|大将|"
    r"(?:以下|以上|未満)?(?:無料|半額|割引|割(?![れりるっ])|入場|不可|お断り)|以上|"
    r"者?の?(?:飲酒|喫煙|入場|入店|立ち?入り|利用|購入|入館|深夜|夜間))"
)
# After an English cue token: a thing (a menu, a size, a book, a show) or a sign ("kids eat
# free", "children must be accompanied"), unless a possessive comes first ("my kids' books").
EN_NOT_PERSON_AFTER = re.compile(
    r"'?[\s-]*(?:menus?|meals?|sizes?|sized|section|corner|area|zone|aisles?|department|dept|"
    r"clothes|clothing|wear|shoes|sneakers|trainers|boots|sandals|slippers|socks|pajamas|"
    r"pyjamas|jackets?|coats?|hoodies?|t-?shirts?|sweaters?|backpacks?|helmets?|books?|novels?|lit|fiction|magazines?|shows?|tv|movies?|films?|"
    r"channels?|cartoons?|toys?|seats?|prices?|pricing|tickets?|fares?|discounts?|hospital|museum|"
    r"library|mode|app|proof|safe|friendly|cereal|vitamins?|medicine|toothpaste|cups?|drama|"
    r"(?:eat|eats|go|ride|stay|get\s+in)\s+free|free|welcome|must\s+be\s+(?:accompanied|"
    r"supervised)|(?:are\s+)?not\s+(?:allowed|permitted|admitted)|allowed|"
    r"under\s+[0-9]{1,2}\s+(?:eat|go|ride|stay|get|free|must|are|not))(?![a-z])"
)
# A compound that still describes a person by likeness: 少女漫画のヒロインみたいな子.
JA_LIKE_PERSON = re.compile(r"[^、。!?！？\n]{0,14}?(?:みたいな|みたい|のような|っぽい)\s*"
                            r"(?:子|女の子|男の子|娘|息子)")
# A cue word that only likens an adult, or a thing or a behaviour, to a child's: 子供みたいな大人,
# ガキ大将みたいな上司, 小学生みたいな字.
JA_LIKE_ADULT = re.compile(
    r"[^、。!?！？\n]{0,8}?(?:みたいな|みたい|のような|っぽい|並みの|並の|じみた)\s*(?:上司|先輩|"
    r"大人|おとな|おじさん|おっさん|おばさん|彼氏|旦那|夫|父|母|親|社長|部長|課長|店長|先生|"
    r"教師|政治家|男(?!の子)|女(?!の子)|人(?!形)|"
    # or a child's kind of thing or behaviour: 小学生みたいな字, 子供のような笑顔の祖父
    r"字|絵|感想|文章|作文|発想|言い訳|理屈|喧嘩|けんか|行動|態度|笑顔|考え|いたずら|悪戯|わがまま|"
    r"反応|言動|のり|味覚|趣味)"
)
POSSESSIVE_BEFORE = re.compile(r"(?:^|[^a-z])(?:my|our|his|her|their|your|the\s+two)\s+$")
# School events a pupil's photo comes from: 小学校の運動会, 中学の卒業式 (not 高校: 18 there).
SCHOOL_EVENT_JA = re.compile(
    r"(?:小学校?|中学校?|幼稚園|保育園|こども園)\s*の?\s*(?:運動会|入学式|卒業式|遠足|授業参観|"
    r"参観日|発表会|学芸会|修学旅行|お遊戯会|音楽会|文化祭|体育祭|林間学校|お迎え|入園式|卒園式)"
    r"(?!以来|ぶり|振り)"
)
# "ever since I was 12", "since age 12", "since the age of 12": a span of time, not a person.
SINCE_BEFORE = re.compile(
    r"(?<![a-z])(?:since\s+(?:(?:i|he|she|we|they|u)\s*(?:was|were|'d\s+been)\s+)?"
    r"(?:(?:the\s+)?age\s+(?:of\s+)?)?|from\s+(?:the\s+)?age\s+(?:of\s+)?)"
    r"(?:(?:like|about|around|only|just)\s+)?$"
)
# 12歳から, 12歳の時から (not からの): the start of a span of time.
JA_SINCE_AFTER = re.compile(r"(?:\s*(?:歳|才|さい))?(?:\s*の\s*(?:時|とき|頃|ころ))?\s*から(?!の)")
# Words around "A minor" that make it a key ("modulates to A minor in the bridge").
MUSIC_CONTEXT = re.compile(
    r"(?<![a-z])(?:bridge|chorus|verse|chords?|keys?|songs?|modulat\w*|transpos\w*|tabs?|"
    r"sheet|progression|melod\w*|riffs?|tune|piano|guitar|scales?|intro|outro|solo|bars?|"
    r"harmon\w*|sonata|concerto|symphony|prelude|major)(?![a-z])"
)
# Nouns that 幼い / 幼き must describe to be a cue (幼い子, not 幼い考え).
JA_YOUNG_NOUNS = ("子", "娘", "息子", "妹", "弟", "女の子", "男の子", "孫", "姪", "甥", "少女",
                  "少年", "顔", "こども", "頃", "ころ", "時", "兄弟", "姉妹")
NUMBER_WORDS = {w: i for i, w in enumerate(re.findall(r"\w+", """zero one two three four
    five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty"""))}
ORDINALS = {w: i for i, w in enumerate(re.findall(r"\w+", """zeroth first second third fourth
    fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth
    sixteenth seventeenth"""))}
KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
MUSIC = words("scale scales chord chords key sonata concerto symphony prelude etude fugue triad "
              "arpeggio progression pentatonic mode")
# Around "minors": a subject of study or music, not people ("the minors in music theory").
MINORS_NOT_PEOPLE = re.compile(
    r"(?<![a-z])(?:majors?|theory|music|chords?|keys?|scales?|modes?|triads?|degrees?|"
    r"league|baseball|intervals?|harmony|maths?|physics|chemistry|biology|econ\w*|english|"
    r"history|philosophy|psych\w*|linguistics|statistics|stats|finance|marketing|business|"
    r"french|spanish|german|japanese|chinese|art|film|cs|computer)(?![a-z])"
)
# After "a minor": a degree's subject ("a minor in econ", "her minor in French").
MINOR_DEGREE = re.compile(r"\s+(?:in|of)\s+" + MINORS_NOT_PEOPLE.pattern)
# Words that may follow "a minor" / "the minor" when it is a person ("a minor in the photo").
FUNCTION = words(
    "in at on with and or who whom whose that is was are were be been being from for here there "
    "to by under without nor but so if when while during has had have can could should would "
    "must may might will shall does did do involved present shown pictured depicted alone now "
    "then too either lol btw ok okay though u you ya yall y'all guys folks i we they he she it "
    "pls please ffs wtf omg smh tbh ngl fr dude"
)
# What "jk" ends on when it means "just kidding" in English chat: a laugh, or the message's end.
JOKE_MARK = re.compile(r"[\s,.!]*(?:lol|lmao|haha\w*|hehe\w*|xd|:\)|:p|;\)|[😂🤣😜😉😆😅])")
JOKING = re.compile(rf"{JOKE_MARK.pattern}|[\s.!?]*$")
# Words before "jk" that make it a noun (a JK, my JK friends, jc and jk).
JK_NOUN_BEFORE = words("a the my our her his their your am im i'm is are was and or jc js dk "
                       "real actual like as of")
# Words and symbols that may end a clause after an age ("she's 14 lol", "turned 11 🎂").
AFTER_AGE_WORDS = (
    "and but so now already too yet though tho in at here there lol lmao lmfao haha btw rn "
    "years? yrs? yo y/o this right with or tops max when back then today tomorrow yesterday "
    "last next & y'know ya fyi omg ok okay xd smh tbh ngl fr irl also even ish going turning "
    "plus only vs versus is are was were am i you he she we they my his her this that what how "
    "why who pls please can do does did lets let's"
)
EMOJI = "\u2600-\u27bf\U0001f000-\U0001faff"
# Chat words that no dictionary lists: known words for safety.rejoin, never pieces of one.
CHAT = words("im ur u r idk bday selfie selfies mom moms haha hehe bc cuz plz pls lol lmao "
             "omg btw rn tbh ngl fr ok okay yo ya yall gonna wanna gotta dm pic pics vid vids "
             "irl imo imho af smh wtf ffs bf gf bff sis bro tho thx ty np hs jr yrs yo")


# --- patterns built from the vocabulary ---------------------------------------------------------

def alt(items: Iterable[str]) -> str:
    """A regex alternation, longest first."""
    return "|".join(sorted(items, key=len, reverse=True))


NUM = (r"(?P<n>(?<![0-9.,$€£¥#])[0-9]{1,3}(?![0-9])|(?<![a-z-])(?:"
       + alt(NUMBER_WORDS) + r")(?![a-z]))")
ORD = r"(?P<n>(?<![0-9])[0-9]{1,2})(?:st|nd|rd|th)|(?<![a-z])(?P<w>" + alt(ORDINALS) + ")"
GRADE_ORD = (r"(?<![0-9])(?:[1-9]|1[0-2])(?:st|nd|rd|th)|(?<![a-z])(?:"
             + "|".join(list(ORDINALS)[1:13]) + r")")
AFTER_AGE = (rf"(?=\s*(?:$|[.!?,;:)\]」』、。！？{EMOJI}]|-\s|[぀-ヿ一-鿿]|(?:"
             + "|".join(AFTER_AGE_WORDS.split()) + r")(?![a-z])))")
JA_AFTER = (r"(?=\s*(?:$|[、。!?！？.,)）]|です|だ|で|な(?:ので|のに|んで|んだ|の|ん)|歳|才|さい|"
            r"の|って|くらい|ぐらい|じゃ|に(?:なる|なった|なり)))")
# Time words between a person and an age: 妹、今年で17。 娘はもう12だ
JA_NOW = (r"(?:まだ|今年|来年|来月|今月|この春|この夏|今(?=\s*[0-9])|もう|現在|先月|先週|昨日|"
          r"今日|明日)(?:\s*(?:で|は|から))?")
# Between a person and an age: a particle, a comma, a time word (娘は、今年で). Each space run is
# matched by one \s* only: adjacent optional \s* made a long run of spaces after 娘 take seconds.
JA_LINK = rf"(?:\s*(?:は|が|も|って))?(?:\s*[、,])?(?:\s*{JA_NOW})?\s*"
PERSON_RE = alt(PERSONS)
SUBJECT = (r"(?<![a-z])(?:i\s*'?m|i\s+(?:am|was)|(?:she|he)\s*'?s|(?:they|we|you)\s*'?re|u\s+r|"
           rf"(?:she|he|they|we|you|u|i|(?:{PERSON_RE})s?)(?:\s+(?:is|was|are|were|turned|turns|"
           rf"just\s+turned)|\s*(?:'ll|\s+will)\s+(?:be|turn))|(?:{PERSON_RE})\s*'s)")
# Becoming an age: "my boy is turning 12", "she's gonna be 13", "he's about to turn 14".
BECOMING = (r"(?:\s+(?:turning|gonna\s+(?:turn|be)|going\s+to\s+(?:turn|be)|"
            r"about\s+to\s+(?:turn|be)))?")
ADVERB = (r"(?:\s+(?:only|just|barely|like|about|around|almost|nearly|still|both|all|each|"
          r"also|now|finally|officially)){0,2}")
FLOOR = re.compile(r"(?:\s*(?:歳|才|さい))?\s*(?:\+|and\s+(?:up|over|older|above)|"
                   r"or\s+(?:older|over|above)|以上)")

AGE_EN = [  # (pattern, check things?)
    (re.compile(rf"{NUM}\s*(?:-?\s*(?:years?|yrs?)\s*-?\s*olds?(?![a-z])|(?:yo|y/o|y\.o\.?)"
               r"(?![a-z])|years?\s+of\s+age)"), True),
    (re.compile(rf"(?<![a-z])aged?(?:\s*[:=\-])?\s*{NUM}(?!\s*(?:months?|mos?|weeks?|wks?|days?|"
               r"hours?|minutes?)(?![a-z]))"), True),
    (re.compile(rf"{SUBJECT}{ADVERB}{BECOMING}{ADVERB}\s+{NUM}{AFTER_AGE}"), False),
    (re.compile(rf"(?<![a-z])(?:only|just)\s+{NUM}(?=\s*(?:$|[.!?)]))"), False),
    (re.compile(rf"(?<![a-z])(?:{PERSON_RE})s?\s*[(\[,]\s*{NUM}\s*(?:[)\],.!?]|$)"), False),
    (re.compile(rf"(?<![a-z])(?:girl|boy|child|kid|daughter|son|lad|lass)\s+of\s+{NUM}"
               rf"{AFTER_AGE}"), False),
    # "pic of me at 14", "this is me at 15", "me at 13 lol" (not "call me at 10")
    (re.compile(rf"(?:^|(?<![a-z])(?:of|is|'s|shows?|showing|here's|heres|ft|feat)\s+)"
               rf"(?:me|myself|her|him|us|them)\s+at\s+(?:age\s+)?{NUM}{AFTER_AGE}"), False),
    # Reddit-style age and sex: "(16f)", "[M15]"
    (re.compile(rf"[(\[]\s*{NUM}\s*/?\s*[fm]\s*[)\]]"), False),
    (re.compile(rf"[(\[]\s*[fm]\s*/?\s*{NUM}\s*[)\]]"), False),
    # A bare age and sex that starts a message or ends it after a comma: "15F, rate my outfit",
    # "rate my fit, 16F" (not "room on 15F" or "ran 15m today")
    (re.compile(rf"(?:^|,)\s*{NUM}\s*[fm](?:\s*/\s*[fm])?(?=\s*(?:$|[,.!?:;)]|"
                rf"here(?![a-z])|[{EMOJI}]))"), False),
    # Youth sport: "the under-16 team", "u12 girls"
    (re.compile(rf"(?<![a-z])(?:under|u)[\s-]?{NUM}s?(?=\s+(?:(?:travel|soccer|football|"
               r"hockey|basketball|baseball|softball|volleyball|lacrosse|rugby|club|select|elite|"
               r"premier|academy|girls'?|boys'?)\s+)?(?:teams?|squad|side|players?|"
               r"league|girls|boys|division|tournament|cup|final|match|game|category)(?![a-z]))"),
     False),
]
BIRTHDAY = re.compile(rf"(?:{ORD})\s+(?:birthday|b-?day)(?![a-z])")
# Birthdays named for an age: "sweet sixteen", "her quinceañera" (15).
MILESTONE = re.compile(r"(?<![a-z])(?:sweet[\s-]*(?P<s16>16|sixteen)|quincea[nñ]era|"
                       r"quince\s+a[nñ]os)(?![a-z0-9])")
# "got her permit at 15": the age at which a person did something; a teen number only (a clock
# says "at 5" or "at 15:00"), checked against a person earlier in the sentence in safety.cues.
AT_AGE = re.compile(rf"(?<![a-z])at\s+(?:(?:the\s+)?age\s+(?:of\s+)?)?{NUM}(?=\s*(?:$|[.!?,;:)\]"
                    rf"{EMOJI}]|-\s|(?:lol|lmao|haha\w*|btw|and|but|so|too|tho|though|vs)(?![a-z])))")
AT_AGE_PERSON = words("i we they my our me she he her his him their") | PERSONS
# A clock time, not an age, for "at N": "we arrived at 13", "my flight lands at 16".
CLOCK_CONTEXT = re.compile(
    r"(?<![a-z])(?:arriv\w*|leav\w*|left|land\w*|depart\w*|flights?|trains?|bus|meet\w*|"
    r"open\w*|clos\w*|o'?clock|shifts?|lunch|dinner|breakfast|tonight|today|tomorrow|"
    r"appointments?|calls?|called|pick\w*\s+up|wake|woke|sleep|slept|alarm|sharp|hrs|h)(?![a-z])"
)
SPAN_VERBS = re.compile(r"(?<![a-z])(?:start(?:s|ed|ing)?|began|begun|begin(?:s|ning)?|"
                        r"learn(?:s|ed|t|ing)?|since|until|till|from)(?![a-z])")
NOT_ADULT_YET = re.compile(r"(?<![a-z])(?:not|isn't|isnt|aren't|arent|wasn't|wasnt)\s+"
                           r"(?:even\s+|yet\s+)?(?:18|eighteen)(?![0-9])")
# A kanji number with 十 (十六, 十四): 一 to 九 alone after まだ are mostly counts (まだ三の段).
KANJI_TENS = (r"(?P<k>(?<![〇一二三四五六七八九十百千万])[一二]?十[一二三四五六七八九]?"
              r"(?![〇一二三四五六七八九十百千万]))")
KANJI_NUM = (r"(?P<k>(?<![〇一二三四五六七八九十百千万])(?:[一二三四五六七八九]?十"
             r"[一二三四五六七八九]?|[一二三四五六七八九]))")
# Ages spelt in kana: じゅうよんさい, ななさい (not じっさい 実際, いっさい 一切, きゅうさい 救済).
KANA_ONES = {"いっ": 1, "いち": 1, "に": 2, "さん": 3, "よん": 4, "ご": 5, "ろく": 6, "なな": 7,
             "しち": 7, "はっ": 8, "はち": 8, "きゅう": 9}
KANA_NUM = (r"(?P<kana>(?:(?<![ぁ-ゖー])|(?<=[はがもの]))(?:じゅう(?:" + alt(KANA_ONES)
            + r")?|じゅっ|" + alt(set(KANA_ONES) - {"いっ", "いち", "きゅう"}) + r"))")
# A difference of ages, not an age: 3歳差, 5歳年下, 5歳若く見える, 10歳老けて見える.
_NOT_GAP = r"(?!\s*(?:差|上|下|年上|年下|違い|離れ|若[くいめ]|老け))"
_JA_NUM_FIRST = r"(?=[0-9〇一二三四五六七八九十])"  # a cheap first test: most places fail here
AGE_JA = [  # the first two are checked for ages of things
    re.compile(rf"(?:{NUM}|{KANJI_NUM})\s*(?:歳|才|さい|sai(?![a-z])){_NOT_GAP}"),
    re.compile(rf"(?=[じにさよごろなは]){KANA_NUM}さい{JA_AFTER}{_NOT_GAP}"),
    re.compile(rf"年齢(?:\s*[:は=\-])?\s*{NUM}"),
    re.compile(rf"まだ\s*(?:{NUM}|{KANJI_TENS}){JA_AFTER}"),
    re.compile(rf"(?:{'|'.join(JA_PERSONS)}){JA_LINK}(?:[(（]\s*)?(?:{NUM}|{KANJI_NUM})"
               rf"(?:\s*[)）])?{JA_AFTER}"),
    # A number someone is becoming, then the person: 今年15になる娘, 13になった息子
    re.compile(rf"{_JA_NUM_FIRST}(?:(?<![=＝一-鿿ぁ-ゖーa-z])|(?<=[はがもでにと、,\s年]))"
               rf"(?:{NUM}|{KANJI_NUM})\s*に\s*"
               rf"(?:なる|なった|なります|なりました)\s*(?:{'|'.join(JA_PERSONS)})"),
    # A bare number before a time of life: 十七の夏, 14の頃, 15の誕生日 (not x=3の時, 第5の,
    # 中2の時, レベル1の時: after a kanji or kana, save a particle or a person, a number is a
    # school year, an era year or part of a word)
    re.compile(rf"{_JA_NUM_FIRST}(?:(?<![=＝一-鿿ぁ-ゖーa-z])|(?<=[はがもでにと私俺僕娘妹弟姉兄孫姪甥]))"
               rf"(?:{NUM}|{KANJI_NUM})\s*の\s*(?:夏|春|秋|冬|頃|ころ|時|とき|誕生日)"),
]
# Things whose age Japanese gives in 歳 too: 車も10歳, このブログも5歳, 盆栽も10歳.
JA_THINGS = "愛車|車(?!椅子)|ぶろぐ|盆栽|さいと|会社|お店|店|ぱそこん|すまほ|時計|かめら"
JA_ANIMAL_BEFORE = re.compile(f"{JA_ANIMALS}|{JA_THINGS}")
JA_ANIMAL_AFTER = re.compile(rf"(?:\s*(?:の|になる|になった))?\s*(?:愛|うちの)?[子仔]?"
                             rf"(?:{JA_ANIMALS})")

# An adult named just before a school year: "my teacher from 6th grade", "coach in year 9".
ADULT_BEFORE_EN = re.compile(
    r"(?<![a-z])(?:teachers?|principal|coach|counsell?or|tutor|professor|prof|instructor)\s+"
    r"(?:(?:back\s+)?(?:from|in|of|for|during)\s+)(?:the\s+|my\s+|our\s+)?$"
)
# After "7th grade": a subject or material it dates ("7th grade math textbook", "a 5th grade
# reading level"), unless an event of pupils follows ("7th grade science fair").
GRADE_MATERIAL_EN = re.compile(
    r"[\s-]+(?:[a-z]+\s+)?(?:math|maths|science|english|history|geography|algebra|geometry|"
    r"biology|chemistry|physics|spelling|vocab\w*|reading|writing|textbooks?|workbooks?|"
    r"curriculum|syllabus|standards?|level|material|materials|worksheets?|exams?|tests?)"
    r"(?![a-z])(?!\s+(?:fair|class|trip|camp|team|project|competition|olympiad|club|bee)(?![a-z]))"
)
PERSON_NOUNS = alt(PERSONS | {"class", "classmates"})
# School years named elsewhere than "grade"/"year": Form 3, Primary 5, Secondary 2, Sec 1.
SCHOOL_YEAR_NAMES = "form|primary|secondary|sec"
GRADE_EN = [
    # "she's in high school", "me in high school", "when I was in hs" (not "high school reunion")
    re.compile(rf"(?:{SUBJECT}|(?<![a-z])(?:still|me|her|him|us|them|pics?|photos?|pictures?|"
               r"selfies?))\s+(?:still\s+)?(?:in|from|during)\s+(?:high[\s-]*school|hs)"
               r"(?![a-z])"),
    re.compile(rf"(?:{GRADE_ORD})[\s-]*grade(?:rs?)?(?![a-z])"),
    re.compile(r"(?<![a-z])in\s+grade[\s-]*(?:[1-9]|1[0-2])(?![0-9.])"),
    re.compile(r"(?<![a-z])in\s+year[\s-]*(?:[1-9]|1[0-3])(?![0-9.])(?!\s*of(?![a-z]))"
               r"(?=\s*(?:$|[.!?,;:)]|and|at|now|lol|btw)(?![a-z]))"),
    re.compile(rf"(?<![a-z])(?:grade|year|{SCHOOL_YEAR_NAMES})[\s-]*(?:[1-9]|1[0-3])(?![0-9.])"
               rf"[\s-]+(?:{PERSON_NOUNS})(?:e?s|'s)?(?![a-z])"),
    # Other school systems: "in Form 3" (Malaysia, the older British forms), "in primary 5",
    # "in secondary 2" (not "fill in form 2"), "lower sixth", "upper sixth", "sixth former"
    re.compile(rf"(?=[ilu6s])(?:(?<![a-z])(?<!fill )(?<!filled )(?<!filling )in\s+"
               rf"(?:{SCHOOL_YEAR_NAMES})[\s-]*[1-6](?![0-9.])(?=\s*(?:$|[.!?,;:)]|and|at|now|lol|btw|this|already)(?![a-z]))"
               r"|(?<![a-z])(?:lower|upper)[\s-]+sixth(?:[\s-]+form)?(?:ers?)?(?![a-z])"
               r"|(?<![a-z])(?:sixth|6th)[\s-]+form(?:ers?|[\s-]+(?:students?|pupils?|girls?|boys?|"
               r"kids?))(?![a-z])|(?<![a-z])in\s+(?:the\s+)?(?:sixth|6th)[\s-]+form(?![a-z]))"),
    # A school-year event: "year 8 trip", "grade 6 graduation" (not "grade 8 bolts")
    re.compile(rf"(?<![a-z])(?:grade|year|{SCHOOL_YEAR_NAMES})[\s-]*(?:[1-9]|1[0-3])(?![0-9.])"
               r"[\s-]+(?:trip|camp|"
               r"formal|dance|disco|prom|graduation|excursion|sports\s+day|field\s+trip|"
               r"class\s+(?:photo|pic|picture|trip)|school\s+(?:photo|pic|trip)|assembly|"
               r"musical|concert|leavers)s?(?![a-z])"),
    re.compile(r"(?<![a-z])(?:high[\s-]*school|hs)\s+(?:freshm[ae]n|sophomores?|juniors?|"
               r"seniors?)(?![a-z])|(?<![a-z])(?:freshm[ae]n|sophomores?|juniors?|seniors?)\s+"
               r"(?:in|at|of)\s+(?:high[\s-]*school|hs)(?![a-z])"),
    re.compile(r"(?<![a-z])(?:in|at|from|still\s+in)\s+elementary(?=\s*(?:$|[.!?,;:)]|(?:and|but|"
               r"so|now|lol|btw|right|still|too|yet|though|tho|i|she|he)(?![a-z])))"
               r"|(?<![a-z])elementary[\s-]+(?:age[ds]?|kids?|girls?|boys?|students?|pupils?)"
               r"(?![a-z])"),
]
FRESHMAN = re.compile(r"(?<![a-z])(?:freshm[ae]n|sophomores?)(?![a-z])(?!\s+(?:albums?|records?|"
                      r"ep|lp|novels?|books?|films?|movies?|seasons?|slump|effort|single|release|"
                      r"campaign|term|tour|collection|senator|congress\w*|representative|[0-9]+|fifteen)\b)")
COLLEGE = re.compile(r"(?<![a-z])(?:college|university|uni|campus|dorm|undergrad\w*|senator)"
                     r"(?![a-z])")
GRADE_JA_LONG = re.compile(r"(?P<s>小学校?|中学校?|高校)\s*(?:(?P<d>[1-6])(?![0-9])|"
                           r"(?P<k>[一二三四五六]))\s*年")
GRADE_JA = re.compile(r"(?P<s>[小中高])(?:(?P<d>[1-6])(?![0-9])|(?P<k>[一二三四五六]))")
GRADE_JA_MAX = {"小": 6, "中": 3, "高": 3}
# After a school year, a compound (中2病) or a subject or material it dates (高1の数学の教科書).
GRADE_JA_MATERIAL = re.compile(
    r"\s*(?:病|(?:の\s*)?(?:数学|算数|国語|英語|理科|社会|歴史|地理|物理|化学|生物|古文|漢文|漢字|"
    r"英単語|教科書|参考書|問題集|どりる|範囲|内容|れべる|課程|単元|教材|てすと範囲))"
)
JA_PERSON_KANJI = set("女子男娘妹弟姉兄姪甥孫")
SCHOOL_WORD = re.compile(r"school|high|grade|kindergarten|学|校|園|生$")
MINOR = re.compile(r"(?<![a-z])minor(?P<s>s|'s)?(?![a-z])")
BABY = re.compile(r"(?<![a-z])bab(?:y|ies)(?P<s>'s)?(?![a-z])")
BABY_NOUN = re.compile(r"\s*(?:girl|boy|sister|brother|daughter|son|niece|nephew|cousin|"
                       r"photos?|pics?|pictures?)s?(?![a-z])")
# "my baby brother is 30 now": a grown sibling, not a child.
BABY_GROWN = re.compile(r"[^.!?\n]{0,24}?(?<![a-z])(?:is|'s|turned|turns|turning)\s+(?:now\s+)?"
                        r"(?:like\s+)?(?:almost\s+)?(?P<n>[1-9][0-9])(?![0-9])")
# An animal before a school token: "doggy daycare", "puppy kindergarten", 犬の幼稚園.
ANIMAL_SCHOOL_BEFORE = re.compile(
    r"(?<![a-z])(?:dog|doggy|doggie|puppy|pup|pet|cat|kitten|kitty)'?s?\s+$|"
    rf"(?:{JA_ANIMALS}|愛犬|ぺっと)\s*(?:の|用の?)?\s*$")
BABY_OWNER = re.compile(r"(?:^|[^a-z])(?:my|our|the|a|her|his|their|your|new|newborn|sweet|"
                        r"little)\s+$")
# 中学の時, 高校の頃, 小学校時代 (a photo from then may show the pupil); not 時計, 時間
SCHOOL_TIME_JA = re.compile(r"(?:小学校?|中学校?|高校)生?\s*(?:の\s*(?:とき|ころ)(?![ぁ-ゖー])|"
                            r"(?:の\s*)?(?:時代|時(?![計間刻点])|頃))")
TEENS_JA = re.compile(r"(?<![0-9〇一二三四五六七八九十百])(?:10|十)\s*代(?![目続])")  # 10代前半
# Teen in katakana: ティーン, ローティーン, プレティーン (normalised to hiragana), not inside a
# longer word (クリスティーン).
TEEN_JA = re.compile(r"(?=[ろぷはて])(?:(?<![ぁ-ゖー])|(?<=[のはがもと]))"
                     r"(?:ろー|ぷれ|はい)?てぃーん(?:えいじゃー)?")
# "jk" glossed or doubled as a joke: "jk jk", "jk 冗談だよ".
JK_JOKE = re.compile(r"[\s,.!]*(?:jk(?![a-z])|冗談|じょうだん)")
OSANAI = re.compile(rf"幼[いき]\s*(?:{'|'.join(JA_YOUNG_NOUNS)})")
# A birth year: "born in 2014", "born 2012", 2014年生まれ (an age once the year is known).
BORN = re.compile(r"(?<![a-z])born\s+(?:in\s+)?(?:(?:early|late|mid)[\s-]+)?"
                  r"(?P<y>(?:19|20)[0-9]{2})(?![0-9])|(?<![0-9])(?P<j>(?:19|20)[0-9]{2})\s*年?\s*(?:生まれ|うまれ)")
# An age in months, weeks or days: "8 months old", "a 3-week-old" (a person's only, checked in
# safety.cues: "a 2 day old post" is a thing's); 生後8ヶ月.
MONTHS_OLD = re.compile(rf"(?=[0-9a-z])(?:{NUM}\s*-?\s*(?P<u>months?|mos?|weeks?|wks?|days?)"
                        r"\s*-?\s*olds?(?![a-z]))|生後\s*(?P<m>[0-9]{1,2})\s*(?:[かゕゖヶヵ箇]\s*)?(?P<ju>月|週|日)")
# A calendar year long past dates what it is said with: "the 7th grade science fair in 1998".
CALENDAR_YEAR = re.compile(r"(?<![0-9.,$€£¥#:/\-])(?P<y>(?:19|20)[0-9]{2})(?![0-9])"
                           r"(?!\s*(?:年?\s*(?:生まれ|うまれ)|(?:mb|kb|gb|ms|px|km|kg|mm|cm|mi)(?![a-z])|"
                           r"円|人|個|件))")
BORN_BEFORE = re.compile(r"(?<![a-z])born\s+(?:in\s+)?(?:(?:early|late|mid)[\s-]+)?$")
# A school time then a memory of it, not a picture: 小学生の頃の夢, 中学の時の思い出.
MEMORY_JA = re.compile(r"[^、。!?！？\n]{0,10}?(?:時代|時(?![計間刻点])|とき|頃|ころ)\s*の\s*"
                       r"(?:将来の)?(?:夢|ゆめ|思い出|おもいで|記憶|憧れ|あこがれ|目標)")
# Likening, not a person: "I feel like a kid in a candy store", "laughing like kids" (not "she
# looks like a kid" or "dressed like a schoolgirl": a look is about a person; not "I like kids").
_LIKE_ADJ = (r"(?:(?:little|big|lil|giddy|spoiled|spoilt|bratty|naughty|happy|excited|overgrown)"
             r"\s+)?")
LIKENED_BEFORE = re.compile(
    r"(?<![a-z])(?<!look )(?<!looks )(?<!looked )(?<!looking )(?<!seems )(?<!seem )(?<!'d )"
    r"(?<!would )(?<!dress )(?<!dressed )(?<!dressing )(?<!posed )(?<!posing )"
    rf"like\s+(?:a|an)\s+{_LIKE_ADJ}$"
    r"|(?<![a-z])(?:(?!look|seem|dress|pos)[a-z]+(?:ing|ed)|act|acts|feel|feels|felt|behave|"
    rf"behaves)\s+like\s+{_LIKE_ADJ}$")
# After a school token: the place or the body, not a pupil ("the middle school building").
SCHOOL_PLACE_AFTER = re.compile(
    r"'?[\s-]+(?:buildings?|campus|grounds|site|gym|gymnasium|auditorium|cafeteria|district|"
    r"board|parking|playground|closure|renovations?|demolition|construction|centers?|centres?)"
    r"(?![a-z])")
