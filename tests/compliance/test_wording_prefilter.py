"""The literal prefilter in front of the wording patterns never changes what is found.

``find_prohibited_wording`` runs only the patterns whose required literals occur in the
lower-cased text; these tests compare it with running every pattern on the text.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance import rules
from compliance.rules import wording

PATTERNS = rules.DEFAULT_WORDING + rules.SUIT_THREAT_PATTERNS + rules.DEBT_MENTION_PATTERNS


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
    return wording._without_nested(found)


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
