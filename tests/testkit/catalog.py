"""A Codex model catalog of today's shape, served by the loopback servers.

The entries follow the fields of Codex 0.169.0's `/models` answer (`ModelInfo`): slugs, the
order of `priority`, hidden entries, minimal client versions, reasoning levels, verbosity and
instructions as a template with a `{{ personality }}` placeholder or as `base_instructions`.
The instruction texts are our own stand-ins, not Codex's prompts.
"""

from __future__ import annotations

import copy
from typing import Any

TEMPLATE_INSTRUCTIONS = (
    "You are a coding agent (loopback catalog stand-in).\n\n{{ personality }}\n\n"
    "# Working with the user\nBe concise.\n"
)
PERSONALITY_DEFAULT = "You are pragmatic and precise."
BASE_INSTRUCTIONS = "You are a coding agent (loopback base instructions stand-in).\n"


def _levels(*efforts: str) -> list[dict[str, str]]:
    return [{"effort": effort, "description": f"{effort} reasoning"} for effort in efforts]


def _model(
    slug: str,
    priority: int,
    *,
    visibility: str = "list",
    minimal: str = "0.98.0",
    efforts: tuple[str, ...] = ("low", "medium", "high", "xhigh"),
    default_effort: str = "medium",
    summary: str = "auto",
    verbosity: bool = True,
    default_verbosity: str | None = "low",
    template: bool = True,
    in_api: bool = True,
    patch_tool: str = "freeform",
    lite: bool = False,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "slug": slug,
        "display_name": slug,
        "description": f"{slug} (loopback catalog)",
        "default_reasoning_level": default_effort,
        "supported_reasoning_levels": _levels(*efforts),
        "shell_type": "shell_command",
        "visibility": visibility,
        "minimal_client_version": minimal,
        "supported_in_api": in_api,
        "priority": priority,
        "upgrade": None,
        "supports_reasoning_summaries": summary != "none",
        "default_reasoning_summary": summary,
        "support_verbosity": verbosity,
        "default_verbosity": default_verbosity if verbosity else None,
        "apply_patch_tool_type": patch_tool,
        "input_modalities": ["text", "image"],
        "supports_parallel_tool_calls": True,
        "context_window": 272000,
        # Codex 0.169.0 rejects the whole answer without these two, or with an
        # apply_patch_tool_type other than "freeform" (found by scripts/codex-parity.sh).
        "truncation_policy": {"mode": "tokens", "limit": 10000},
        "experimental_supported_tools": [],
    }
    if lite:
        # As every lite entry of Codex 0.171.0's bundled catalog.
        entry["use_responses_lite"] = True
        entry["tool_mode"] = "code_mode_only"
    if template:
        entry["base_instructions"] = BASE_INSTRUCTIONS
        entry["model_messages"] = {
            "instructions_template": TEMPLATE_INSTRUCTIONS,
            "instructions_variables": {"personality_default": PERSONALITY_DEFAULT},
        }
    else:
        entry["base_instructions"] = BASE_INSTRUCTIONS
        entry["model_messages"] = None
    return entry


MODELS: list[dict[str, Any]] = [
    # Hidden with the lowest priority: must never become the default.
    _model("codex-auto-review", 0, visibility="hide", minimal="0.150.0"),
    _model("gpt-6.1-sol", 1, minimal="0.155.0"),
    _model(
        "gpt-6-luna",
        4,
        minimal="0.142.2",
        efforts=("minimal", "low", "medium"),
        default_effort="low",
        summary="none",
        verbosity=False,
        template=False,
    ),
    _model("gpt-5.5", 8, minimal="0.120.0", in_api=True),
    _model("gpt-5.6-terra", 6, minimal="0.148.0", in_api=False),
    # A lite model (Codex's request shape differs), listed after the default so that the
    # default stays an ordinary model: the parity script compares the two.
    _model(
        "gpt-6.2-sol",
        2,
        minimal="0.166.0",
        efforts=("low", "medium", "high", "xhigh", "max", "ultra"),
        default_effort="low",
        summary="none",
        lite=True,
    ),
]


def catalog() -> dict[str, Any]:
    """A fresh copy of the `/models` answer."""
    return {"models": copy.deepcopy(MODELS)}


def model(slug: str) -> dict[str, Any]:
    """One entry by slug (KeyError when absent)."""
    for entry in MODELS:
        if entry["slug"] == slug:
            return copy.deepcopy(entry)
    raise KeyError(slug)


def catalog_with_patch_tool(slug: str, kind: str) -> dict[str, Any]:
    """The `/models` answer with one model's `apply_patch_tool_type` set to `kind`.

    Only for the loopback server: Codex 0.169.0 refuses a catalog whose entries say anything
    but `freeform` (so `MODELS`, which the parity script also serves, keeps `freeform`)."""
    answer = catalog()
    entry = next(entry for entry in answer["models"] if entry["slug"] == slug)
    entry["apply_patch_tool_type"] = kind
    return answer


LITE_SLUG = "gpt-6.2-sol"
"""The catalog's `use_responses_lite` entry."""
DEFAULT_SLUG = "gpt-6.1-sol"
"""The entry Codex picks with no model configured: `visibility: list`, lowest `priority`."""
