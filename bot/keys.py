"""Every Redis key prefix and TTL, in one place.

Thread keys carry a hash tag (``{...}``) so that all keys of one thread live on one Redis Cluster
slot; a user's own keys (index, preferences) carry the user's tag. A user's keys are indexed in a
per-user set so ``forget`` can find them all; each thread keeps a set of its participants so that a
write by one renews every participant's index (it must outlive the data it points to).
"""

from __future__ import annotations

from bot.models import ThreadKey

PREFIX = "miru"

# Default TTLs (seconds); settings may override turns and images.
TURN_TTL_S = 7 * 24 * 3600
IMAGE_TTL_S = 24 * 3600
EVENT_DEDUP_TTL_S = 24 * 3600
PENDING_CONSENT_TTL_S = 15 * 60
USER_PREF_TTL_S = 365 * 24 * 3600
QUOTA_WINDOW_S = 3600
JOB_STREAM_MAXLEN = 100_000  # a backstop only: handled jobs are deleted, old ones trimmed by age
JOB_MAX_AGE_S = 24 * 3600  # a queued job (user id, text, file URLs) older than this is trimmed
REPLY_CLAIM_TTL_S = 7 * 24 * 3600
# A reply claim names the worker that holds it until the reply is posted (then it says "sent").
# A run of the same job finds a claim whose worker has not been seen this long (three of its
# heartbeats, which come every claim_idle/6) and takes it over: that worker died mid-answer and
# its job was claimed after claim_idle (bot.jobs.queue.CLAIM_IDLE_MS, 60 s), so the user still
# gets an answer. Keep it under the claim idle time and well over the heartbeat.
REPLY_HOLDER_DEAD_AFTER_S = 30.0
ACTIVE_THREAD_TTL_S = 7 * 24 * 3600
# The expense ledger's TTL comes from the policy (retention.ledger_days); this is its default.
LEDGER_TTL_S = 90 * 24 * 3600
LEDGER_MAX_ENTRIES = 500  # receipts per thread
LEDGER_UNDO_DEPTH = 50  # edits ``undo`` can step back through
LEDGER_IMAGE_MAX_BYTES = 4 * 1024 * 1024  # a processed receipt image bigger than this is not kept


def thread_turns(t: ThreadKey) -> str:
    return f"{PREFIX}:thread:{{{t.tag()}}}:turns"


def thread_meta(t: ThreadKey) -> str:
    return f"{PREFIX}:thread:{{{t.tag()}}}:meta"


def thread_image(t: ThreadKey, sha256: str) -> str:
    return f"{PREFIX}:thread:{{{t.tag()}}}:img:{sha256}"


def thread_images_index(t: ThreadKey) -> str:
    return f"{PREFIX}:thread:{{{t.tag()}}}:imgs"


def ledger_entries(t: ThreadKey) -> str:
    """Hash: receipt number -> entry (JSON) of the thread's expense ledger."""
    return f"{PREFIX}:thread:{{{t.tag()}}}:ledger"


def ledger_meta(t: ThreadKey) -> str:
    """Hash: the ledger's number sequence and whether the thread is an expense thread."""
    return f"{PREFIX}:thread:{{{t.tag()}}}:ledger:meta"


def ledger_undo(t: ThreadKey) -> str:
    """List of the ledger's last edits (JSON), newest last, for ``undo``."""
    return f"{PREFIX}:thread:{{{t.tag()}}}:ledger:undo"


def thread_lang(t: ThreadKey) -> str:
    """String: the language the thread is answered in ("ja"/"en"); lives as long as its turns."""
    return f"{PREFIX}:thread:{{{t.tag()}}}:lang"


def ledger_images(t: ThreadKey) -> str:
    """Hash: image SHA-256 -> the processed receipt image, a Fernet token (never plaintext),
    kept as long as the ledger for the exports' image archive."""
    return f"{PREFIX}:thread:{{{t.tag()}}}:ledger:imgs"


def ledger_index(platform: str, workspace: str) -> str:
    """Zset: the workspace's expense threads (thread tag -> last activity), for ``miru receipt
    report``; entries older than the ledger TTL are dropped as it is written."""
    return f"{PREFIX}:ledgers:{{{platform}:{workspace}}}"


THREAD_IMAGES_MATCH = f"{PREFIX}:thread:{{*}}:imgs"  # SCAN: every thread's image index


def thread_of_images_index(name: str) -> ThreadKey | None:
    """The thread whose ``thread_images_index`` is ``name`` (None for another key)."""
    head, tail = f"{PREFIX}:thread:{{", "}:imgs"
    if not (name.startswith(head) and name.endswith(tail)):
        return None
    parts = name[len(head):-len(tail)].split(":", 3)
    if len(parts) != 4 or not all(parts):
        return None
    return ThreadKey(parts[0], parts[1], parts[2], parts[3])  # type: ignore[arg-type]


def thread_pattern(t: ThreadKey) -> str:
    return f"{PREFIX}:thread:{{{t.tag()}}}:*"


def thread_users(t: ThreadKey) -> str:
    """Set of the users who wrote to the thread (their indexes are renewed with it)."""
    return f"{PREFIX}:thread:{{{t.tag()}}}:users"


def user_index(platform: str, user: str) -> str:
    """Set of every key that holds data of this user (hash-tagged by user)."""
    return f"{PREFIX}:user:{{{platform}:{user}}}:keys"


def user_pref(platform: str, user: str) -> str:
    return f"{PREFIX}:user:{{{platform}:{user}}}:prefs"


def workspace_pref(platform: str, workspace: str) -> str:
    return f"{PREFIX}:ws:{platform}:{workspace}:prefs"


def event_seen(platform: str, event_id: str) -> str:
    return f"{PREFIX}:event:{platform}:{event_id}"


def reply_sent(request_id: str) -> str:
    return f"{PREFIX}:reply:{request_id}"


def pending_consent(request_id: str) -> str:
    return f"{PREFIX}:consent:{request_id}"


def active_thread(platform: str, workspace: str, channel: str, thread: str) -> str:
    """Marks a thread Miru has answered in, so follow-ups need no mention (the thread's tag)."""
    return f"{PREFIX}:active:{{{platform}:{workspace}:{channel}:{thread}}}"


# The job queue (issue 19): one stream per platform, so a worker reads only the jobs it can
# answer. Every job stream and its bookkeeping (the platforms that have one, which workers serve
# each) share the hash tag {jobs}: one XREADGROUP reads all a worker serves, and one script or
# transaction touches them, on one Cluster slot (as the single stream before did).
JOB_BASE = f"{PREFIX}:{{jobs}}"
JOB_GROUP = "workers"
# Before issue 19 every platform's jobs shared this one stream; workers move what is left in it
# to the platforms' streams (bot/jobs/legacy.py).
LEGACY_JOB_STREAM = f"{PREFIX}:jobs"
# A job that waits this long with no worker serving its platform goes to the dead letters
# (settings.job_unserved_max_s; this is its ceiling: well under JOB_MAX_AGE_S, when it is trimmed).
JOB_UNSERVED_MAX_S = 12 * 3600
# Dead-letter ids of unserved jobs whose users are still to be told, per platform: the next
# worker that serves the platform tells them (ids only: the entry holds the user data).
JOB_UNSERVED_TELL_MAX = 10_000


def job_stream(platform: str, base: str = JOB_BASE) -> str:
    """The stream of ``platform``'s jobs (only workers that serve it read it)."""
    return f"{base}:q:{platform}"


def job_platforms(base: str = JOB_BASE) -> str:
    """Set of the platforms that have a job stream (``miru jobs``, health, housekeeping)."""
    return f"{base}:platforms"


def job_serving(platform: str, base: str = JOB_BASE) -> str:
    """Zset: worker (consumer name) -> last heartbeat, of the workers serving ``platform``."""
    return f"{base}:serving:{platform}"


def job_unserved_tell(platform: str, dead_stream: str | None = None) -> str:
    """List of dead-letter entry ids (of ``dead_stream``) of ``platform``'s unserved jobs whose
    users are to be told."""
    return f"{dead_stream or JOB_DEAD_STREAM}:tell:{platform}"


# Jobs given up on (issue 12), for ``miru jobs retry|drop``; user data, so trimmed by age too.
JOB_DEAD_STREAM = f"{PREFIX}:jobs:dead"
DEAD_MAX_AGE_S = 7 * 24 * 3600
DEAD_STREAM_MAXLEN = 10_000
# Zset: worker (consumer name) -> last heartbeat (Unix seconds), for ``/healthz``.
WORKERS_SEEN = f"{PREFIX}:workers:seen"
WORKER_SEEN_WINDOW_S = 60  # a worker not seen this long counts as gone
# A consumer in the job group with nothing pending, not seen for this long, is deleted (each
# process start is a new consumer name; XREADGROUP re-creates a consumer that reads again).
CONSUMER_GONE_S = 3600
# The audit mirror and its head anchors share the tag {audit}: one script updates both atomically.
AUDIT_STREAM = f"{PREFIX}:{{audit}}:lines"
AUDIT_STREAM_MAXLEN = 1_000_000


def audit_head(chain: str) -> str:
    """Hash {count, hash} of an audit file's last mirrored line; one per chain, kept forever."""
    return f"{PREFIX}:{{audit}}:head:{chain}"


# Quarantine and review (issue 11). Evidence and cases live as long as the policy's retention
# (``quarantine_days``; ``legal_hold_days`` once escalated): the TTL is the retention, set from
# the case's creation time, so a Redis that outlives a worker still forgets on time. Each case's
# keys share the tag ``{case id}`` so one Lua script decides a case atomically.
QUARANTINE_INDEX = f"{PREFIX}:quarantine:index"  # zset: evidence id -> created (for purge)
REVIEW_INDEX = f"{PREFIX}:review:index"  # zset: case id -> created (listing, purge)
REVIEW_CARD_TTL_S = 400 * 24 * 3600  # where a case's card was posted; outlives any retention
# Decisions taken on the command line, for a worker to show on the card and tell the uploader.
REVIEW_NOTICES = f"{PREFIX}:review:notices"
REVIEW_NOTICES_MAX = 10_000


def review_notices(platform: str) -> str:
    """List of decisions to show on ``platform`` (only workers serving it take them)."""
    return f"{REVIEW_NOTICES}:{platform}"


# Reveals (issue 19): what a moderator's Reveal posted (a cleaned copy in their direct
# messages), per case, so that a worker deletes it when the case is decided or purged. The set
# lists the cases that have some; each case's hash holds one field per post.
REVIEW_REVEALS = f"{PREFIX}:review:reveals"
REVEALS_PER_CASE_MAX = 20  # Reveal is refused past this many copies of one case out at once
# A copy whose deletion failed is tracked again and tried by the next sweep, this many times in
# all; then it is given up: audited and listed here for operators (``miru doctor``), newest
# first, at most ``..._MAX`` of them, the list kept ``..._TTL_S`` after the last one.
REVEAL_WITHDRAW_ATTEMPTS = 3
REVIEW_REVEALS_GIVEN_UP = f"{PREFIX}:review:reveals:given_up"
REVIEW_REVEALS_GIVEN_UP_MAX = 1000
REVIEW_REVEALS_GIVEN_UP_TTL_S = 30 * 24 * 3600


def review_reveals(case_id: str) -> str:
    """Hash: post id -> JSON of what one Reveal posted (platform, channel, the ids given)."""
    return f"{PREFIX}:review:{{{case_id}}}:reveals"


def quarantine_blob(evidence_id: str) -> str:
    """A Fernet token of the evidence bytes (never plaintext)."""
    return f"{PREFIX}:quarantine:{{{evidence_id}}}:blob"


def quarantine_meta(evidence_id: str) -> str:
    """A Fernet token of the evidence's metadata (JSON)."""
    return f"{PREFIX}:quarantine:{{{evidence_id}}}:meta"


def review_case(case_id: str) -> str:
    """Hash: the case's record (``data`` JSON) and its status fields."""
    return f"{PREFIX}:review:{{{case_id}}}:case"


def review_decision(case_id: str) -> str:
    """The one decision a case gets (set by a Lua script only when absent)."""
    return f"{PREFIX}:review:{{{case_id}}}:decision"


def review_card(case_id: str) -> str:
    """Where the case's card was posted (platform, channel, message id), for updates."""
    return f"{PREFIX}:review:{{{case_id}}}:card"


# Quotas (issue 12). Every key of one workspace (or guild) carries its tag, so one Lua script
# checks and charges the user's and the workspace's day atomically on any Redis (Cluster too).
QUOTA_DAY_TTL_S = 2 * 24 * 3600  # a day's counters outlive the day (``miru usage`` of today)
QUOTA_RUNNING_TTL_S = 15 * 60  # a request counted as running this long at most (a lost release)


def quota_tag(platform: str, workspace: str) -> str:
    return f"{PREFIX}:quota:{{{platform}:{workspace}}}"


def quota_user_day(platform: str, workspace: str, day: str, user: str) -> str:
    """Images the user sent to Miru in this workspace on ``day`` (YYYYMMDD, UTC)."""
    return f"{quota_tag(platform, workspace)}:{day}:u:{user}"


def quota_workspace_day(platform: str, workspace: str, day: str) -> str:
    return f"{quota_tag(platform, workspace)}:{day}:ws"


def quota_charged(platform: str, workspace: str, request_id: str) -> str:
    """Marks a request already counted (a re-delivered event is not counted twice)."""
    return f"{quota_tag(platform, workspace)}:charged:{request_id}"


def quota_running(platform: str, workspace: str, user: str) -> str:
    """Zset: the user's requests queued or running (request id -> since), for the concurrency
    limit."""
    return f"{quota_tag(platform, workspace)}:running:{user}"


# Integration API and webhooks (issue 12). API keys are stored hashed (SHA-256 of the secret part),
# never the key itself; both hashes share the tag {api} so one Lua script creates or revokes a key.
API_KEYS = f"{PREFIX}:{{api}}:keys"  # hash: key id -> record (JSON: name, scopes, workspace, hash)
API_KEY_NAMES = f"{PREFIX}:{{api}}:names"  # hash: key name -> key id (names are unique)
# Events for outgoing webhooks: one XADD per event (the audit log's tap), read by deliverers in
# one consumer group, so each event is posted by one process; failed posts stay pending and are
# claimed again after a backoff; after the last try they move to the dead stream.
WEBHOOK_STREAM = f"{PREFIX}:webhooks:events"
WEBHOOK_GROUP = "deliverers"
WEBHOOK_STREAM_MAXLEN = 100_000  # a backstop only: delivered events are deleted
WEBHOOK_DEAD = f"{PREFIX}:webhooks:dead"  # events given up on (``miru webhooks retry``)
WEBHOOK_DEAD_MAXLEN = 10_000
WEBHOOK_ATTEMPTS = f"{PREFIX}:webhooks:attempts"  # one entry per delivery attempt (recent)
WEBHOOK_ATTEMPTS_MAXLEN = 10_000
# Idempotency-Key (issue 19): the first answer to (API key, Idempotency-Key), replayed for a day;
# while the first request runs, a marker that lapses by itself if its process dies.
API_IDEMPOTENCY_TTL_S = 24 * 3600
API_IDEMPOTENCY_RUNNING_TTL_S = 15 * 60


def api_idempotency(key_id: str, digest: str) -> str:
    """The record of one Idempotency-Key (its SHA-256 ``digest``) of one API key: per key, so
    two tenants' idempotency keys never meet."""
    return f"{PREFIX}:api:idem:{{{key_id}}}:{digest}"


# Team permissions (issue 12). ``/miru admin`` changes live in one hash per workspace or guild,
# laid over the policy file's ``[permissions.<id>]``; the tag keeps a workspace's keys on one
# Cluster slot. Slack user group members and platform-admin answers are cached briefly, so a
# message does not cost a Web API call.
ACCESS_GROUP_TTL_S = 60
ACCESS_PLATFORM_ADMIN_TTL_S = 300
ACCESS_OVERLAY_MAX_FIELDS = 500  # grants and channel changes per workspace


def access_tag(platform: str, workspace: str) -> str:
    return f"{PREFIX}:access:{{{platform}:{workspace}}}"


def access_overlay(platform: str, workspace: str) -> str:
    """Hash: ``everyone`` -> level, ``user:U``/``group:S``/``role:R`` -> level,
    ``channel:C`` -> ``+`` (added) or ``-`` (removed)."""
    return f"{access_tag(platform, workspace)}:overlay"


def access_group(platform: str, workspace: str, group: str) -> str:
    """Set: a Slack user group's members (``ACCESS_GROUP_TTL_S``; ``""`` marks an empty one)."""
    return f"{access_tag(platform, workspace)}:group:{group}"


def access_platform_admin(platform: str, workspace: str, user: str) -> str:
    """``1``/``0``: whether the user is a workspace admin or owner (for
    ``ACCESS_PLATFORM_ADMIN_TTL_S``)."""
    return f"{access_tag(platform, workspace)}:padmin:{user}"


# Hash lists (issue 19): the fingerprint of the lists the last sweep matched stored images and
# open cases against (a worker that starts with other lists sweeps again), and the lock that
# lets one worker sweep at a time (it lapses if that worker dies).
HASHLIST_FINGERPRINT = f"{PREFIX}:hashlist:fingerprint"
HASHLIST_RESCAN_LOCK = f"{PREFIX}:hashlist:rescan"
HASHLIST_RESCAN_LOCK_TTL_S = 3600
HASHLIST_RESCAN_MAX_THREADS = 200_000  # threads one sweep looks at, at most
