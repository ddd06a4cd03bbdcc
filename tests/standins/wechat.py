"""A loopback stand-in for WeChat: its API server (api.weixin.qq.com) and its push servers.

WeChatAPIStandIn serves, on a free loopback port in a thread, the parts of the official-account
API the gateway uses, with WeChat's protocol: GET /cgi-bin/token (issues tokens, counts calls;
40013 / 40125 on a wrong AppID / AppSecret), POST /cgi-bin/message/custom/send (records
messages; 40001 for an unknown token; can be told to answer an errcode instead), POST
/cgi-bin/menu/create (records menus). Bodies must be UTF-8 JSON, as WeChat wants.

WeChatPushes builds what WeChat's servers POST to the gateway: signed plaintext XML, or the safe
mode's encrypted XML (wechatpy's crypto, so exactly WeChat's format), with the query parameters
WeChat adds (signature, timestamp, nonce, openid; encrypt_type=aes and msg_signature in safe
mode), and opens the gateway's passive replies (checking msg_signature, decrypting)."""
from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

import defusedxml.ElementTree as SafeET
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from bot.channels.wechat.inbound import signature
from devstack.stack import free_port


_Self = TypeVar("_Self", bound="WeChatAPIStandIn")  # a subclass entered is that subclass


class WeChatAPIStandIn:
    def __init__(self, app_id: str, app_secret: str) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token_calls = 0
        self.tokens: List[str] = []      # valid now
        self.issued: List[str] = []      # every token ever issued
        self.messages: List[Dict[str, Any]] = []
        self.menus: List[Dict[str, Any]] = []
        self.raw_bodies: List[bytes] = []
        self._send_errors: List[int] = []
        self._lock = threading.Lock()
        app = Starlette(routes=[
            Route("/cgi-bin/token", self._token, methods=["GET"]),
            Route("/cgi-bin/message/custom/send", self._send, methods=["POST"]),
            Route("/cgi-bin/menu/create", self._menu, methods=["POST"]),
        ])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                lifespan="off", ws="none")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="wechat-api-standin", daemon=True)

    def __enter__(self: _Self) -> _Self:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("WeChat API stand-in did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def fail_next_send(self, errcode: int) -> None:
        """The next customer-service send answers `errcode`; 40001 also revokes the token used."""
        with self._lock:
            self._send_errors.append(errcode)

    def texts_to(self, openid: str) -> List[str]:
        with self._lock:
            return [m["text"]["content"] for m in self.messages if m.get("touser") == openid]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return condition()

    async def _token(self, request: Request) -> JSONResponse:
        query = request.query_params
        with self._lock:
            self.token_calls += 1
            if query.get("grant_type") != "client_credential":
                return _error(40002, "invalid grant_type")
            if query.get("appid") != self.app_id:
                return _error(40013, "invalid appid")
            if query.get("secret") != self.app_secret:
                return _error(40125, "invalid appsecret")
            token = secrets.token_urlsafe(48)
            # the previous token stays valid for a while after a new one is issued, as on WeChat
            self.tokens = self.tokens[-1:] + [token]
            self.issued.append(token)
        return JSONResponse({"access_token": token, "expires_in": 7200})

    async def _send(self, request: Request) -> JSONResponse:
        token = request.query_params.get("access_token", "")
        body = await request.body()
        with self._lock:
            problem = self._check(token, body)
            if problem is not None:
                return problem
            if self._send_errors:
                errcode = self._send_errors.pop(0)
                if errcode == 40001:
                    self.tokens.remove(token)
                return _error(errcode, "refused as told")
            message = json.loads(body)
            content = message.get("text", {}).get("content")
            if message.get("msgtype") != "text" or not message.get("touser") or not isinstance(content, str):
                return _error(44002, "empty post data / bad message")
            if len(content.encode("utf-8")) > 2048:
                return _error(45002, "content size out of limit")
            self.messages.append(message)
        return _error(0, "ok")

    async def _menu(self, request: Request) -> JSONResponse:
        body = await request.body()
        with self._lock:
            problem = self._check(request.query_params.get("access_token", ""), body)
            if problem is not None:
                return problem
            self.menus.append(json.loads(body))
        return _error(0, "ok")

    def _check(self, token: str, body: bytes) -> Optional[JSONResponse]:
        if not token:
            return _error(41001, "access_token missing")
        if token not in self.tokens:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        self.raw_bodies.append(body)
        try:
            json.loads(body.decode("utf-8"))
        except ValueError:
            return _error(47001, "data format error")
        return None


def _error(errcode: int, errmsg: str) -> JSONResponse:
    return JSONResponse({"errcode": errcode, "errmsg": errmsg})


class WeChatPushes:
    """What WeChat's servers send to the gateway's /wechat, plaintext or safe mode."""

    def __init__(self, token: str, app_id: str, aes_key: Optional[str] = None, account: str = "gh_5b7c3f1d9e2a") -> None:
        self.token = token
        self.app_id = app_id
        self.account = account
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self._msg_ids = int(time.time() * 1000) * 1000

    def msg_id(self) -> int:
        self._msg_ids += 1
        return self._msg_ids

    def text(self, openid: str, content: str, msg_id: Optional[int] = None) -> str:
        return self._message(openid, "text", f"<Content><![CDATA[{content}]]></Content>", msg_id)

    def voice(self, openid: str, recognition: str, msg_id: Optional[int] = None) -> str:
        fields = (f"<MediaId><![CDATA[media{secrets.token_hex(8)}]]></MediaId><Format><![CDATA[amr]]></Format>"
                  f"<Recognition><![CDATA[{recognition}]]></Recognition>")
        return self._message(openid, "voice", fields, msg_id)

    def image(self, openid: str) -> str:
        fields = ("<PicUrl><![CDATA[http://mmbiz.qpic.cn/example.jpg]]></PicUrl>"
                  f"<MediaId><![CDATA[media{secrets.token_hex(8)}]]></MediaId>")
        return self._message(openid, "image", fields, None)

    def event(self, openid: str, event: str, key: Optional[str] = None, create_time: Optional[int] = None) -> str:
        key_xml = "" if key is None else f"<EventKey><![CDATA[{key}]]></EventKey>"
        return (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
                f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{key_xml}</xml>")

    def _message(self, openid: str, msg_type: str, fields: str, msg_id: Optional[int]) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
                f"{fields}<MsgId>{msg_id or self.msg_id()}</MsgId></xml>")

    def signed(self, xml: str, openid: str = "", timestamp: Optional[int] = None,
               nonce: Optional[str] = None) -> Tuple[Dict[str, str], bytes]:
        """The query parameters and body of WeChat's POST carrying `xml`."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        params = {"signature": signature(self.token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": openid}
        if self.crypto is None:
            return params, xml.encode("utf-8")
        encrypt = PrpCrypto(self.crypto.key).encrypt(xml, self.app_id).decode("ascii")
        params.update(encrypt_type="aes", msg_signature=signature(self.token, ts, nonce, encrypt))
        body = (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
        return params, body.encode("utf-8")

    def url_check(self, echostr: str) -> Dict[str, str]:
        ts, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        return {"signature": signature(self.token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": echostr}

    def open_reply(self, body: bytes) -> Dict[str, str]:
        """The passive reply's fields; in safe mode its MsgSignature is checked and it is decrypted."""
        fields = _fields(body)
        if self.crypto is None:
            return fields
        expected = signature(self.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
        assert fields["MsgSignature"] == expected, "passive reply carries a wrong MsgSignature"
        plain = self.crypto.decrypt_message({"Encrypt": fields["Encrypt"]}, expected, fields["TimeStamp"], fields["Nonce"])
        return _fields(str(plain).encode("utf-8"))


def _fields(xml: bytes) -> Dict[str, str]:
    root = SafeET.fromstring(xml, forbid_dtd=True)
    assert root.tag == "xml", xml
    return {child.tag: child.text or "" for child in root}
