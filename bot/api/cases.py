"""``GET /v1/cases``: the review queue as an API key may see it.

A key reads its own workspace's cases only (``ApiKey.workspace``: cases whose workspace, a Slack
team or Discord guild id, or the API key's own for API uploads, is that one); an operator's key
made with ``--all-workspaces`` reads every workspace's. Whoever decided a case is shown as the
audit log shows them, a pseudonym (``AuditLog.pseudonym`` of the decider's platform and user
id, so a decision can be found in the log), never a moderator's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.api.apikeys import ApiKey
from bot.api.errors import ApiError
from bot.review.model import Case, CaseStatus

Pseudonym = Callable[[str, str], str]
MAX_CASES = 1000


def case_query(query: Mapping[str, str]) -> tuple[CaseStatus | None, int]:
    """``status`` and ``limit`` (default 100, at most ``MAX_CASES``); 400 for a bad one."""
    status_text = query.get("status", "")
    try:
        status = CaseStatus(status_text) if status_text else None
    except ValueError:
        raise ApiError(400, "bad_value", "api.bad_value", field="status",
                       expected=" / ".join(s.value for s in CaseStatus)) from None
    limit_text = query.get("limit", "100")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_CASES:
        raise ApiError(400, "bad_value", "api.bad_value", field="limit",
                       expected=f"a whole number 1..{MAX_CASES}")
    return status, int(limit_text)


def scope_of(key: ApiKey) -> str | None:
    """The workspace whose cases ``key`` reads; None: every workspace (an operator's key)."""
    return None if key.all_workspaces else key.workspace


def decided_by(case: Case, pseudonym: Pseudonym) -> str:
    """The decider's pseudonym; "" while undecided. A case decided before the decider's id
    was kept has only a name: that name is pseudonymised on the case's platform."""
    if not case.decided_by and not case.decider:
        return ""
    platform, _, user = case.decider.partition(":")
    if not user:
        platform, user = case.platform, case.decided_by
    return pseudonym(platform, user)


def case_json(case: Case, pseudonym: Pseudonym) -> dict[str, Any]:
    """A case as the API shows it: ``Case.summary`` with its workspace, the decider as a
    pseudonym."""
    return {**case.summary(), "workspace": case.workspace,
            "decided_by": decided_by(case, pseudonym)}
