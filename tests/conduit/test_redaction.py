"""The redaction layer on its own: exact-value scrubbing, token patterns that leave ordinary
words alone, a streaming scrubber that never prints a token split across pieces, and the log
filter (messages and tracebacks)."""

from __future__ import annotations

import logging
import secrets as random_secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testkit.codex_home import fake_jwt
from wishcraft.redaction import (
    StreamScrubber,
    protect_logger,
    redact,
    remember_secrets,
    scrub,
)

OPAQUE = "opaqueTOKENvalue" + random_secrets.token_hex(8)
ACCOUNT = "7d0c1e8a-aaaa-4bbb-8ccc-" + random_secrets.token_hex(6)
remember_secrets(OPAQUE, ACCOUNT, "short")


@pytest.mark.parametrize(
    "text",
    [
        "report_generation_service",
        "start_timestamp_field",
        "export_reporting_module",
        "disk-0123456789abcdef0123",
        "a key named task-0123456789abcdefgh",
        "short",
    ],
    ids=["report_generation", "start_timestamp", "export_reporting", "disk-", "task-", "short"],
)
def test_ordinary_words_are_left_alone(text: str) -> None:
    assert redact(text) == text and scrub(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "refresh rt_abcdefgh1234",
        "key sk-abcdefghijklmnop1234",
        "Bearer abcdefghijklmnop",
        f"jwt {fake_jwt({'sub': 'someone'})}",
        f"opaque {OPAQUE}",
        f"account {ACCOUNT}",
    ],
    ids=["refresh", "api-key", "bearer", "jwt", "opaque", "account"],
)
def test_tokens_are_redacted(text: str) -> None:
    assert "[redacted]" in redact(text)
    assert text.split(" ", 1)[1] not in redact(text)


def test_exact_values_are_scrubbed_without_patterns() -> None:
    assert scrub(f"a{OPAQUE}b {ACCOUNT}.") == "a[redacted]b [redacted]."


def test_the_stream_scrubber_holds_back_only_what_could_start_a_token() -> None:
    scrubber = StreamScrubber()
    assert scrubber.feed("plain text, no secret ") == "plain text, no secret "
    assert scrubber.feed("then " + OPAQUE[:5]) == "then "
    assert scrubber.feed(OPAQUE[5:] + " end") == "[redacted] end"
    assert scrubber.feed(OPAQUE[:3]) == "" and scrubber.flush() == OPAQUE[:3]


@given(
    st.lists(
        st.sampled_from(
            ["plan ", "op", "opaque", "7d0", " step\n", OPAQUE, ACCOUNT, OPAQUE[:9], ACCOUNT[:12]]
        ),
        max_size=12,
    ),
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30),
)
def test_split_anywhere_the_stream_prints_what_scrub_prints(
    parts: list[str], sizes: list[int]
) -> None:
    text = "".join(parts)
    scrubber, printed, start, index = StreamScrubber(), [], 0, 0
    while start < len(text):
        size = sizes[index % len(sizes)]
        printed.append(scrubber.feed(text[start : start + size]))
        start, index = start + size, index + 1
    printed.append(scrubber.flush())
    assert "".join(printed) == scrub(text)
    assert all(OPAQUE not in piece and ACCOUNT not in piece for piece in printed)


def test_the_log_filter_redacts_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = protect_logger(logging.getLogger("wishcraft.test.redaction"))
    caplog.set_level(logging.DEBUG, logger=logger.name)
    logger.warning("answer: %s", f"echo {OPAQUE}")
    try:
        raise ValueError(f"bad {ACCOUNT}")
    except ValueError:
        logger.exception("failed")
    text = caplog.text + "".join(record.exc_text or "" for record in caplog.records)
    assert OPAQUE not in text and ACCOUNT not in text
    assert "answer: echo [redacted]" in caplog.text
