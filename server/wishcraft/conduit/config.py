"""The conduit's configuration: settings, the environment, the workspace, the user's own files.

Sources, first one wins for each key:
1. the command line (`--model`) or the editor's settings (`wishcraft.plan.model`);
2. the environment: `OPENAI_MODEL`, `CHATGPT_BASE_URL`, `OPENAI_BASE_URL` (API-key mode),
   `CODEX_REFRESH_TOKEN_URL_OVERRIDE`, `CODEX_INTERNAL_ORIGINATOR_OVERRIDE`,
   `CODEX_CA_CERTIFICATE` (else `SSL_CERT_FILE`);
3. `[conduit]` in `data/config/wishcraft.toml` found from the workspace upward, for the
   keys in `REPOSITORY_KEYS` only (also `client_version` and `wire_api`, which only we read).
   The caller finds and parses that file (`wishcraft.config`, the one reader) and hands it in
   (`RepositoryConfig`): the conduit reads only the user's own files;
4. `[conduit]` in the user's own wishcraft config (`user_config_file`:
   `$XDG_CONFIG_HOME/wishcraft/config.toml`, else `~/.config/wishcraft/config.toml`);
5. `$CODEX_HOME/config.toml` (`model`, `model_reasoning_effort`, `model_reasoning_summary`,
   `model_verbosity`, `model_instructions_file`, `chatgpt_base_url_for_responses`);
6. the defaults below. With no model set, the catalog's default is used (see `catalog.py`).

The trust boundary: a repository is somebody else's input, so its `[conduit]` table may tune
the call (model, effort, retries) but never decide where the login goes or which file outside
it is read. `base_url`, `chatgpt_base_url_for_responses` and `model_instructions_file` there
are ignored and listed in `ConduitConfig.ignored`, for the caller to say once; they count
only from the user's own scope (4, 5 and the environment), as Codex ignores
`openai_base_url` in a project's config even when the project is trusted.

Where each value came from is kept (`source_of`), so an error about the model can say
"`model` in ~/.codex/config.toml". An invalid value is a `ConduitConfigError` naming the file
and key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from wishcraft.conduit.auth import codex_home, refresh_url
from wishcraft.conduit.errors import ConduitConfigError

DEFAULT_BASE_URL = "https://chatgpt.com/backend-api/codex"
DEFAULT_API_BASE_URL = "https://api.openai.com/v1"
DEFAULT_ORIGINATOR = "codex_exec"
"""What `codex exec`, Codex's non-interactive mode, calls itself; a plan is such a turn."""

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max", "ultra")
SUMMARIES = ("auto", "concise", "detailed", "none")
VERBOSITIES = ("low", "medium", "high")
WIRE_APIS = ("responses", "chat")


@dataclass(frozen=True, slots=True)
class ConduitConfig:
    """Everything a planning call needs besides the wish and the login.

    The stream limits, and why:
    - `stream_idle_timeout_seconds` (300): Codex's own limit between two SSE events. Bytes
      that are not events (`: keep-alive` comments) do not count as activity, as in Codex.
    - `max_response_chars` (2,000,000): the answer's text. The largest output a Codex model
      may write is about 128 K tokens, some 500 K characters; four times that is not a plan.
    - `max_stream_bytes` (64 MiB): all the bytes of one stream. Each text delta comes wrapped
      in about 200 bytes of SSE and JSON, so 128 K tokens stream as some 25 MiB, plus the
      final items repeating the text; 64 MiB leaves room for that and stops a server that
      streams events which are not text (and so never reach the character cap).
    - `max_stream_seconds` (1,800): one stream, end to end. Codex has no overall limit, but an
      editor's plan must end; a plan takes a few minutes even at high effort, and 30 minutes is
      six idle timeouts, so only a stream that keeps trickling forever reaches it.
    Each of these ends the stream as incomplete and keeps what arrived. A single line or
    event over 8 Mi characters (`sse.MAX_LINE_CHARS`) is an error: no event is that large.
    """

    model: str | None = None
    """None: the catalog's default model."""
    reasoning_effort: str | None = None
    reasoning_summary: str | None = None
    verbosity: str | None = None
    base_url: str = DEFAULT_BASE_URL
    api_base_url: str = DEFAULT_API_BASE_URL
    refresh_url: str = ""
    instructions_file: Path | None = None
    originator: str = DEFAULT_ORIGINATOR
    client_version: str | None = None
    """None: the installed Codex's version, else `version.BUILTIN_CLIENT_VERSION`."""
    wire_api: str = "responses"
    """`chat` sends chat completions instead; only ever when configured (Codex removed it)."""
    ca_certificate: Path | None = None
    codex_home: Path = Path("~/.codex")
    sources: tuple[tuple[str, str], ...] = ()
    """Where each configured value came from, as (field, words for the user)."""
    ignored: tuple[str, ...] = ()
    """The repository's settings left out by the trust boundary, in words
    (`` `base_url` under [conduit] in /r/data/config/wishcraft.toml``); see `ignored_message`."""
    request_max_retries: int = 4
    stream_max_retries: int = 5
    retry_base_seconds: float = 0.2
    max_retry_after_seconds: float = 60.0
    connect_timeout_seconds: float = 15.0
    stream_idle_timeout_seconds: float = 300.0
    max_response_chars: int = 2_000_000
    max_stream_bytes: int = 64 * 1024 * 1024
    max_stream_seconds: float = 1800.0

    def source_of(self, key: str) -> str | None:
        """Where `key` was set, in words (`` `model` in ~/.codex/config.toml``), or None."""
        return dict(self.sources).get(key)


_TOML_KEYS = {
    "model": "model",
    "model_reasoning_effort": "reasoning_effort",
    "model_reasoning_summary": "reasoning_summary",
    "model_verbosity": "verbosity",
    "model_instructions_file": "instructions_file",
    "base_url": "base_url",
    "chatgpt_base_url_for_responses": "base_url",
    "request_max_retries": "request_max_retries",
    "stream_max_retries": "stream_max_retries",
    "stream_idle_timeout_ms": "stream_idle_timeout_seconds",
    "max_retry_after_seconds": "max_retry_after_seconds",
    "client_version": "client_version",
    "wire_api": "wire_api",
}
_USER_NAMES = {
    "reasoning_effort": "model_reasoning_effort",
    "reasoning_summary": "model_reasoning_summary",
    "verbosity": "model_verbosity",
    "api_base_url": "OPENAI_BASE_URL",
}
"""The names users write (Codex's config.toml keys) for the fields checked here."""
_OWN_KEYS = ("client_version", "wire_api")
"""Keys only our own `[conduit]` table sets: Codex's config.toml means other things by them."""
REPOSITORY_KEYS = (
    "model",
    "model_reasoning_effort",
    "model_reasoning_summary",
    "model_verbosity",
    "client_version",
    "wire_api",
    "request_max_retries",
    "stream_max_retries",
    "stream_idle_timeout_ms",
    "max_retry_after_seconds",
)
"""The keys a repository's own `[conduit]` may set: they tune the call, and none of them says
where the login goes or which file is read. Every other key there (`base_url`,
`chatgpt_base_url_for_responses`, `model_instructions_file`) is ignored."""
USER_CONFIG_NAME = "config.toml"


def user_config_file(env: Mapping[str, str]) -> Path:
    """The user's own wishcraft config: `$XDG_CONFIG_HOME/wishcraft/config.toml`, else
    `~/.config/wishcraft/config.toml` (`%APPDATA%\\wishcraft\\config.toml` on Windows).

    `wishcraft.trust.user_config_dir` names the same folder (the conduit imports nothing from
    the core; a test keeps the two in step)."""
    base = env.get("XDG_CONFIG_HOME")
    if not base and os.name == "nt" and env.get("APPDATA"):
        base = env["APPDATA"]
    if not base:
        home = env.get("HOME") or env.get("USERPROFILE")
        base = str(Path(home) / ".config") if home else str(Path.home() / ".config")
    return Path(base).expanduser() / "wishcraft" / USER_CONFIG_NAME


def ignored_message(words: str) -> str:
    """The sentence for one repository setting the trust boundary ignored."""
    return (
        f"ignored {words}: where the login goes and which files outside the repository are "
        "read come only from your own configuration; set it in ~/.config/wishcraft/config.toml "
        "under [conduit], in $CODEX_HOME/config.toml or in the environment."
    )


def _check(values: dict[str, Any], source: str) -> dict[str, Any]:
    """Validate and convert the values read from one source."""
    out: dict[str, Any] = {}
    choices = {
        "reasoning_effort": EFFORTS,
        "reasoning_summary": SUMMARIES,
        "verbosity": VERBOSITIES,
        "wire_api": WIRE_APIS,
    }
    for key, value in values.items():
        if key in choices:
            if not isinstance(value, str) or value not in choices[key]:
                raise ConduitConfigError(
                    f"{source}: {_USER_NAMES.get(key, key)} must be one of "
                    f"{', '.join(choices[key])}, not {value!r}."
                )
        elif key == "client_version":
            if not isinstance(value, str) or not value.strip()[:1].isdigit():
                raise ConduitConfigError(
                    f'{source}: client_version must be a version such as "0.171.0", not {value!r}.'
                )
            value = value.strip()
        elif key in ("model", "base_url", "api_base_url"):
            if not isinstance(value, str) or not value.strip():
                raise ConduitConfigError(
                    f"{source}: {_USER_NAMES.get(key, key)} must be a non-empty string."
                )
            if key.endswith("base_url") and not value.startswith(("http://", "https://")):
                raise ConduitConfigError(
                    f"{source}: {_USER_NAMES.get(key, key)} must start "
                    "with https:// (or http:// on a local network)."
                )
            value = value.strip().rstrip("/")
        elif key == "instructions_file":
            if not isinstance(value, str):
                raise ConduitConfigError(f"{source}: model_instructions_file must be a path.")
            value = Path(value).expanduser()
        elif key == "stream_idle_timeout_seconds":
            if not isinstance(value, int) or value <= 0:
                raise ConduitConfigError(
                    f"{source}: stream_idle_timeout_ms must be a positive integer."
                )
            value = value / 1000
        elif key in ("request_max_retries", "stream_max_retries"):
            if not isinstance(value, int) or not 0 <= value <= 100:
                raise ConduitConfigError(f"{source}: {key} must be an integer from 0 to 100.")
        elif key == "max_retry_after_seconds":
            if not isinstance(value, int | float) or value < 0:
                raise ConduitConfigError(f"{source}: {key} must be a non-negative number.")
        out[key] = value
    return out


def _display(path: Path) -> str:
    """A path as users write it: `~/.codex/config.toml` under the home folder."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class _Layer(NamedTuple):
    """One source's values, the words naming where each came from, and what it may not set."""

    values: dict[str, Any]
    words: dict[str, str]
    ignored: tuple[str, ...] = ()


class RepositoryConfig(Protocol):
    """The repository's parsed wishcraft.toml as the caller found it (`wishcraft.config`'s
    `ConfigFile`): the conduit reads no repository file itself, it is handed this."""

    @property
    def path(self) -> Path | None:
        """The file, or None when the repository has none."""
        ...

    def table(self, name: str) -> Any:
        """One top-level table (`{}` when absent)."""
        ...


def _read_toml(path: Path, table: str | None, *, unreachable_ok: bool = False) -> _Layer:
    """The known keys of one of the user's own TOML files (or one table of it).

    With `unreachable_ok`, a folder on the way that this user may not enter means no file, as
    git treats its XDG config (`sudo -u` keeps another user's HOME); a file that is there but
    unreadable is still an error."""
    try:
        if not path.is_file():
            return _Layer({}, {})
    except OSError as exc:  # a folder on the way that cannot be entered
        if unreachable_ok and isinstance(exc, PermissionError):
            return _Layer({}, {})
        raise ConduitConfigError(
            f"{path}: cannot read the configuration ({exc.strerror or exc})."
        ) from None
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConduitConfigError(f"{path}: cannot read the configuration ({exc}).") from None
    return _layer(path, table, data.get(table, {}) if table else data)


def _repository_layer(repository: RepositoryConfig | None) -> _Layer:
    """The repository's `[conduit]` table, within the trust boundary (`REPOSITORY_KEYS`)."""
    if repository is None or repository.path is None:
        return _Layer({}, {})
    return _layer(repository.path, "conduit", repository.table("conduit"), repository=True)


def _layer(path: Path, table: str | None, section: Any, *, repository: bool = False) -> _Layer:
    """The known keys of one file's table (or the whole file), and the words naming each.

    With `repository` (the workspace's own file) only `REPOSITORY_KEYS` are read; each other
    known key is named in `ignored`."""
    if not isinstance(section, dict):
        raise ConduitConfigError(f"{path}: [{table}] must be a table.")
    own = table is not None
    raw = {
        key: value
        for key, value in section.items()
        if key in _TOML_KEYS and (own or key not in _OWN_KEYS)
    }
    where = f" under [{table}] in {_display(path)}" if table else f" in {_display(path)}"
    refused = sorted(key for key in raw if repository and key not in REPOSITORY_KEYS)
    raw = {key: value for key, value in raw.items() if key not in refused}
    out = {_TOML_KEYS[key]: value for key, value in raw.items()}
    if "instructions_file" in out and isinstance(out["instructions_file"], str):
        candidate = Path(out["instructions_file"]).expanduser()
        if not candidate.is_absolute():
            out["instructions_file"] = str(path.parent / candidate)
    words = {_TOML_KEYS[key]: f"`{key}`{where}" for key in raw}
    return _Layer(
        _check(out, str(path) + (f" [{table}]" if table else "")),
        words,
        tuple(f"`{key}`{where}" for key in refused),
    )


def load_config(
    repository: RepositoryConfig | None = None,
    *,
    env: dict[str, str] | os._Environ[str] | None = None,
    overrides: dict[str, Any] | None = None,
    overrides_source: str = "the settings",
) -> ConduitConfig:
    """Merge the sources in order; `overrides` (command line, editor settings) come first and
    `overrides_source` names them in messages (`--model`, `the wishcraft.plan.model setting`).

    `repository` is the workspace's wishcraft.toml, found and parsed by the caller
    (`wishcraft.config.load_workspace_config`); None or a `ConfigFile` without a path: none."""
    env = os.environ if env is None else env
    home = codex_home(env)
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    environment = {
        key: value
        for key, value in (
            ("model", env.get("OPENAI_MODEL")),
            ("base_url", env.get("CHATGPT_BASE_URL")),
            ("api_base_url", env.get("OPENAI_BASE_URL")),
        )
        if value
    }
    env_names = {
        "model": "OPENAI_MODEL",
        "base_url": "CHATGPT_BASE_URL",
        "api_base_url": "OPENAI_BASE_URL",
    }
    layers: list[_Layer] = [
        _Layer(_check(given, overrides_source), {key: overrides_source for key in given}),
        _Layer(
            _check(environment, "the environment"),
            {key: f"the environment variable {env_names[key]}" for key in environment},
        ),
        _repository_layer(repository),
        _read_toml(user_config_file(env), "conduit", unreachable_ok=True),
        _read_toml(home / "config.toml", None),
    ]
    ignored = tuple(words for layer in layers for words in layer.ignored)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for values, words, _ in layers:
        for key, value in values.items():
            if key not in merged:
                merged[key] = value
                sources[key] = words.get(key, "")
    ca = env.get("CODEX_CA_CERTIFICATE") or env.get("SSL_CERT_FILE")
    config = ConduitConfig(
        codex_home=home,
        refresh_url=refresh_url(env),
        originator=env.get("CODEX_INTERNAL_ORIGINATOR_OVERRIDE") or DEFAULT_ORIGINATOR,
        ca_certificate=Path(ca).expanduser() if ca else None,
    )
    known = {f.name for f in fields(ConduitConfig)}
    return replace(
        config,
        **{k: v for k, v in merged.items() if k in known},
        sources=tuple(sorted(sources.items())),
        ignored=ignored,
    )
