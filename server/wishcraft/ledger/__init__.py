"""The wish ledger: every conduit call on the record, append-only and hash-chained.

The file is JSON Lines at `data/ledger/wishes.jsonl` (or `[ledger] path` in
`data/config/wishcraft.toml`), created on first use. Each line is one conduit call
(`LedgerEntry`): upstream's fields (`wish_hash`, `diff_hash`, `author_id`, `timestamp`,
`anchor_id`, `summary`), what ran (`conduit`, `action`, `mode`, `wish`), the conduit's audit
fields, the response's ids, the `outcome` with its `reason`, whether the call counts against
the limits (`counted`), and the chain: `prev`, the hash of the previous entry (64 zeros for the
first), and `hash`, the entry's own.

One module per job, imported here so `from wishcraft.ledger import X` names them all:

- `entry`: the line (`LedgerEntry`), its canonical JSON and hash;
- `location`: where the ledger is (`find_ledger`, `[ledger] path` checked as untrusted input);
- `files`: opening the file and its lock from the root down, never through a symbolic link;
- `lines`: reading lines as a stream, forward and backward, torn lines reported and skipped;
- `log`: `append` under the lock, and `probe`, which checks before a call that its line can be
  written (the `Ledger` gate), so nothing is sent that the ledger would miss;
- `counting`: which lines count against the limits (calls that reached a model);
- `recording`: `record`, the one function every writer calls, which decides `counted` and appends;
- `chain`: `verify`, the hash chain, and the first bad line;
- `summary` and `cache`: the gates' counts, cached per file and in the user's cache folder;
- `queries`: the lines the rest of Wishcraft asks for, such as the last applied change.

Imports point one way inside the package: `entry` ← `location` ← `files` ← `lines` ← `log` ←
`recording`; `counting` ← `summary` ← `cache`; `queries` and `chain` read through `lines`. A new
job (a merge driver, a witness) is a new module on top, re-exported here.
"""

from __future__ import annotations

from wishcraft.ledger.cache import (
    DEFAULT_CACHE,
    STORE_EVERY_BYTES,
    SummaryCache,
    default_store,
    summarize,
    usage,
)
from wishcraft.ledger.chain import VerifyResult, verify
from wishcraft.ledger.counting import counts_toward_limits, is_counted, reached_model
from wishcraft.ledger.entry import (
    ACTIONS,
    CONFIG_RELATIVE_PATH,
    FREE_TEXT_FIELDS,
    GENESIS,
    LEDGER_RELATIVE_PATH,
    LEDGER_SUFFIX,
    LEDGER_VERSION,
    MODES,
    OUTCOMES,
    Action,
    LedgerEntry,
    LedgerError,
    Mode,
    Outcome,
    canonical_json,
    entry_hash,
    identity,
    original_hash_ok,
    utc_timestamp,
)
from wishcraft.ledger.lines import (
    MAX_LINE_BYTES,
    READ_CHUNK_BYTES,
    TAIL_CHUNK_BYTES,
    TornLine,
    is_conflict_marker,
    iter_lines,
    parse_line,
)
from wishcraft.ledger.location import (
    LedgerLocation,
    checked_ledger_setting,
    configured_ledger_path,
    find_ledger,
    fold_name,
)
from wishcraft.ledger.log import (
    FIELD_CAP_BYTES,
    LINE_CAP_BYTES,
    LIST_CAP_ITEMS,
    LOCK_TIMEOUT_SECONDS,
    MIN_FREE_BYTES,
    SHORT_FIELD_BYTES,
    AppendResult,
    append,
    probe,
)
from wishcraft.ledger.queries import (
    RECENT_SCAN_LINES,
    is_applied,
    is_undone,
    last_applied,
    read_entries,
    recent_entries,
)
from wishcraft.ledger.recording import Recorded, counted_entry, not_recorded, record
from wishcraft.ledger.summary import (
    RECENT_SECONDS,
    SUMMARY_FORMAT,
    LedgerSummary,
    StoredSummary,
    Usage,
)

__all__ = [
    "ACTIONS",
    "CONFIG_RELATIVE_PATH",
    "DEFAULT_CACHE",
    "FIELD_CAP_BYTES",
    "FREE_TEXT_FIELDS",
    "GENESIS",
    "LEDGER_RELATIVE_PATH",
    "LEDGER_SUFFIX",
    "LEDGER_VERSION",
    "LINE_CAP_BYTES",
    "LIST_CAP_ITEMS",
    "LOCK_TIMEOUT_SECONDS",
    "MAX_LINE_BYTES",
    "MIN_FREE_BYTES",
    "MODES",
    "OUTCOMES",
    "READ_CHUNK_BYTES",
    "RECENT_SCAN_LINES",
    "RECENT_SECONDS",
    "SHORT_FIELD_BYTES",
    "STORE_EVERY_BYTES",
    "SUMMARY_FORMAT",
    "TAIL_CHUNK_BYTES",
    "Action",
    "AppendResult",
    "LedgerEntry",
    "LedgerError",
    "LedgerLocation",
    "LedgerSummary",
    "Mode",
    "Outcome",
    "Recorded",
    "StoredSummary",
    "SummaryCache",
    "TornLine",
    "Usage",
    "VerifyResult",
    "append",
    "canonical_json",
    "checked_ledger_setting",
    "configured_ledger_path",
    "counted_entry",
    "counts_toward_limits",
    "default_store",
    "entry_hash",
    "identity",
    "is_conflict_marker",
    "original_hash_ok",
    "find_ledger",
    "fold_name",
    "is_applied",
    "is_counted",
    "is_undone",
    "iter_lines",
    "last_applied",
    "not_recorded",
    "parse_line",
    "probe",
    "reached_model",
    "read_entries",
    "recent_entries",
    "record",
    "summarize",
    "usage",
    "utc_timestamp",
    "verify",
]
