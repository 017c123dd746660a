"""One ledger line (`LedgerEntry`), its canonical JSON and its hash.

Canonical JSON and the hash. An entry is serialised as `json.dumps(obj, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)` in UTF-8: keys sorted, no spaces, non-ASCII kept.
`hash` is the sha256 (hex) of the canonical JSON of the entry's object without its `hash` key
(`prev` included), so each line vouches for all history before it. The line written is the
canonical JSON of the whole object (`hash` included) plus `\\n`. `verify` recomputes the hash
from the parsed object, so any edit of a value, or removing, inserting or reordering lines,
breaks the chain at the first line concerned. A field added later (such as `counted`) is simply
absent from older lines: their hashes, computed without it, still verify.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LEDGER_RELATIVE_PATH = Path("data/ledger/wishes.jsonl")
CONFIG_RELATIVE_PATH = Path("data/config/wishcraft.toml")
GENESIS = "0" * 64
"""The `prev` of the first entry."""
LEDGER_VERSION = 1
LEDGER_SUFFIX = ".jsonl"

Action = Literal["plan", "apply", "open_pr", "rollback"]
Mode = Literal["shadow", "commit"]
Outcome = Literal["complete", "incomplete", "failed", "refused", "pending"]
ACTIONS: tuple[Action, ...] = ("plan", "apply", "open_pr", "rollback")
MODES: tuple[Mode, ...] = ("shadow", "commit")
OUTCOMES: tuple[Outcome, ...] = ("complete", "incomplete", "failed", "refused", "pending")
FREE_TEXT_FIELDS = ("reason", "summary")


class LedgerError(Exception):
    """The ledger cannot be found, read or written; `str()` is one sentence naming the fix."""


class LedgerEntry(BaseModel):
    """One conduit call, as one line of the ledger."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    v: int = Field(default=LEDGER_VERSION, description="The line format's version.")
    timestamp: str = Field(
        default="", description="When the call ended: ISO 8601, UTC, ms. Set by `append`."
    )
    conduit: str = Field(description="The conduit's id.")
    action: Action = Field(description="plan, apply, open_pr or rollback.")
    mode: Mode = Field(description="shadow (offline, simulated) or commit (live).")
    wish: str = Field(description="The wish's path relative to the ledger's root, with `/`.")
    outcome: Outcome = Field(
        description="complete, incomplete, failed or refused; pending: an apply's line written "
        "before its files, which a later line with the same anchor_id completes."
    )
    reason: str | None = Field(
        default=None, description="Why it was incomplete, failed or refused."
    )
    wish_hash: str | None = Field(default=None, description="sha256 (hex) of the wish's text.")
    diff_hash: str | None = Field(default=None, description="sha256 (hex) of the diff applied.")
    author_id: str | None = Field(default=None, description="The wish's `meta.author_id`.")
    anchor_id: str | None = Field(default=None, description="The rollback anchor.")
    summary: str | None = Field(default=None, description="One line about what happened.")
    prompt_hash: str | None = Field(default=None, description="sha256 (hex) of the prompt.")
    model: str | None = Field(default=None, description="The model that served the call.")
    tokens_used: int | None = Field(default=None, description="Total tokens of the call.")
    pr_url: str | None = Field(default=None, description="The pull request opened.")
    request_id: str | None = Field(default=None, description="The x-request-id header.")
    cf_ray: str | None = Field(default=None, description="The cf-ray header.")
    counted: bool | None = Field(
        default=None,
        description="Whether the call counts against the conduit's limits: true when it "
        "reached a model. Set by `record` (`counting.reached_model`); a line without it (older "
        "lines) is counted by the earlier rule (`counting.counts_toward_limits`).",
    )
    prev: str = Field(default="", description="The previous entry's hash. Set by `append`.")
    hash: str = Field(default="", description="This entry's hash. Set by `append`.")


def canonical_json(obj: dict[str, Any]) -> str:
    """Serialise an object the one way the ledger hashes and writes it."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(obj: dict[str, Any]) -> str:
    """The sha256 (hex) of an entry's canonical JSON without its `hash` key."""
    body = {key: value for key, value in obj.items() if key != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def identity(obj: dict[str, Any]) -> str:
    """What an entry is across merges: the hash it was first written with (`orig_hash` once a
    merge re-chained it, else its `hash`). The merge driver joins by it; the witness names it."""
    original = obj.get("orig_hash")
    return str(original if isinstance(original, str) and original else obj.get("hash", ""))


def original_hash_ok(obj: dict[str, Any]) -> bool:
    """Whether an entry a merge re-chained (`ledger_merge`) is the line its branch wrote: its
    content with its `orig_prev` hashes to its `orig_hash`. True for an entry never moved."""
    if "orig_hash" not in obj:
        return True
    chain = ("prev", "hash", "orig_prev", "orig_hash")
    first = {key: value for key, value in obj.items() if key not in chain}
    first["prev"] = obj.get("orig_prev")
    return entry_hash(first) == obj.get("orig_hash")


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`: sortable as text, and what counts parse."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
