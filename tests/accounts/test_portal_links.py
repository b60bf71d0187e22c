"""Portal link signatures: the HMAC keyed once per key set signs exactly as Django's ``Signer``
(tokens already in customers' hands keep opening), with the current key and the fallbacks."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import signing

from accounts import portal_links
from accounts.portal_links import SALT, LinkError, link_read, link_token

CURRENT = "current-key-" + "c" * 40
OLD = "old-key-" + "o" * 44
OLDER = b"older-bytes-key-" + b"b" * 40
VALUES = ["0.0", "16.4hx", "zik0zj.5f1", "3w5e11264sgsf.zzzz", "", "клиент.名前", "a\tb\nc"]


def django_signature(value: str, key: str | bytes) -> str:
    return signing.Signer(key=key, salt=SALT, algorithm="sha256").signature(value)


@pytest.fixture
def keys(settings):
    settings.SECRET_KEY = CURRENT
    settings.SECRET_KEY_FALLBACKS = [OLD, OLDER]
    return settings


@pytest.mark.parametrize("value", VALUES)
def test_signatures_are_djangos_for_the_key_and_each_fallback(keys, value):
    expected = [django_signature(value, key)[:16] for key in (CURRENT, OLD, OLDER)]
    assert portal_links._signatures(value) == expected


def test_an_empty_fallback_signs_with_the_current_key_as_django_does(settings):
    settings.SECRET_KEY = CURRENT
    settings.SECRET_KEY_FALLBACKS = [""]
    signer = signing.Signer(key=CURRENT, fallback_keys=[""], salt=SALT, algorithm="sha256")
    assert portal_links._signatures("16.4hx") == [
        signer.signature("16.4hx", key)[:16] for key in (CURRENT, "")
    ]


@pytest.mark.parametrize(
    ("customer_id", "valid_until"),
    [(1, date(2026, 12, 1)), (42, date(2030, 1, 31)), (987_654_321, date(2000, 1, 1))],
)
def test_a_token_carries_djangos_signature(keys, customer_id, valid_until):
    token = link_token(customer_id, valid_until=valid_until)
    value, _, signature = token.rpartition(".")
    assert signature == django_signature(value, CURRENT)[:16]
    assert link_read(token, today=valid_until).customer_id == customer_id


def test_a_token_signed_with_a_retired_key_opens_while_the_key_is_a_fallback(settings):
    settings.SECRET_KEY = OLD
    settings.SECRET_KEY_FALLBACKS = []
    token = link_token(42, valid_until=date(2026, 12, 1))

    settings.SECRET_KEY = CURRENT
    settings.SECRET_KEY_FALLBACKS = [OLD]
    assert link_read(token, today=date(2026, 11, 1)).customer_id == 42

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(LinkError) as refused:
        link_read(token, today=date(2026, 11, 1))
    assert refused.value.reason == "tampered"


def test_a_token_django_signed_opens_and_a_tampered_one_does_not(keys):
    value = "16.4hx"  # customer 42, valid until 2015-12-17
    token = f"{value}.{django_signature(value, OLD)[:16]}"
    assert link_read(token, today=date(2015, 12, 17)).customer_id == 42
    for tampered in (
        f"17.4hx.{token.rsplit('.', 1)[1]}",  # another customer, the same signature
        f"16.4hy.{token.rsplit('.', 1)[1]}",  # a later last day
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature altered
        f"{value}.{django_signature(value, 'not-a-key-of-ours')[:16]}",
    ):
        with pytest.raises(LinkError) as refused:
            link_read(tampered, today=date(2015, 12, 17))
        assert refused.value.reason == "tampered"


def test_signed_tokens_are_found_in_a_message_and_forged_ones_are_not(keys):
    from accounts.portal_links import signed_token_spans

    until = date(2027, 1, 5)
    token = link_token(123456, valid_until=until)
    keys.SECRET_KEY = OLD
    retired = link_token(99, valid_until=until)  # signed with a key now a fallback
    keys.SECRET_KEY = CURRENT
    head, _, signature = token.rpartition(".")
    forged = f"{head}.{signature[1:]}x"
    text = (
        f"Pay: https://pay.example.test/p/{token}/ or type the code {retired}. "
        f"Not ours: https://pay.example.test/p/{forged}/ x{token}"
    )
    spans = signed_token_spans(text)
    assert [text[a:b] for a, b in spans] == [token, retired]
    assert signed_token_spans("no tokens here") == []
