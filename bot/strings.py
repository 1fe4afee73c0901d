"""Every sentence a user reads, in English and Japanese, in one place.

``t(key, lang, **params)`` formats one; an unknown language falls back to English, an unknown key
raises (a test walks every key in both languages). Messages about blocked images stay general on
purpose: they must not teach anyone how to get past the filter.
"""

from __future__ import annotations

import string
from typing import Any

LANGS = ("en", "ja")

# Sentences that are never shown in a channel: notes for operators (the log, ``miru doctor``, an
# admin's home view), the integration API's errors (for developers) and the HTTP listeners'
# answers. Every other key may reach people in a channel, so it names no setting, environment
# variable, operator command, file path or internal field (tests/unit/test_strings.py scans).
NOT_IN_CHANNEL = ("operator.", "api.", "http.", "error.listen")

MESSAGES: dict[str, dict[str, str]] = {
    # Rejections at ingest
    "reject.generic": {
        "en": "I couldn't use {name} as an image.",
        "ja": "{name} を画像として読み込めませんでした。",
    },
    "reject.format": {
        "en": "{name} is not an image I can read (JPEG, PNG, WebP, GIF or HEIC).",
        "ja": "{name} は対応していない形式です（JPEG・PNG・WebP・GIF・HEIC に対応しています）。",
    },
    "reject.empty": {
        "en": "{name} is empty.",
        "ja": "{name} は空のファイルです。",
    },
    "reject.too_large": {
        "en": "{name} is too large ({size_mb:.1f} MB; the limit is {limit_mb:.0f} MB).",
        "ja": "{name} は大きすぎます（{size_mb:.1f} MB、上限は {limit_mb:.0f} MB）。",
    },
    "reject.too_many_pixels": {
        "en": "{name} has too many pixels ({megapixels:.0f} MP; the limit is {limit_mp:.0f} MP).",
        "ja": "{name} の画素数が多すぎます（{megapixels:.0f} MP、上限は {limit_mp:.0f} MP）。",
    },
    "reject.too_many_total_pixels": {
        "en": "{name} has too many frames to check ({frames} frames, {megapixels:.0f} MP in all; "
              "the limit is {limit_mp:.0f} MP).",
        "ja": "{name} はフレームが多すぎて確認できません（{frames} フレーム、合計 {megapixels:.0f} MP、"
              "上限は {limit_mp:.0f} MP）。",
    },
    "reject.corrupt": {
        "en": "{name} looks damaged or incomplete, so I couldn't read it. Try uploading it again.",
        "ja": "{name} は壊れているか途中までしかないため読み込めませんでした。もう一度アップロードしてください。",
    },
    "reject.decode_limit": {
        "en": "{name} took too long or too much memory to open, so I stopped.",
        "ja": "{name} を開くのに時間かメモリがかかりすぎたため中止しました。",
    },
    "reject.too_many_files": {
        "en": "I use at most {limit} files per message, so I skipped {name}.",
        "ja": "1 つのメッセージで扱えるファイルは {limit} 件までのため、{name} は使いませんでした。",
    },
    "reject.no_images": {
        "en": "None of the files could be used as images.",
        "ja": "画像として使えるファイルがありませんでした。",
    },
    # Verdicts
    "verdict.blocked": {
        "en": "I can't process this image: it doesn't meet the content policy for this workspace.",
        "ja": "この画像は、このワークスペースのコンテンツポリシーに合わないため処理できません。",
    },
    "verdict.held": {
        "en": "This image was sent to the moderators for review. I'll leave it there for now.",
        "ja": "この画像はモデレーターの確認待ちになりました。確認が終わるまで処理しません。",
    },
    # Age signals on review cards and `miru review show` (bot/review/signals.py)
    "review.signals_title": {"en": "Age signals", "ja": "年齢のシグナル"},
    "review.signals_none": {"en": "none", "ja": "なし"},
    "review.signal_line": {"en": "{signal} “{label}” from {source}",
                           "ja": "{signal}「{label}」（{source}）"},
    "review.signals_more": {"en": "… and {n} more", "ja": "…ほか {n} 件"},
    "review.signal.minor_cue": {"en": "minor cue", "ja": "未成年の手がかり"},
    "review.signal.minor_audience": {"en": "channel for minors", "ja": "未成年向けチャンネル"},
    "review.signal.minor_age_estimate": {"en": "age estimate", "ja": "推定年齢"},
    "review.signal.minor_model": {"en": "model's yes", "ja": "モデルの判定"},
    "review.signal.other": {"en": "minor signal", "ja": "未成年のシグナル"},
    "review.source.message": {"en": "the message", "ja": "メッセージ"},
    "review.source.turn": {"en": "an earlier turn", "ja": "スレッドの前の発言"},
    "review.source.image_text": {"en": "text in an image", "ja": "画像の中の文字"},
    "review.source.channel": {"en": "the channel's audience", "ja": "チャンネルの対象"},
    "review.source.estimate": {"en": "a face in image {image}", "ja": "画像 {image} の顔"},
    "review.source.model": {"en": "the model's answer", "ja": "モデルの回答"},
    "review.under_review": {
        "en": "This image was sent to the moderators for review (case {case}). I'll tell you here when they have decided.",
        "ja": "この画像はモデレーターの確認待ちになりました（ケース {case}）。結果が出たらここでお知らせします。",
    },
    "operator.under_review": {
        "en": "This image was sent to the moderators for review (case {case}). The command line is not told their decision: miru review show {case} shows it.",
        "ja": "この画像はモデレーターの確認待ちになりました（ケース {case}）。結果はコマンドラインには届きません。miru review show {case} で確認できます。",
    },
    "operator.not_preserved": {
        "en": "{name} could not be screened: its verdict needs the evidence kept, and it could be kept nowhere (the review queue in Redis and the quarantine folder both failed). No verdict is given; try again when they work (miru doctor).",
        "ja": "{name} を判定できませんでした。この判定には証拠の保全が必要ですが、保全できませんでした（Redis のレビューキューと隔離フォルダの両方が失敗）。判定は返しません。復旧後にもう一度お試しください（miru doctor）。",
    },
    "api.under_review": {
        "en": "This image was sent to the moderators for review (case {case}). Their decision is not sent in this answer: GET /v1/cases shows it, and a case.decided webhook event announces it.",
        "ja": "この画像はモデレーターの確認待ちになりました（ケース {case}）。結果はこの応答には含まれません。GET /v1/cases で確認でき、webhook の case.decided イベントでも通知されます。",
    },
    "review.not_moderator": {
        "en": "Only this workspace's moderators can act on review cards. (Your attempt was logged.)",
        "ja": "レビューカードを操作できるのはこのワークスペースのモデレーターだけです。（この操作は記録されました。）",
    },
    "review.other_workspace": {
        "en": "Case {case} belongs to another workspace: only its own moderators can act on it. (Your attempt was logged.)",
        "ja": "ケース {case} は別のワークスペースのものです。操作できるのはそのワークスペースのモデレーターだけです。（この操作は記録されました。）",
    },
    "review.gone": {
        "en": "Case {case} is no longer available (expired, purged, or lost). Nothing was decided.",
        "ja": "ケース {case} はもうありません（期限切れ・削除済み・消失）。何も決定されていません。",
    },
    "review.already": {
        "en": "Case {case} was already {status} by {by} at {at}. Nothing changed.",
        "ja": "ケース {case} は {at} に {by} が既に {status} にしています。変更はありません。",
    },
    "review.decided": {
        "en": "Case {case}: {status} by {by} at {at}.",
        "ja": "ケース {case}：{at} に {by} が {status} にしました。",
    },
    "review.cannot_approve": {
        "en": "Case {case} may involve child abuse or matched a hash list: it can be rejected or escalated, never approved. The reporting guide says what to do next.",
        "ja": "ケース {case} は児童虐待の可能性またはハッシュリスト一致のため、承認できません（却下またはエスカレーションのみ）。次の対応は通報の手引きを参照してください。",
    },
    "review.no_reveal": {
        "en": "Case {case} has no preview: preserved evidence is never shown.",
        "ja": "ケース {case} にはプレビューがありません。保全された証拠は表示しません。",
    },
    "review.revealed": {
        "en": "Case {case}: a copy without its metadata is in your direct messages, for you only. It is deleted when the case is decided or purged, and this view was logged.",
        "ja": "ケース {case}：メタデータを除いたコピーをあなたのダイレクトメッセージに送りました（あなたにだけ見えます）。ケースの決定または削除とともに消去されます。この閲覧は記録されました。",
    },
    "review.reveal_decided": {
        "en": "Case {case} was already decided: Reveal shows only cases that wait for a decision.",
        "ja": "ケース {case} は既に決定済みです。表示できるのは決定待ちのケースだけです。",
    },
    "review.reveal_limit": {
        "en": "Case {case}: enough copies of it are out already (they are deleted when the case is decided). Nothing was sent.",
        "ja": "ケース {case}：既に十分な数のコピーが送られています（ケースの決定とともに消去されます）。何も送っていません。",
    },
    "review.reveal_unreadable": {
        "en": "Case {case}: the image could not be prepared without its metadata, so nothing was sent.",
        "ja": "ケース {case}：メタデータを除いた画像を用意できなかったため、何も送っていません。",
    },
    "review.reveal_dm_failed": {
        "en": "Case {case}: I could not send you a direct message (allow direct messages from this server or workspace), so nothing was revealed.",
        "ja": "ケース {case}：ダイレクトメッセージを送れなかったため、何も表示していません（このサーバー／ワークスペースからの DM を許可してください）。",
    },
    "review.outcome_approved": {
        "en": "A moderator approved your image (case {case}); here is the answer.",
        "ja": "モデレーターが画像を承認しました（ケース {case}）。回答をお送りします。",
    },
    "review.outcome_rejected": {
        "en": "A moderator decided that your image (case {case}) can't be processed. You can appeal once with /miru appeal {case}.",
        "ja": "モデレーターの判断により、画像（ケース {case}）は処理できません。/miru appeal {case} で一度だけ再審査を求められます。",
    },
    "review.outcome_rejected_delete": {
        "en": "A moderator decided that your image (case {case}) can't be processed. Please delete it from this channel ({platform} does not let bots delete others' files); workspace admins may remove it too. You can appeal once with /miru appeal {case}.",
        "ja": "モデレーターの判断により、画像（ケース {case}）は処理できません。このチャンネルから削除してください（{platform} ではボットが他の人のファイルを削除できません）。ワークスペース管理者が削除することもあります。/miru appeal {case} で一度だけ再審査を求められます。",
    },
    "review.outcome_closed": {
        "en": "A moderator decided that your image can't be processed.",
        "ja": "モデレーターの判断により、画像は処理できません。",
    },
    "review.appeal_ok": {
        "en": "Case {case} is back with the moderators. You'll hear the outcome here.",
        "ja": "ケース {case} をモデレーターの再審査に戻しました。結果はここでお知らせします。",
    },
    "review.appeal_refused": {
        "en": "Case {case} can't be appealed ({why}).",
        "ja": "ケース {case} は再審査を求められません（{why}）。",
    },
    "review.appeal_usage": {
        "en": "Usage: /miru appeal CASE (the case id from Miru's message).",
        "ja": "使い方：/miru appeal ケースID（Miru のメッセージに書かれたケースID）",
    },
    "verdict.consent": {
        "en": "This image shows people. Before I look at it: did everyone shown agree to it being shared?",
        "ja": "この画像には人が写っています。処理する前に確認させてください。写っている全員が共有に同意していますか？",
    },
    "verdict.consent_confirm": {"en": "Everyone shown agreed", "ja": "全員が同意しています"},
    "verdict.consent_cancel": {"en": "Cancel", "ja": "キャンセル"},
    "discord.thread_name": {"en": "Miru", "ja": "Miru"},
    "slack.team_not_allowed": {
        "en": "Miru is not enabled for your workspace or organisation here. Ask this workspace's admins.",
        "ja": "ここではあなたのワークスペース（組織）で Miru を利用できません。このワークスペースの管理者に確認してください。",
    },
    "discord.consent_not_yours": {
        "en": "Only the person who posted the image can answer this.",
        "ja": "この確認には画像を投稿した人だけが答えられます。",
    },
    "verdict.consent_cancelled": {
        "en": "Cancelled. I didn't look at the image.",
        "ja": "キャンセルしました。画像は処理していません。",
    },
    "verdict.consent_expired": {
        "en": "That request has expired. Please post the image again.",
        "ja": "このリクエストは期限切れです。もう一度画像を投稿してください。",
    },
    "verdict.blurred_note": {
        "en": "(Faces were blurred before I looked at the image.)",
        "ja": "（画像を見る前に顔をぼかしました。）",
    },
    # Fetching
    "fetch.failed": {
        "en": "I couldn't download {name}. Please try posting it again.",
        "ja": "{name} をダウンロードできませんでした。もう一度投稿してください。",
    },
    "fetch.forbidden": {
        "en": "I only open files uploaded to this workspace, not links to other sites.",
        "ja": "このワークスペースにアップロードされたファイルだけを開きます。外部サイトへのリンクは開きません。",
    },
    "fetch.missing_scope": {
        "en": "I'm not allowed to open files in this workspace yet. The people who run Miru can "
        "fix this; please try again later.",
        "ja": "このワークスペースではまだファイルを開けません。Miru の管理者が対応できます。"
        "しばらくしてからもう一度お試しください。",
    },
    "fetch.not_image": {
        "en": "{name} isn't an image, so I skipped it.",
        "ja": "{name} は画像ではないためスキップしました。",
    },
    # Engines
    "engine.failed": {
        "en": "Something went wrong while I was looking at the image. Please try again in a moment.",
        "ja": "画像の処理中に問題が発生しました。少し待ってからもう一度お試しください。",
    },
    "engine.unavailable": {
        "en": "I can only read the text in images right now, not describe pictures.",
        "ja": "いまは画像内の文字を読み取ることしかできず、写っているものは説明できません。",
    },
    "engine.busy": {
        "en": "The vision model is busy or not answering right now. Please try again in a minute.",
        "ja": "画像認識モデルが混み合っているか応答しません。1分ほどしてからもう一度お試しください。",
    },
    "engine.empty": {
        "en": "The vision model gave no answer. Please rephrase the question or try again.",
        "ja": "画像認識モデルから回答がありませんでした。質問を言い換えるか、もう一度お試しください。",
    },
    "engine.cut_short": {
        "en": "(The answer was cut short: the vision model stopped part-way. Ask again for the "
              "rest.)",
        "ja": "（画像認識モデルが途中で止まったため、回答はここまでです。続きはもう一度質問してください。）",
    },
    "engine.ocr_header": {"en": "Text in the image:", "ja": "画像内の文字:"},
    "engine.ocr_none": {
        "en": "I couldn't find any readable text in the image.",
        "ja": "画像内に読み取れる文字は見つかりませんでした。",
    },
    "engine.ocr_image": {"en": "Image {n}:", "ja": "画像{n}:"},
    # OCR-only answers (no vision model): bot/vision/ocr_engine.py
    "ocr.no_model": {
        "en": "(I read the text in the image; I can't describe pictures right now.)",
        "ja": "（画像内の文字を読み取って答えています。いまは写真に写っているものは説明できません。）",
    },
    "ocr.lines_header": {"en": "From the text in the image:", "ja": "画像内の文字から:"},
    "ocr.no_match": {
        "en": "I found nothing about that in the text I could read in the image.",
        "ja": "画像から読み取れた文字の中に、その質問に当てはまるものは見つかりませんでした。",
    },
    "ocr.full_hint": {
        "en": "(Ask for \"full text\" to see everything I read.)",
        "ja": "（読み取った文字をすべて見るには「全文」と送ってください。）",
    },
    "ocr.other_language": {
        "en": "Right now I can match questions only in Japanese or English, so here is all the "
              "text I read.",
        "ja": "いまは日本語と英語の質問にだけ対応しているため、読み取った文字をすべて示します。",
    },
    "ocr.field_total": {"en": "Total", "ja": "合計"},
    "ocr.field_date": {"en": "Date", "ja": "日付"},
    "ocr.field_merchant": {"en": "Shop", "ja": "店名"},
    "ocr.field_tax": {"en": "Tax", "ja": "消費税"},
    "ocr.field_invoice_number": {"en": "Registration number", "ja": "登録番号"},
    "ocr.field_missing": {
        "en": "I couldn't read the {field} on this receipt.",
        "ja": "このレシートの{field}は読み取れませんでした。",
    },
    "ocr.invoice_check_failed": {
        "en": "(its check digit does not match: it may be misread or invalid)",
        "ja": "（検査用の数字が合わないため、読み違いか無効な番号の可能性があります）",
    },
    "ocr.receipt_unreadable": {
        "en": "This receipt is too blurred, dark or small for me to read its fields. Please "
              "take the photo again, closer and in good light.",
        "ja": "このレシートはぼやけている・暗い・小さいため項目を読み取れません。明るい場所で近づいて"
              "撮り直してください。",
    },
    "engine.working": {"en": "Looking at the image…", "ja": "画像を確認しています…"},
    # Operator notes (one line each: the log, `miru doctor`, an admin's home view) when the vision
    # model cannot be used and OCR answers instead. Never shown in a channel.
    "operator.hub_unreachable": {
        "en": "miru: the vision model {model} is not downloaded and the model hub ({endpoint}) "
              "cannot be reached, so answers come from the text read in the image (OCR)",
        "ja": "miru: 画像認識モデル {model} がダウンロードされておらず、モデルハブ ({endpoint}) にも"
              "接続できないため、画像内の文字 (OCR) から回答します",
    },
    "operator.model_not_cached": {
        "en": "miru: offline mode is on and the vision model MIRU_VLM_MODEL={model} is not in the "
              "local cache, so answers come from the text read in the image (OCR)",
        "ja": "miru: オフラインモードで、画像認識モデル MIRU_VLM_MODEL={model} がローカルの"
              "キャッシュにないため、画像内の文字 (OCR) から回答します",
    },
    "operator.model_failed": {
        "en": "miru: the vision model MIRU_VLM_MODEL={model} (revision {revision}) could not be "
              "loaded ({detail}), so answers come from the text read in the image (OCR)",
        "ja": "miru: 画像認識モデル MIRU_VLM_MODEL={model} (リビジョン {revision}) を読み込めません"
              "でした ({detail})。画像内の文字 (OCR) から回答します",
    },
    # The one fix for a vision model that is not there: the log line and `miru doctor` both say
    # it (bot/vision/factory.py ModelSource.fix), so the two can never disagree.
    "operator.fix_pull": {
        "en": "run `miru models pull {model}` on a machine with internet access (or copy its "
              "Hugging Face cache here), then restart",
        "ja": "インターネットに接続できるマシンで `miru models pull {model}` を実行し（または Hugging "
              "Face のキャッシュをこのマシンにコピーし）、再起動してください",
    },
    "operator.fix_offline": {
        "en": "; or set MIRU_OFFLINE=1 to skip this check (Miru then starts at once with OCR "
              "answers, and `miru doctor` only warns)",
        "ja": "。または MIRU_OFFLINE=1 でこの確認を省略します（Miru はすぐに OCR の回答で起動し、"
              "`miru doctor` は警告だけになります）",
    },
    "operator.fix_model_id": {
        "en": "fix the model id (MIRU_VLM_MODEL), or ",
        "ja": "モデル ID (MIRU_VLM_MODEL) を直すか、",
    },
    # Memory and commands
    "store.unavailable": {
        "en": "I can't work right now. Please try again shortly.",
        "ja": "現在処理できません。しばらくしてからもう一度お試しください。",
    },
    "quota.user": {
        "en": "You've reached today's limit of {limit} images with Miru in this workspace. "
              "It resets at {reset}.",
        "ja": "このワークスペースで今日使える画像の上限（{limit}枚）に達しました。{reset} にリセットされます。",
    },
    "quota.workspace": {
        "en": "This workspace has reached today's limit of {limit} images with Miru. "
              "It resets at {reset}; an admin can move the workspace to a larger plan.",
        "ja": "このワークスペースは今日の画像の上限（{limit}枚）に達しました。{reset} にリセットされます。"
              "管理者はより大きなプランに変更できます。",
    },
    "quota.concurrent": {
        "en": "You already have {limit} request(s) in progress. Please wait for an answer, "
              "then try again.",
        "ja": "処理中のリクエストがすでに{limit}件あります。回答を待ってからもう一度お試しください。",
    },
    # Integration API (bot/api; docs/api.md): the "message" of its JSON errors
    "api.unauthorized": {
        "en": "A valid API key is required: send the header Authorization: Bearer KEY.",
        "ja": "有効な API キーが必要です。Authorization: Bearer KEY ヘッダーを送ってください。",
    },
    "api.forbidden": {
        "en": "This API key may not use {scope} (its scopes: {scopes}).",
        "ja": "この API キーでは {scope} を使えません（使える範囲: {scopes}）。",
    },
    "api.unsupported_type": {
        "en": "Send the request as multipart/form-data (it was {type}).",
        "ja": "リクエストは multipart/form-data で送ってください（受け取った形式: {type}）。",
    },
    "api.too_large": {
        "en": "The request is too large ({size} bytes; the limit is {limit} bytes).",
        "ja": "リクエストが大きすぎます（{size} バイト、上限は {limit} バイト）。",
    },
    "api.too_many_images": {
        "en": "Too many images ({count}; at most {limit} per request).",
        "ja": "画像が多すぎます（{count} 枚、1 回のリクエストにつき {limit} 枚まで）。",
    },
    "api.no_image": {
        "en": "Send at least one file in a form field named image.",
        "ja": "image という名前のフォーム項目でファイルを 1 つ以上送ってください。",
    },
    "api.bad_form": {
        "en": "The form could not be read ({detail}).",
        "ja": "フォームを読み取れませんでした（{detail}）。",
    },
    "api.unknown_field": {
        "en": "Unknown form field {field} (known: {known}).",
        "ja": "不明なフォーム項目 {field} です（使える項目: {known}）。",
    },
    "api.field_too_long": {
        "en": "The form field {field} is too long (at most {limit} bytes).",
        "ja": "フォーム項目 {field} が長すぎます（{limit} バイトまで）。",
    },
    "api.bad_value": {
        "en": "{field} must be {expected}.",
        "ja": "{field} には {expected} を指定してください。",
    },
    "api.not_found": {
        "en": "There is nothing at {path}; the routes are listed in /v1/openapi.json.",
        "ja": "{path} は存在しません。使えるパスは /v1/openapi.json にあります。",
    },
    "api.method_not_allowed": {
        "en": "{method} is not allowed on {path} (allowed: {allowed}).",
        "ja": "{path} では {method} は使えません（使えるもの: {allowed}）。",
    },
    "api.too_many_failures": {
        "en": "Too many requests with a missing or invalid API key came from your address; try "
              "again in {retry} seconds with a valid key.",
        "ja": "あなたのアドレスから API キーがない、または無効なリクエストが多すぎます。{retry} 秒後に有効なキーで"
              "もう一度お試しください。",
    },
    "api.idempotency_mismatch": {
        "en": "This {header} was used for another request; use a new key for a new request.",
        "ja": "この {header} は別のリクエストで使われています。新しいリクエストには新しいキーを使ってください。",
    },
    "api.idempotency_in_progress": {
        "en": "A request with this {header} is still running; ask again when it has finished.",
        "ja": "この {header} のリクエストはまだ処理中です。終わってからもう一度お試しください。",
    },
    "api.receipts_off": {
        "en": "Receipts are off on this workspace's plan.",
        "ja": "このワークスペースのプランではレシート読み取りは無効です。",
    },
    "api.no_review": {
        "en": "The review queue is not available on this server.",
        "ja": "このサーバーではレビューキューを利用できません。",
    },
    # HTTP listeners (bot/ops/listen.py): every one of them
    "error.listen": {
        "en": "cannot listen on {host}:{port}: {reason}",
        "ja": "{host}:{port} で待ち受けできません: {reason}",
    },
    "http.busy": {
        "en": "Too many connections are open; try again in a moment.",
        "ja": "接続が多すぎます。少し待ってからもう一度お試しください。",
    },
    "http.body_timeout": {
        "en": "The request body did not arrive in time; send it again.",
        "ja": "リクエスト本文が時間内に届きませんでした。もう一度送ってください。",
    },
    "store.no_memory": {
        "en": "(I can't remember this thread right now, so follow-ups may lack context.)",
        "ja": "（現在このスレッドの内容を記憶できないため、続けての質問では前の内容を参照できない場合があります。）",
    },
    # `/miru help` (bot/core/help.py): an intro, then one line per command; the platform's own
    # lines (how to ask, where the settings are) by what its adapter says it has
    "cmd.help": {
        "en": "Mention me with an image and a question, and I'll answer in the thread; "
              "follow-ups in that thread need no mention. Commands:",
        "ja": "画像と質問を添えてメンションすると、スレッドで回答します。同じスレッドでの続けての質問には"
              "メンションは不要です。コマンド:",
    },
    "help.ask_mention": {
        "en": "• Ask: mention @Miru with one or more images and your question.",
        "ja": "• 質問: 画像（複数可）と質問を添えて @Miru にメンションします。",
    },
    "help.ask_command": {
        "en": "• `/miru ask image: question:`: ask about an image (or mention @Miru with it).",
        "ja": "• `/miru ask image: question:`: 画像について質問します（画像を添えて @Miru にメンションしても同じです）。",
    },
    "help.receipts": {
        "en": "• `/miru receipts`: start an expense thread here; post receipt photos in it and I "
              "keep a ledger (reply to correct a field; “summary” sums it up).",
        "ja": "• `/miru receipts`: ここに経費スレッドを作ります。レシートの写真を投稿すると台帳に記録します"
              "（返信で訂正、「集計」で合計）。",
    },
    "help.history": {
        "en": "• `/miru history on|off`: keep your conversations or not (`/miru history` says "
              "what is kept).",
        "ja": "• `/miru history on|off`: 会話を記憶するかどうか（`/miru history` で保存内容を表示）。",
    },
    "help.lang": {
        "en": "• `/miru lang ja|en`: answer you in Japanese or English (asking “in Japanese” in a "
              "message works too).",
        "ja": "• `/miru lang ja|en`: 回答の言語を日本語か英語にします（メッセージで「英語で」と頼むこともできます）。",
    },
    "help.forget": {
        "en": "• `/miru forget`: delete your thread memory and cached images now.",
        "ja": "• `/miru forget`: あなたのスレッドの記憶とキャッシュした画像をすぐに削除します。",
    },
    "help.appeal": {
        "en": "• `/miru appeal CASE`: send an image the moderators rejected back to them, once.",
        "ja": "• `/miru appeal ケースID`: モデレーターに却下された画像の再審査を一度だけ求めます。",
    },
    "help.settings_home": {
        "en": "• Your settings and today's use: open Miru's Home tab (Miru in the sidebar → Home).",
        "ja": "• 設定と今日の利用状況: Miru のホームタブ（サイドバーの Miru → ホーム）を開きます。",
    },
    "help.settings_command": {
        "en": "• `/miru settings`: your settings and today's use (only you see them).",
        "ja": "• `/miru settings`: あなたの設定と今日の利用状況（あなたにだけ表示）。",
    },
    "help.help": {
        "en": "• `/miru help`: this list.",
        "ja": "• `/miru help`: この一覧。",
    },
    "help.admin": {
        "en": "• `/miru admin`: (admins) show or change who may use Miru where.",
        "ja": "• `/miru admin`: （管理者）Miru を使える人と場所を表示・変更します。",
    },
    "cmd.settings_home": {
        "en": "Your settings and today's use are on Miru's Home tab: open Miru in the sidebar, "
              "then Home.",
        "ja": "設定と今日の利用状況は Miru のホームタブにあります。サイドバーの Miru を開き、"
              "ホームを選んでください。",
    },
    # `/miru receipts` (bot/core/receipt_start.py)
    "receipts.thread_root": {
        "en": "🧾 Expense thread started by {user}. Post receipt photos in this thread.",
        "ja": "🧾 {user} さんが経費スレッドを始めました。このスレッドにレシートの写真を投稿してください。",
    },
    "receipts.command_started": {
        "en": "Done: the expense thread is the message I just posted here; post receipts in its "
              "thread.",
        "ja": "経費スレッドを作りました。いま投稿したメッセージのスレッドにレシートを投稿してください。",
    },
    "receipts.off_plan": {
        "en": "Expense threads are not part of this workspace's plan.",
        "ja": "このワークスペースのプランには経費スレッドが含まれていません。",
    },
    "receipts.no_channel": {
        "en": "Start an expense thread in a channel, not in a direct message.",
        "ja": "経費スレッドは DM ではなくチャンネルで始めてください。",
    },
    "cmd.forgot": {
        "en": "Done: I deleted your thread memory and cached images ({count} items).",
        "ja": "削除しました。あなたのスレッドの記憶とキャッシュした画像（{count} 件）を消去しました。",
    },
    "cmd.lang_set": {
        "en": "OK, I'll answer you in English.",
        "ja": "これから日本語で回答します。",
    },
    "cmd.unknown": {
        "en": "I don't know that command. Try `/miru help`.",
        "ja": "そのコマンドは分かりません。`/miru help` をお試しください。",
    },
    "cmd.lang_usage": {
        "en": "Usage: `/miru lang ja` or `/miru lang en`.",
        "ja": "使い方: `/miru lang ja` または `/miru lang en`",
    },
    # History on/off (``/miru history``, the policy's ``history``)
    "cmd.history_usage": {
        "en": "Usage: `/miru history` (show the setting), `/miru history off` (keep nothing of "
              "your conversations) or `/miru history on`.",
        "ja": "使い方: `/miru history`（現在の設定を表示）、`/miru history off`（会話を記憶しない）"
              "または `/miru history on`",
    },
    "cmd.history_on": {
        "en": "History is on for you: in a thread I answered, I keep the questions and answers "
              "for {turns_days} days after the last one and the images for {images_days} days, "
              "so follow-ups need no mention or new upload. `/miru history off` keeps nothing "
              "from now on; `/miru forget` deletes what is kept now.",
        "ja": "記憶はオンです: 回答したスレッドの質問と回答を最後の投稿から {turns_days} 日、画像を "
              "{images_days} 日保存するため、続けての質問にはメンションも画像の再投稿も不要です。"
              "`/miru history off` で今後は何も保存しません。`/miru forget` で保存済みの内容を削除します。",
    },
    "cmd.history_off": {
        "en": "History is off for you: I keep none of your questions, answers or images, and no "
              "note of the threads I answered; each message stands alone, so for a follow-up "
              "mention me with the image again. The audit log still records each decision "
              "(pseudonymous ids, image hashes, verdicts; no text, no images). Anything kept "
              "before expires on its own (questions and answers after {turns_days} days, images "
              "after {images_days} days); `/miru forget` deletes it now. `/miru history on` "
              "turns keeping back on.",
        "ja": "記憶はオフです: あなたの質問・回答・画像も、回答したスレッドの記録も保存しません。"
              "メッセージは 1 件ずつ独立して扱うため、続けて質問するときは画像を添えてもう一度メンション"
              "してください。監査ログには判定の記録（仮名化した ID・画像のハッシュ・判定。本文や画像は"
              "含みません）が残ります。以前に保存した内容は期限（質問と回答は {turns_days} 日、画像は "
              "{images_days} 日）で消えます。`/miru forget` ですぐに削除できます。"
              "`/miru history on` で記憶を再開します。",
    },
    "cmd.history_channel_off": {
        "en": "In this channel nothing is kept for anyone anyway: its policy has history off.",
        "ja": "なお、このチャンネルはポリシーで記憶がオフになっているため、誰の会話も保存しません。",
    },
    "history.off_no_image": {
        "en": "History is off here, so I didn't keep the image from earlier. Please mention me "
              "with the image again, together with your question.",
        "ja": "記憶がオフのため、前の画像は保存していません。質問と一緒に画像を添えて、もう一度"
              "メンションしてください。",
    },
    "history.off_note": {
        "en": "(History is off: I kept nothing of this. For a follow-up, mention me with the "
              "image again.)",
        "ja": "（記憶はオフです: この内容は保存していません。続けて質問するときは画像を添えて"
              "もう一度メンションしてください。）",
    },
    "history.stored_left_out": {
        "en": "(I used the {used} most recent images of this thread; the {left} older ones were "
              "left out. To ask about one of them, post it again.)",
        "ja": "（このスレッドの画像のうち新しい {used} 枚を使いました。古い {left} 枚は使って"
              "いません。その画像について聞くときは、もう一度投稿してください。）",
    },
    "ask.no_image": {
        "en": "Please attach an image with your question.",
        "ja": "質問と一緒に画像を添付してください。",
    },
    # Quality hints
    "quality.small": {
        "en": "The image is small ({width}×{height}); small text may be misread. Fill the frame with "
        "what you want read.",
        "ja": "画像が小さい（{width}×{height}）ため、小さな文字を読み違えるおそれがあります。"
        "読みたいものを画面いっぱいに写してください。",
    },
    "quality.blurry": {
        "en": "The image looks blurred. Hold still (or rest your elbows) and tap to focus before "
        "taking it.",
        "ja": "画像がぼやけています。カメラを固定し、ピントを合わせてから撮影してください。",
    },
    "quality.dark": {
        "en": "The image is dark. Add light from the front, or move to a brighter spot.",
        "ja": "画像が暗いです。正面から光を当てるか、明るい場所で撮影してください。",
    },
    "quality.glare": {
        "en": "Part of the image is washed out by glare. Tilt the camera a little or avoid direct light.",
        "ja": "光の反射で一部が白く飛んでいます。カメラを少し傾けるか、直接の光を避けてください。",
    },
    "quality.header": {"en": "Tip for a better answer:", "ja": "より良い回答のためのヒント:"},
    # Generic
    "error.generic": {
        "en": "Sorry, something went wrong on my side. Please try again.",
        "ja": "申し訳ありません、内部で問題が発生しました。もう一度お試しください。",
    },
    "jobs.unserved": {
        "en": "Sorry, I could not get to this request in time, so it was not answered. "
              "Please ask again.",
        "ja": "申し訳ありません、時間内にこのリクエストを処理できず、回答できませんでした。"
              "もう一度お試しください。",
    },
    "engine.truncated": {
        "en": "(The answer was cut short here: it was too long.)",
        "ja": "（回答が長すぎるため、ここで打ち切りました。）",
    },
    "error.delivery": {
        "en": "I had an answer but couldn't post it here. Please try again in a moment.",
        "ja": "回答は用意できましたが、ここに投稿できませんでした。少し時間をおいてもう一度お試しください。",
    },
    "error.config": {
        "en": "Part of my set-up needs fixing, so I can't do this right now. The people who run "
              "Miru can see why; please try again later.",
        "ja": "Miru の準備に直す必要のある所があるため、いまは対応できません。Miru の管理者が原因を"
              "確認できます。しばらくしてからもう一度お試しください。",
    },
    "privacy.cleaned": {
        "en": "Here is the image with its metadata (location, camera details) removed.",
        "ja": "メタデータ（位置情報・カメラ情報）を削除した画像です。",
    },
    "privacy.cleaned_blurred": {
        "en": "Here is the image with its metadata removed and faces pixelated.",
        "ja": "メタデータを削除し、顔にモザイクをかけた画像です。",
    },
    # Expense-receipt threads (bot/receipts)
    "receipts.started": {
        "en": "This is now an expense thread. Post receipt photos here and I will read each one into a ledger. Reply to correct a field (“total 1280”, “category 交通費”, “date 2026-11-20”, “#2 payment cash”), or say “summary”, “undo” or “remove N”.",
        "ja": "このスレッドを経費スレッドにしました。レシートの写真を投稿すると読み取って台帳に記録します。項目の訂正は返信で（「合計 1280円」「科目 交通費」「日付 2026-11-20」「#2 支払い 現金」）、ほかに「集計」「取り消し」「削除 N」が使えます。",
    },
    "receipts.already": {
        "en": "This thread is already an expense thread ({count} receipts so far).",
        "ja": "このスレッドはすでに経費スレッドです（現在 {count} 件）。",
    },
    "receipts.card_head": {"en": "Receipt #{n}", "ja": "レシート #{n}"},
    "receipts.check_field": {
        "en": "Check {field}: the vision model read “{value}”.",
        "ja": "{field}を確認してください（画像モデルの読み取り:「{value}」）。",
    },
    "receipts.unsure_legend": {
        "en": "⚠ = not sure, please check; reply to correct.",
        "ja": "⚠ は読み取りに自信のない項目です。確認し、違っていれば返信で訂正してください。",
    },
    "receipts.not_found": {"en": "not found", "ja": "読み取れず"},
    "receipts.field.merchant": {"en": "Merchant", "ja": "店名"},
    "receipts.field.date": {"en": "Date", "ja": "日付"},
    "receipts.field.total": {"en": "Total", "ja": "合計"},
    "receipts.field.tax": {"en": "Tax", "ja": "消費税"},
    "receipts.field.tax_rate": {"en": "Tax rate", "ja": "税率"},
    "receipts.field.currency": {"en": "Currency", "ja": "通貨"},
    "receipts.field.payment_method": {"en": "Payment", "ja": "支払方法"},
    "receipts.field.category": {"en": "Category", "ja": "科目"},
    "receipts.field.invoice_number": {"en": "Invoice reg. no.", "ja": "登録番号"},
    "receipts.category.transport": {"en": "Transport", "ja": "交通費"},
    "receipts.category.lodging": {"en": "Lodging", "ja": "宿泊費"},
    "receipts.category.entertainment": {"en": "Entertainment", "ja": "交際費"},
    "receipts.category.supplies": {"en": "Supplies", "ja": "備品"},
    "receipts.category.communication": {"en": "Communication", "ja": "通信費"},
    "receipts.category.outsourcing": {"en": "Outsourcing", "ja": "外注費"},
    "receipts.category.misc": {"en": "Miscellaneous", "ja": "雑費"},
    "receipts.category.none": {"en": "Uncategorised", "ja": "未分類"},
    "receipts.payment.cash": {"en": "cash", "ja": "現金"},
    "receipts.payment.credit_card": {"en": "credit card", "ja": "クレジットカード"},
    "receipts.payment.debit_card": {"en": "debit card", "ja": "デビットカード"},
    "receipts.payment.qr_code": {"en": "QR code", "ja": "QRコード決済"},
    "receipts.payment.ic_card": {"en": "IC card", "ja": "交通系・電子マネー"},
    "receipts.payment.other": {"en": "other", "ja": "その他"},
    # What a qualified invoice lacks (bot/receipts/reader.py ``_compliance``): shown by label
    "receipts.requirement.registration_number": {"en": "registration number", "ja": "登録番号"},
    "receipts.requirement.issuer": {"en": "issuer's name", "ja": "発行者名"},
    "receipts.requirement.date": {"en": "date", "ja": "取引年月日"},
    "receipts.requirement.amounts": {"en": "amount", "ja": "取引金額"},
    "receipts.requirement.tax_per_rate": {"en": "tax or rate per tax rate",
                                          "ja": "税率ごとの消費税額または適用税率"},
    "receipts.invoice_noncompliant": {
        "en": "Not a complete qualified invoice (missing: {missing}): only a reduced input tax credit.",
        "ja": "適格請求書の記載事項が不足しています（不足: {missing}）。仕入税額控除は経過措置の範囲に限られます。",
    },
    "receipts.not_receipt": {
        "en": "{name} doesn't look like a receipt, so I didn't add it to the ledger.",
        "ja": "{name} はレシートではないようなので、台帳には追加していません。",
    },
    "receipts.unreadable": {
        "en": "I couldn't read {name} well enough, so nothing was added. Please take the photo again: {tips}",
        "ja": "{name} をうまく読み取れなかったため、追加していません。撮り直してください: {tips}",
    },
    "receipts.retake_generic": {
        "en": "lay the receipt flat in good light, fill the frame with it, and hold the phone steady.",
        "ja": "明るい場所でレシートを平らに置き、画面いっぱいに写して、手ぶれしないように撮ってください。",
    },
    "receipts.retake_blur": {
        "en": "the photo is blurred: hold the phone steady (rest your elbows) and tap the receipt to focus.",
        "ja": "写真がぼやけています。肘を固定して手ぶれを防ぎ、レシートをタップしてピントを合わせてください。",
    },
    "receipts.retake_dark": {
        "en": "the photo is too dark: move to better light or turn on the flash, and avoid your own shadow.",
        "ja": "写真が暗すぎます。明るい場所に移るかフラッシュを使い、自分の影が入らないようにしてください。",
    },
    "receipts.retake_small": {
        "en": "the receipt is too small in the photo: come closer so that it fills the frame.",
        "ja": "レシートの写りが小さすぎます。近づいて画面いっぱいに写してください。",
    },
    "receipts.refund": {
        "en": "#{n} is a refund: its total is money back and is taken off the thread's sums.",
        "ja": "#{n} は返金です。合計金額はマイナスとして集計から差し引かれます。",
    },
    "receipts.no_total": {
        "en": "I couldn't find the total on #{n}; it is in the ledger with the total missing. Reply with it, e.g. “total 1280”.",
        "ja": "#{n} の合計金額が見つかりませんでした。合計なしで記録したので、「合計 1280円」のように返信してください。",
    },
    "receipts.totals_disagree": {
        "en": "On #{n} the subtotal and tax don't add up to the total; please check it.",
        "ja": "#{n} は小計と税額の合計が総額と一致しません。確認してください。",
    },
    "receipts.duplicate": {
        "en": "#{n} looks like a duplicate of #{of} (the same image, or the same shop, date and total). Say “remove {n}” if it is.",
        "ja": "#{n} は #{of} と重複している可能性があります（同じ画像、または店名・日付・金額が同じ）。重複なら「削除 {n}」と返信してください。",
    },
    "receipts.corrected": {"en": "#{n}: {field} is now {value}.", "ja": "#{n} の{field}を {value} に訂正しました。"},
    "receipts.removed": {"en": "Removed #{n} from the ledger.", "ja": "#{n} を台帳から削除しました。"},
    "receipts.no_such": {"en": "There is no receipt #{n} in this thread.", "ja": "このスレッドに #{n} のレシートはありません。"},
    "receipts.empty": {"en": "There are no receipts in this thread yet.", "ja": "このスレッドにはまだレシートがありません。"},
    "receipts.undone_add": {"en": "Undone: #{n} is no longer in the ledger.", "ja": "取り消しました: #{n} を台帳から外しました。"},
    "receipts.undone_correct": {"en": "Undone: #{n} is back to what it was.", "ja": "取り消しました: #{n} を訂正前に戻しました。"},
    "receipts.undone_remove": {"en": "Undone: #{n} is back in the ledger.", "ja": "取り消しました: #{n} を台帳に戻しました。"},
    "receipts.nothing_to_undo": {"en": "There is nothing to undo.", "ja": "取り消せる操作はありません。"},
    "receipts.ledger_full": {
        "en": "This thread's ledger is full ({limit} receipts). Please start a new expense thread.",
        "ja": "このスレッドの台帳はいっぱいです（{limit} 件）。新しい経費スレッドを始めてください。",
    },
    "receipts.summary_head": {"en": "Summary of {count} receipts:", "ja": "レシート {count} 件の集計:"},
    "receipts.summary_currency": {"en": "{currency}: {total} ({count} receipts)", "ja": "{currency}: {total}（{count} 件）"},
    "receipts.summary_missing": {
        "en": "{count} without a total (not counted; reply “#N total …” to add it).",
        "ja": "合計金額のないもの {count} 件（集計に含まれていません。「#N 合計 …」で追加できます）。",
    },
    "receipts.summary_noncompliant": {
        "en": "{count} not complete qualified invoices (適格請求書).",
        "ja": "適格請求書の記載事項が不足しているもの {count} 件。",
    },
    "receipts.summary_duplicates": {"en": "{count} flagged as possible duplicates.", "ja": "重複の可能性があるもの {count} 件。"},
    "receipts.chart_title": {"en": "Expenses by category ({currency})", "ja": "科目別の経費（{currency}）"},
    "receipts.forms": {
        "en": "I understand: “total 1280”, “tax 80”, “date 2026-11-20”, “merchant Lawson”, “category transport” (transport, lodging, entertainment, supplies, communication, outsourcing, misc), “payment cash” (cash, credit card, debit card, QR, IC card, other), “currency USD”, “invoice T1234567890123”; put “#N” first for another receipt than the newest. Also “summary”, “undo”, “remove N”.",
        "ja": "使える書き方: 「合計 1280円」「税 80」「日付 2026-11-20」「店名 ローソン」「科目 交通費」（交通費・宿泊費・交際費・備品・通信費・外注費・雑費）「支払い 現金」（現金・クレジット・デビット・QR・交通系IC・その他）「通貨 USD」「登録番号 T1234567890123」。最新以外のレシートは先頭に「#N」を付けてください。ほかに「集計」「取り消し」「削除 N」。",
    },
    "receipts.unknown": {"en": "I didn't understand that as a correction.", "ja": "訂正として読み取れませんでした。"},
    "receipts.too_long": {"en": "That message is too long for a correction.", "ja": "訂正としては長すぎます。"},
    "receipts.no_value": {"en": "Please give a value after the field name.", "ja": "項目名のあとに値を書いてください。"},
    "receipts.bad_amount": {"en": "That amount isn't a number I can use (e.g. 1280, 1,280円, $6.41).", "ja": "金額として読み取れません（例: 1280、1,280円、$6.41）。"},
    "receipts.negative_amount": {"en": "Amounts can't be negative.", "ja": "金額にマイナスは使えません。"},
    "receipts.amount_too_large": {"en": "That amount is too large.", "ja": "金額が大きすぎます。"},
    "receipts.bad_rate": {"en": "A tax rate is a percentage from 0 to 100 (e.g. 8%).", "ja": "税率は 0〜100 のパーセントで書いてください（例: 8%）。"},
    "receipts.bad_date": {"en": "That isn't a date I can use; write it as 2026-11-20.", "ja": "日付として読み取れません。2026-11-20 の形で書いてください。"},
    "receipts.bad_category": {"en": "That isn't one of the categories.", "ja": "その科目はありません。"},
    "receipts.bad_payment": {"en": "That isn't a payment method I know.", "ja": "その支払方法はわかりません。"},
    "receipts.bad_currency": {"en": "Write the currency as a three-letter code such as JPY or USD.", "ja": "通貨は JPY や USD のような 3 文字のコードで書いてください。"},
    "receipts.bad_invoice": {"en": "A registration number is T followed by 13 digits.", "ja": "登録番号は T と 13 桁の数字です。"},
    "receipts.bad_merchant": {"en": "That shop name is too long (100 characters at most).", "ja": "店名が長すぎます（100 文字まで）。"},
    "receipts.bad_number": {"en": "That isn't a receipt number in this thread.", "ja": "このスレッドのレシート番号として読み取れません。"},
    # The home view (bot/core/home.py): Slack's Home tab, Discord's `/miru settings`
    "home.title": {"en": "Miru", "ja": "Miru"},
    "home.intro": {
        "en": "Mention @Miru with an image and a question; I answer in the thread. "
              "`/miru help` lists every command.",
        "ja": "画像と質問を添えて @Miru にメンションすると、スレッドで回答します。"
              "`/miru help` ですべてのコマンドを確認できます。",
    },
    "home.settings": {"en": "Your settings", "ja": "あなたの設定"},
    "home.language": {"en": "Answer language", "ja": "回答の言語"},
    "home.language_auto": {
        "en": "Not set: I answer in the language of your message or thread.",
        "ja": "未設定: メッセージやスレッドの言語で回答します。",
    },
    "home.language_set": {
        "en": "Set: I answer you in {language} unless you or the thread ask otherwise.",
        "ja": "設定済み: 特に指定がなければ{language}で回答します。",
    },
    "home.lang_ja": {"en": "Japanese (日本語)", "ja": "日本語"},
    "home.lang_en": {"en": "English", "ja": "英語 (English)"},
    "home.choose_language": {"en": "Choose a language", "ja": "言語を選択"},
    "home.history": {"en": "History", "ja": "会話の記憶"},
    "home.history_on": {
        "en": "On: I keep your questions and answers for {turns} and images for {images}, so "
              "follow-ups need no new upload.",
        "ja": "オン: 質問と回答を{turns}、画像を{images}保存するため、続けての質問に"
              "画像の再投稿は不要です。",
    },
    "home.days": {"en": "{n} days", "ja": " {n} 日間"},
    "home.one_day": {"en": "1 day", "ja": " 1 日間"},
    "home.history_off": {
        "en": "Off: I keep none of your conversations; each message stands alone.",
        "ja": "オフ: 会話を保存しません。メッセージは 1 件ずつ独立して扱います。",
    },
    "home.history_unknown": {
        "en": "I can't read this setting right now.",
        "ja": "いまはこの設定を読み込めません。",
    },
    "home.history_choice_on": {"en": "On: keep my conversations", "ja": "オン: 会話を記憶する"},
    "home.history_choice_off": {"en": "Off: keep nothing", "ja": "オフ: 何も記憶しない"},
    "home.today": {"en": "Today", "ja": "今日の利用状況"},
    "home.usage": {
        "en": "You: {used} of {limit} images · this workspace: {ws_used} of {ws_limit} "
              "({tier} plan). Resets at {reset}.",
        "ja": "あなた: {used} / {limit} 枚 · このワークスペース: {ws_used} / {ws_limit} 枚"
              "（{tier} プラン）。{reset} にリセットされます。",
    },
    "home.unlimited": {"en": "no limit", "ja": "上限なし"},
    "home.usage_unknown": {
        "en": "Today's use can't be read right now.",
        "ja": "いまは今日の利用状況を読み込めません。",
    },
    "home.health": {"en": "Set-up health (admins)", "ja": "セットアップの状態（管理者）"},
    "home.health_fix": {"en": "fix: {fix}", "ja": "対処: {fix}"},
    "home.permissions": {"en": "Permissions (admins)", "ja": "権限（管理者）"},
    "home.review": {"en": "Review queue (moderators)", "ja": "レビュー待ち（モデレーター）"},
    "home.cases_waiting": {
        "en": "{count} case(s) wait for a decision here.",
        "ja": "このワークスペースで {count} 件のケースが判断を待っています。",
    },
    "home.not_yours": {
        "en": "This panel belongs to someone else: run `/miru settings` for your own.",
        "ja": "これは別の人のパネルです。`/miru settings` で自分のパネルを開いてください。",
    },
    # Discord's `/miru` command and option descriptions (handlers/discord_commands.py), at most
    # 100 characters each: Discord shows them in its command picker
    "discord.cmd.miru": {"en": "Ask Miru about an image", "ja": "Miru に画像について質問する"},
    "discord.cmd.ask": {"en": "Ask about an image", "ja": "画像について質問する"},
    "discord.cmd.receipts": {"en": "Start an expense thread here", "ja": "ここに経費スレッドを作る"},
    "discord.cmd.forget": {"en": "Delete your thread memory and cached images now",
                           "ja": "あなたのスレッドの記憶と画像をすぐに削除する"},
    "discord.cmd.lang": {"en": "Answer you in Japanese or English",
                         "ja": "回答の言語を日本語か英語にする"},
    "discord.cmd.history": {"en": "Keep your conversations (on) or not (off)",
                            "ja": "会話を記憶する（on）かしない（off）か"},
    "discord.cmd.appeal": {"en": "Send a rejected image back to the moderators, once",
                           "ja": "却下された画像の再審査を一度だけ求める"},
    "discord.cmd.settings": {"en": "Your settings and today's use (only you see them)",
                             "ja": "あなたの設定と今日の利用状況（あなたにだけ表示）"},
    "discord.cmd.admin": {"en": "Show or change who may use Miru here (admins)",
                          "ja": "Miru を使える人と場所を表示・変更する（管理者）"},
    "discord.cmd.help": {"en": "What Miru does and every command",
                         "ja": "Miru でできることとコマンドの一覧"},
    "discord.opt.image": {"en": "The image to ask about", "ja": "質問する画像"},
    "discord.opt.question": {"en": "Your question (empty: describe the image)",
                             "ja": "質問（空欄なら画像を説明します）"},
    "discord.opt.language": {"en": "ja: Japanese, en: English", "ja": "ja: 日本語、en: 英語"},
    "discord.opt.setting": {"en": "on or off; leave empty to see what is kept",
                            "ja": "on か off。空欄なら保存内容を表示"},
    "discord.opt.case": {"en": "The case id from Miru's message", "ja": "Miru のメッセージにあるケースID"},
    "discord.opt.action": {
        "en": "Empty to show; grant @who LEVEL | revoke @who | channels add|remove #channel | "
              "everyone LEVEL",
        "ja": "空欄で表示。grant @対象 レベル | revoke @対象 | channels add|remove #チャンネル | "
              "everyone レベル",
    },
    # Expense threads: questions, reports, exports, approvals (bot/receipts/answers.py, report.py,
    # exports; bot/core/receipt_commands.py). Own keys: field labels stay under receipts.field.*
    "expense.unknown": {
        "en": "I didn't understand that. Corrections look like “total 1280”, “#2 category 交通費”, “remove 3”, “undo”. Ask questions like “what was #1's total?”, “how much for lodging?”, “who spent the most?”, “which receipts have no registration number?”. Or say “summary”, “report”, “report for @alice”, “export”, “export freee”, “export mf”, “export images”, “approve #2”, “#3 reject: reason”.",
        "ja": "読み取れませんでした。訂正は「合計 1280円」「#2 科目 交通費」「削除 3」「取り消し」のように、質問は「#1の合計は?」「今月の交通費は?」「誰が一番使った?」「登録番号がないレシートは?」のように書いてください。ほかに「集計」「レポート」「今月のレポート」「エクスポート」「freee」「マネーフォワード」「画像」「承認 #2」「#3 却下 理由: …」が使えます。",
    },
    "expense.question_help": {
        "en": "I couldn't answer that from the ledger. I can answer questions like “what was #1's total?”, “#2 date?”, “how much for lodging?”, “how much did @alice spend this month?”, “total in USD?”, “who spent the most?”, “which receipts have no registration number?”, “how many are pending?”, “which were rejected?”.",
        "ja": "台帳からは答えられませんでした。答えられる質問の例: 「#1の合計は?」「#2の日付は?」「今月の交通費は?」「先月の宿泊費は?」「@alice の合計は?」「USDの合計は?」「誰が一番使った?」「登録番号がないレシートは?」「未承認は何件?」「却下されたのはどれ?」",
    },
    "expense.all": {"en": "all receipts", "ja": "すべてのレシート"},
    "expense.month": {"en": "{year}-{month:02d}", "ja": "{year}年{month}月"},
    "expense.status.pending": {"en": "pending", "ja": "未承認"},
    "expense.status.approved": {"en": "approved", "ja": "承認済み"},
    "expense.status.rejected": {"en": "rejected", "ja": "却下"},
    "expense.status_line.pending": {"en": "#{n}: waiting for approval.", "ja": "#{n}: 承認待ちです。"},
    "expense.status_line.approved": {"en": "#{n}: approved by {by}{reason}.", "ja": "#{n}: {by} が承認済み{reason}。"},
    "expense.status_line.rejected": {"en": "#{n}: rejected by {by}{reason}.", "ja": "#{n}: {by} が却下{reason}。"},
    "expense.field_value": {"en": "#{n} {field}: {value}", "ja": "#{n} の{field}: {value}"},
    "expense.field_missing": {"en": "#{n} has no {field} (it was not read; reply to add it).", "ja": "#{n} の{field}は読み取れていません（返信で入力できます）。"},
    "expense.no_person": {"en": "No one called @{name} has posted receipts in this thread.", "ja": "このスレッドに @{name} が投稿したレシートはありません。"},
    "expense.none_match": {"en": "No receipts for {what}.", "ja": "{what}に当てはまるレシートはありません。"},
    "expense.count": {"en": "{what}: {count} receipts ({approved} approved, {pending} pending, {rejected} rejected).", "ja": "{what}: {count} 件（承認済み {approved}、未承認 {pending}、却下 {rejected}）。"},
    "expense.list": {"en": "{what} ({count}): {list}", "ja": "{what}（{count} 件）: {list}"},
    "expense.more": {"en": "and {count} more", "ja": "ほか {count} 件"},
    "expense.sum": {"en": "{what}: {amounts}", "ja": "{what}: {amounts}"},
    "expense.sum_nothing": {"en": "{what}: nothing to add up (no receipt with a total).", "ja": "{what}: 合計できるレシートがありません（合計金額のあるレシートがありません）。"},
    "expense.left_out_rejected": {"en": "Rejected, not counted: {list}.", "ja": "却下のため含めていません: {list}。"},
    "expense.left_out_no_total": {"en": "No total, not counted: {list}.", "ja": "合計金額がないため含めていません: {list}。"},
    "expense.top_head": {"en": "Who spent most ({what}), per currency:", "ja": "使った金額の多い順（{what}、通貨ごと）:"},
    "expense.missing": {"en": "Without {field} ({count}): {list}", "ja": "{field}がないもの（{count} 件）: {list}"},
    "expense.missing_none": {"en": "Every receipt ({what}) has {field}.", "ja": "{what}のレシートにはすべて{field}があります。"},
    "expense.approved": {"en": "#{n} approved by {by}.", "ja": "#{n} を承認しました（{by}）。"},
    "expense.rejected": {"en": "#{n} rejected by {by}. Reason: {reason}", "ja": "#{n} を却下しました（{by}）。理由: {reason}"},
    "expense.already": {"en": "#{n} was already approved by {by}.", "ja": "#{n} はすでに {by} が承認済みです。"},
    "expense.need_approve": {
        "en": "Only approvers can approve or reject receipts (the approve level; you have {level}). A workspace admin can name approvers with `/miru admin grant @someone approve`.",
        "ja": "レシートを承認・却下できるのは承認者だけです（approve 権限、現在: {level}）。ワークスペースの管理者が `/miru admin grant @ユーザー approve` で承認者を指定できます。",
    },
    "expense.approvals_off": {"en": "Approvals are switched off for expense threads here.", "ja": "この環境では経費の承認機能はオフになっています。"},
    "expense.reason_needed": {"en": "Please give a reason for the rejection, e.g. “#3 reject: no receipt number”.", "ja": "却下の理由を書いてください（例: 「#3 却下 理由: 領収書がない」）。"},
    "expense.reason_too_long": {"en": "That reason is too long (200 characters at most).", "ja": "理由が長すぎます（200 文字まで）。"},
    "expense.back_to_pending": {"en": "#{n} is pending again: its figures changed after it was {status}.", "ja": "#{n} は{status}のあとに内容が変わったため、承認待ちに戻りました。"},
    "expense.button.approve": {"en": "Approve", "ja": "承認"},
    "expense.button.reject": {"en": "Reject", "ja": "却下"},
    "expense.modal_title": {"en": "Reject receipt #{n}", "ja": "レシート #{n} を却下"},
    "expense.modal_reason": {"en": "Reason", "ja": "理由"},
    "expense.modal_submit": {"en": "Reject", "ja": "却下する"},
    "expense.report_head": {"en": "Expense report, {what}: {count} receipts", "ja": "経費レポート（{what}）: {count} 件"},
    "expense.report_status": {"en": "Approved {approved} · pending {pending} · rejected {rejected}", "ja": "承認済み {approved}・未承認 {pending}・却下 {rejected}"},
    "expense.report_totals": {"en": "Totals (rejected receipts not counted): {amounts}", "ja": "合計（却下分を除く）: {amounts}"},
    "expense.report_by_category": {"en": "By category:", "ja": "科目別:"},
    "expense.report_by_person": {"en": "By person:", "ja": "人別:"},
    "expense.report_by_month": {"en": "By month:", "ja": "月別:"},
    "expense.report_no_date": {"en": "no date", "ja": "日付なし"},
    "expense.report_threads": {"en": "{count} expense threads", "ja": "経費スレッド {count} 件"},
    "expense.export_done": {"en": "{kind} for {what}: {count} receipts.", "ja": "{kind}（{what}）: {count} 件。"},
    "expense.export_empty": {"en": "Nothing to export for {what}.", "ja": "{what}に書き出せるレシートはありません。"},
    "expense.export_kind.csv": {"en": "CSV (UTF-8)", "ja": "CSV（UTF-8）"},
    "expense.export_kind.freee": {"en": "freee import file (取引インポート)", "ja": "freee 取引インポート用ファイル"},
    "expense.export_kind.mf": {"en": "Money Forward import file (仕訳帳インポート)", "ja": "マネーフォワード クラウド会計 仕訳帳インポート用ファイル"},
    "expense.export_kind.zip": {"en": "Receipt images (zip; each file named by date, amount and shop)", "ja": "レシート画像（zip、ファイル名は日付・金額・取引先）"},
    "expense.left_out.currency": {"en": "not in JPY (convert by hand): {list}", "ja": "円以外の通貨（手作業で換算してください）: {list}"},
    "expense.left_out.no_total": {"en": "no total: {list}", "ja": "合計金額なし: {list}"},
    "expense.left_out.no_date": {"en": "no date: {list}", "ja": "日付なし: {list}"},
    "expense.left_out.refund": {"en": "refunds (book them against the original expense by hand): {list}", "ja": "返金（元の経費に対して手作業で計上してください）: {list}"},
    "expense.left_out.status": {"en": "not approved (the policy exports {statuses} only): {list}", "ja": "対象外の承認状態（書き出すのは {statuses} のみ）: {list}"},
    "expense.left_out.rejected": {"en": "rejected: {list}", "ja": "却下: {list}"},
    "expense.left_out.no_image": {"en": "image not kept: {list}", "ja": "画像が保存されていない: {list}"},
    "expense.left_out.too_big": {"en": "over the archive's {limit_mb} MB (export one month at a time): {list}", "ja": "アーカイブの上限 {limit_mb} MB を超えるため（月ごとに書き出してください）: {list}"},
    "expense.left_out_head": {"en": "Left out:", "ja": "含めなかったもの:"},
    "expense.replaced_chars": {"en": "{count} characters the file's encoding (Shift_JIS) cannot hold became “?” (in {list}).", "ja": "ファイルの文字コード（Shift_JIS）で表せない {count} 文字を「?」にしました（{list}）。"},
    "expense.need_share": {"en": "Reports' files and exports need the share level; you have {level}. Ask a workspace admin.", "ja": "レポートのファイルとエクスポートには share 権限が必要です（現在: {level}）。ワークスペースの管理者に依頼してください。"},
    # Team permissions (bot/core/access.py, bot/core/admin.py; docs/policy.md, Permissions)
    "access.denied_level": {
        "en": "You don't have access to Miru in this workspace. Ask a workspace admin to grant it (`/miru admin`).",
        "ja": "このワークスペースでは Miru を使う権限がありません。ワークスペースの管理者に付与を依頼してください（`/miru admin`）。",
    },
    "access.denied_channel": {
        "en": "Miru isn't enabled in this channel. Ask a workspace admin which channels it is used in.",
        "ja": "このチャンネルでは Miru は有効になっていません。使えるチャンネルをワークスペースの管理者に確認してください。",
    },
    "access.need_edit": {
        "en": "Keeping expense ledgers (adding, correcting, removing receipts and summaries) needs the edit level; you have {level}. Ask a workspace admin.",
        "ja": "経費台帳の操作（レシートの追加・訂正・削除・集計）には edit 権限が必要です（現在: {level}）。ワークスペースの管理者に依頼してください。",
    },
    "access.no_csv": {
        "en": "The CSV export needs the share level, so it is not attached.",
        "ja": "CSV の書き出しには share 権限が必要なため、添付していません。",
    },
    "access.need_share": {
        "en": "Sending images back (cleaned or blurred) needs the share level; you have {level}. Ask a workspace admin.",
        "ja": "画像を送り返す（メタデータ削除・ぼかし）には share 権限が必要です（現在: {level}）。ワークスペースの管理者に依頼してください。",
    },
    "admin.not_admin": {
        "en": "Only this workspace's admins can change Miru's permissions.",
        "ja": "Miru の権限を変更できるのは、このワークスペースの管理者だけです。",
    },
    "admin.no_workspace": {
        "en": "Permissions are set per workspace or server: run this in one, not in a DM.",
        "ja": "権限はワークスペース（サーバー）ごとに設定します。DM ではなくワークスペース内で実行してください。",
    },
    "admin.usage": {
        "en": "Usage: `/miru admin` (show), `/miru admin grant @person|@group|@role none|view|edit|share|approve|admin`, `/miru admin revoke @who`, `/miru admin channels add|remove #channel`, `/miru admin everyone none|view|edit|share`. Mention people, groups and channels, or give their ids.",
        "ja": "使い方: `/miru admin`（表示）、`/miru admin grant @ユーザー|@グループ|@ロール none|view|edit|share|approve|admin`、`/miru admin revoke @対象`、`/miru admin channels add|remove #チャンネル`、`/miru admin everyone none|view|edit|share`。ユーザー・グループ・チャンネルはメンションか ID で指定してください。",
    },
    "admin.show": {
        "en": "Miru's permissions here. Everyone else: {everyone}. Channels: {channels}. DMs: {dms}.\n{grants}",
        "ja": "このワークスペースの Miru の権限。その他の全員: {everyone}。チャンネル: {channels}。DM: {dms}。\n{grants}",
    },
    "admin.show_default": {
        "en": "No permissions are set here: everyone may use Miru in every channel (share level).",
        "ja": "権限は設定されていません。全員がすべてのチャンネルで Miru を使えます（share 権限）。",
    },
    "admin.all_channels": {"en": "all", "ja": "すべて"},
    "admin.dms_on": {"en": "allowed", "ja": "可"},
    "admin.dms_off": {"en": "not allowed", "ja": "不可"},
    "admin.no_grants": {"en": "No one is granted a level by name.", "ja": "個別に権限を付与された対象はいません。"},
    "admin.more": {"en": "…and {count} more", "ja": "…ほか {count} 件"},
    "admin.granted": {
        "en": "Done: {who} now has {level} (was {old}).",
        "ja": "変更しました: {who} の権限は {level} になりました（以前: {old}）。",
    },
    "admin.everyone_set": {
        "en": "Done: everyone not named has {level} now (was {old}).",
        "ja": "変更しました: 個別指定のない全員の権限は {level} になりました（以前: {old}）。",
    },
    "admin.channel_added": {
        "en": "Done: Miru may be used in {channel}.",
        "ja": "変更しました: {channel} で Miru を使えるようにしました。",
    },
    "admin.channel_removed": {
        "en": "Done: Miru is no longer used in {channel}.",
        "ja": "変更しました: {channel} では Miru を使えなくしました。",
    },
    "admin.channels_now_all": {
        "en": "No channel is listed now, so Miru may be used in every channel.",
        "ja": "チャンネルの指定がなくなったため、すべてのチャンネルで Miru を使えます。",
    },
    "admin.full": {
        "en": "Too many permission changes are stored for this workspace ({limit}); ask the people who run Miru to list the rest in its policy.",
        "ja": "このワークスペースに保存できる権限の変更が上限（{limit} 件）に達しました。残りは Miru の管理者にポリシーへの記載を依頼してください。",
    },
}


class _Blank:
    def __format__(self, spec: str) -> str:
        return "?"


class _Lenient(dict):
    """A missing parameter shows as "?" instead of losing the whole sentence."""

    def __missing__(self, key: str) -> _Blank:
        return _Blank()


def t(key: str, lang: str | None = "en", **params: Any) -> str:
    """The message ``key`` in ``lang`` (English when the language is unknown)."""
    entry = MESSAGES[key]
    text = entry.get(lang or "en") or entry["en"]
    return text.format_map(_Lenient(params))


def in_channel(key: str) -> bool:
    """Whether ``key`` is a sentence people in a channel may read (see ``NOT_IN_CHANNEL``)."""
    return not key.startswith(NOT_IN_CHANNEL)


def fields(key: str) -> set[str]:
    """The parameters message ``key`` needs, in either language."""
    return {f for text in MESSAGES[key].values()
            for _, f, _, _ in string.Formatter().parse(text) if f}
