"""A generated workspace of many wishes and one registry, for the workspace features' tests
and benchmarks.

Wishes vary the way real files do: plain, single- and double-quoted ids, block and flow lists,
and every seventh wish starts its flow list of tools with `🌊.tide`, an id the registry lacks,
so the ids after it have other columns in UTF-16 than in code points.
Which wishes name which conduit is fixed by the number, so tests know the answer:
`expected_users(n, conduit)`.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from .lsp_client import WishClient
from .paths import LSP_WORKSPACE

REGISTRY = "data/conduits/registry.yaml"
CONDUITS = ("worldsmith.place", "cartographer.survey", "openai.codex.v2025.plan")
WIDE_ID = "🌊.tide"
WORDS = ("lighthouse", "harbour", "granary", "bridge", "archive", "orchard", "forge", "tower")


def tools_of(number: int) -> list[str]:
    """The conduit ids wish `number` names: the first always, the others by its number."""
    tools = [WIDE_ID] if number % 7 == 0 else []
    tools.append(CONDUITS[0])
    if number % 2 == 0:
        tools.append(CONDUITS[1])
    if number % 5 == 0:
        tools.append(CONDUITS[2])
    return tools


def wish_path(number: int) -> str:
    """Where wish `number` lives, relative to the workspace root (20 folders)."""
    return f"data/wishes/area-{number % 20:02d}/w{number:04d}.wish.yaml"


def wish_text(number: int) -> str:
    """The text of wish `number`."""
    word = WORDS[number % len(WORDS)]
    tools = tools_of(number)
    quotes = ('"{}"', "'{}'", "{}")[number % 3]
    if number % 4 == 3 or number % 7 == 0:
        tools_block = "tools: [" + ", ".join(quotes.format(tool) for tool in tools) + "]\n"
    else:
        tools_block = "tools:\n" + "".join(f"  - {quotes.format(tool)}\n" for tool in tools)
    return (
        f'title: "Repair the {word} number {number}"\n'
        f'objective: "Rebuild 3 {word} walls of district {number} within 4 days"\n'
        "scope:\n"
        '  region: "Sunken Quarter"\n'
        "  duration_days: 4\n"
        "invariants:\n"
        '  - "No harm to civilians"\n'
        '  - "No currency duplication"\n'
        "budget:\n"
        "  chrono_sand: 3\n"
        "  genie_slots: 1\n"
        "  gold_cap: 100\n"
        f"{tools_block}"
        "plan:\n"
        f'  - "Survey the {word}"\n'
        f'  - "Rebuild the {word} walls"\n'
        "safety_tests:\n"
        '  - "Civilian injuries = 0"\n'
        "rollback:\n"
        f'  - "Remove the new {word} walls"\n'
        "tier: micro\n"
    )


def expected_users(count: int, conduit: str) -> list[str]:
    """The relative paths of the wishes among `count` that name `conduit`, sorted."""
    return sorted(wish_path(n) for n in range(count) if conduit in tools_of(n))


def build_workspace(root: Path, count: int) -> Path:
    """Write the registry of the LSP test workspace and `count` wishes under `root`."""
    registry = root / REGISTRY
    registry.parent.mkdir(parents=True, exist_ok=True)
    registry.write_text((LSP_WORKSPACE / REGISTRY).read_text(encoding="utf-8"), encoding="utf-8")
    for number in range(count):
        path = root / wish_path(number)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wish_text(number), encoding="utf-8")
    return root


async def start_on(
    client: WishClient, root: Path, profile: str, capabilities: types.ClientCapabilities
) -> types.InitializeResult:
    """Initialize `client` (of `profile`) on the workspace at `root`; the server's answer."""
    client.profile = profile
    client.root = root
    client.set_configuration({"diagnostics": {"debounceMs": 10}}, section="wishcraft")
    uri = from_fs_path(str(root)) or ""
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=uri,
            workspace_folders=[types.WorkspaceFolder(uri=uri, name=root.name)],
        )
    )
    client.server_capabilities = result.capabilities
    return result
