"""Rasa's REST channel with personal numbers masked before Rasa sees the message.

Same URL and protocol as Rasa's own (`/webhooks/rest/webhook`, {"sender", "message"}). Phone and
ID-card numbers in the text are masked (139****5678), so the tracker, the NLU and the logs never
hold them; the original text travels encrypted in the message metadata (`sealed_text`) for the
registration action, which holds the key. A client cannot supply its own `sealed_text`.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.request import Request

from ledger.config import settings_from_env
from ledger.crypto import Cipher
from ledger.pii import SEALED_KEY, mask_personal_numbers, seal


class PrivateRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "PrivateRestInput":
        return cls()

    def __init__(self) -> None:
        settings = settings_from_env()  # fails fast, naming the variable, when the keys are wrong
        self.cipher = Cipher(settings.keys, settings.hash_key)

    def _extract_message(self, req: Request) -> Optional[Text]:
        text = req.json.get("message") if isinstance(req.json, dict) else None
        return mask_personal_numbers(text) if isinstance(text, str) else text

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json if isinstance(request.json, dict) else {}
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        metadata = {key: value for key, value in metadata.items() if key != SEALED_KEY}
        text = body.get("message")
        sealed = seal(self.cipher, text) if isinstance(text, str) else None
        if sealed:
            metadata[SEALED_KEY] = sealed
        return metadata or None
