"""The literal prefilter in front of the wording patterns never changes what is found.

``find_prohibited_wording`` runs only the patterns whose required literals occur in the
lower-cased text; these tests compare it with running every pattern on the text, and the
one-sweep removal of nested findings with comparing every pair. A long message with many
matches is scanned in bounded work (messages have no length limit here).
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import rules
from compliance.rules import wording

PATTERNS = rules.DEFAULT_WORDING + rules.SUIT_THREAT_PATTERNS + rules.DEBT_MENTION_PATTERNS


def _without_nested_pairwise(findings):
    """The definition of nested-finding removal, by comparing each finding with every kept
    one (quadratic: the oracle for ``wording._without_nested``, not for long texts)."""
    findings = sorted(findings, key=lambda f: (f.start, -f.end, f.category, f.pattern))
    kept = []
    for f in findings:
        if any(
            k.rule == f.rule and k.category == f.category and k.start <= f.start and f.end <= k.end
            for k in kept
        ):
            continue
        kept.append(f)
    kept.sort(key=lambda f: (f.start, f.end, f.category, f.pattern))
    return kept


def _every_pattern(text: str, patterns=PATTERNS, rule: str | None = None):
    """The findings with no prefilter at all: each pattern run on the text."""
    found = []
    for wp in patterns:
        if rule is not None and wp.rule != rule:
            continue
        for m in wording._compile(wp.pattern).finditer(text):
            if m.end() > m.start():
                found.append(
                    rules.WordingFinding(
                        wp.category, m.group(0), m.start(), m.end(), wp.pattern, wp.rule
                    )
                )
    return _without_nested_pairwise(found)


#: Words from the patterns themselves, so random texts hit them often.
_WORDS = sorted(
    {w for wp in PATTERNS for w in re.findall(r"[a-z]{2,}|[\u4e00-\u9fff]+", wp.pattern)}
)
_FILLER = ["you", "your", "will", "we", "Jane", "120.00", "USD", "。", ",", "  ", "\n", "'ll", "’"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_WORDS + _FILLER), min_size=1, max_size=14),
    st.sampled_from([" ", "", "  ", "-"]),
    st.booleans(),
)
def test_prefiltered_findings_equal_running_every_pattern(words, sep, upper):
    text = sep.join(words)
    if upper:
        text = text.upper()

    assert rules.find_prohibited_wording(text, PATTERNS, rule=None) == _every_pattern(text)


def test_it_finds_threats_in_a_template_message_and_not_in_a_clean_one():
    clean = "Jane, your account ending 1234 is 120.00 USD past due. Reply STOP to opt out."
    threat = clean + " You will go to jail if you do not pay."

    assert rules.check_wording(clean, rules.US_PROFILE) == []
    found = rules.check_wording(threat, rules.US_PROFILE)
    assert [v.category for v in found] == ["false_legal_threat"]
    assert rules.check_wording(threat, rules.US_PROFILE) == found  # cached pieces: same again


def test_a_cased_non_ascii_letter_falls_back_to_a_full_scan():
    # U+212A KELVIN SIGN matches "k" case-insensitively; lower() keeps it as is.
    text = "We will \u212aill you"

    assert wording._folded(text) is None
    assert [f.span for f in rules.find_prohibited_wording(text, PATTERNS)] == ["\u212aill you"]
    assert rules.find_prohibited_wording(text, PATTERNS) == _every_pattern(
        text, rule=rules.PROHIBITED_WORDING
    )


def test_required_literals_are_what_every_match_contains():
    assert set(rules.required_literals(r"\bjail\s+time\b")) == {
        frozenset({"jail"}),
        frozenset({"time"}),
    }
    assert rules.required_literals(r"\b(?:arrest|jail)\b") == (frozenset({"arrest", "jail"}),)
    # "f+u+c+k+": adjacent pairs are certain ("ffuuck" holds "fu", "uc", "ck"; not "fuck").
    assert set(rules.required_literals(r"\bf+u+c+k+\w*")) <= {
        frozenset({"fu"}),
        frozenset({"uc"}),
        frozenset({"ck"}),
    }
    assert rules.required_literals(r"\w+") is None  # nothing known: always run
    assert rules.required_literals(r"(?:optional)?\d+") is None


def test_chinese_wording_is_found_with_the_prefilter():
    text = "张三您好，你再不还钱就等着坐牢吧。"

    found = rules.find_prohibited_wording(text, rules.CN_PROFILE.wording)

    assert found == _every_pattern(text, rules.CN_PROFILE.wording, rules.PROHIBITED_WORDING)
    assert any(f.span == "坐牢" or "坐牢" in f.span for f in found)


_FINDINGS = st.lists(
    st.builds(
        lambda start, length, category, pattern, rule: rules.WordingFinding(
            category, "x" * length, start, start + length, pattern, rule
        ),
        st.integers(0, 30),
        st.integers(1, 12),
        st.sampled_from(["insult", "threat_of_harm"]),
        st.sampled_from(["p1", "p2"]),
        st.sampled_from([rules.PROHIBITED_WORDING, rules.THIRD_PARTY_DISCLOSURE]),
    ),
    max_size=40,
)


@settings(max_examples=500, deadline=None)
@given(_FINDINGS)
def test_one_sweep_drops_the_same_nested_findings_as_comparing_every_pair(findings):
    assert wording._without_nested(list(findings)) == _without_nested_pairwise(findings)


@contextmanager
def _must_finish_within(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: a generous bound that only a superlinear scan can exceed."""

    def expire(signum, frame):
        raise TimeoutError(f"not finished within {seconds} s: the scan is superlinear again")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_many_disjoint_findings_are_swept_once_not_compared_pairwise():
    # 200,000 findings all kept: comparing each with every kept one is 2 * 10^10 steps.
    findings = [
        rules.WordingFinding("insult", "idiot", 6 * i, 6 * i + 5, r"\bidiots?\b")
        for i in range(200_000)
    ]

    with _must_finish_within(30):
        kept = wording._without_nested(list(reversed(findings)))

    assert kept == findings


def test_a_megabyte_of_prohibited_phrases_is_scanned_in_bounded_work():
    phrase = "You will go to jail, deadbeat. We will sue you and tell your boss about the debt. "
    copies = 1_000_000 // len(phrase)
    text = phrase * copies
    per_copy = rules.find_prohibited_wording(phrase, PATTERNS, rule=None)
    ctx = rules.ContactContext(
        at=datetime(2026, 4, 7, 10, 0, tzinfo=ZoneInfo("America/New_York")),
        channel="sms",
        profile=rules.US_PROFILE,
        candidate_time_zones=("America/New_York",),
        message=text,
        recipient_is_third_party=True,
        statute_of_limitations_date=date(2020, 1, 1),
    )

    with _must_finish_within(60):
        found = rules.find_prohibited_wording(text, PATTERNS, rule=None)
        decision = rules.evaluate(ctx)

    assert len(found) > 50_000  # many matches, not a few
    assert len(found) == len(per_copy) * copies
    assert found[: len(per_copy)] == per_copy
    assert {v.rule for v in decision.violations} >= {
        rules.PROHIBITED_WORDING,
        rules.TIME_BARRED_THREAT,
        rules.THIRD_PARTY_DISCLOSURE,
    }
    assert [v.span for v in decision.violations if v.rule == rules.PROHIBITED_WORDING] == [
        v.span for v in rules.check_wording(phrase, rules.US_PROFILE)
    ]
