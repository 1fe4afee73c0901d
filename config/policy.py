"""The safety policy file: thresholds, cue lists, hash lists, channels and retention.

``load_policy(path)`` reads a TOML file (``config/policy.toml`` is the documented default), reads
every hash list it names (paths relative to the policy file) and returns a validated, frozen
``PolicyConfig``. Any problem is one ``ConfigError`` naming the key or the file and line.
"""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.errors import ConfigError
from config.receipts_policy import ReceiptsPolicy

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


KNOWN_VERSIONS = ("1",)


class Thresholds(_Frozen):
    """Scores are the models' own (0..1); ages in years.

    Values that would quietly switch a gate off are refused: a reporting threshold above a
    deciding one (``detector_min_score`` over ``sexual_signal`` or ``exposed_block``, ``nsfw_low``
    over ``nsfw_high``, ``sexual_signal`` over ``exposed_block``), ``face_min_score`` over 0.9
    (no face would count, so no blur and no consent question).
    """

    detector_min_score: float = Field(0.25, ge=0, le=1)
    sexual_signal: float = Field(0.3, ge=0, le=1)
    exposed_block: float = Field(0.5, ge=0, le=1)
    nsfw_low: float = Field(0.2, ge=0, le=1)
    nsfw_high: float = Field(0.8, ge=0, le=1)
    face_min_score: float = Field(0.3, ge=0, le=0.9)
    minor_age_under: int = Field(25, ge=1, le=100)
    pdq_max_distance: int = Field(31, ge=0, le=256)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.nsfw_low > self.nsfw_high:
            raise ValueError("thresholds.nsfw_low must not exceed thresholds.nsfw_high")
        if self.sexual_signal > self.exposed_block:
            raise ValueError("thresholds.sexual_signal must not exceed thresholds.exposed_block")
        for decider in ("sexual_signal", "exposed_block"):
            if self.detector_min_score > getattr(self, decider):
                raise ValueError(
                    f"thresholds.detector_min_score ({self.detector_min_score}) must not exceed "
                    f"thresholds.{decider} ({getattr(self, decider)}): boxes scored between them "
                    "would never be reported"
                )
        return self


class NudityClasses(_Frozen):
    """NudeNet class names for each kind of finding."""

    exposed: tuple[str, ...] = (
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    )
    covered: tuple[str, ...] = (
        "FEMALE_GENITALIA_COVERED",
        "FEMALE_BREAST_COVERED",
        "BUTTOCKS_COVERED",
        "ANUS_COVERED",
    )
    faces: tuple[str, ...] = ("FACE_FEMALE", "FACE_MALE")


class MinorCues(_Frozen):
    """Cue lists for minors in a message's text; ``safety.cues`` adds its grammar (school years,
    ages of people, "minor" as a person) on top. Matching is on normalised text (invisible
    characters and chat markup dropped, NFKC, katakana folded to hiragana, lower case), so list
    entries are normalised the same way on use."""

    words: tuple[str, ...] = (
        "小学生", "中学生", "高校生", "女子高生", "男子高校生", "女子中学生", "女子小学生", "児童",
        "未成年", "幼女", "少女", "ロリ", "ショタ", "ランドセル", "中坊", "園児", "女児", "男児",
        "幼児", "乳児", "子供", "子ども", "こども", "キッズ", "ジュニアアイドル",
        "しょうがくせい", "ちゅうがくせい", "こうこうせい", "じょしこうせい", "みせいねん",
        "ようじょ", "しょうじょ", "赤ちゃん", "赤ん坊", "新生児", "乳幼児", "未就学児", "幼稚園",
        "保育園", "高学年", "低学年", "中高生", "子役", "ちびっこ", "ちびっ子", "少年", "ガキ",
        "ちゅうぼう", "じぇーけー", "じぇいけー", "じぇーしー", "じぇいしー", "年長さん",
        "年中さん", "年少さん", "ちびたち", "ちび達", "ちびども", "おちびちゃん",
    )
    tokens: tuple[str, ...] = (
        "jk", "jc", "underage", "under age", "under aged", "underaged", "middle school",
        "middle schooler", "elementary school", "elementary schooler", "grade school",
        "grade schooler", "primary schooler", "junior high", "jr high", "high schooler",
        "high school girl", "high school boy", "high school student", "schoolgirl", "schoolboy",
        "school girl", "school boy", "preteen", "pre-teen", "teen", "teenager", "teenage",
        "teenaged", "young teen", "tween", "loli", "lolicon", "shota", "shotacon", "child",
        "children", "kid", "kids", "little girl", "little boy", "lil girl", "lil boy",
        "young girl", "young boy", "toddler", "infant", "preschooler", "kindergartner",
        "kindergartener", "kindergarten", "preschool", "pre-k", "primary school", "daycare",
        "jailbait", "newborn", "kiddo", "kiddie", "youngster", "schoolkid", "schoolchild",
        "schoolchildren", "little one", "adolescent", "tweenager",
    )
    benign: tuple[str, ...] = (
        "ロリポップ", "中二病", "少年ジャンプ", "少年マガジン", "少年サンデー", "少年漫画",
        "kid gloves", "kid-glove", "karate kid", "teenage mutant", "teen titans", "teen spirit",
        "child process", "child node", "child element", "child component", "child class",
        "child theme", "child table", "child window", "child pid", "child span", "child's play",
        "junior high jump", "junior high-jump", "JKローリング", "J・K・ローリング", "ガキの使い",
    )
    max_minor_age: int = Field(17, ge=1, le=25)


class HashLists(_Frozen):
    """Operator hash list files: one hex hash per line, ``#`` starts a comment."""

    sha256_files: tuple[Path, ...] = ()
    pdq_files: tuple[Path, ...] = ()
    _sha256: dict[str, str] = PrivateAttr(default_factory=dict)
    _pdq: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _read(self, info: ValidationInfo) -> HashLists:
        base = Path((info.context or {}).get("base_dir", "."))
        for path in self.sha256_files:
            self._sha256.update(_read_list(base / path))
        for path in self.pdq_files:
            self._pdq.update(_read_list(base / path))
        return self

    @property
    def sha256(self) -> dict[str, str]:
        """hash -> list name."""
        return dict(self._sha256)

    @property
    def pdq(self) -> dict[str, str]:
        """PDQ hex -> list name."""
        return dict(self._pdq)


class ConsentMode(StrEnum):
    """What a face in a channel asks for before any model sees it."""

    REQUIRE = "require"
    BLUR = "blur"
    OFF = "off"


class Audience(StrEnum):
    """Who a channel declares it serves."""

    GENERAL = "general"
    ADULT = "adult"  # adult content may be held for review instead of blocked
    MINORS = "minors"  # a channel known to include minors: any sexual signal escalates


class HistoryMode(StrEnum):
    """Whether Miru keeps a channel's conversations (turns, images, the active-thread flag)."""

    ON = "on"
    OFF = "off"  # each message stands alone; the audit log still records every decision


class ChannelPolicy(_Frozen):
    audience: Audience = Audience.GENERAL
    consent: ConsentMode = ConsentMode.BLUR
    history: HistoryMode = HistoryMode.ON
    # Every thread Miru is mentioned in here is an expense thread (no `@Miru receipts` needed).
    receipts: bool = False


class Retention(_Frozen):
    turns_days: float = Field(7, gt=0)
    images_days: float = Field(1, gt=0)
    quarantine_days: float = Field(30, gt=0)
    legal_hold_days: float = Field(365, gt=0)
    ledger_days: float = Field(90, gt=0)  # expense ledgers, from their last edit


_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_SLACK_GROUP = re.compile(r"^S[A-Z0-9]{2,20}$")
_DISCORD_ID = re.compile(r"^[0-9]{15,21}$")


class ModeratorTeam(_Frozen):
    """Who may act on review cards in one Slack workspace or Discord guild (the table's key is
    its id), and the channel the cards go to. ``users``: Slack user ids (``U…``/``W…``) or
    Discord user ids; ``groups``: Slack user group ids (``S…``); ``roles``: Discord role ids."""

    channel: str = Field(min_length=1, max_length=64)
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ids(self) -> ModeratorTeam:
        if not (self.users or self.groups or self.roles):
            raise ValueError("a moderators table needs users, groups (Slack) or roles "
                             "(Discord): nobody could act on its cards")
        for user in self.users:
            if not (_SLACK_USER.match(user) or _DISCORD_ID.match(user)):
                raise ValueError(f"moderator user {user!r} is neither a Slack user id (U…) "
                                 "nor a Discord user id (digits)")
        for group in self.groups:
            if not _SLACK_GROUP.match(group):
                raise ValueError(f"moderator group {group!r} is not a Slack user group id (S…)")
        for role in self.roles:
            if not _DISCORD_ID.match(role):
                raise ValueError(f"moderator role {role!r} is not a Discord role id (digits)")
        return self


class Level(StrEnum):
    """What a person may do with Miru in one workspace or guild, lowest first: ``view`` asks
    and sees answers; ``edit`` also keeps expense ledgers (add, correct, remove, summarise);
    ``share`` also takes data out (the summary's CSV, reports' files, exports, cleaned images
    sent back); ``approve`` also approves or rejects receipts in expense threads; ``admin`` also
    changes these settings (``/miru admin``). ``none``: Miru does not answer them."""

    NONE = "none"
    VIEW = "view"
    EDIT = "edit"
    SHARE = "share"
    APPROVE = "approve"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.NONE: 0, Level.VIEW: 1, Level.EDIT: 2, Level.SHARE: 3, Level.APPROVE: 4,
               Level.ADMIN: 5}
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{1,20}$")  # Slack channel, private channel, DM
_WORKSPACE = re.compile(r"^[TE][A-Z0-9]{1,20}$")  # Slack team or Enterprise Grid org
MAX_GRANTS = 500  # ids per list; a longer list is a start-up error (and overlays are bounded)


def is_user_id(value: str) -> bool:
    """A Slack user id (``U…``/``W…``) or a Discord user id (digits)."""
    return bool(_SLACK_USER.match(value) or _DISCORD_ID.match(value))


def is_group_id(value: str) -> bool:
    """A Slack user group id (``S…``)."""
    return bool(_SLACK_GROUP.match(value))


def is_role_id(value: str) -> bool:
    """A Discord role id (digits)."""
    return bool(_DISCORD_ID.match(value))


def is_channel_id(value: str) -> bool:
    """A Slack channel id (``C…``, ``G…``, ``D…``) or a Discord channel id (digits)."""
    return bool(_CHANNEL.match(value) or _DISCORD_ID.match(value))


class Grant(_Frozen):
    """Who holds one level: Slack user ids (``U…``/``W…``) or Discord user ids in ``users``,
    Slack user group ids (``S…``) in ``groups``, Discord role ids in ``roles``."""

    users: tuple[str, ...] = Field((), max_length=MAX_GRANTS)
    groups: tuple[str, ...] = Field((), max_length=MAX_GRANTS)
    roles: tuple[str, ...] = Field((), max_length=MAX_GRANTS)

    @model_validator(mode="after")
    def _ids(self) -> Grant:
        for user in self.users:
            if not is_user_id(user):
                raise ValueError(f"users: {user!r} is neither a Slack user id (U…) nor a "
                                 "Discord user id (digits)")
        for group in self.groups:
            if not is_group_id(group):
                raise ValueError(f"groups: {group!r} is not a Slack user group id (S…)")
        for role in self.roles:
            if not is_role_id(role):
                raise ValueError(f"roles: {role!r} is not a Discord role id (digits)")
        return self


class Permissions(_Frozen):
    """``[permissions.<workspace or guild id>]``: where Miru may be used there and who may do
    what (``docs/policy.md``, Permissions). Levels add up: a person has the highest level
    granted to them, to one of their groups or roles, or to ``everyone``."""

    channels: tuple[str, ...] = Field((), max_length=MAX_GRANTS)  # empty: every channel
    direct_messages: bool = True  # DMs with Miru, whatever ``channels`` says
    everyone: Literal["none", "view", "edit", "share"] = "view"  # anyone not named
    view: Grant = Grant()
    edit: Grant = Grant()
    share: Grant = Grant()
    approve: Grant = Grant()  # also approves or rejects receipts in expense threads
    admin: Grant = Grant()

    @field_validator("channels")
    @classmethod
    def _channel_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for channel in value:
            if not is_channel_id(channel):
                raise ValueError(f"{channel!r} is neither a Slack channel id (C…/G…) nor a "
                                 "Discord channel id (digits)")
        return value

    @property
    def everyone_level(self) -> Level:
        return Level(self.everyone)

    def granted(self, level: Level) -> Grant:
        """The grant table of ``level`` (``none`` has none)."""
        return getattr(self, level.value) if level is not Level.NONE else Grant()


class Tier(_Frozen):
    """One plan: daily image quotas (0 = unlimited), the largest image, whether expense threads
    and thread history are on, and how many requests one user may have running at once."""

    images_per_user_per_day: int = Field(0, ge=0)
    images_per_workspace_per_day: int = Field(0, ge=0)
    max_image_mb: float = Field(25, gt=0)
    history: bool = True  # off: no turns or images are kept, as with history = "off"
    receipts: bool = True  # expense threads
    concurrent_per_user: int = Field(0, ge=0)  # requests queued or running; 0 = unlimited


class Plans(_Frozen):
    """Which workspace or guild is on which tier (``workspaces``: id -> tier name); everyone
    else is on ``default``."""

    default: str = "default"
    workspaces: dict[str, str] = Field(default_factory=dict)


class PolicyConfig(_Frozen):
    """The whole policy. ``PolicyConfig()`` is the built-in default (no hash lists)."""

    version: str = "1"
    thresholds: Thresholds = Thresholds()
    classes: NudityClasses = NudityClasses()
    cues: MinorCues = MinorCues()
    hash_lists: HashLists = HashLists()
    defaults: ChannelPolicy = ChannelPolicy()
    channels: dict[str, ChannelPolicy] = Field(default_factory=dict)
    retention: Retention = Retention()
    moderators: dict[str, ModeratorTeam] = Field(default_factory=dict)  # workspace/guild id
    tiers: dict[str, Tier] = Field(default_factory=lambda: {"default": Tier()})
    plans: Plans = Plans()
    # Team permissions per workspace or guild id (``dm``: Discord DMs, outside every guild);
    # a workspace without a table lets everyone use Miru at the ``share`` level, anywhere.
    permissions: dict[str, Permissions] = Field(default_factory=dict)
    # Expense threads: approvals, the time zone of months, the accounting exports' names.
    receipts: ReceiptsPolicy = ReceiptsPolicy()

    @model_validator(mode="before")
    @classmethod
    def _channels_inherit_defaults(cls, data: Any) -> Any:
        """A key a ``[channels.<id>]`` table leaves out comes from ``[defaults]``."""
        if isinstance(data, dict) and isinstance(data.get("channels"), dict):
            defaults = data.get("defaults")
            if isinstance(defaults, dict):
                data = {**data, "channels": {
                    k: {**defaults, **v} if isinstance(v, dict) else v
                    for k, v in data["channels"].items()
                }}
        return data

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if value not in KNOWN_VERSIONS:
            raise ValueError(f"unknown policy version {value!r}; this Miru reads version "
                             + ", ".join(repr(v) for v in KNOWN_VERSIONS))
        return value

    @model_validator(mode="after")
    def _known_tiers(self) -> PolicyConfig:
        known = ", ".join(sorted(self.tiers)) or "none"
        if self.plans.default not in self.tiers:
            raise ValueError(f"plans.default: unknown tier {self.plans.default!r} "
                             f"(tiers: {known})")
        for workspace, tier in self.plans.workspaces.items():
            if tier not in self.tiers:
                raise ValueError(f"plans.workspaces.{workspace}: unknown tier {tier!r} "
                                 f"(tiers: {known})")
        return self

    @field_validator("permissions")
    @classmethod
    def _workspace_ids(cls, value: dict[str, Permissions]) -> dict[str, Permissions]:
        for key in value:
            if not (key == "dm" or _WORKSPACE.match(key) or _DISCORD_ID.match(key)):
                raise ValueError(f"{key!r} is neither a Slack workspace id (T…), a Discord "
                                 "guild id (digits) nor dm (Discord DMs)")
        return value

    def tier_for(self, workspace: str) -> tuple[str, Tier]:
        """The workspace's (or guild's) tier name and limits."""
        name = self.plans.workspaces.get(workspace, self.plans.default)
        return name, self.tiers[name]

    def channel(self, channel: str) -> ChannelPolicy:
        """The channel's own entry, or the defaults."""
        return self.channels.get(channel, self.defaults)


def _read_list(path: Path) -> dict[str, str]:
    """Read one hash list; the list's name is the file's stem."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"hash list {path} cannot be read: {exc}") from None
    entries: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        value = line.split("#", 1)[0].strip().lower()
        if not value:
            continue
        if not _HEX64.match(value):
            raise ValueError(f"hash list {path} line {number}: expected 64 hex digits")
        entries[value] = path.stem
    return entries


def load_policy(path: Path) -> PolicyConfig:
    """Read and validate a policy file; raises ``ConfigError`` with a readable message."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"policy file {path} cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"policy file {path} is not valid TOML: {exc}") from None
    try:
        return PolicyConfig.model_validate(raw, context={"base_dir": path.parent})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {msg}" if where else msg)
        raise ConfigError(f"policy file {path}: " + "; ".join(problems)) from None
