"""The Codex model catalog: which models exist, which one is the default, what each accepts.

Codex hard-codes no model (0.169.0 and 0.171.0 alike): it asks the backend
(`GET {base}/models?client_version=V`), caches the answer in `$CODEX_HOME/models_cache.json`
and treats that file as fresh for five minutes. We read the same sources in the same order
and never write Codex's files:

1. `models_cache.json` while it is fresh (the Codex CLI wrote it moments ago);
2. `GET {base}/models`, kept in memory with its ETag and asked again when stale, or when an
   answer's `X-Models-Etag` names another catalog (a 304 keeps the copy in memory);
3. a stale copy: the one in memory, else `models_cache.json` whatever its age;
4. `BUILTIN_MODELS`, a small table of facts (slug, priority, efforts, minimal client version)
   without any prompt text. With it, the model's own instructions cannot be sent, and the
   artifact says so.

The default model is the one Codex picks when none is configured: the `visibility: list` entry
with the lowest `priority`; a hidden entry never becomes the default, whatever its priority.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wishcraft.redaction import protect_logger
from wishcraft.timestamps import parse_rfc3339

if TYPE_CHECKING:
    import httpx

logger = protect_logger(logging.getLogger(__name__))

CACHE_FILE = "models_cache.json"
FRESH_SECONDS = 300.0
"""How long a catalog stays fresh: Codex's own rule for models_cache.json."""
CATALOG_BYTES = 8 * 1024 * 1024
"""The most of a `/models` answer we read; today's catalog with its prompts is about 150 KiB."""
CATALOG_TIMEOUT_SECONDS = 10.0
"""A catalog that does not come in 10 s is not worth holding up a plan: a stale copy serves."""

EFFORT_RANKS = ("none", "minimal", "low", "medium", "high", "xhigh", "max", "ultra")
"""Reasoning efforts from the least to the most, as Codex ranks them."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What the catalog says of one model (the fields of Codex's `ModelInfo` we use)."""

    slug: str
    display_name: str = ""
    visibility: str = "list"
    priority: int = 1000
    minimal_client_version: str | None = None
    efforts: tuple[str, ...] = ()
    default_effort: str | None = None
    default_summary: str | None = None
    supports_verbosity: bool = False
    default_verbosity: str | None = None
    instructions: str | None = None
    """The model's own instructions: `model_messages.instructions_template` as it is, else
    `base_instructions`; None when the catalog holds none (the built-in table)."""
    apply_patch_tool_type: str | None = None
    context_window: int | None = None
    supported_in_api: bool = True
    use_responses_lite: bool = False
    """Codex's lite request shape: tools in a first `additional_tools` item, the lite
    header, `reasoning.context` (`request.py`)."""

    @property
    def listed(self) -> bool:
        """Whether Codex shows this model in its picker (and may make it the default)."""
        return self.visibility == "list"


@dataclass(frozen=True, slots=True)
class Catalog:
    """A list of models and where it came from."""

    models: tuple[ModelInfo, ...]
    source: str
    """`models_cache.json`, `GET /models`, `stale …` of either, or `built-in`."""
    fetched_at: datetime | None = None
    etag: str | None = None
    client_version: str | None = None
    """The Codex version that wrote models_cache.json (the user's installed Codex)."""

    @property
    def builtin(self) -> bool:
        """Whether this is the built-in table (no instructions to send)."""
        return self.source == "built-in"

    def get(self, slug: str) -> ModelInfo | None:
        """The entry of `slug`: exact, else the longest slug that prefixes it (as Codex)."""
        for info in self.models:
            if info.slug == slug:
                return info
        prefixes = [info for info in self.models if slug.startswith(info.slug)]
        return max(prefixes, key=lambda info: len(info.slug)) if prefixes else None

    def default(self, *, api: bool = False) -> ModelInfo | None:
        """The listed entry with the lowest priority (among API models in API-key mode)."""
        candidates = [
            info for info in self.models if info.listed and (info.supported_in_api or not api)
        ]
        return min(candidates, key=lambda info: info.priority) if candidates else None

    def listed_slugs(self, *, api: bool = False) -> list[str]:
        """The slugs a user may choose, in Codex's order."""
        return [
            info.slug
            for info in sorted(self.models, key=lambda info: info.priority)
            if info.listed and (info.supported_in_api or not api)
        ]

    def age_seconds(self, now: float | None = None) -> float | None:
        """How old the catalog is, when known."""
        if self.fetched_at is None:
            return None
        return (now if now is not None else time.time()) - self.fetched_at.timestamp()

    def is_fresh(self, now: float | None = None) -> bool:
        """Whether it is younger than `FRESH_SECONDS`."""
        age = self.age_seconds(now)
        return age is not None and 0 <= age < FRESH_SECONDS


_TO_ULTRA = ("low", "medium", "high", "xhigh", "max", "ultra")
_TO_MAX = ("low", "medium", "high", "xhigh", "max")
_FOUR = ("low", "medium", "high", "xhigh")


def _builtin(
    slug: str,
    name: str,
    priority: int,
    minimal: str,
    effort: str,
    efforts: tuple[str, ...] = _TO_ULTRA,
    *,
    visibility: str = "list",
    lite: bool = True,
    verbosity: str = "low",
) -> ModelInfo:
    """One entry of the built-in table: every 0.171.0 entry is freeform-patch, supports
    verbosity, has no default summary and is served by the API."""
    return ModelInfo(
        slug=slug,
        display_name=name,
        visibility=visibility,
        priority=priority,
        minimal_client_version=minimal,
        efforts=efforts,
        default_effort=effort,
        default_summary="none",
        supports_verbosity=True,
        default_verbosity=verbosity,
        apply_patch_tool_type="freeform",
        supported_in_api=True,
        use_responses_lite=lite,
    )


BUILTIN_MODELS: tuple[ModelInfo, ...] = (
    _builtin("gpt-6.2-sol", "GPT-6.2 Sol", 1, "0.166.0", "low"),
    _builtin("gpt-6.2-astra", "GPT-6.2 Astra", 2, "0.166.0", "low"),
    _builtin("gpt-6.1-terra", "GPT-6.1 Terra", 3, "0.153.0", "low"),
    _builtin("gpt-6.1-sol", "GPT-6.1 Sol", 4, "0.153.0", "low"),
    _builtin("gpt-6-astra", "GPT-6 Astra", 5, "0.153.0", "low"),
    _builtin("gpt-6-sol", "GPT-6 Sol", 6, "0.155.0", "medium"),
    _builtin("gpt-6-luna", "GPT-6 Luna", 7, "0.155.0", "medium", _TO_MAX),
    _builtin("gpt-5.6-sol", "GPT-5.6 Sol", 8, "0.144.0", "low"),
    _builtin("gpt-5.6-terra", "GPT-5.6 Terra", 9, "0.144.0", "medium"),
    _builtin("gpt-5.6-luna", "GPT-5.6 Luna", 10, "0.144.0", "medium", _TO_MAX),
    _builtin("gpt-daybreak-blue-latest", "Daybreak Blue", 11, "0.144.0", "low", visibility="hide"),
    _builtin(
        "gpt-daybreak-red-latest",
        "Daybreak Red",
        12,
        "0.142.2",
        "medium",
        visibility="hide",
        verbosity="high",
    ),
    _builtin("gpt-5.5", "GPT-5.5", 13, "0.124.0", "medium", _FOUR, lite=False),
    _builtin(
        "codex-auto-review", "Codex auto review", 43, "0.98.0", "medium", _TO_MAX, visibility="hide"
    ),
)
"""The catalog compiled into Codex 0.171.0, as facts only (no prompt text), listed by
priority: its default is `gpt-6.2-sol`, a `use_responses_lite` model like all but `gpt-5.5`.
Used only when neither the backend nor models_cache.json answers."""


def builtin_catalog() -> Catalog:
    """The last resort: the built-in table."""
    return Catalog(BUILTIN_MODELS, "built-in")


# Reading catalogs ------------------------------------------------------------------------


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _instructions(entry: Mapping[str, Any]) -> str | None:
    """The template, else the base instructions, as Codex 0.169.0 sends its first developer
    message.

    The template goes out verbatim, `{{ personality }}` included: measured, Codex 0.169.0
    ignores `instructions_variables` (its own models_cache.json drops the field) and sends the
    placeholder as it stands. A backend that checks the instructions sees what Codex sends."""
    messages = entry.get("model_messages")
    if isinstance(messages, dict):
        template = _string(messages.get("instructions_template"))
        if template is not None:
            return template
    return _string(entry.get("base_instructions"))


def parse_model(entry: Any) -> ModelInfo | None:
    """One catalog entry, or None when it has no slug; unknown or odd fields are ignored."""
    if not isinstance(entry, dict) or not _string(entry.get("slug")):
        return None
    levels = entry.get("supported_reasoning_levels")
    efforts = (
        tuple(
            level["effort"]
            for level in levels
            if isinstance(level, dict) and isinstance(level.get("effort"), str)
        )
        if isinstance(levels, list)
        else ()
    )
    priority = entry.get("priority")
    window = entry.get("context_window")
    return ModelInfo(
        slug=entry["slug"],
        display_name=_string(entry.get("display_name")) or entry["slug"],
        visibility=_string(entry.get("visibility")) or "list",
        priority=priority if isinstance(priority, int) and not isinstance(priority, bool) else 1000,
        minimal_client_version=_string(entry.get("minimal_client_version")),
        efforts=efforts,
        default_effort=_string(entry.get("default_reasoning_level")),
        default_summary=_string(entry.get("default_reasoning_summary")),
        supports_verbosity=entry.get("support_verbosity") is True,
        default_verbosity=_string(entry.get("default_verbosity")),
        instructions=_instructions(entry),
        apply_patch_tool_type=_string(entry.get("apply_patch_tool_type")),
        context_window=window if isinstance(window, int) and not isinstance(window, bool) else None,
        supported_in_api=entry.get("supported_in_api") is not False,
        use_responses_lite=entry.get("use_responses_lite") is True,
    )


def parse_models(data: Any) -> tuple[ModelInfo, ...]:
    """The entries of a `{"models": [...]}` document; () when it is not one."""
    entries = data.get("models") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return ()
    parsed = (parse_model(entry) for entry in entries)
    return tuple(info for info in parsed if info is not None)


def read_cache_file(home: Path) -> Catalog | None:
    """`$CODEX_HOME/models_cache.json` as a catalog (fresh or not), or None when unusable."""
    path = home / CACHE_FILE
    try:
        if path.stat().st_size > CATALOG_BYTES:
            logger.warning("%s is over %d bytes; ignored", path, CATALOG_BYTES)
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("cannot read the Codex model cache %s: %s", path, exc)
        return None
    models = parse_models(data)
    if not models:
        return None
    return Catalog(
        models,
        CACHE_FILE,
        parse_rfc3339(data.get("fetched_at")),
        _string(data.get("etag")),
        _string(data.get("client_version")),
    )


def _stale(catalog: Catalog) -> Catalog:
    return (
        catalog
        if catalog.source.startswith("stale ")
        else replace(catalog, source=f"stale {catalog.source}")
    )


# Fetching --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogRequest:
    """What a `/models` call needs: where, with which headers, for which client version."""

    base_url: str
    headers: Mapping[str, str]
    client_version: str


class CatalogStore:
    """The catalog as Codex keeps it: one per process, in memory, with its ETag."""

    def __init__(self) -> None:
        """Start with nothing in memory."""
        self._memory: Catalog | None = None
        self._wanted_etag: str | None = None

    def changed(self, etag: str) -> None:
        """An answer's `X-Models-Etag` differs from the held catalog's: the next load fetches
        `/models` again, whatever the age of the copies at hand (as Codex refetches)."""
        self._wanted_etag = etag

    def _usable(self, catalog: Catalog | None, now: float | None) -> bool:
        return (
            catalog is not None
            and catalog.is_fresh(now)
            and (self._wanted_etag is None or catalog.etag == self._wanted_etag)
        )

    def offline(self, home: Path, now: float | None = None) -> Catalog:
        """The best catalog without a network call (for hover and `wishcraft models`
        without a login): fresh or stale, memory before the cache file, else built-in."""
        cached = read_cache_file(home)
        candidates = [catalog for catalog in (self._memory, cached) if catalog is not None]
        for catalog in candidates:
            if catalog.is_fresh(now):
                return catalog
        return _stale(candidates[0]) if candidates else builtin_catalog()

    async def load(
        self,
        home: Path,
        http: httpx.AsyncClient,
        request: CatalogRequest | None,
        now: float | None = None,
    ) -> Catalog:
        """The catalog for a plan, asking `/models` when no fresh copy is at hand.

        `request` is None when the backend has no catalog to ask (API-key mode): then the
        fresh or stale copies and the built-in table are all there is.
        """
        cached = read_cache_file(home)
        if cached is not None and self._usable(cached, now):
            return cached
        if self._memory is not None and self._usable(self._memory, now):
            return self._memory
        if request is not None:
            fetched = await self._fetch(http, request)
            if fetched is not None:
                self._memory = fetched
                self._wanted_etag = None
                return fetched
        for catalog in (self._memory, cached):
            if catalog is not None:
                return _stale(catalog)
        return builtin_catalog()

    async def _fetch(self, http: httpx.AsyncClient, request: CatalogRequest) -> Catalog | None:
        """`GET /models`; None when it fails (the caller falls back, the log says why)."""
        import httpx  # here, not at the top: hover reads catalogs without the HTTP stack

        headers = {**request.headers, "accept": "*/*"}
        if self._memory is not None and self._memory.etag:
            headers["if-none-match"] = self._memory.etag
        url = f"{request.base_url}/models"
        try:
            async with http.stream(
                "GET",
                url,
                params={"client_version": request.client_version},
                headers=headers,
                timeout=CATALOG_TIMEOUT_SECONDS,
            ) as response:
                if response.status_code == 304 and self._memory is not None:
                    self._memory = replace(self._memory, fetched_at=datetime.now(UTC))
                    return self._memory
                if response.status_code != 200:
                    logger.warning(
                        "the Codex model catalog answered %s at %s; using a "
                        "cached or built-in catalog",
                        response.status_code,
                        url,
                    )
                    return None
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > CATALOG_BYTES:
                        logger.warning(
                            "the Codex model catalog is over %d bytes; ignored", CATALOG_BYTES
                        )
                        return None
                etag = response.headers.get("etag")
        except httpx.HTTPError as exc:
            logger.warning(
                "cannot fetch the Codex model catalog at %s (%s); using a cached "
                "or built-in catalog",
                url,
                type(exc).__name__,
            )
            return None
        try:
            models = parse_models(json.loads(bytes(body)))
        except ValueError:
            models = ()
        if not models:
            logger.warning("the Codex model catalog at %s holds no model; ignored", url)
            return None
        return Catalog(models, "GET /models", datetime.now(UTC), etag)


# Choosing --------------------------------------------------------------------------------


def effort_rank(effort: str) -> int:
    """Where an effort stands from `none` up (unknown efforts sort last)."""
    return EFFORT_RANKS.index(effort) if effort in EFFORT_RANKS else len(EFFORT_RANKS)


def nearest_effort(wanted: str, supported: Iterable[str]) -> str | None:
    """The supported effort nearest to `wanted`; on a tie the lower one, as Codex maps it."""
    choices = list(supported)
    if not choices or wanted in choices:
        return wanted if wanted in choices else None
    target = effort_rank(wanted)
    return min(choices, key=lambda effort: (abs(effort_rank(effort) - target), effort_rank(effort)))


def version_tuple(version: str) -> tuple[int, ...]:
    """`0.142.2` as (0, 142, 2); non-numeric parts count as 0."""
    return tuple(
        int(part) if part.isdigit() else 0 for part in re.split(r"[.\-+]", version.strip())[:3]
    )


def version_below(version: str, minimal: str | None) -> bool:
    """Whether `version` is older than `minimal` (False when either is unknown)."""
    if not minimal or not version:
        return False
    return version_tuple(version) < version_tuple(minimal)


SHARED_STORE = CatalogStore()
"""One catalog in memory per process, as Codex keeps it: every client of the process shares
it, so the language server asks `/models` at most once per freshness window, and hover shows
what the last plan used."""
