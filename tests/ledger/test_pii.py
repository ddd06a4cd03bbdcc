"""Personal numbers masked in free text, and sealed for the one process holding the key."""
from __future__ import annotations

import pytest

from db.crypto import Cipher, new_key
from db.pii import has_personal_numbers, mask_personal_numbers, seal, unseal
from ledger.fields import id_check_digit

ID_NUMBER = "11010819990307123" + id_check_digit("11010819990307123")


@pytest.mark.parametrize("text, masked", [
    ("我叫王芳，手机13912345678", "我叫王芳，手机139****5678"),
    ("139 1234 5678", "139****5678"),
    ("+86-139-1234-5678", "139****5678"),
    ("１３９１２３４５６７８", "139****5678"),
    (f"身份证{ID_NUMBER}", f"身份证1101**********{ID_NUMBER[-4:]}"),
    ("身份证11010819990307123X", "身份证1101**********123X"),  # a wrong check digit is still someone's number
])
def test_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_personal_numbers(text) == masked
    assert has_personal_numbers(text)


@pytest.mark.parametrize("text", ["2022年毕业", "我23岁", "电话010-12345678", "12345678901234567890", "见习补贴怎么申请"])
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_personal_numbers(text) == text
    assert not has_personal_numbers(text)


def test_sealed_text_opens_only_with_the_key() -> None:
    cipher = Cipher([new_key()], b"h" * 32)
    token = seal(cipher, "手机13912345678")
    assert token is not None and "13912345678" not in token
    assert unseal(cipher, token) == "手机13912345678"
    assert seal(cipher, "没有号码") is None
