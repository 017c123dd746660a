"""A fake Codex login for tests: auth.json shaped as the Codex CLI writes it.

Every token is a recognisable fake (it contains `fake`), so a leak scan can find it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from pathlib import Path

ACCOUNT_ID = "7d0c1e8a-1111-4222-8333-444455556666"


def b64url(data: Mapping[str, object]) -> str:
    """Base64url JSON without padding, as in a JWT."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def fake_jwt(payload: Mapping[str, object]) -> str:
    """A JWT-shaped fake token with the given payload."""
    return f"{b64url({'alg': 'RS256', 'typ': 'JWT'})}.{b64url(payload)}.fake-signature"


def write_codex_home(home: Path, *, expires_in: float = 3600) -> Path:
    """Write `home/auth.json` with a ChatGPT login (and a field we do not own); return home."""
    home.mkdir(parents=True, exist_ok=True)
    claims = {
        "https://api.openai.com/auth": {
            "chatgpt_account_id": ACCOUNT_ID,
            "chatgpt_plan_type": "plus",
        },
        "email": "fake@example.com",
    }
    data = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": fake_jwt(claims),
            "access_token": fake_jwt({"exp": int(time.time() + expires_in), "fake": True}),
            "refresh_token": "rt_fake_refresh_0123456789",
            "account_id": ACCOUNT_ID,
        },
        "last_refresh": "2026-03-20T09:15:42.123456789Z",
        "agent_identity": "fake-unknown-field-kept",
    }
    (home / "auth.json").write_text(json.dumps(data, indent=2))
    return home
