"""The GitHub call is bounded: one total deadline, a capped answer, capped quoted text.

Against the loopback GitHub API (`testkit.github`), a real HTTP server on 127.0.0.1: an API
that trickles its answer one byte a second never trips a per-read timeout, so only a total
deadline ends the call; an API that answers 200,000 errors must not become a 12 MB sentence.
"""

from __future__ import annotations

import time

import pytest

from testkit.github import Answer, LoopbackGitHub
from wishcraft.pr.errors import PrFailed
from wishcraft.pr.github import MAX_ANSWER_BYTES, PullRequestDraft, Token, open_pull_request
from wishcraft.redaction import ERROR_TEXT_CAP, cap_text

DRAFT = PullRequestDraft("acme", "widgets", "T", "B", "wish/x-1", "main", True)
TOKEN = Token("ghp_BoundsTestToken0123456789abcdefgh", "GH_TOKEN")
DEADLINE = 2.0
"""Without the deadline the trickled answer below would take over 100 s."""


def fail(github: LoopbackGitHub, deadline: float = DEADLINE) -> tuple[str, float]:
    """Open the pull request against the loopback API; its one sentence and the seconds taken."""
    start = time.monotonic()
    with pytest.raises(PrFailed) as caught:
        open_pull_request(DRAFT, TOKEN, github.base_url, deadline=deadline)
    return str(caught.value), time.monotonic() - start


@pytest.mark.parametrize("trickle_headers", [True, False], ids=["headers", "body"])
def test_a_trickling_api_is_abandoned_at_the_deadline(
    github: LoopbackGitHub, trickle_headers: bool
) -> None:
    github.enqueue(
        Answer(
            201,
            {"number": 1, "html_url": "https://github.example/acme/widgets/pull/1"},
            trickle=1.0,
            trickle_headers=trickle_headers,
        )
    )
    message, took = fail(github)
    assert len(github.requests) == 1  # it was sent, and then waited on
    assert took >= DEADLINE - 0.1, took  # a lower bound: a slow machine only waits longer
    # The client hung up at its deadline, not at the answer's end (over 100 bytes, a second
    # each): the server sent a few bytes of it, far from all (the time is a figure: `took`).
    assert 0 < github.trickled < 50, github.trickled
    assert message == (
        f"The GitHub API at {github.base_url} did not answer within 2 seconds; check the "
        "network or GITHUB_API_URL, then try again."
    )


def test_an_answer_of_200000_errors_is_not_read_whole(github: LoopbackGitHub) -> None:
    errors = [{"resource": "PullRequest", "code": "custom", "message": "error"}]
    body = {"message": "Validation Failed", "errors": errors * 200_000}
    github.enqueue(Answer(422, body))
    message, _ = fail(github, deadline=30)
    assert len(message) < 300
    assert message.startswith("GitHub did not open the pull request: Validation Failed;")


def test_the_errors_github_lists_are_quoted_up_to_the_cap(github: LoopbackGitHub) -> None:
    errors = [{"code": "custom", "message": f"error number {n}"} for n in range(10_000)]
    github.enqueue(Answer(422, {"message": "Validation Failed", "errors": errors}))
    message, _ = fail(github, deadline=30)
    assert len(message) < ERROR_TEXT_CAP + 200
    assert "error number 0; error number 1;" in message
    assert "more characters)" in message
    assert message.endswith("and try again.")


def test_an_answer_nested_past_the_stack_is_a_sentence(github: LoopbackGitHub) -> None:
    nested = b"[" * 200_000  # under the answer cap, far past Python's recursion limit
    assert len(nested) < MAX_ANSWER_BYTES
    github.enqueue(Answer(500, raw=nested))
    message, _ = fail(github, deadline=30)
    assert message == "GitHub answered HTTP 500; try again later."


def test_cap_text_says_how_much_was_left_out() -> None:
    assert cap_text("short") == "short"
    assert cap_text("x" * 5000, 100) == "x" * 100 + "… (4,900 more characters)"
