"""The glob translators' regular expressions, matched in time linear in the path.

Python's `re` backtracks: `[^/]*a[^/]*a[^/]*a[^/]*b` against a long name of `a`s tries every
way to split it, and a `list_files` glob from the model took 20.8 s of CPU that way. The two
glob dialects of `wishcraft.globs` (the only module that uses this one) translate their globs
into regular expressions, which pins their meaning; this module compiles that small subset of
the regex syntax into an automaton instead of a backtracking program:

- literals, `re.escape`d or plain; `.` (any character, `\\n` only with `dotall`);
- one-character classes `[...]`, checked by `re` itself one character at a time (so a class
  means exactly what it meant, and one character cannot backtrack);
- non-capturing groups `(?:...)`, alternatives `|`, and the quantifiers `*`, `+` and `?`;
- a trailing `\\Z` (the match is always over the whole text).

Anything else (backreferences, lookarounds, counted repeats, `^`, `$`) is a ValueError: the
translators never write them.

The automaton is a Thompson NFA run as a DFA built lazily: each (state set, character) step is
computed once and cached, so a path costs one dictionary look-up a character. The cache is
capped (`MAX_DFA_STATES`); past the cap it starts again, and each step then costs at most the
NFA's size, which is linear in the pattern, itself capped at `MAX_PATTERN_CHARS`. A match
therefore costs O(len(pattern) x len(path)) at worst, and O(len(path)) once warm.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

CharTest = Callable[[str], bool]

MAX_PATTERN_CHARS = 4096
"""The longest regular expression compiled; a glob's translation is a few times its length,
so globs up to about 1,000 characters pass (paths are capped at 4,096 bytes on Linux)."""

MAX_DFA_STATES = 2048
"""How many DFA states one automaton caches before it starts its cache again."""

_SPECIAL = set(".^$*+?{}[]\\|()")


@dataclass
class _Nfa:
    """States of a Thompson NFA: a state has one character edge or only empty edges."""

    tests: list[CharTest | None] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    empty: list[list[int]] = field(default_factory=list)

    def state(self, test: CharTest | None = None) -> int:
        """Add a state and return its number."""
        self.tests.append(test)
        self.targets.append(-1)
        self.empty.append([])
        return len(self.tests) - 1


# A parsed expression: ("char", test), ("seq", [nodes]), ("alt", [nodes]),
# ("star" | "plus" | "opt", node).
_Node = tuple[str, object]


class _Parser:
    """A recursive-descent parser of the regex subset named in the module docstring."""

    def __init__(self, text: str, dotall: bool) -> None:
        self.text = text
        self.index = 0
        self.dotall = dotall

    def fail(self, what: str) -> ValueError:
        """A ValueError naming what is unsupported and where."""
        return ValueError(f"{what} at {self.index} in the glob's expression {self.text!r}")

    def parse(self) -> _Node:
        """The whole text as one expression."""
        node = self.alternatives()
        if self.index != len(self.text):
            raise self.fail("an unbalanced `)`")
        return node

    def alternatives(self) -> _Node:
        """`a|b|c` up to the end or a closing `)`."""
        options = [self.sequence()]
        while self.text.startswith("|", self.index):
            self.index += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else ("alt", options)

    def sequence(self) -> _Node:
        """Atoms with their quantifiers, up to `|`, `)` or the end."""
        items: list[_Node] = []
        while self.index < len(self.text) and self.text[self.index] not in "|)":
            atom = self.atom()
            if self.index < len(self.text) and self.text[self.index] in "*+?":
                kind = {"*": "star", "+": "plus", "?": "opt"}[self.text[self.index]]
                self.index += 1
                if self.index < len(self.text) and self.text[self.index] in "*+?":
                    raise self.fail("a lazy or repeated quantifier")
                atom = (kind, atom)
            items.append(atom)
        return ("seq", items)

    def atom(self) -> _Node:
        """One character test or a group."""
        text, start = self.text, self.index
        char = text[start]
        if text.startswith("(?:", start):
            self.index += 3
            inner = self.alternatives()
            if not text.startswith(")", self.index):
                raise self.fail("an unclosed `(`")
            self.index += 1
            return inner
        if char == "[":
            return ("char", self.char_class())
        if char == ".":
            self.index += 1
            return ("char", _any if self.dotall else _not_newline)
        if char == "\\":
            if start + 1 >= len(text):
                raise self.fail("a trailing backslash")
            escaped = text[start + 1]
            if escaped.isalnum() and escaped != "_":
                if escaped == "Z" and start + 2 == len(text):
                    self.index += 2
                    return ("seq", [])  # every match is over the whole text
                raise self.fail(f"the escape \\{escaped}")
            self.index += 2
            return ("char", _literal(escaped))
        if char in _SPECIAL:
            raise self.fail(f"`{char}`")
        self.index += 1
        return ("char", _literal(char))

    def char_class(self) -> CharTest:
        """`[...]` as `re` reads it, compiled by `re` and tried on one character."""
        text, start = self.text, self.index
        index = start + 1
        if text.startswith("^", index):
            index += 1
        if text.startswith("]", index):
            index += 1  # a `]` first in the class is a member
        while index < len(text) and text[index] != "]":
            index += 2 if text[index] == "\\" else 1
        if index >= len(text):
            raise self.fail("an unclosed `[`")
        self.index = index + 1
        try:
            compiled = re.compile(text[start : index + 1], re.DOTALL)
        except re.error as error:
            raise self.fail(f"a bad character class ({error.msg})") from None
        return _class_test(compiled)


def _any(char: str) -> bool:
    return True


def _not_newline(char: str) -> bool:
    return char != "\n"


def _literal(expected: str) -> CharTest:
    return expected.__eq__


def _class_test(compiled: re.Pattern[str]) -> CharTest:
    def test(char: str) -> bool:
        return compiled.fullmatch(char) is not None

    return test


def _build(nfa: _Nfa, node: _Node) -> tuple[int, int]:
    """Add `node` to the NFA; return its entry and exit states (Thompson's construction)."""
    kind, value = node
    if kind == "char":
        assert callable(value)
        exit_ = nfa.state()
        entry = nfa.state(value)
        nfa.targets[entry] = exit_
        return entry, exit_
    if kind == "seq":
        assert isinstance(value, list)
        entry = exit_ = nfa.state()
        for item in value:
            start, end = _build(nfa, item)
            nfa.empty[exit_].append(start)
            exit_ = end
        return entry, exit_
    if kind == "alt":
        assert isinstance(value, list)
        entry, exit_ = nfa.state(), nfa.state()
        for item in value:
            start, end = _build(nfa, item)
            nfa.empty[entry].append(start)
            nfa.empty[end].append(exit_)
        return entry, exit_
    assert isinstance(value, tuple)
    if kind == "plus":
        first_in, first_out = _build(nfa, value)
        rest_in, rest_out = _build(nfa, ("star", value))
        nfa.empty[first_out].append(rest_in)
        return first_in, rest_out
    entry, exit_ = nfa.state(), nfa.state()
    start, end = _build(nfa, value)
    nfa.empty[entry].extend((start, exit_))
    nfa.empty[end].append(entry if kind == "star" else exit_)
    return entry, exit_


class _DfaState:
    """A set of NFA states, whether it accepts, and its cached steps."""

    __slots__ = ("accepting", "members", "steps")

    def __init__(self, members: frozenset[int], accepting: bool) -> None:
        self.members = members
        self.accepting = accepting
        self.steps: dict[str, _DfaState] = {}


class LinearPattern:
    """A compiled expression; `fullmatch` and `boundary_match` never backtrack."""

    def __init__(self, pattern: str, *, dotall: bool = False) -> None:
        """Parse and build; a ValueError names anything outside the supported subset."""
        if len(pattern) > MAX_PATTERN_CHARS:
            raise ValueError(
                f"the glob's expression is {len(pattern)} characters, over the cap of "
                f"{MAX_PATTERN_CHARS}"
            )
        self.pattern = pattern
        self._nfa = _Nfa()
        start, self._final = _build(self._nfa, _Parser(pattern, dotall).parse())
        self._cache: dict[frozenset[int], _DfaState] = {}
        self._start_set = self._closure([start])
        self._start = _DfaState(self._start_set, self._final in self._start_set)
        self._cache[self._start_set] = self._start

    def _closure(self, states: list[int]) -> frozenset[int]:
        """The states reachable from `states` by empty edges alone."""
        seen = set(states)
        stack = list(states)
        while stack:
            for target in self._nfa.empty[stack.pop()]:
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return frozenset(seen)

    def _dfa_state(self, members: frozenset[int]) -> _DfaState:
        state = self._cache.get(members)
        if state is None:
            if len(self._cache) >= MAX_DFA_STATES:
                # Start again: the old states become garbage once no match walks them, and
                # each step still costs at most the NFA's size.
                self._cache.clear()
                self._start = _DfaState(self._start_set, self._final in self._start_set)
                self._cache[self._start_set] = self._start
            state = _DfaState(members, self._final in members)
            self._cache[members] = state
        return state

    def _step(self, state: _DfaState, char: str) -> _DfaState:
        """The DFA step from `state` on `char`, computed from the NFA and cached."""
        tests, targets = self._nfa.tests, self._nfa.targets
        moved = [targets[s] for s in state.members if (t := tests[s]) is not None and t(char)]
        following = self._dfa_state(self._closure(moved))
        if len(state.steps) < MAX_DFA_STATES:
            state.steps[char] = following
        return following

    def fullmatch(self, text: str) -> bool:
        """Whether the expression matches the whole of `text`."""
        state = self._start
        for char in text:
            following = state.steps.get(char)
            if following is None:
                following = self._step(state, char)
            if not following.members:
                return False
            state = following
        return state.accepting

    def boundary_match(self, text: str, separator: str = "/") -> bool:
        """Whether it matches `text` or a prefix of it that ends right before a `separator`."""
        state = self._start
        for char in text:
            if char == separator and state.accepting:
                return True
            following = state.steps.get(char)
            if following is None:
                following = self._step(state, char)
            if not following.members:
                return False
            state = following
        return state.accepting

    def __repr__(self) -> str:
        """The expression it was compiled from."""
        return f"LinearPattern({self.pattern!r})"
