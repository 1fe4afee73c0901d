"""Round seven of the minor-cue grammar (safety.life_stages): each new rule and guard, both ways,
on sentences written for these tests (not lines of the blind sets)."""

from __future__ import annotations

import pytest

from config.policy import MinorCues
from safety.cues import find_minor_cues

CUES = MinorCues()


@pytest.mark.parametrize(("cue", "benign"), [
    # youth sports and clubs
    ("squirt hockey tournament this weekend, he scored twice",
     "that trade was strictly little league compared to the majors"),
    ("his mite hockey jersey finally fits", "the peewee herman marathon is on tonight"),
    ("she made the 10U softball roster", "a 12U rack for the server closet"),
    ("girl scout cookie booth with her troop today", "bought girl scout cookies from a coworker"),
    ("部活から帰ってきた娘、泥だらけ", "大学の部活、息子が主将になった"),
    ("ミニバスの大会で優勝しました", "ミニバスで空港まで移動した"),
    ("息子がスイミングで10級に合格", "大人のスイミング教室で進級した"),
    # a baby's firsts without an owner
    ("first words today!! he said dada", "first steps with Go, he said it's easy"),
    ("first haircut today, she sat so still", "my first haircut at the new salon, he did great"),
    ("he pulls himself up on the coffee table now", "he pulled himself up onto the roof"),
    ("rolled from tummy to back twice today, she's so proud",
     "the puppy rolled from back to tummy"),
    ("上の歯が4本生えそろった", "犬の歯が2本生えてきた"),
    ("寝返り返りができた！", "夜中に寝返りしたら腰が痛い"),
    ("やっと二歩歩けた！", "祖父がリハビリでやっと歩けた"),
    ("今日で断乳3日目", "子犬の卒乳"),
    # a young child's life
    ("the little guy finally fell asleep in his crib",
     "the little guy (our hamster) loves his nap"),
    ("her sippy cup is missing again", "his car seat needs new leather"),
    ("moved his car seat to rear-facing again", "the car seat in my truck is torn"),
    ("my daughter's kindergarten teacher sent a note", "my kindergarten teacher retired"),
    ("学童から帰ってきた息子", "学童保育の指導員として働いています"),
    ("孫にお年玉をあげた", "お年玉付き年賀はがきが当たった"),
    ("ベビーシッターさんに預けて出かけた", "ペットシッターさんに猫をお願いした"),
    # puberty
    ("puberty is hitting my nephew hard", "trans folks call it second puberty"),
    ("eleven going on thirty, i swear", "he's 30 going on 13"),
    ("反抗期まっただ中の長男", "思春期外来の受付"),
    # school events and school years with a child
    ("spelling bee tonight, she practiced all week", "i'm judging the science fair, he asked me"),
    ("nine and a half, and he still sleeps with his bear",
     "15 and a half years at the same job, she says"),
    ("his permit came in the mail, so now he can drive with me",
     "her work permit came through, she starts monday"),
    ("来年から中学なので、新しい自転車を買った", "来年から中学で教えることになった"),
    ("担任しているクラスの生徒の作品です", "大学で担任している生徒たち"),
    ("高校受験を控えた甥", "中学受験の参考書を買った"),
])
def test_each_rule_both_ways(cue, benign):
    assert find_minor_cues(cue, CUES), cue
    assert find_minor_cues(benign, CUES) == [], (benign, find_minor_cues(benign, CUES))


@pytest.mark.parametrize(("benign", "cue"), [
    # a memory of long ago with no picture of then and no child named; with one it fires
    ("when we were 10 we built this treehouse", "me when we were 10, we built this treehouse"),
    ("中学生のころ、よくこの店に通ってた", "中学生のころの写真、よくこの店に通ってた"),
    ("昔ここの少年野球チームにいたんだ", "昔ここの少年野球チームにいた息子"),
    ("in the 80s i was 12 and obsessed with this game",
     "pic of me in the 80s, i was 12 and obsessed with this game"),
    ("父の七五三の話を聞いた", "父の七五三の写真"),
    ("my grandpa at 14 years old was already working the farm",
     "old photo of my grandpa at 14 years old, he was already working the farm"),
    # an animal's or a thing's age
    ("うちの文鳥のぴーすけ、今日で3歳になりました", "うちの文鳥と娘、今日で3歳になりました"),
    ("my starter is 6 years old, still bubbly", "my son is 6 years old, still bubbly"),
    # grown children called kids or baby; a goat's kid
    ("both my kids are grown, 34 and 29, and visiting", "both my kids, 4 and 9, are visiting"),
    ("my baby is off to college next week", "my baby is off to daycare next week"),
    ("the goat had a kid last night", "the kid fed the goat last night"),
    # a school as a place, an event as a season or a likeness, a toy, an idiom
    ("the middle school around the corner has a new roof",
     "my son's middle school around the corner has a new roof"),
    ("入学式シーズンで電車が混む", "入学式で娘と電車に乗った"),
    ("忘年会がまるで修学旅行みたいだった", "修学旅行の写真です"),
    ("ミニチュアのランドセル作った", "ランドセル背負った娘"),
    ("ランドセルをリメイクした名刺入れ", "ランドセルを背負った甥"),
    ("心は永遠の少年", "近所の少年が遊びに来た"),
    ("grandpa is a kid at heart", "grandpa and the kid at the park"),
])
def test_each_guard_both_ways(benign, cue):
    assert find_minor_cues(benign, CUES) == [], (benign, find_minor_cues(benign, CUES))
    assert find_minor_cues(cue, CUES), cue


@pytest.mark.parametrize(("cue", "benign"), [
    # each new rule's own look-alikes
    ("rolled from her back to her tummy!", "she rolled from her back to her side to stretch"),
    ("first words today, he said dada", "first words of the speech, he stumbled"),
    ("the little guy naps in his crib", "chilling at his crib tonight"),
    ("his booster seat is in the trunk", "his booster shot is tomorrow"),
    ("changing his diaper in the car", "changing grandpa's diaper, his nurse helped"),
    ("homecoming tonight, he's so nervous", "homecoming weekend at my college, he loved it"),
    ("夜泣きが続いてママはへとへと", "夜泣きそばの屋台"),
    ("息子が部活で疲れてる", "息子が部活の顧問になった"),
    ("science fair tonight, he built a robot", "the science fair at work was fun, he won"),
    ("first tooth came in, he was so fussy", "first tooth extraction went ok, he was brave"),
    ("部活の朝練に行く息子", "会社の部活、息子も見学に来た"),
    ("thirteen going on thirty, she says", "12 going on 13 already, time flies with this code"),
    ("we signed the lease on a bigger place for the kids",
     "the kids signed the lease on their first place"),
])
def test_rule_look_alikes(cue, benign):
    assert find_minor_cues(cue, CUES), cue
    assert find_minor_cues(benign, CUES) == [], (benign, find_minor_cues(benign, CUES))


@pytest.mark.parametrize(("text", "label"), [
    ("eleven going on thirty, i swear", "age:11"),
    ("she made the 10U softball roster", "age:10"),
    ("来年から中学なので", "school:来年から中学"),
    ("his 9th bday party at the park", "age:9"),
    # the guards' own limits (they pass on main; an early draft of round seven broke them)
    ("she's 14 and into music from the 90s", "age:14"),
    ("犬の散歩をしていた少年、12歳", "age:12"),
    ("母が保育園に迎えに行ってくれた", "保育園"),
])
def test_labels(text, label):
    assert label in find_minor_cues(text, CUES)
