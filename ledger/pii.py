"""Personal numbers in free text: found, masked for everything that stores or logs messages
(Rasa's tracker, logs), and sealed (encrypted) so that the registration still receives them.

A message "我叫王芳，手机13912345678" reaches Rasa as "我叫王芳，手机139****5678", with the original
text encrypted under the ledger's key in the message metadata; only the action server, which holds
the key, opens it.
"""
from __future__ import annotations

import re
from typing import Optional

from ledger.crypto import Cipher
from ledger.fields import mask_id_number, mask_phone

SEALED_KEY = "sealed_text"
# digits possibly separated by spaces or dashes, with an optional +86 / 86 prefix
_PHONE = re.compile(r"(?<![\d*])(?:\+?86[\s\-]?)?1\d{2}[\s\-]?\d{4}[\s\-]?\d{4}(?![\d*])")
_ID = re.compile(r"(?<![\dXx*])\d{6}\s?\d{8}\s?\d{3}[\dXx](?![\dXx*])")
_FULL_WIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)} | {"Ｘ": "X", "ｘ": "x", "＋": "+", "－": "-"})


def mask_personal_numbers(text: str) -> str:
    """The text with everything shaped like a mobile or ID-card number masked (mistyped ones
    too: a number with a wrong check digit is still someone's)."""
    folded = text.translate(_FULL_WIDTH)
    folded = _ID.sub(lambda m: mask_id_number(re.sub(r"\s", "", m.group(0)).upper()), folded)
    return _PHONE.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group(0))[-11:]), folded)


def has_personal_numbers(text: str) -> bool:
    return mask_personal_numbers(text) != text.translate(_FULL_WIDTH)


def seal(cipher: Cipher, text: str) -> Optional[str]:
    """The original text, encrypted, when masking changed it; else None."""
    return cipher.encrypt(text) if has_personal_numbers(text) else None


def unseal(cipher: Cipher, token: Optional[str]) -> Optional[str]:
    return cipher.decrypt(token) if token else None
