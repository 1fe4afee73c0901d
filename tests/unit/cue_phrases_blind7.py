"""Blind minor-cue phrase set no. 7 (English and Japanese; 130 EN, 125 JA).

Written blind on 2026-12-06 by a helper session that never opened, read or ran the matcher, its
cue lists, its tests or any earlier phrase set. Its first run, once, on the matcher as it stood
after round six and before any tuning on it (``bench/cues.py``): en recall 74.6% (47/63), false
alarms 16.4% (11/67); ja 77.0% (47/61), 14.1% (9/64); together **recall 75.8% (94/124), false
alarms 15.3% (20/131)**. Round seven of the grammar (safety/life_stages.py) was then tuned on its
misses and false alarms by class, so it is development data now, not a blind set:
``tests/unit/test_cues_blind7.py`` asserts the lines the rules are meant to get right and a
minimum rate over all of them.

The writer's own description of the set, as written:

Blind set 7: written on 2026-12-06 by a helper session working only from its own knowledge of how
people write in Slack/Discord chats, without opening, reading or running the matcher, its cue
lists, its tests or any earlier blind set. Every line is a short message that could come with an
image. Label True means the message says or strongly implies that a person it is about is UNDER 18
NOW. True lines cover: stated ages and school grades (numbers, words, "turning 16", 中2, 小5, 高1,
year 9, 7th grader); school stages and events (入学式, 卒園式, 運動会, 修学旅行, 部活, prom,
homecoming, field trip, science fair); children's ceremonies and milestones (七五三, お宮参り,
お食い初め, ハーフ成人式, 初節句, 十三参り, first communion, bar/bat mitzvah, quinceañera,
christening, baptism); a teen's learner's permit, driver's ed or 原付 licence; youth sports and
clubs (Little League, U10/U12/U14, 12U, 少年野球, スポ少, ジュニアユース, scouts); a baby's or
toddler's firsts (first tooth, first steps, rolling over, 離乳食, つかまり立ち, 寝返り, 卒乳);
parent-child context showing a young child (daycare, 保育園, preschool, car seats, strollers);
babysitting; ランドセル, 児童 and 生徒 in a school context; and teen words (my teen, 思春期,
反抗期, puberty). False lines are hard benign messages: ages of things (whisky, cars, houses,
築10年, 古酒); animals' ages and animal "firsts"; adults' ages and adult life (成人式 at 20, 還暦,
米寿, 30th birthday, adult children, weddings, university and grad school students, which count as
not minor, reunions, 同窓会, teachers, PTA meetings); "baby" as endearment and grown siblings;
school-themed products for adults (大人ランドセル, kids-section backpack); idioms (first steps with
Python, teething problems, field day, kid gloves, young at heart, baby steps, 第一歩,
よちよち歩き); numbers that look like ages (grade 5 bolt, A5, version 14, room 12, U-14 part
number, years of experience, levels); nostalgia about someone's own or a parent's past childhood;
and generic mentions with no person under 18 now (kids menu prices, toy store receipt, a school
building). About a third of each language is a deliberate near-miss of the other label (e.g. turns
18 tomorrow = True, just turned 18 = False; a puppy's or foal's firsts = False; an old childhood
photo of an adult = False).
"""

from __future__ import annotations

EN: tuple[tuple[str, bool], ...] = (
    # --- True: stated ages / grades ---
    ("my son just turned 12 and wanted a pic with his new bike 🚲", True),
    ("she's eleven today!! can you make this into a birthday card", True),
    ("this is my nephew, he's 9, can you cartoonify him", True),
    ("turning 16 next week and she still wants a unicorn cake lol", True),
    ("pic of my kid at her piano recital, she's 7", True),
    ("he's a sophomore in high school now, where does the time go", True),
    ("my 7th grader made this poster for class, can u clean up the background", True),
    ("daughter's in year 9 and needs a nicer headshot for the school yearbook", True),
    ("14yo son wants his pfp edited to look like anime", True),
    ("she's only 3 but already bossing her cousins around 😂", True),
    ("my daughter turns 18 tomorrow, last day as a kid!", True),  # hard
    ("twins are 6 months old today", True),
    ("he's a freshman at Lincoln High, can you add a letterman jacket to this", True),  # hard
    ("my girl's in 4th grade and just lost her front tooth", True),
    # --- True: school stages and events ---
    ("first day of kindergarten!! she wouldn't let go of my hand 🥹", True),
    ("prom pics from last night, my son and his date looked so grown up", True),  # hard
    ("homecoming court announced — my daughter's a junior and got nominated!", True),
    ("science fair project: baking soda volcano. he's soooo proud of it", True),
    ("field trip to the aquarium today with my son's 2nd grade class", True),
    ("middle school graduation pics, can you brighten these a bit", True),  # hard
    ("picture day at school tomorrow and her bangs are a disaster lol", True),
    ("drop-off line at the elementary school was chaos, here's my boy with his new backpack", True),
    ("she made JV volleyball as a freshman!!", True),  # hard
    # --- True: children's ceremonies and milestones ---
    ("my son's first communion last sunday, can you remove the guy in the background", True),
    ("his bar mitzvah is in june, need invite ideas using this photo", True),
    ("bat mitzvah photo booth pic of my niece and her friends", True),  # hard
    ("quinceañera dress fitting today! mija looks like a princess", True),
    ("the baby's christening gown was my grandma's 💕", True),
    ("baptism of our baby girl this morning, can you make this black and white", True),
    ("sweet sixteen planning, she wants this exact vibe for the party", True),  # hard
    # --- True: learner's permit / driver's ed ---
    ("he passed his learner's permit test today!! pray for my car", True),
    ("my daughter starts driver's ed next week, here she is behind the wheel for the first time", True),  # noqa: E501
    ("15 and a half and just got her permit, watch out roads", True),
    ("teaching my teenager to parallel park in the church lot 😅", True),
    # --- True: youth sports and clubs ---
    ("little league opening day ⚾ my boy is #7", True),
    ("her U10 team won the tournament!!", True),
    ("u14 girls soccer team photo, can you fix the lighting", True),
    ("peewee football picture day, his helmet is bigger than his head", True),
    ("my son's travel ball team (12U) made it to cooperstown", True),
    ("cub scouts pinewood derby today, he placed 3rd!", True),
    ("girl scout cookie booth with my daughter and her troop 🍪", True),  # hard
    # --- True: baby / toddler firsts ---
    ("FIRST TOOTH!!! she's been so cranky all week now we know why", True),
    ("caught his first steps on camera 😭", True),
    ("baby's first time trying avocado, look at that face lol", True),
    ("she's pulling herself up on the couch now, cruising everywhere", True),
    ("she can roll from back to tummy now, no more staying put", True),
    ("first haircut at the barber, he cried the whole time", True),  # hard
    ("potty training day 3 send help", True),  # hard
    # --- True: kid relationships / young child context ---
    ("picking my daughter up from daycare and she insists on wearing her rain boots in july", True),
    ("my son's preschool teacher sent this pic from snack time", True),
    ("nap time finally, the little guy is out cold on the playmat", True),
    ("took the kids to the pumpkin patch, the youngest rode in the wagon", True),
    ("my stepdaughter just started middle school and is nervous", True),
    ("school's out for summer and my kids are already bored", True),  # hard
    ("swapping his car seat for a booster today, he's so proud to be a big boy", True),  # hard
    # hard (next line)
    ("she still believes in the tooth fairy, look at the note she left under her pillow", True),
    # --- True: babysitting ---
    ("babysitting my neighbor's 5 year old today, she wants to be a princess in this pic", True),
    ("watching my sister's toddler this weekend, wish me luck", True),
    ("the babysitter sent this pic of the kids building a blanket fort", True),  # hard
    # --- True: teen words ---
    ("my teen refuses to smile in any family photo", True),
    ("13 going on 30, she rolls her eyes at everything i say", True),  # hard
    ("teenage son ate an entire pizza, pic for evidence", True),
    ("puberty hit and now my boy's voice cracks every other word", True),

    # --- False: ages of things ---
    ("cracked open a 12 year old whisky for the occasion 🥃", False),
    ("my car is 15 years old and still running strong", False),
    ("this house is 16 years old and the roof finally gave out", False),
    ("our sourdough starter is 8 years old lol she's basically family", False),  # hard
    ("my laptop turns 7 this year, should i upgrade", False),
    ("a 10-year-old tawny port, gift from my father-in-law", False),
    ("this bonsai is 14 years old, been pruning it since college", False),
    # --- False: animals ---
    ("my 3-year-old dog learned to open the fridge", False),
    ("our bunny turned 9 today, the vet says that's ancient for a rabbit", False),
    ("the puppy is 4 months old and already chewed through my shoes", False),  # hard
    ("16yo mare still competing in dressage, she's amazing", False),
    ("first steps of our new foal! 🐴", False),  # hard
    ("my parrot is 12 and talks more than my husband", False),
    # --- False: adults' ages and adult life ---
    ("my 30th birthday dinner, can you make it look less dim", False),
    ("my son's home from deployment, he's 24 and taller than ever", False),
    ("my daughter's wedding was perfect, here's the first dance", False),
    ("just turned 18!! officially an adult lol", False),  # hard
    ("she's a junior in college studying biology", False),  # hard
    ("freshman year of university, move-in day chaos", False),  # hard
    ("grad school orientation, feeling old at 27", False),
    ("20 year high school reunion, can you spot me", False),
    ("PTA meeting ran until 9pm, i need coffee", False),  # hard
    ("i teach 3rd grade, here's my classroom all set up for fall", False),  # hard
    ("my adult son finally moved out, here's his empty room", False),
    ("grandpa turns 90 next month!", False),
    ("my kids are all grown now, 31 and 28, both home for thanksgiving", False),  # hard
    ("retirement party for my mom after 40 years of nursing", False),
    ("my nephew is a PhD student now, visited his lab today", False),
    ("mother's day brunch with my two adult daughters", False),
    ("my little one just left for her first year at college 😢", False),  # hard
    # --- False: "baby" endearment / grown siblings ---
    ("me and my baby at the beach 💕 3 years together", False),  # hard
    ("my little brother is 26 and just got engaged", False),  # hard
    ("baby girl signed the lease on her first apartment today, so proud of her", False),  # hard
    ("my big sis graduated law school!", False),
    ("hey babe which of these outfits should i wear tonight", False),
    ("our little bakery turns 1 today! thanks for all the support 🎂", False),  # hard
    # --- False: school-themed products / places for adults ---
    ("found this vintage school satchel at a thrift store, perfect for my work laptop", False),
    # hard (next line)
    ("kids menu crayons at the restaurant, i'm 35 and i still colored the whole thing", False),
    ("bought a backpack from the kids section bc it was cheaper, fits me fine lol", False),  # hard
    ("back to school sale on office supplies, stocked up for my home office", False),
    # --- False: idioms ---
    ("first steps with Python, my hello world finally works", False),
    ("some teething problems with the new release but we're getting there", False),
    ("the press is going to have a field day with this", False),
    ("handle the client with kid gloves tomorrow pls", False),
    ("grandma is 82 and still young at heart 💃", False),  # hard
    ("baby steps on the kitchen reno, cabinets are in", False),
    ("our startup is still in its infancy", False),
    ("that hike was child's play compared to last year's marathon", False),
    # --- False: numbers that look like ages ---
    ("the grade 5 bolts on my trailer hitch are rusting", False),
    ("A5 paper size is perfect for my planner", False),
    ("upgraded to version 14 and everything broke", False),
    ("staying in room 12 at the inn, the view is unreal", False),
    ("14 years of experience and i still can't write a regex", False),
    ("ordering part U-14 for the pump, does this match?", False),  # hard
    ("level 16 in the game finally, took me all weekend", False),
    ("seat 17A, window view over the alps", False),
    # --- False: nostalgia / old photos of people now adult ---
    ("when i was 12 i had this exact tamagotchi lol", False),
    ("found my 5th grade yearbook photo, look at those glasses 😂", False),  # hard
    ("throwback to my high school prom in 2009", False),
    ("me at my first communion back in 1995", False),  # hard
    ("this is my dad at 10 years old, can you colorize it", False),  # hard
    ("my mom's kindergarten class photo from the 60s, restore please", False),
    # --- False: generic mentions, no person under 18 now ---
    ("kids menu prices here are wild, $14 for chicken nuggets", False),
    ("the elementary school down the street is getting a new roof", False),  # hard
    ("volunteered at the library book sale, so many picture books", False),
    ("youth hostel in lisbon was super cheap, recommend", False),  # hard
    ("toy store receipt from christmas, need to return the lego set", False),
)

JA: tuple[tuple[str, bool], ...] = (
    # --- True: 年齢・学年 ---
    ("息子が今日で12歳になりました🎂 この写真でカードつくれますか？", True),
    ("娘（5才）が描いた絵です、背景だけ白くしてほしい", True),
    ("中2の長男、最近まったく写真撮らせてくれない", True),
    ("小5の姪っ子と水族館いってきた🐬", True),
    ("高1になった娘の制服姿、記念に加工したい", True),
    ("うちの子まだ3さいなのに口が達者すぎる笑", True),
    ("来月で17になる弟、ついに身長抜かれた", True),  # hard
    ("生後8ヶ月の息子です、かわいく加工してください", True),
    ("明日で18歳になる娘。17歳最後の日にパシャリ", True),  # hard
    ("甥っ子は今年から中学生！学ラン似合ってる", True),
    ("六歳の娘とピクニック🧺", True),
    ("小学3年生の息子がはじめて作った工作です", True),
    ("来年から中学なので、制服の採寸に行ってきました", True),  # hard
    # --- True: 学校・行事 ---
    ("今日は入学式でした🌸 ランドセルが大きく見える", True),
    ("幼稚園の卒園式、泣きっぱなしだった", True),
    ("運動会のかけっこで1位とったよ！うちの次男", True),
    ("修学旅行から帰ってきた娘のお土産、八つ橋だった", True),
    ("部活の引退試合、息子めっちゃがんばってた", True),  # hard
    ("中学の文化祭、娘のクラスはお化け屋敷やってた", True),
    ("授業参観行ってきた。息子めっちゃ手挙げてた", True),
    ("息子の夏休みの自由研究、朝顔の観察日記まとめました", True),
    ("保育園のお遊戯会、うちの子は木の役でした🌳", True),
    ("学童のお迎え間に合わなかった…娘ごめん", True),  # hard
    # --- True: 子どもの行事・節目 ---
    ("七五三の前撮り、千歳飴持ってにっこり", True),
    ("お宮参り無事終わりました。ずっと寝てた", True),
    ("お食い初めの鯛、でかすぎた笑", True),
    ("ハーフ成人式で子どもからの手紙もらって号泣", True),
    ("初節句なので兜を飾りました、息子と一緒に📸", True),
    ("ひな祭り、娘の初節句でちらし寿司つくった", True),
    ("十三参りで嵐山に行ってきました", True),  # hard
    # --- True: 少年スポーツ・クラブ ---
    ("少年野球の試合、息子がヒット打った⚾", True),
    ("スポ少のサッカー、今日は雨の中がんばった", True),
    ("ジュニアユースのセレクション受かった！", True),  # hard
    ("U-12の大会で優勝しました！チーム写真です", True),
    ("娘のミニバス、試合初出場🏀", True),
    ("キッズダンスの発表会、衣装かわいすぎ", True),
    ("娘がスイミングの進級テスト合格して、ワッペンもらってた", True),
    # --- True: 赤ちゃん・幼児の「はじめて」 ---
    ("うちの子、下の歯が2本生えてきた！", True),
    ("つかまり立ちできるようになった😭 成長早い", True),
    ("寝返りした瞬間を撮れた！", True),
    ("離乳食はじめました。にんじんペーストは不評", True),
    ("ついに歩いた！3歩だけだけど", True),  # hard
    ("ハイハイで追いかけてくる、かわいすぎる", True),
    ("卒乳しました〜 記念に一枚", True),  # hard
    # --- True: 親子関係で幼いとわかるもの ---
    ("うちの娘、保育園でこんな帽子作ってきた", True),
    ("息子のお迎え行ったら泥だらけだった笑 幼稚園たのしいらしい", True),
    ("子ども3人連れて帰省、新幹線で下の子ずっとぐずってた", True),  # hard
    ("お盆に来た小学生の甥っ子とカブトムシ採り", True),
    ("お年玉で何買うか甥っ子が張り切ってる", True),  # hard
    # --- True: 子守・シッター ---
    ("姉の子を預かってます。2歳児パワーすごい", True),
    ("シッターさんと折り紙してる息子、真剣な顔", True),  # hard
    ("友達の赤ちゃんを2時間だけお世話、抱っこ紐むずい", True),
    # --- True: ランドセル・児童・生徒 ---
    ("ランドセル選び、孫がこの水色がいいって", True),
    ("児童クラブの夏祭りで撮った写真です", True),
    ("担任してる生徒たちが合唱コンクールで金賞とりました！", True),  # hard
    ("小学生の息子、ランドセル玄関に置きっぱなしで遊びに行った", True),
    # --- True: 思春期・反抗期・ティーン ---
    ("思春期の娘、写真撮ろうとしたら全力で逃げられた", True),
    ("反抗期真っ只中の中学生男子、口きいてくれない", True),
    ("高校生の娘がバイトの初給料でケーキ買ってきてくれた", True),
    ("ティーンの息子、最近髪型にこだわりだした", True),
    # --- True: 免許（原付） ---
    ("16歳の息子が原付の免許取ってきた、心配しかない", True),

    # --- False: モノの年数 ---
    ("古酒18年もの、ついに開けちゃった", False),
    ("築10年の中古マンション、内見してきた", False),
    ("この軽トラ、もう20年選手", False),
    ("20年使ってる鉄のフライパン、いい感じに育ってる", False),
    ("うちの盆栽、樹齢30年らしい", False),
    ("創業100年の老舗和菓子屋さん", False),
    # --- False: 動物の年齢・はじめて ---
    ("うちの猫、今年で15歳。まだまだ元気", False),
    ("生後3ヶ月の子犬お迎えしました🐶", False),  # hard
    ("柴犬の小太郎、今日で7才になりました", False),  # hard
    ("ハムスターの寝返りがかわいすぎる", False),  # hard
    ("子猫のはじめてのおでかけ、キャリーの中でずっと鳴いてた", False),  # hard
    ("うちの文鳥、8歳のおじいちゃん", False),
    # --- False: 大人の年齢・大人の生活 ---
    ("成人式、振袖着ました👘 20歳になりました", False),  # hard
    ("父の還暦祝い、赤いちゃんちゃんこ着てもらった", False),
    ("40代突入、誕生日ケーキのろうそく多すぎ", False),
    ("息子が帰省してきた。もう28歳、早いなぁ", False),  # hard
    ("娘の結納が無事終わりました", False),
    ("大学3年の娘、就活始まった", False),  # hard
    ("大学生の息子の一人暮らしの部屋、見に行ってきた", False),  # hard
    ("同窓会で恩師に再会、先生もう80歳", False),
    ("高校の同級生と久しぶりに飲んだ🍻", False),
    ("PTAの役員会、長引いた…", False),  # hard
    ("中学で数学教えてます。今日の板書、我ながらきれい", False),  # hard
    ("大学院の修了式、スーツで記念撮影", False),
    ("祖母が米寿を迎えました", False),
    ("定年退職した父、家庭菜園にハマってる", False),
    ("孫が成人して、やっと一緒にお酒を飲めるようになった", False),  # hard
    ("娘が教習所卒業して免許取った！もう20歳だもんね", False),  # hard
    # --- False: 「ベイビー」呼び・大人のきょうだい ---
    ("弟ももう社会人3年目、スーツ姿が板についてきた", False),
    ("兄の結婚式でスピーチした、緊張した", False),
    ("うちのベイビー（夫）がまた寝坊した", False),  # hard
    ("姉（35）と温泉旅行♨️", False),
    # --- False: 学校モチーフの商品など ---
    ("大人ランドセル買った、通勤に使ってる", False),  # hard
    ("お子様ランチ、大人も頼めるお店見つけた", False),  # hard
    ("ガチャガチャのミニランドセル、かわいい", False),  # hard
    ("給食の揚げパン再現してみた、懐かしい味", False),
    ("小学生用の漢字ノート、大人の書き取り練習にちょうどいい", False),
    # --- False: 慣用句・比喩 ---
    ("韓国語の勉強、まだ第一歩を踏み出したばかり", False),
    ("新しいアプリ、まだよちよち歩きの段階です", False),  # hard
    ("子ども騙しのキャンペーンにうんざり", False),
    ("心はいつまでも少年です", False),  # hard
    ("まだ駆け出しのデザイナーです、よろしくお願いします", False),
    ("赤子の手をひねるようなもんだった", False),
    ("三つ子の魂百まで、ってほんとだな", False),
    ("新人研修、まさに入学式みたいな雰囲気だった", False),  # hard
    # --- False: 年齢に見える数字 ---
    ("A5ランクの和牛いただきました🤤", False),
    ("iOS 17にアップデートしたら重くなった", False),
    ("ホテルの15階の部屋、夜景が最高", False),
    ("勤続16年目に突入しました", False),
    ("型番U-15のフィルター、在庫ありますか？", False),  # hard
    ("5号サイズのケーキ予約した", False),
    ("ドラクエ、やっとレベル13", False),
    ("国道16号、渋滞ひどい", False),
    # --- False: 昔の思い出・大人の子ども時代の写真 ---
    ("小学生のころ、この公園で毎日遊んでたなぁ", False),
    ("12歳のとき初めて行った東京タワー、今日また来た", False),  # hard
    ("父の七五三の写真、昭和っぽくて好き", False),  # hard
    ("中学の卒アル出てきた、髪型やばい笑", False),  # hard
    ("実家の押し入れから親父の学生時代のアルバムが出てきた", False),
    ("昔ここで少年野球やってたんだよね", False),  # hard
    # --- False: 一般的な話題（今18歳未満の人物なし） ---
    ("子ども服売り場でセールやってた", False),
    ("おもちゃ屋でプラモデル大人買いした", False),
    ("母校の小学校が廃校になるらしい", False),
    ("少子化のニュース見てため息", False),
    ("運動会シーズンで近所の道が混んでる", False),  # hard
)
