"""Block Kit that Miru posts on Slack: the consent prompt's buttons (the Home tab's view is in
``handlers.slack_home``). Every label comes from ``bot.strings`` in the reader's language."""

from __future__ import annotations

from typing import Any

from bot import strings

CONSENT_CONFIRM_ACTION = "miru_consent_confirm"
CONSENT_CANCEL_ACTION = "miru_consent_cancel"


def consent_blocks(text: str, request_id: str, lang: str) -> list[dict[str, Any]]:
    """The ephemeral consent prompt: the question and two buttons carrying the request id."""

    def button(action_id: str, key: str, style: str) -> dict[str, Any]:
        label = {"type": "plain_text", "text": strings.t(key, lang)}
        return {
            "type": "button", "action_id": action_id, "text": label,
            "value": request_id, "style": style,
        }

    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "block_id": "miru_consent",
            "elements": [
                button(CONSENT_CONFIRM_ACTION, "verdict.consent_confirm", "primary"),
                button(CONSENT_CANCEL_ACTION, "verdict.consent_cancel", "danger"),
            ],
        },
    ]
