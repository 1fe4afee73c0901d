"""Every sentence a user reads, in English and Japanese, in one place.

``t(key, lang, **params)`` formats one; an unknown language falls back to English, an unknown key
raises (a test walks every key in both languages). Messages about blocked images stay general on
purpose: they must not teach anyone how to get past the filter.
"""

from __future__ import annotations

import string
from typing import Any

LANGS = ("en", "ja")

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
    "verdict.consent": {
        "en": "This image shows people. Before I look at it: did everyone shown agree to it being shared?",
        "ja": "この画像には人が写っています。処理する前に確認させてください。写っている全員が共有に同意していますか？",
    },
    "verdict.consent_confirm": {"en": "Everyone shown agreed", "ja": "全員が同意しています"},
    "verdict.consent_cancel": {"en": "Cancel", "ja": "キャンセル"},
    "discord.thread_name": {"en": "Miru", "ja": "Miru"},
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
        "en": "I'm not allowed to read files here yet: an admin needs to add the files:read permission "
        "to the Miru app and reinstall it.",
        "ja": "まだファイルを読む権限がありません。管理者が Miru アプリに files:read 権限を追加して"
        "再インストールする必要があります。",
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
        "en": "No vision model is configured, so I can only read the text in the image.",
        "ja": "画像認識モデルが設定されていないため、画像内の文字の読み取りだけ行います。",
    },
    "engine.busy": {
        "en": "The vision model is busy or not answering right now. Please try again in a minute.",
        "ja": "画像認識モデルが混み合っているか応答しません。1分ほどしてからもう一度お試しください。",
    },
    "engine.empty": {
        "en": "The vision model gave no answer. Please rephrase the question or try again.",
        "ja": "画像認識モデルから回答がありませんでした。質問を言い換えるか、もう一度お試しください。",
    },
    "engine.ocr_header": {"en": "Text in the image:", "ja": "画像内の文字:"},
    "engine.ocr_none": {
        "en": "I couldn't find any readable text in the image.",
        "ja": "画像内に読み取れる文字は見つかりませんでした。",
    },
    "engine.ocr_image": {"en": "Image {n}:", "ja": "画像{n}:"},
    "engine.working": {"en": "Looking at the image…", "ja": "画像を確認しています…"},
    # Operator notes (one line each) when the vision model cannot be used and OCR answers instead
    "engine.hub_unreachable": {
        "en": "miru: the vision model {model} is not downloaded and the model hub ({endpoint}) "
              "cannot be reached, so answers come from the text read in the image (OCR); run "
              "`miru models pull` once online, or set MIRU_OFFLINE=1 to skip this check.",
        "ja": "miru: 画像認識モデル {model} がダウンロードされておらず、モデルハブ ({endpoint}) にも"
              "接続できないため、画像内の文字 (OCR) から回答します。オンラインで `miru models pull` "
              "を実行するか、MIRU_OFFLINE=1 でこの確認を省略してください。",
    },
    "engine.model_not_cached": {
        "en": "miru: offline mode is on and the vision model MIRU_VLM_MODEL={model} is not in the "
              "local cache, so answers come from the text read in the image (OCR); run "
              "`miru models pull {model}` on a machine with internet access, then restart.",
        "ja": "miru: オフラインモードで、画像認識モデル MIRU_VLM_MODEL={model} がローカルの"
              "キャッシュにないため、画像内の文字 (OCR) から回答します。インターネットに接続できる"
              "マシンで `miru models pull {model}` を実行してから再起動してください。",
    },
    "engine.model_failed": {
        "en": "miru: the vision model MIRU_VLM_MODEL={model} (revision {revision}) could not be "
              "loaded ({detail}), so answers come from the text read in the image (OCR); fix the "
              "model id, or run `miru models pull {model}`, then restart.",
        "ja": "miru: 画像認識モデル MIRU_VLM_MODEL={model} (リビジョン {revision}) を読み込めません"
              "でした ({detail})。画像内の文字 (OCR) から回答します。モデル ID を直すか "
              "`miru models pull {model}` を実行してから再起動してください。",
    },
    # Memory and commands
    "store.unavailable": {
        "en": "I can't work right now (my memory store is unreachable). Please try again shortly.",
        "ja": "現在処理できません（記憶用のストアに接続できません）。しばらくしてからもう一度お試しください。",
    },
    "store.no_memory": {
        "en": "(I can't remember this thread right now, so follow-ups may lack context.)",
        "ja": "（現在このスレッドの内容を記憶できないため、続けての質問では前の内容を参照できない場合があります。）",
    },
    "cmd.help": {
        "en": "Mention me with an image and a question, and I'll answer in the thread. Commands: "
        "`/miru help`, `/miru forget` (delete your data), `/miru lang ja|en`, "
        "`/miru history on|off` (keep your conversations or not).",
        "ja": "画像と質問を添えてメンションすると、スレッドで回答します。コマンド: "
        "`/miru help`、`/miru forget`（あなたのデータを削除）、`/miru lang ja|en`、"
        "`/miru history on|off`（会話を記憶するかどうか）。",
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
    "engine.truncated": {
        "en": "(The answer was cut short here: it was too long.)",
        "ja": "（回答が長すぎるため、ここで打ち切りました。）",
    },
    "error.delivery": {
        "en": "I had an answer but couldn't post it here. Please try again in a moment.",
        "ja": "回答は用意できましたが、ここに投稿できませんでした。少し時間をおいてもう一度お試しください。",
    },
    "error.config": {
        "en": "Miru is not configured correctly: {detail}",
        "ja": "Miru の設定に問題があります: {detail}",
    },
    "privacy.cleaned": {
        "en": "Here is the image with its metadata (location, camera details) removed.",
        "ja": "メタデータ（位置情報・カメラ情報）を削除した画像です。",
    },
    "privacy.cleaned_blurred": {
        "en": "Here is the image with its metadata removed and faces pixelated.",
        "ja": "メタデータを削除し、顔にモザイクをかけた画像です。",
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


def fields(key: str) -> set[str]:
    """The parameters message ``key`` needs, in either language."""
    return {f for text in MESSAGES[key].values()
            for _, f, _, _ in string.Formatter().parse(text) if f}
