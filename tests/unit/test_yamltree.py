"""The YAML layer: exact spans, YAML 1.2 scalars, a finding (never an exception) for bad input."""

from __future__ import annotations

import pytest

from testkit.counting import growth
from testkit.lint import underlined
from wishcraft.documents import NodeKind, PathIndex, parse_yaml
from wishcraft.documents.yamltree import MAX_DEPTH, resolve_plain_scalar
from wishcraft.findings import Position, Severity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("42", 42),
        ("-7", -7),
        ("0o17", 15),
        ("0x1F", 31),
        ("017", 17),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("1_000", "1_000"),
        ("text", "text"),
    ],
    ids=lambda v: repr(v),
)
def test_plain_scalars_follow_yaml_1_2_core_schema(text: str, value: object) -> None:
    assert resolve_plain_scalar(text) == value


def test_quoted_and_tagged_scalars_are_text() -> None:
    parsed = parse_yaml("a: '5'\nb: \"true\"\nc: !!str 7\nd: !!int 8\n")
    assert parsed.data == {"a": "5", "b": "true", "c": "7", "d": 8}


def test_spans_count_code_points_with_emoji_and_cjk() -> None:
    text = 'title: "😀 中文 wish"\nobjective: 目标 😀 x\n'
    parsed = parse_yaml(text)
    index = PathIndex(parsed.root)
    assert underlined(text, index.value_span(("title",))) == '"😀 中文 wish"'
    assert underlined(text, index.value_span(("objective",))) == "目标 😀 x"
    assert underlined(text, index.key_span(("objective",))) == "objective"


def test_syntax_error_is_a_finding_at_the_place_and_keeps_the_tree_before_it() -> None:
    text = "title: x\ntools: [a,\nplan:\n  - b\n"
    parsed = parse_yaml(text)
    (finding,) = parsed.findings
    assert finding.code == "yaml-syntax"
    assert finding.severity is Severity.ERROR
    assert finding.span.start.line == 3
    assert parsed.data["title"] == "x"
    assert not parsed.complete


def test_half_typed_key_points_at_the_key() -> None:
    parsed = parse_yaml("title: x\nti")
    (finding,) = parsed.findings
    assert finding.code == "yaml-syntax"
    assert finding.span.start == Position(1, 0)
    assert parsed.data == {"title": "x"}


def test_tab_indentation_is_named() -> None:
    text = "scope:\n\tregion: x\n"
    (finding,) = parse_yaml(text).findings
    assert finding.code == "yaml-tab"
    assert underlined(text, finding.span) == "\t"


def test_duplicate_key_flags_the_repeat_and_keeps_the_first_value() -> None:
    text = "title: a\nplan: [x]\ntitle: b\n"
    parsed = parse_yaml(text)
    (finding,) = parsed.findings
    assert finding.code == "yaml-duplicate-key"
    assert finding.span.start == Position(2, 0)
    assert underlined(text, finding.span) == "title"
    assert "line 1" in finding.message
    assert parsed.data["title"] == "a"


def test_second_document_is_flagged_at_its_marker() -> None:
    text = "title: a\n---\ntitle: b\n"
    parsed = parse_yaml(text)
    (finding,) = parsed.findings
    assert finding.code == "yaml-multiple-documents"
    assert underlined(text, finding.span) == "---"
    assert parsed.data == {"title": "a"}


def test_aliases_expand_and_keep_their_own_span() -> None:
    text = "base: &b [x, y]\ninvariants: *b\n"
    parsed = parse_yaml(text)
    assert parsed.data["invariants"] == ["x", "y"]
    index = PathIndex(parsed.root)
    located = index.get(("invariants",))
    assert located is not None
    alias = located.value
    assert alias.kind is NodeKind.ALIAS
    assert underlined(text, alias.span) == "*b"


def test_alias_bomb_is_bounded_and_reported() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    parsed = parse_yaml("\n".join(lines) + "\n")
    codes = [f.code for f in parsed.findings]
    assert codes == ["yaml-alias-bomb"]
    assert parsed.findings[0].span.start.line >= 4


@pytest.mark.parametrize(
    ("text", "why"), [("a: *nope\n", "not defined"), ("a: &x [*x]\n", "refers to itself")]
)
def test_bad_alias(text: str, why: str) -> None:
    (finding,) = parse_yaml(text).findings
    assert finding.code == "yaml-bad-alias"
    assert why in finding.message


def test_deep_nesting_is_cut_with_a_finding() -> None:
    parsed = parse_yaml("[" * 10_000 + "]" * 10_000)
    assert [f.code for f in parsed.findings] == ["yaml-too-deep"]
    assert f"{MAX_DEPTH} levels" in parsed.findings[0].message


def test_empty_file() -> None:
    parsed = parse_yaml("")
    assert [f.code for f in parsed.findings] == ["yaml-empty"]
    assert parsed.root is None


def test_byte_order_mark_is_an_error_and_columns_stay_right() -> None:
    text = "\ufefftitle: x\n"
    parsed = parse_yaml(text)
    assert [(f.code, f.severity) for f in parsed.findings] == [("yaml-bom", Severity.ERROR)]
    index = PathIndex(parsed.root)
    assert underlined(text, index.key_span(("title",))) == "title"


def test_nul_byte_is_a_syntax_finding() -> None:
    (finding,) = parse_yaml("title: a\x00b\n").findings
    assert finding.code == "yaml-syntax"
    assert finding.span.start == Position(0, 8)


def test_huge_file_is_refused_with_a_finding() -> None:
    parsed = parse_yaml("a: " + "x" * 5_000_001)
    assert [f.code for f in parsed.findings] == ["yaml-too-large"]


def test_pure_python_parser_gives_the_same_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from wishcraft.documents import yamltree

    text = 'title: "😀 x"\nplan: [a, b]\nscope: {region: r, duration_days: 2}\n'
    fast = parse_yaml(text)
    monkeypatch.setattr(yamltree, "_PARSER_LOADER", yaml.SafeLoader)
    slow = parse_yaml(text)
    assert fast.data == slow.data
    assert PathIndex(fast.root).value_span(("scope", "region")) == PathIndex(slow.root).value_span(
        ("scope", "region")
    )


def test_crlf_and_lone_cr_line_ends_keep_positions() -> None:
    from wishcraft.findings import split_lines

    text = "title: a\r\nscope:\r\n  region: 😀 r\r\n"
    index = PathIndex(parse_yaml(text).root)
    span = index.value_span(("scope", "region"))
    assert span is not None and span.start == Position(2, 10)
    assert split_lines(text)[2][span.start.column : span.end.column] == "😀 r"
    assert split_lines("a\rb\r\nc\nd") == ["a", "b", "c", "d"]


def test_yaml_only_line_breaks_do_not_shift_lines() -> None:
    # NEL (U+0085) and LS (U+2028) break lines for YAML but not for LSP editors.
    text = 'title: "a\u0085b\u2028c"\nplan: [x]\n'
    index = PathIndex(parse_yaml(text).root)
    span = index.value_span(("plan",))
    assert span is not None and span.start == Position(1, 6)


def test_lone_surrogate_is_a_finding_not_a_crash() -> None:
    parsed = parse_yaml("title: a\nobjective: b\udcffc\n")
    assert [(f.code, f.span.start) for f in parsed.findings] == [("yaml-syntax", Position(1, 12))]
    assert parsed.data["objective"] == "b\ufffdc"


def keys(count: int) -> str:
    """A mapping of `count` keys, then one repeated."""
    return "".join(f"key{i}: {i}\n" for i in range(count)) + "key7: again\n"


def test_thousands_of_keys_stay_linear() -> None:
    """4 times the keys run at most 5 times the parser's lines (a check of every earlier key, as
    once took 30 s at 20,000 keys, runs 16 times). The time is in bench/bench_lint.py."""
    assert growth(lambda count: parse_yaml(keys(count)), 1_000) < 5
    parsed = parse_yaml(keys(20_000))
    assert [f.code for f in parsed.findings] == ["yaml-duplicate-key"]


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        (
            'title: "x"\nobjective: Fix the bridge: raise it 2 m\n',
            1,
            "a value that holds `: ` must be quoted",
        ),
        (
            'title: "x"\nscope:\n  region: "a"\n   duration_days: 3\n',
            3,
            "check the indentation: line 4 starts in column 4, and its mapping starts in column 3",
        ),
        ('plan:\n  - "a"\n - "b"\n', 2, "check the indentation: line 3 starts in column 2"),
        ('plan:\n  - "a"\n  b: 1\n', 2, "line 3 stands among the `-` items of a list"),
        ('title: "x\nobjective: y\n', 2, "the quote that opens on line 1 is never closed"),
        ('tools: ["a",\nplan: []\n', 1, "the `[` that opens on line 1 is never closed"),
        ('title "x"\nobjective: y\n', 1, "the line before line 2 may lack its `:`"),
    ],
    ids=[
        "unquoted-colon",
        "over-indented-key",
        "misaligned-item",
        "key-among-items",
        "unclosed-quote",
        "unclosed-bracket",
        "missing-colon",
    ],
)
def test_syntax_errors_carry_a_hint_for_the_usual_causes(text: str, line: int, hint: str) -> None:
    (finding,) = parse_yaml(text).findings
    assert finding.code == "yaml-syntax" and finding.span.start.line >= line - 1
    assert finding.message.startswith("YAML syntax error: ")
    assert f"; {hint}" in finding.message and finding.message.endswith(".")


def test_the_growth_count_tells_quadratic_from_linear() -> None:
    """The counter above can fail: a pairwise duplicate check grows by the square."""

    def pairwise(count: int) -> bool:
        return any(a == b for i, a in enumerate(range(count)) for b in range(i))

    assert growth(pairwise, 100, where=__file__) > 12
