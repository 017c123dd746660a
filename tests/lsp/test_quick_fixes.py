"""The quick fixes issue 25 found missing, end to end: each one, applied as the client would,
removes its finding and changes nothing else the wish means."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from lsprotocol import types

from testkit.edits import apply_text_edits
from testkit.lsp_client import VALID_WISH, WishClient

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(big_client: WishClient) -> WishClient:
    """This module's features are checked with 2,000 generated wishes indexed beside them."""
    return big_client


def _load(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


async def _fix(
    client: WishClient, name: str, text: str, code: str
) -> tuple[types.CodeAction, str, types.PublishDiagnosticsParams]:
    """Open `text`, take the one quick fix of the `code` finding, apply it, publish again."""
    published = await client.open(name, text)
    (finding,) = [d for d in published.diagnostics if d.code == code]
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=client.uri(name)),
            range=finding.range,
            context=types.CodeActionContext(
                diagnostics=[finding], only=[types.CodeActionKind.QuickFix]
            ),
        )
    )
    actions = [
        a
        for a in result or []
        if isinstance(a, types.CodeAction) and a.diagnostics and a.diagnostics[0].code == code
    ]
    assert len(actions) == 1, result
    action = actions[0]
    assert action.edit is not None and action.edit.changes is not None
    fixed = apply_text_edits(client.uri(name), text, action.edit.changes[client.uri(name)])
    after = client.published.count()
    version = client.change(name, fixed)
    republished = await client.published.wait(client.uri(name), version=version, after=after)
    assert code not in [d.code for d in republished.diagnostics], republished.diagnostics
    client.close(name)
    return action, fixed, republished


def _same_but(before: str, after: str, change: Callable[[dict[str, Any]], None]) -> None:
    """`after` means what `before` means once `change` is made to it (parsed, not compared as
    text), and keeps every comment line."""
    expected = _load(before)
    change(expected)
    assert _load(after) == expected
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert all(line in after.splitlines() for line in comments)


@pytest.mark.parametrize(
    ("broken", "value", "title"),
    [("  chrono_sand: 70000", 65535, "Set to 65535"), ("  chrono_sand: -3", 0, "Set to 0")],
    ids=["over-u16", "negative"],
)
async def test_an_out_of_range_number_is_set_to_the_bound_it_broke(
    client: WishClient, broken: str, value: int, title: str
) -> None:
    text = VALID_WISH.replace("  chrono_sand: 12", broken)
    action, fixed, _ = await _fix(client, "data/wishes/q-range.wish.yaml", text, "out-of-range")
    assert action.title == title

    def change(data: dict[str, Any]) -> None:
        data["budget"]["chrono_sand"] = value

    _same_but(text, fixed, change)


async def test_a_stray_copy_of_a_present_key_is_removed(client: WishClient) -> None:
    text = VALID_WISH.replace("tier: meso\n", 'tier: meso\nsafty_tests:\n  - "copy"\n')
    published = await client.open("data/wishes/q-twin-probe.wish.yaml", text)
    (finding,) = [d for d in published.diagnostics if d.code == "unknown-key"]
    assert "`safety_tests` is already here" in finding.message
    client.close("data/wishes/q-twin-probe.wish.yaml")
    action, fixed, _ = await _fix(client, "data/wishes/q-twin.wish.yaml", text, "unknown-key")
    assert action.title == "Remove the stray `safty_tests`"
    assert fixed == VALID_WISH


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("rollback", "Undo: Verify lamp visibility from the harbour at night"),
        ("invariants", "No harm to civilians"),
    ],
)
async def test_an_empty_list_gets_a_first_item(client: WishClient, key: str, expected: str) -> None:
    data = _load(VALID_WISH)
    start = VALID_WISH.index(f"{key}:\n")
    end = start + len(f"{key}:\n") + sum(len(f'  - "{item}"\n') for item in data[key])
    text = VALID_WISH[:start] + f"{key}: []\n" + VALID_WISH[end:]
    assert _load(text)[key] == []
    _, fixed, _ = await _fix(client, f"data/wishes/q-empty-{key}.wish.yaml", text, f"{key}-empty")

    def change(data: dict[str, Any]) -> None:
        data[key] = [expected]

    _same_but(text, fixed, change)


async def test_rollback_steps_lift_reversibility_to_the_threshold(client: WishClient) -> None:
    # micro asks for reversibility 60: 50 + 5 per rollback item, so one item more.
    text = VALID_WISH.replace("tier: meso", "tier: micro")
    start = text.index("rollback:\n")
    end = text.index("tier: micro")
    text = (
        text[:start]
        + 'rollback:\n  - "Remove the 3 beacon lamps"  # the one we have\n'
        + text[end:]
    )
    published = await client.open("data/wishes/q-court-probe.wish.yaml", text)
    court = [d for d in published.diagnostics if d.code == "court-threshold"]
    assert [c.data["court"] for c in court if isinstance(c.data, dict)] == ["reversibility"]
    client.close("data/wishes/q-court-probe.wish.yaml")
    action, fixed, _ = await _fix(client, "data/wishes/q-court.wish.yaml", text, "court-threshold")
    assert action.title == "Add 1 rollback step (reversibility 60)"

    def change(data: dict[str, Any]) -> None:
        data["rollback"].append("Undo: Verify lamp visibility from the harbour at night")

    _same_but(text, fixed, change)
