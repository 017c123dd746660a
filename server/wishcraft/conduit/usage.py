"""What a Codex response reports besides its text: token usage and the rate-limit windows.

Pydantic models, so the plan artifact (`wishcraft.plan.artifact`) embeds them as they are and
the JSON Schema of the artifact describes them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TokenUsage(BaseModel):
    """Tokens the call used, from `response.completed`."""

    input: int = Field(default=0, ge=0, description="Input tokens.")
    cached: int = Field(default=0, ge=0, description="Input tokens served from the cache.")
    output: int = Field(default=0, ge=0, description="Output tokens.")
    reasoning: int = Field(default=0, ge=0, description="Output tokens spent reasoning.")
    total: int = Field(default=0, ge=0, description="All tokens.")


class RateLimitWindow(BaseModel):
    """One rate-limit window from the `x-codex-*` headers."""

    used_percent: float = Field(description="How much of the window is used.")
    window_minutes: int | None = Field(default=None, description="The window's length.")
    resets_at: datetime | None = Field(default=None, description="When the window resets.")


class RateLimitSnapshot(BaseModel):
    """The Codex rate limits as the last response reported them."""

    primary: RateLimitWindow | None = Field(default=None, description="The short window.")
    secondary: RateLimitWindow | None = Field(default=None, description="The long window.")
    has_credits: bool | None = Field(default=None, description="Whether credits remain.")
    unlimited_credits: bool | None = Field(default=None, description="Unlimited credits.")
    credits_balance: str | None = Field(default=None, description="The credit balance.")
