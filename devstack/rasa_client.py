"""The one client of Rasa's REST channel. The caller never picks the sender id's prefix: the
channel name is part of it (`cli:…`, later `wx:…`, `tg:…`, `web:…`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List

import httpx

Message = Dict[str, Any]


@dataclass
class RasaRestClient:
    base_url: str = "http://127.0.0.1:5005"
    timeout: float = 10.0
    _http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(base_url=self.base_url, timeout=self.timeout)

    def send(self, channel: str, user: str, text: str) -> List[Message]:
        """One graduate turn: the assistant's messages (text, buttons) in order."""
        response = self._http.post(
            "/webhooks/rest/webhook", json={"sender": f"{channel}:{user}", "message": text}
        )
        response.raise_for_status()
        return list(response.json())

    def close(self) -> None:
        self._http.close()
