"""The sample inputs the planning tests share: the lighthouse wish, and the plan the model
streams back for it."""

from __future__ import annotations

import json

import yaml

from wishcraft.model import Wish

from .paths import EXAMPLES

LIGHTHOUSE_PATH = EXAMPLES / "data" / "wishes" / "lighthouse.wish.yaml"
LIGHTHOUSE_TEXT = LIGHTHOUSE_PATH.read_text(encoding="utf-8")
LIGHTHOUSE = Wish.model_validate(yaml.safe_load(LIGHTHOUSE_TEXT))

SAMPLE_PLAN = json.dumps(
    {
        "steps": [
            {
                "title": "Survey the lighthouse",
                "detail": "cartographer.survey",
                "acceptance": "12 tiles surveyed",
            },
            {"title": "Place 3 lamps", "detail": "worldsmith.place", "acceptance": "3 lamps lit"},
        ],
        "notes": ["Test at night"],
    }
)
"""The answer text of a successful plan: two steps with acceptance checks, and a note."""


def chunks(text: str, size: int = 20) -> list[str]:
    """`text` cut into deltas of `size` characters, as the model streams it."""
    return [text[start : start + size] for start in range(0, len(text), size)]
