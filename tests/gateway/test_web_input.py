"""Bad web chat bodies — lone surrogates, numbers past JSON's range, wrong types, over-long text —
get a 4xx with the security headers and reach nobody, never a 500: known shapes and generated
ones, in this process with a scripted assistant (the same shapes against gateway processes in
front of the real Rasa: tests/hostile)."""
from __future__ import annotations

import json
import random
from typing import List, Optional

from starlette.testclient import TestClient

from bot.app import create_app
from bot.gateway.config import GatewaySettings
from bot.gateway.replies import Reply
from bot.gateway.stores import MemoryStore

SURROGATES = ["\\ud800", "\\udfff", "\\udbff", "\\ud83d", "\\ude00"]


class Assistant:
    def __init__(self) -> None:
        self.asked: List[str] = []

    async def ask(self, channel: str, user: str, text: str, turn: Optional[str] = None, once: bool = False) -> List[Reply]:
        self.asked.append(text)
        return [Reply(f"答：{text}")]

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def message(text: str) -> bytes:
    return json.dumps({"message": text}, ensure_ascii=False).encode("utf-8")


def bad_bodies(seed: int, count: int) -> List[bytes]:
    """Known bad shapes, and `count` generated ones: a lone surrogate (escaped, or as the bytes
    CESU-8 would write) put anywhere in a real question, a message of a wrong type or too long."""
    rng = random.Random(seed)
    bodies = [b'{"message": "\\ud800"}', b'{"message": "\xed\xa0\x80"}', b'{"message": "\\ud83d"}', b'{"\\ud800": "x"}',
              b'{"message": "ok", "x": "\\udfff"}', b'{"message": NaN}', b'{"message": 1e999}', b'{"message": ' + b"9" * 5000 + b"}",
              b'{"message": "x", "message": 5}', b'{"message": {"message": "x"}}', b'{"message": ["x"]}',
              message("见" * 2001), b"\xef\xbb\xbf" + message(""), b'\x00{"message": "x"}', "{\"message\": \"é\"}".encode("utf-16")]
    question = "见习补贴怎么申请，我是2023届毕业生"
    for _ in range(count):
        at = rng.randrange(len(question) + 1)
        shape = rng.randrange(4)
        if shape == 0:
            text = json.dumps(question[:at], ensure_ascii=False)[:-1] + rng.choice(SURROGATES) + question[at:] + '"'
            bodies.append(b'{"message": ' + text.encode("utf-8") + b"}")
        elif shape == 1:
            raw = rng.choice([b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xb0\x80", b"\xc0\xaf", b"\xff", b"\xe8\xa7"])
            bodies.append(b'{"message": "' + question[:at].encode() + raw + question[at:].encode() + b'"}')
        elif shape == 2:
            wrong = rng.choice([None, 0, -1.5, True, [], {}, [question], {"text": question}, [[[]]]])
            bodies.append(json.dumps({"message": wrong, "sender": "wx:victim"}).encode())
        else:
            bodies.append(message(rng.choice(["", " ", "\u3000\n"]) if rng.random() < 0.3 else question * rng.randrange(120, 200)))
    return bodies


def test_bad_bodies_get_4xx_with_the_security_headers_never_500() -> None:
    assistant = Assistant()
    with TestClient(create_app(GatewaySettings(web=True), assistant=assistant, store=MemoryStore())) as http:  # type: ignore[arg-type]
        for body in bad_bodies(20221, 300):
            answer = http.post("/chat/message", content=body, headers={"content-type": "application/json"})
            assert 400 <= answer.status_code < 500, (body[:80], answer.status_code)
            assert answer.headers["x-content-type-options"] == "nosniff", body[:80]
            assert "content-security-policy" in answer.headers and "set-cookie" not in answer.headers
    assert assistant.asked == []
