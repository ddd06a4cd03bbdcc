"""What WeChat pushes to /wechat, checked before anything reaches the assistant.

Checks, in order (a failure raises `Rejected` with the HTTP status to answer):
- the timestamp is within 300 s of our clock (403);
- plaintext mode: `signature` = sha1 over sorted token/timestamp/nonce (403); it does not cover
  the body, so a captured query string is only good once (the nonce check below);
- the body is XML without a DTD, entities or external references, parsed by defusedxml before
  wechatpy (xmltodict) ever sees it (400);
- safe mode: `msg_signature` = sha1 over sorted token/timestamp/nonce/Encrypt (403), then AES
  decryption (wechatpy.crypto) and the same safe parse of the decrypted XML (400);
- timestamp + nonce were not seen in the last 600 s (403); a byte-identical resend under the same
  nonce raises `Resent` instead, answered `success` and forwarded nowhere.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional, Tuple
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import BaseEvent, ClickEvent, SubscribeEvent, SubscribeScanEvent, UnsubscribeEvent
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.messages import TextMessage, VoiceMessage
from wechatpy.parser import parse_message

from bot.channels.wechat import keys
from bot.gateway.config import WeChatSettings
from bot.gateway.stores import Store

MAX_SKEW = 300
_OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NONCE = re.compile(r"[A-Za-z0-9]{1,64}")


class Rejected(Exception):
    """The push is refused; nothing of it goes further. `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Resent(Exception):
    """The same request (query and body) arrived again: acknowledge, forward nothing."""


@dataclass(frozen=True)
class Inbound:
    """One push, reduced to what the channel acts on.

    kind: text | voice | subscribe | unsubscribe | click | event (any other event) | other
    (any other message type: image, video, location, link, file …).
    turn: the push's name within the user's conversation (`msg:<MsgId>`, or
    `event:<CreateTime>:<Event>`), the same in each of WeChat's attempts."""

    kind: str
    openid: str
    account: str
    dedupe_key: str
    text: str = ""
    turn: str = ""


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def same(given: Optional[str], expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def parse_xml(body: bytes) -> Dict[str, str]:
    """The top-level fields of a WeChat XML document; Rejected(400) on anything else."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise Rejected(400, f"forbidden XML construct ({type(error).__name__})") from error
    except (ParseError, ValueError) as error:
        raise Rejected(400, "malformed XML") from error
    if root.tag != "xml":
        raise Rejected(400, "not a WeChat message")
    return {child.tag: child.text or "" for child in root}


class PushReader:
    def __init__(self, settings: WeChatSettings, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.token = settings.token
        self.app_id = settings.app_id
        self.crypto = WeChatCrypto(settings.token, settings.aes_key, settings.app_id) if settings.aes_key else None
        self.store = store
        self.clock = clock

    def verify_url(self, params: Mapping[str, str]) -> str:
        """The `echostr` to echo when the URL-verification request is signed with our token."""
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        if not same(params.get("signature"), signature(self.token, timestamp, nonce)):
            raise Rejected(403, "bad signature")
        echostr = params.get("echostr", "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", echostr):
            raise Rejected(400, "bad echostr")
        return echostr

    async def open(self, params: Mapping[str, str], body: bytes) -> Inbound:
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        self._check_fresh(timestamp, nonce)
        xml = self._decrypt(params, body) if self.crypto else self._plain(params, body)
        fields = parse_xml(xml)
        await self._claim_nonce(timestamp, nonce, body)
        return to_inbound(xml, fields)

    def seal(self, reply_xml: str, nonce: str) -> str:
        """The passive reply as sent back: encrypted and signed in safe mode, else as is."""
        if self.crypto is None:
            return reply_xml
        return str(self.crypto.encrypt_message(reply_xml, nonce, str(int(self.clock()))))

    def _check_fresh(self, timestamp: str, nonce: str) -> None:
        if not timestamp.isdigit() or abs(self.clock() - int(timestamp)) > MAX_SKEW:
            raise Rejected(403, "stale or missing timestamp")
        if not _NONCE.fullmatch(nonce):
            raise Rejected(403, "missing nonce")

    def _plain(self, params: Mapping[str, str], body: bytes) -> bytes:
        if params.get("encrypt_type", "raw") != "raw":
            raise Rejected(403, "encrypted push, but no WECHAT_AES_KEY configured")
        if not same(params.get("signature"), signature(self.token, params["timestamp"], params["nonce"])):
            raise Rejected(403, "bad signature")
        return body

    def _decrypt(self, params: Mapping[str, str], body: bytes) -> bytes:
        if params.get("encrypt_type") != "aes":
            raise Rejected(403, "safe mode: plaintext pushes are refused")
        encrypt = parse_xml(body).get("Encrypt", "")
        expected = signature(self.token, params["timestamp"], params["nonce"], encrypt)
        if not encrypt or not same(params.get("msg_signature"), expected):
            raise Rejected(403, "bad msg_signature")
        assert self.crypto is not None
        try:
            # a dict, so wechatpy does not parse the body again with xmltodict
            plain = self.crypto.decrypt_message({"Encrypt": encrypt}, expected, params["timestamp"], params["nonce"])
            return str(plain).encode("utf-8")
        except InvalidAppIdException as error:
            raise Rejected(403, "encrypted for another AppID") from error
        except Exception as error:  # bad base64, padding or length: not WeChat's ciphertext
            raise Rejected(400, "undecryptable Encrypt") from error

    async def _claim_nonce(self, timestamp: str, nonce: str, body: bytes) -> None:
        key = keys.nonce(timestamp, nonce)
        digest = hashlib.sha256(body).hexdigest()
        if await self.store.claim(key, keys.NONCE_TTL):
            await self.store.set(key, digest, keys.NONCE_TTL)
            return
        if await self.store.get(key) == digest:
            raise Resent()
        raise Rejected(403, "replayed nonce")


def to_inbound(xml: bytes, fields: Mapping[str, str]) -> Inbound:
    """The checked XML as an Inbound (wechatpy picks the message class)."""
    openid, account = fields.get("FromUserName", ""), fields.get("ToUserName", "")
    if not _OPENID.fullmatch(openid) or not account or not fields.get("MsgType"):
        raise Rejected(400, "not a WeChat message")
    try:
        message = parse_message(xml)
        create_time = int(message.time or 0)
        msg_id = int(message.id or 0)
    except (KeyError, ValueError, TypeError) as error:
        raise Rejected(400, "not a WeChat message") from error
    turn = f"msg:{msg_id}" if msg_id else f"event:{create_time}:{fields.get('Event', '')}"
    kind, text = _kind(message)
    return Inbound(kind, openid, account, keys.claim(openid, turn), text, turn)




def _kind(message: object) -> Tuple[str, str]:
    if isinstance(message, TextMessage):
        return "text", str(message.content or "")
    if isinstance(message, VoiceMessage):
        return "voice", str(message.recognition or "")
    if isinstance(message, (SubscribeEvent, SubscribeScanEvent)):
        return "subscribe", ""
    if isinstance(message, UnsubscribeEvent):
        return "unsubscribe", ""
    if isinstance(message, ClickEvent):
        return "click", str(message.key or "")
    if isinstance(message, BaseEvent):
        return "event", ""
    return "other", ""
