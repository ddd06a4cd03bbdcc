"""Hostile and malformed requests against the public endpoints, from a seeded random generator
mixed with a list of known attack shapes.

Every request here lacks what would give it an effect: a valid signature (WeChat), the webhook
secret (Telegram), a well-formed message (web chat: anyone may chat, so only refused requests are
sent) or a session (console). Where a request does carry a valid signature or secret, its body is
what must be refused (XML bombs, XXE, garbage, wrong types, replayed nonces). So every answer
must be a 4xx (or the `success` WeChat gives a byte-identical resend), and nothing may reach Rasa,
the ledger or the console's tables.

`build(rng, counts, …)` returns the attacks in a shuffled order; each one names its target
(`plain` gateway: WeChat plaintext, Telegram webhook, web chat; `safe` gateway: WeChat safe mode;
`console`) and the statuses it may get.
"""
from __future__ import annotations

import base64
import json
import random
import string
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, List, Optional, Tuple

from wechatpy.crypto import PrpCrypto

from bot.channels.wechat.inbound import signature
from tests.standins.wechat import WeChatPushes

REFUSED = frozenset(range(400, 500))
XML = "text/xml"


@dataclass
class Attack:
    target: str  # plain | safe | console
    kind: str  # what it tries, for the report
    method: str
    path: str
    params: Dict[str, str] = field(default_factory=dict)
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    cookies: Dict[str, str] = field(default_factory=dict)
    expect: FrozenSet[int] = REFUSED
    repeated: List[Tuple[str, str]] = field(default_factory=list)  # headers sent in addition, even twice


@dataclass(frozen=True)
class Secrets:
    """What the gateways and the console were started with (the attacker lacks most of it)."""

    token: str
    app_id: str
    aes_key: str
    telegram_secret: str
    staff_user: str


# ---------------------------------------------------------------- known shapes

BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
                  + "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
                  + ']><xml><ToUserName>gh_x</ToUserName><FromUserName>{openid}</FromUserName>'
                  "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>")
QUADRATIC = ('<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "' + "x" * 20_000 + '">]><xml><ToUserName>gh_x</ToUserName>'
             "<FromUserName>{openid}</FromUserName><MsgType>text</MsgType><Content>" + "&a;" * 1000 + "</Content></xml>")
XXE_FILE = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh_x</ToUserName>'
            "<FromUserName>{openid}</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
            "<Content>&e;</Content><MsgId>2</MsgId></xml>")
XXE_HTTP = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/steal">]><xml>'
            "<FromUserName>{openid}</FromUserName><Content>&e;</Content></xml>")
XXE_PARAMETER = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>'
                 "<xml><FromUserName>{openid}</FromUserName></xml>")
EXTERNAL_DTD = '<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><FromUserName>{openid}</FromUserName></xml>'
XINCLUDE = ('<xml xmlns:xi="http://www.w3.org/2001/XInclude"><FromUserName>{openid}</FromUserName>'
            '<Content><xi:include parse="text" href="file:///etc/passwd"/></Content></xml>')
DEEP_XML = "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>"
NOT_WECHAT = [
    "<html><body>hi</body></html>",
    "<xml></xml>",
    "<xml><ToUserName>gh_x</ToUserName></xml>",
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>x</CreateTime>"
    "<MsgType>text</MsgType><Content>hi</Content><MsgId>notanumber</MsgId></xml>",
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>{bad_openid}</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>见习补贴怎么申请</Content><MsgId>3</MsgId></xml>",
    "<xml><ToUserName></ToUserName><FromUserName>{openid}</FromUserName><MsgType>text</MsgType><Content>hi</Content></xml>",
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>{openid}</FromUserName><Content>no type</Content></xml>",
]
BAD_OPENIDS = ["", "o" * 65, "o'; DROP TABLE registrations;--", "o<script>", "o/../../etc", "用户", "o o", "o\u202eid",
               "wx:o123", "o%00"]
SQLI = ["admin' --", "' OR '1'='1", "' OR 1=1;--", "city1'/*", '" OR ""="', "admin'; DROP TABLE staff_users;--",
        "1; SELECT pg_sleep(5)--", "' UNION SELECT username, password_hash FROM staff_users--", "%' OR username LIKE '%",
        "\\'; --", "city1\x00", "ｃｉｔｙ１", "CITY1", " city1 ", "city1\n", "${jndi:ldap://127.0.0.1:9/a}", "{{7*7}}"]
ODD_TEXT = ["\x00", "\u202e反转\u202c", "\ufeff", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
            "é" * 3, "👨‍👩‍👧‍👦" * 10, "\u0000\u0007\u001b[31m", "Z\u0351\u0352\u0353" * 50, "\r\n\r\nHTTP/1.1 200 OK"]
WRONG_TYPES = [None, 1, 1.5, True, [], {}, ["x"], {"text": "hi"}, "x" * 3000]


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# ---------------------------------------------------------------- the generator


class Generator:
    def __init__(self, rng: random.Random, secrets: Secrets) -> None:
        self.rng = rng
        self.s = secrets
        self.plain = WeChatPushes(secrets.token, secrets.app_id)
        self.safe = WeChatPushes(secrets.token, secrets.app_id, secrets.aes_key)
        self.openids: List[str] = []  # senders named in signed bodies: their Rasa trackers must stay empty
        self.chats: List[int] = []

    # ---- small random pieces
    def openid(self) -> str:
        value = "o" + "".join(self.rng.choices(string.ascii_letters + string.digits, k=27))
        self.openids.append(value)
        return value

    def chat(self) -> int:
        value = self.rng.randrange(10**8, 10**9)
        self.chats.append(value)
        return value

    def random_bytes(self, most: int = 4096) -> bytes:
        return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randrange(0, most)))

    def random_text(self, most: int = 200) -> str:
        alphabet = string.printable + "见习补贴求职登记<>&\"'/\\{}[]\u202e\ufeff\x00"
        return "".join(self.rng.choices(alphabet, k=self.rng.randrange(0, most)))

    def huge(self, size: int) -> bytes:
        return (b"A" * 1024) * (size // 1024)

    def pick(self, options: List[Callable[[], Attack]]) -> Attack:
        return self.rng.choice(options)()

    def fill(self, xml: str) -> str:
        bad = self.rng.choice(BAD_OPENIDS).replace("{", "").replace("}", "")
        return xml.replace("{openid}", self.openid()).replace("{bad_openid}", bad)

    # ---- WeChat, plaintext mode
    def signed_plain(self, body: bytes, kind: str, **overrides: str) -> Attack:
        ts, nonce = str(int(time.time())), self.nonce()
        params = {"signature": signature(self.s.token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": self.openid()}
        params.update(overrides)
        return Attack("plain", kind, "POST", "/wechat", params, {"content-type": XML}, body)

    def nonce(self) -> str:
        return str(self.rng.randrange(10**9, 10**10)) + str(self.rng.randrange(10**6))

    def wechat_plain(self) -> Attack:
        rng = self.rng
        ts = str(int(time.time()))
        good = self.plain.text(self.openid(), "见习补贴怎么申请").encode()
        choices: List[Callable[[], Attack]] = [
            lambda: Attack("plain", "no query", "POST", "/wechat", {}, {"content-type": XML}, good),
            lambda: self._with(good, "bad signature", signature="%040x" % rng.getrandbits(160)),
            lambda: self._with(good, "signature of another token", signature=signature("otherToken", ts, "123")),
            lambda: self._with(good, "stale timestamp", timestamp=str(int(time.time()) - rng.randrange(301, 10**8))),
            lambda: self._with(good, "future timestamp", timestamp=str(int(time.time()) + rng.randrange(301, 10**8))),
            lambda: self._with(good, "odd timestamp", timestamp=rng.choice(["", "-1", "1e9", "０", "9" * 40, "1.5"])),
            lambda: self._with(good, "odd nonce", nonce=rng.choice(["", "a b", "x" * 65, "'; --", "非", "%00"])),
            lambda: self.signed_plain(good, "encrypted flag without a key", encrypt_type="aes", msg_signature="0" * 40),
            lambda: self.signed_plain(self.fill(rng.choice([BILLION_LAUGHS, QUADRATIC])).encode(), "XML bomb"),
            lambda: self.signed_plain(self.fill(rng.choice([XXE_FILE, XXE_HTTP, XXE_PARAMETER, EXTERNAL_DTD])).encode(), "XXE"),
            lambda: self.signed_plain(self.fill(XINCLUDE).encode(), "XInclude"),
            lambda: self.signed_plain(DEEP_XML.encode(), "deeply nested XML"),
            lambda: self.signed_plain(self.fill(rng.choice(NOT_WECHAT)).encode(), "not a WeChat message"),
            lambda: self.signed_plain(self.random_bytes(), "random bytes"),
            lambda: self.signed_plain(good[: rng.randrange(1, len(good) - 1)], "truncated XML"),
            lambda: self.signed_plain(good.replace(b"<?xml", b"") + b"\xff\xfe\x00", "invalid UTF-8"),
            lambda: self.signed_plain(self.huge(rng.choice([65 * 1024] * 19 + [1024 * 1024])), "huge body"),
            lambda: Attack("plain", "wrong content type", "POST", "/wechat", self._params(),
                           {"content-type": rng.choice(["application/json", "text/plain", "multipart/form-data; boundary=x",
                                                        "application/x-www-form-urlencoded", "", "text/xmlx"])}, good),
            lambda: Attack("plain", "wrong method", rng.choice(["PUT", "DELETE", "PATCH"]), "/wechat", self._params(),
                           {"content-type": XML}, good),
            lambda: Attack("plain", "URL check forged", "GET", "/wechat",
                           {"signature": "%040x" % rng.getrandbits(160), "timestamp": ts, "nonce": "1", "echostr": "x"}),
            lambda: Attack("plain", "URL check odd echostr", "GET", "/wechat",
                           {**self.plain.url_check("x"), "echostr": rng.choice(["", "<script>", "x" * 200, "a b"])}),
        ]
        return self.pick(choices)

    def _params(self) -> Dict[str, str]:
        ts, nonce = str(int(time.time())), self.nonce()
        return {"signature": signature(self.s.token, ts, nonce), "timestamp": ts, "nonce": nonce}

    def _with(self, body: bytes, kind: str, **changes: str) -> Attack:
        params = {**self._params(), **changes}
        return Attack("plain", kind, "POST", "/wechat", params, {"content-type": XML}, body)

    def replays(self, count: int) -> Tuple[Attack, List[Attack]]:
        """A signed push that is accepted but reaches nobody (a menu VIEW event), then `count`
        requests replaying its query string: with other bodies (403), or the same (success)."""
        xml = self.plain.event(self.openid(), "VIEW", "https://example.org/")
        params, body = self.plain.signed(xml)
        first = Attack("plain", "original of the replays", "POST", "/wechat", params, {"content-type": XML}, body,
                       expect=frozenset({200}))
        replays = []
        for _ in range(count):
            if self.rng.random() < 0.2:
                replays.append(Attack("plain", "identical resend", "POST", "/wechat", dict(params), {"content-type": XML},
                                      body, expect=frozenset({200})))
            else:
                other = self.plain.text(self.openid(), "replayed").encode()
                replays.append(Attack("plain", "replayed nonce", "POST", "/wechat", dict(params), {"content-type": XML}, other))
        return first, replays

    # ---- WeChat, safe mode
    def signed_safe(self, encrypt: str, kind: str, sign: bool = True, outer: Optional[bytes] = None) -> Attack:
        ts, nonce = str(int(time.time())), self.nonce()
        params = {"signature": signature(self.s.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                  "openid": self.openid(), "encrypt_type": "aes",
                  "msg_signature": signature(self.s.token, ts, nonce, encrypt) if sign else "%040x" % self.rng.getrandbits(160)}
        body = outer if outer is not None else f"<xml><ToUserName>gh_x</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
        return Attack("safe", kind, "POST", "/wechat", params, {"content-type": XML}, body)

    def encrypt(self, xml: str, app_id: Optional[str] = None) -> str:
        return PrpCrypto(self.safe.crypto.key).encrypt(xml, app_id or self.s.app_id).decode("ascii")  # type: ignore[union-attr]

    def wechat_safe(self) -> Attack:
        rng = self.rng
        good_xml = self.safe.text(self.openid(), "见习补贴怎么申请")
        good = self.encrypt(good_xml)
        choices: List[Callable[[], Attack]] = [
            lambda: Attack("safe", "plaintext push in safe mode", "POST", "/wechat", self._params(), {"content-type": XML},
                           good_xml.encode()),
            lambda: self.signed_safe(good, "bad msg_signature", sign=False),
            lambda: self.signed_safe(good[: rng.randrange(4, len(good) - 4)], "truncated encryption"),
            lambda: self.signed_safe(good[:-8] + "AAAAAAA=", "tampered tail"),
            lambda: self.signed_safe(base64.b64encode(self.random_bytes(512) or b"x").decode(), "random ciphertext"),
            lambda: self.signed_safe(rng.choice(["!!!!", "====", "a", "YQ", "\u4e2d\u6587"]), "not base64"),
            lambda: self.signed_safe(self.encrypt(good_xml, "wxOtherAppId00000"), "encrypted for another AppID"),
            lambda: self.signed_safe(self.encrypt(self.fill(rng.choice([BILLION_LAUGHS, XXE_FILE, XXE_PARAMETER]))), "bomb inside"),
            lambda: self.signed_safe(self.encrypt(self.fill(rng.choice(NOT_WECHAT))), "not a message inside"),
            lambda: self.signed_safe("", "empty Encrypt"),
            lambda: self.signed_safe(good, "bomb outside", outer=self.fill(BILLION_LAUGHS).encode()),
            lambda: self.signed_safe(good, "random outer body", outer=self.random_bytes(2048)),
        ]
        return self.pick(choices)

    # ---- Telegram webhook
    def telegram(self) -> Attack:
        rng = self.rng
        chat = self.chat()
        update = {"update_id": rng.randrange(1, 10**9), "message": {
            "message_id": 1, "date": int(time.time()), "chat": {"id": chat, "type": "private", "first_name": "x"},
            "from": {"id": chat, "is_bot": False, "first_name": "x"}, "text": "见习补贴怎么申请"}}
        good = json.dumps(update).encode()
        secret = {"X-Telegram-Bot-Api-Secret-Token": self.s.telegram_secret, "content-type": "application/json"}
        wrong = rng.choice(["", "wrong", self.s.telegram_secret + "x", self.s.telegram_secret[:-1],
                            self.s.telegram_secret.upper(), self.s.telegram_secret[::-1], "\u00e9" * 10])
        choices: List[Callable[[], Attack]] = [
            lambda: self._tg("no secret", {"content-type": "application/json"}, good),
            lambda: self._tg("wrong secret", {"X-Telegram-Bot-Api-Secret-Token": wrong, "content-type": "application/json"}, good),
            lambda: self._tg("secret twice", {"content-type": "application/json"}, good,
                             raw_headers=[("X-Telegram-Bot-Api-Secret-Token", "wrong"),
                                          ("X-Telegram-Bot-Api-Secret-Token", self.s.telegram_secret)]),
            lambda: self._tg("bad JSON", secret, good[: rng.randrange(1, len(good) - 1)]),
            lambda: self._tg("random bytes", secret, self.random_bytes()),
            lambda: self._tg("not an object", secret, json.dumps(rng.choice([[update], "update", 5, None, True])).encode()),
            lambda: self._tg("update_id of a wrong type", secret,
                             json.dumps({**update, "update_id": rng.choice([None, "1", 1.5, True, [1], {"a": 1}])}).encode()),
            lambda: self._tg("no update_id", secret, json.dumps({"message": update["message"]}).encode()),
            lambda: self._tg("message of a wrong type", secret,
                             json.dumps({**update, "message": rng.choice(["hi", 5, [1, 2], True])}).encode(), ok=True),
            lambda: self._tg("deeply nested JSON", secret, deep_json(rng.choice([2000, 50_000]))),
            lambda: self._tg("huge body", secret, b'{"update_id": 1, "x": "' + self.huge(rng.choice([257 * 1024] * 19 + [1024 * 1024])) + b'"}'),
            lambda: self._tg("wrong content type", {**secret, "content-type": rng.choice(["text/plain", "application/xml",
                                                                                           "application/x-www-form-urlencoded"])}, good),
            lambda: Attack("plain", "wrong method", rng.choice(["GET", "PUT", "DELETE"]), "/telegram/webhook", headers=secret),
            lambda: self._tg("invalid UTF-8 JSON", secret, b'{"update_id": 1, "message": "\xff\xfe"}'),
            lambda: self._tg("lone surrogate in the text", secret,
                             json.dumps({**update, "message": {**update["message"], "text": self.with_surrogate("见习补贴怎么申请")}}).encode()),
            lambda: self._tg("chat id of a wrong type", secret, json.dumps({**update, "message": {
                **update["message"], "chat": {"id": rng.choice([str(chat), [chat], chat + 0.5, {"id": chat}]), "type": "private"}}}).encode()),
        ]
        return self.pick(choices)

    def _tg(self, kind: str, headers: Dict[str, str], body: bytes, ok: bool = False,
            raw_headers: Optional[List[Tuple[str, str]]] = None) -> Attack:
        attack = Attack("plain", f"telegram: {kind}", "POST", "/telegram/webhook", headers=dict(headers), body=body,
                        repeated=list(raw_headers or []))
        if ok:  # a parsable update with nothing in it to answer: acknowledged, then ignored
            attack.expect = REFUSED | {200}
        return attack

    # ---- web chat
    def web(self) -> Attack:
        rng = self.rng
        cookie = rng.choice([{}, {"chat_session": rng.choice(["x", "../../etc/passwd", "a" * 65, "web:someone", "\u202e" * 30,
                                                               "a" * 19, "%00" * 10, "' OR 1=1 --" * 3])},
                             {"chat_session": "".join(rng.choices(string.ascii_letters, k=30))}])
        json_type = {"content-type": "application/json"}
        odd = rng.choice(ODD_TEXT)
        choices: List[Callable[[], Attack]] = [
            lambda: self._web("bad JSON", json_type, b'{"message": "' + odd.encode("utf-8", "replace"), cookie),
            lambda: self._web("not an object", json_type, json.dumps(rng.choice([["hi"], "hi", 1, None])).encode(), cookie),
            lambda: self._web("message of a wrong type", json_type, json.dumps({"message": rng.choice(WRONG_TYPES[:-1])}).encode(), cookie),
            lambda: self._web("empty message", json_type, json.dumps({"message": rng.choice(["", " ", "\n\t", "\u3000"])}).encode(), cookie),
            lambda: self._web("too long", json_type, json.dumps({"message": odd + "见" * rng.randrange(2001, 2600)}).encode(), cookie),
            lambda: self._web("huge body", json_type, json.dumps({"message": "x" * rng.choice([9000] * 19 + [300_000])}).encode(), cookie),
            lambda: self._web("deeply nested JSON", json_type, deep_json(rng.choice([1500, 4000])), cookie),
            lambda: self._web("random bytes", json_type, self.random_bytes(), cookie),
            lambda: self._web("invalid UTF-8", json_type, b'{"message": "\xff\xfe\xfd"}', cookie),
            lambda: self._web("wrong content type", {"content-type": rng.choice(["text/plain", "application/x-www-form-urlencoded",
                                                                                  "multipart/form-data; boundary=x", ""])},
                              json.dumps({"message": "见习补贴"}).encode(), cookie),
            lambda: Attack("plain", "web: wrong method", rng.choice(["GET", "PUT", "DELETE"]), "/chat/message",
                           headers=json_type, cookies=cookie),
            lambda: self._web("sender id in the body", json_type, json.dumps({"message": "", "sender": "wx:" + self.openid()}).encode(), cookie),
            lambda: self._web("lone surrogate", json_type, self.surrogate_body(), cookie),
            lambda: self._web("number past JSON's range", json_type,
                              b'{"message": ' + rng.choice([b"NaN", b"-Infinity", b"1e999", b"9" * rng.randrange(4301, 9000)]) + b"}", cookie),
        ]
        return self.pick(choices)

    def with_surrogate(self, text: str) -> str:
        """`text` with a lone UTF-16 surrogate somewhere in it (valid JSON once escaped, but no UTF-8)."""
        at = self.rng.randrange(len(text) + 1)
        return text[:at] + chr(self.rng.choice([0xD800, 0xDBFF, 0xDC00, 0xDFFF, self.rng.randrange(0xD800, 0xE000)])) + text[at:]

    def surrogate_body(self) -> bytes:
        """A chat message with a lone surrogate: escaped (`\\ud800`), as the bytes CESU-8 writes, or in a key."""
        question = self.rng.choice(["见习补贴怎么申请", "求职登记", "海淀区人社局在哪", "hi"])
        shape = self.rng.randrange(3)
        if shape == 0:
            return json.dumps({"message": self.with_surrogate(question)}).encode()
        if shape == 1:
            cesu = self.with_surrogate(question).encode("utf-8", "surrogatepass")
            return b'{"message": "' + cesu + b'"}'
        return json.dumps({"message": question, self.with_surrogate("x"): 1}).encode()

    def _web(self, kind: str, headers: Dict[str, str], body: bytes, cookies: Dict[str, str]) -> Attack:
        return Attack("plain", f"web: {kind}", "POST", "/chat/message", headers=dict(headers), body=body, cookies=dict(cookies))

    # ---- console
    def console(self, well_formed_logins: List[int]) -> Attack:
        """`well_formed_logins`: a one-item budget of logins that reach the password check (each
        costs a password hash check), spent by this generator."""
        rng = self.rng
        json_type = {"content-type": "application/json"}
        forged = {"console_session": rng.choice(["x", "a" * 43, "".join(rng.choices(string.ascii_letters, k=43)), "' OR 1=1 --"])}
        csrf = rng.choice([{}, {"X-CSRF-Token": "".join(rng.choices(string.ascii_letters, k=43))}, {"X-CSRF-Token": ""}])
        choices: List[Callable[[], Attack]] = [
            lambda: self._login("bad JSON", json_type, b'{"username": "city1", "password": '),
            lambda: self._login("not an object", json_type, json.dumps(rng.choice([["city1"], "city1", 1, None])).encode()),
            lambda: self._login("missing field", json_type, json.dumps(rng.choice([{"username": "city1"}, {"password": "x" * 12}, {}])).encode()),
            lambda: self._login("wrong types", json_type, json.dumps({"username": rng.choice(WRONG_TYPES[:-1]),
                                                                      "password": rng.choice(WRONG_TYPES)}).encode()),
            lambda: self._login("empty strings", json_type, json.dumps({"username": "", "password": ""}).encode()),
            lambda: self._login("huge body", json_type, json.dumps({"username": "city1", "password": "x" * 70_000}).encode()),
            lambda: self._login("deeply nested JSON", json_type, deep_json(rng.choice([1500, 30_000]))),
            lambda: self._login("wrong content type", {"content-type": rng.choice(["application/x-www-form-urlencoded", "text/plain", ""])},
                                b"username=city1&password=' OR 1=1 --"),
            lambda: self._login("random bytes", json_type, self.random_bytes()),
            lambda: Attack("console", "login: wrong method", rng.choice(["GET", "PUT", "DELETE"]), "/console/api/login"),
            lambda: Attack("console", "API with a forged session", "GET", rng.choice(["/console/api/me", "/console/api/ledger",
                                                                                      "/console/api/notices", "/console/api/broadcasts"]),
                           cookies=forged),
            lambda: Attack("console", "write with forged session and CSRF", "POST",
                           rng.choice(["/console/api/notices", "/console/api/export", "/console/api/notices/1/broadcasts",
                                       "/console/api/broadcasts/1/approve", "/console/api/ledger/QZ-0000-0000/follow-ups"]),
                           headers={**json_type, **csrf}, body=json.dumps({"title": "x"}).encode(), cookies=forged),
            lambda: Attack("console", "logout with a forged session", "POST", "/console/api/logout", headers={**json_type, **csrf},
                           body=b"{}", cookies=forged, expect=REFUSED | {200}),
        ]
        if well_formed_logins[0] > 0 and rng.random() < 0.15:
            well_formed_logins[0] -= 1
            return self.password_guess()
        return self.pick(choices)

    def password_guess(self) -> Attack:
        """A login that reaches the password check: an injection-shaped name, or the real staff
        name with a wrong password (after 5 from one address, that name from there gets 429 for a while)."""
        rng = self.rng
        username = rng.choice(SQLI + [self.s.staff_user] * 3)
        password = rng.choice(["' OR '1'='1", "password123", "x" * 300, "\x00" * 12, rng.choice(SQLI), "correct-horse-battery!"])
        attack = self._login("password guess", {"content-type": "application/json"},
                             json.dumps({"username": username, "password": password}).encode())
        # as from many addresses through the bureau's proxy (the console trusts loopback's X-Forwarded-For
        # here: FORWARDED_ALLOW_IPS), so the per-address slow-down, tested in tests/console, does not
        # stretch this run; a few come from the bare loopback address
        if rng.random() < 0.95:
            attack.headers["X-Forwarded-For"] = f"198.51.100.{rng.randrange(1, 255)}"
        return attack

    def _login(self, kind: str, headers: Dict[str, str], body: bytes) -> Attack:
        return Attack("console", f"login: {kind}", "POST", "/console/api/login", headers=dict(headers), body=body)


def build(seed: int, secrets: Secrets, plain: int, safe: int, telegram: int, web: int, console: int,
          replays: int = 200, password_guesses: int = 120) -> Tuple[Generator, Attack, List[Attack]]:
    """(the generator, the replays' original — send it first —, every other attack shuffled)."""
    rng = random.Random(seed)
    generator = Generator(rng, secrets)
    original, replayed = generator.replays(replays)
    attacks = replayed + [generator.wechat_plain() for _ in range(plain - replays - 1)]
    attacks += [generator.wechat_safe() for _ in range(safe)]
    attacks += [generator.telegram() for _ in range(telegram)]
    attacks += [generator.web() for _ in range(web)]
    budget = [password_guesses]
    attacks += [generator.console(budget) for _ in range(console)]
    rng.shuffle(attacks)
    return generator, original, attacks
