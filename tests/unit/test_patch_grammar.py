"""The Lark grammar sent with the freeform `apply_patch` tool describes what `parse` reads.

Needs the `lark` package (not a dependency of the project: the grammar is only sent, never
run by us); the module is skipped without it. Standard Lark refuses the zero-width `/(.*)/`
that OpenAI's grammar engine accepts (and Codex sends), so the tests read it as the
equivalent `/(.+)/?`.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wishcraft.apply.errors import PatchSyntaxError
from wishcraft.apply.patch import (
    LARK_GRAMMAR,
    AddFile,
    Chunk,
    DeleteFile,
    Patch,
    UpdateFile,
    parse,
    render,
)

lark = pytest.importorskip("lark")
GRAMMAR = lark.Lark(LARK_GRAMMAR.replace("/(.*)/", "/(.+)/?"), parser="earley")

TEXT = st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=["Cs"]), max_size=10)
PATH = st.from_regex(r"[a-z0-9_][a-z0-9_./-]{0,15}", fullmatch=True)
KIND = st.sampled_from([" ", "-", "+"])
CHUNK = st.builds(
    Chunk,
    st.none() | TEXT.filter(bool),
    st.lists(st.tuples(KIND, TEXT), min_size=1, max_size=4).map(tuple),
    st.booleans(),
)


def last_may_end_the_file(chunks: list[Chunk]) -> tuple[Chunk, ...]:
    """The grammar has `*** End of File` only after an update's last hunk."""
    return tuple(
        chunk if index == len(chunks) - 1 else Chunk(chunk.context, chunk.lines, False)
        for index, chunk in enumerate(chunks)
    )


OPERATION = st.one_of(
    st.builds(AddFile, PATH, st.lists(TEXT, min_size=1, max_size=4).map(tuple)),
    st.builds(DeleteFile, PATH),
    st.builds(
        UpdateFile,
        PATH,
        st.none() | PATH,
        st.lists(CHUNK, min_size=1, max_size=3).map(last_may_end_the_file),
    ),
)


@given(st.lists(OPERATION, min_size=1, max_size=4).map(lambda ops: Patch(tuple(ops))))
def test_every_rendered_patch_is_in_the_grammar(patch: Patch) -> None:
    GRAMMAR.parse(render(patch))


@pytest.mark.parametrize(
    "text",
    [
        "*** Begin Patch\n*** Add File: a\n+x\n",
        "*** Add File: a\n+x\n*** End Patch\n",
        "*** Begin Patch\n*** End Patch\n",
        "*** Begin Patch\n*** Frobnicate File: a\n*** End Patch\n",
        "*** Begin Patch\n*** Update File: f\n@@\nno prefix\n*** End Patch\n",
        "*** Begin Patch\n*** Add File: a\nx\n*** End Patch\n",
    ],
)
def test_what_the_grammar_refuses_parse_refuses(text: str) -> None:
    with pytest.raises(lark.exceptions.LarkError):
        GRAMMAR.parse(text)
    with pytest.raises(PatchSyntaxError):
        parse(text)
