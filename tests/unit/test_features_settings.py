"""Settings: camelCase keys, defaults, one clear message for a bad value, wish globs."""

from __future__ import annotations

import pytest

from wishcraft.globs import file_glob
from wishcraft.lsp.settings import DEFAULT_DEBOUNCE_MS, Settings, read_settings


def test_defaults() -> None:
    settings, error = read_settings(None)
    assert error is None
    assert settings.diagnostics.debounce_ms == DEFAULT_DEBOUNCE_MS < 200
    assert settings.registry.path is None and settings.lint is None
    assert settings.plan.folder == "" and settings.plan.model == ""


def test_camel_case_keys_and_lint_config() -> None:
    settings, error = read_settings(
        {
            "diagnostics": {"debounceMs": 40},
            "registry": {"path": "reg.yaml"},
            "lint": {"planMaxSteps": 3, "severity": {"plan-too-long": "error"}},
            "somethingElse": 1,
        }
    )
    assert error is None
    assert settings.diagnostics.debounce_ms == 40
    assert settings.registry.path == "reg.yaml"
    assert settings.lint is not None and settings.lint.plan_max_steps == 3


BAD = [
    ("not-an-object", ["x"], "must be an object"),
    (
        "debounce-text",
        {"diagnostics": {"debounceMs": "fast"}},
        "`wishcraft.diagnostics.debounceMs`",
    ),
    ("debounce-negative", {"diagnostics": {"debounceMs": -1}}, "debounceMs"),
    ("unknown-rule", {"lint": {"severity": {"no-such-rule": "error"}}}, "no-such-rule"),
    ("bad-glob", {"files": {"globs": ["*.{yaml"]}}, "unclosed"),
]


@pytest.mark.parametrize(("raw", "words"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_settings_give_defaults_and_one_sentence(raw: object, words: str) -> None:
    settings, error = read_settings(raw)
    assert settings == Settings()
    assert error is not None and words in error


GLOBS = [
    ("wish-anywhere", "/r/a/b/lamp.wish.yaml", True),
    ("wish-yml", "/r/lamp.wish.yml", True),
    ("under-wishes", "/r/data/wishes/lamp.yaml", True),
    ("deep-under-wishes", "/r/data/wishes/inbox/W-1.yml", True),
    ("plain-yaml", "/r/data/other.yaml", False),
    ("wishes-prefix-only", "/r/mywishes/lamp.yaml", False),
    ("windows-path", "C:\\r\\wishes\\lamp.yaml", True),
]


@pytest.mark.parametrize(("path", "expected"), [c[1:] for c in GLOBS], ids=[c[0] for c in GLOBS])
def test_default_globs(path: str, expected: bool) -> None:
    assert Settings().is_wish_path(path) is expected


def test_glob_syntax() -> None:
    assert file_glob("*.{yaml,yml}").fullmatch("a/b/c.yml")
    assert file_glob("w?.yaml").fullmatch("x/w1.yaml")
    assert not file_glob("w?.yaml").fullmatch("x/w/.yaml")
    assert file_glob("[!a]*.yaml").fullmatch("b.yaml")


async def test_the_server_waits_for_settings_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that never sends settings costs one wait: after it the defaults hold, so the
    next document is not held back (the end-to-end case is in test_misbehaving_client.py)."""
    from wishcraft.lsp import server as server_module
    from wishcraft.lsp.app import create_server

    monkeypatch.setattr(server_module, "SETTINGS_WAIT_SECONDS", 0.01)
    server = create_server()
    assert not server.settings_loaded.is_set()
    waits = 0
    wait = server.settings_loaded.wait

    async def counted() -> bool:
        nonlocal waits
        waits += 1
        return await wait()

    monkeypatch.setattr(server.settings_loaded, "wait", counted)
    await server.wait_for_settings()
    await server.wait_for_settings()
    await server.wait_for_settings()
    assert server.settings_loaded.is_set() and waits == 1
