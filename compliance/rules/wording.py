"""The prohibited-wording scan: compiled patterns, the literal prefilter index in front of
them, and `find_prohibited_wording`.

Patterns are matched case-insensitively against the raw text, so finding offsets are offsets
into the text the UI shows. They are compiled once per pattern tuple / profile object (cached
by identity), so keep Profile objects long-lived.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

import ahocorasick

from compliance.rules.vocabulary import PROHIBITED_WORDING, WordingFinding, WordingPattern

# --------------------------------------------------------------------------------------------
# Compiled-pattern cache
# --------------------------------------------------------------------------------------------

_T = TypeVar("_T")
_CACHE_LIMIT = 256
_compiled_by_id: dict[tuple[str, int], tuple[Any, Any]] = {}


def _cached(kind: str, source: Any, build: Callable[[Any], _T]) -> _T:
    """Build once per source object; the cache keeps `source` alive so its id stays unique."""
    key = (kind, id(source))
    hit = _compiled_by_id.get(key)
    if hit is not None and hit[0] is source:
        return hit[1]
    value = build(source)
    if len(_compiled_by_id) >= _CACHE_LIMIT:
        _compiled_by_id.clear()
    _compiled_by_id[key] = (source, value)
    return value


def _compile(pattern: str) -> re.Pattern[str]:
    """Compile case-insensitively; a broken admin regex degrades to a literal phrase."""
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return re.compile(re.escape(pattern), re.IGNORECASE)


def pattern_error(pattern: str) -> str | None:
    """The regex error for an admin-entered pattern, or None if it compiles (for form checks)."""
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return str(exc)
    return None


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


#: One pattern's literal requirement: every match contains at least one string of each set.
_Needs = tuple[frozenset[str], ...]


@dataclass(frozen=True)
class _Group:
    """Patterns of one language and category behind one combined prefilter regex, so text
    without a match costs one scan per group; None when the group cannot be combined.

    ``needs`` holds, per entry, lower-case strings every match of it contains (one of each
    set; None when unknown). On text whose lower-cased form lacks them the pattern cannot
    match, so only the entries whose needs are met are run: an ``in`` test costs far less
    than a regex scan and skipping cannot lose a finding.
    """

    prefilter: re.Pattern[str] | None
    entries: tuple[tuple[WordingPattern, re.Pattern[str]], ...]
    needs: tuple[_Needs | None, ...] = ()


def _is_uncased_or_ascii(char: str) -> bool:
    """ASCII, or without case: IGNORECASE matches it only to itself or to ASCII letters."""
    return char.isascii() or (char.lower() == char == char.upper() == char.casefold())


def _selectivity(candidate: frozenset[str]) -> tuple[int, int]:
    return (min(len(s) for s in candidate), -len(candidate))


def _sequence_needs(items: Any) -> list[frozenset[str]]:
    """Sets of strings such that every match of the parsed sequence contains one string of
    each set (lower-case; from literal runs, groups, repeats of at least one, alternations)."""
    needs: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            needs.append(frozenset({"".join(run)}))
            run.clear()

    for op, av in items:
        name = str(op)
        if name == "LITERAL" and _is_uncased_or_ascii(chr(av)):
            run.append(chr(av).lower())
            continue
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            low, high, item = av
            only = list(item)
            if len(only) == 1 and str(only[0][0]) == "LITERAL":
                char = chr(only[0][1])
                if _is_uncased_or_ascii(char):
                    # "a+b": the run so far, an "a", then (after any more) "ab".
                    run.append(char.lower() * low)
                    if high != low:
                        flush()
                        run.append(char.lower())
                    continue
        flush()
        if name == "SUBPATTERN":
            needs.extend(_sequence_needs(av[-1]))
        elif name == "ATOMIC_GROUP":
            needs.extend(_sequence_needs(av))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            needs.extend(_sequence_needs(av[2]))
        elif name == "BRANCH":
            options = [_sequence_needs(branch) for branch in av[1]]
            if options and all(options):
                needs.append(frozenset().union(*(max(o, key=_selectivity) for o in options)))
    flush()
    return [n for n in needs if n and all(n)]


def required_literals(pattern: str) -> _Needs | None:
    """Lower-case strings any case-insensitive match of ``pattern`` contains (one of each
    set, the most selective sets), or None when none is known: then the pattern always
    runs."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        parsed = _parser.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError):
        return None
    needs = sorted(
        set(_sequence_needs(parsed)), key=lambda n: (_selectivity(n), sorted(n)), reverse=True
    )
    if not needs:
        return None
    # The best, and two more when telling (short common words cost more to track than they
    # save).
    return tuple(n for i, n in enumerate(needs[:3]) if i == 0 or _selectivity(n)[0] >= 3)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _folded(text: str) -> str | None:
    """``text`` lower-cased for the literal test, or None when it holds a cased non-ASCII
    character (IGNORECASE may match that to an ASCII letter: then run every pattern)."""
    if not text.isascii():
        other = "".join(_NON_ASCII.findall(text))
        if not (other.lower() == other == other.upper() == other.casefold()):
            return None
    return text.lower()


def _build_group(entries: list[tuple[WordingPattern, re.Pattern[str]]]) -> _Group:
    needs = tuple(required_literals(rx.pattern) for _, rx in entries)
    # Back-references would be renumbered inside an alternation: such a group runs unfiltered.
    if any(_BACKREFERENCE.search(rx.pattern) for _, rx in entries):
        return _Group(None, tuple(entries), needs)
    try:
        prefilter = re.compile("|".join(f"(?:{rx.pattern})" for _, rx in entries), re.IGNORECASE)
    except re.error:
        return _Group(None, tuple(entries), needs)
    return _Group(prefilter, tuple(entries), needs)


@dataclass(frozen=True)
class _Matcher:
    """A rule's groups, and an index from each required literal to the (group, entry, need)
    it satisfies, so only the entries whose literals occur in a text are run on it.

    The literals occurring in a text are found in one pass over it by an Aho-Corasick
    automaton (``pyahocorasick``), whatever their number: a message costs its length, and the
    values filled into a template (names, amounts, links) cost no more than its fixed words.
    """

    groups: tuple[_Group, ...]
    literals: Mapping[str, tuple[tuple[int, int, int], ...]]
    need_counts: Mapping[tuple[int, int], int]
    always: frozenset[tuple[int, int]]
    automaton: Any = None
    _runs: dict[frozenset[str], tuple[tuple[int, int], ...]] = field(
        default_factory=dict, compare=False
    )

    def present(self, folded: str) -> set[str]:
        """The literals occurring in ``folded`` (lower-cased text)."""
        if self.automaton is None:
            return set()
        return {literal for _end, literal in self.automaton.iter(folded)}

    def candidates(self, folded: str) -> tuple[tuple[int, int], ...]:
        """(group, entry) pairs whose literal needs ``folded`` meets, in pattern order.
        Remembered by the set of literals found: texts from one template share it."""
        present = frozenset(self.present(folded))
        cached = self._runs.get(present)
        if cached is not None:
            return cached
        met: dict[tuple[int, int], set[int]] = {}
        for literal in present:
            for g, e, n in self.literals[literal]:
                met.setdefault((g, e), set()).add(n)
        run = set(self.always)
        run.update(k for k, needs in met.items() if len(needs) == self.need_counts[k])
        if len(self._runs) > _RUNS_CACHE_LIMIT:
            self._runs.clear()
        result = self._runs[present] = tuple(sorted(run))
        return result


_RUNS_CACHE_LIMIT = 200_000


def _automaton(literals: Sequence[str]) -> Any:
    """An Aho-Corasick automaton finding ``literals`` (each reported as itself); None for none."""
    if not literals:
        return None
    automaton = ahocorasick.Automaton()
    for literal in literals:
        automaton.add_word(literal, literal)
    automaton.make_automaton()
    return automaton


def _build_matcher(patterns: Sequence[WordingPattern]) -> _Matcher:
    grouped: dict[tuple[str, str], list[tuple[WordingPattern, re.Pattern[str]]]] = {}
    for p in patterns:
        grouped.setdefault((p.language, p.category), []).append((p, _compile(p.pattern)))
    groups = tuple(_build_group(entries) for entries in grouped.values())
    literals: dict[str, list[tuple[int, int, int]]] = {}
    counts: dict[tuple[int, int], int] = {}
    always: set[tuple[int, int]] = set()
    for g, group in enumerate(groups):
        for e, needs in enumerate(group.needs):
            if needs is None:
                always.add((g, e))
                continue
            counts[(g, e)] = len(needs)
            for n, need in enumerate(needs):
                for literal in need:
                    literals.setdefault(literal, []).append((g, e, n))
    return _Matcher(
        groups,
        MappingProxyType({k: tuple(v) for k, v in literals.items()}),
        MappingProxyType(counts),
        frozenset(always),
        _automaton(list(literals)),
    )


def _build_matchers(patterns: Sequence[WordingPattern]) -> dict[str, _Matcher]:
    by_rule: dict[str, list[WordingPattern]] = {}
    for p in patterns:
        by_rule.setdefault(p.rule, []).append(p)
    return {rule: _build_matcher(ps) for rule, ps in by_rule.items()}


@functools.lru_cache(maxsize=64)
def _matchers_by_content(patterns: tuple[WordingPattern, ...]) -> dict[str, _Matcher]:
    return _build_matchers(patterns)


def _matchers(patterns: Sequence[WordingPattern]) -> dict[str, _Matcher]:
    """Compiled matchers per rule code: cached by identity for tuples (a profile's
    `wording`), by content otherwise."""
    if isinstance(patterns, tuple):
        return _cached("wording", patterns, _build_matchers)
    return _matchers_by_content(tuple(patterns))


def _run_matcher(text: str, matcher: _Matcher, folded: str | None) -> list[WordingFinding]:
    if folded is not None:
        entries = [matcher.groups[g].entries[e] for g, e in matcher.candidates(folded)]
    else:
        entries = []
        for group in matcher.groups:
            if group.prefilter is None or group.prefilter.search(text) is not None:
                entries.extend(group.entries)
    found: list[WordingFinding] = []
    for wp, rx in entries:
        for m in rx.finditer(text):
            if m.end() > m.start():
                found.append(
                    WordingFinding(wp.category, m.group(0), m.start(), m.end(), wp.pattern, wp.rule)
                )
    return found


def _without_nested(findings: list[WordingFinding]) -> list[WordingFinding]:
    """Sort, and drop a finding lying inside another of the same rule and category.

    One sweep in start order (longest first): every finding kept so far starts at or before
    this one, so this one lies inside a kept one exactly when the furthest end kept for its
    rule and category reaches its end. Sorting is the dominant cost, so a long message with
    many matches costs n log n, not n² (comparing each finding with every kept one did).
    """
    findings.sort(key=lambda f: (f.start, -f.end, f.category, f.pattern))
    reach: dict[tuple[str, str], int] = {}
    kept: list[WordingFinding] = []
    for f in findings:
        key = (f.rule, f.category)
        if reach.get(key, -1) >= f.end:
            continue
        reach[key] = f.end  # larger than any end kept for this key so far
        kept.append(f)
    kept.sort(key=lambda f: (f.start, f.end, f.category, f.pattern))
    return kept


def find_prohibited_wording(
    text: str,
    patterns: Sequence[WordingPattern],
    *,
    rule: str | None = PROHIBITED_WORDING,
) -> list[WordingFinding]:
    """Every match of `patterns` (of `rule`; all rules if None) in `text`, for highlighting.

    Findings are ordered by position; a match nested in a longer match of the same category
    is dropped.
    """
    if not text:
        return []
    compiled = _matchers(patterns)
    matchers = compiled.values() if rule is None else [m for r, m in compiled.items() if r == rule]
    found: list[WordingFinding] = []
    folded = _folded(text)
    for matcher in matchers:
        found.extend(_run_matcher(text, matcher, folded))
    return _without_nested(found)
