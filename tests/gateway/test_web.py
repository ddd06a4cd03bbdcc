"""The web chat through the gateway and the real Rasa: the JSON endpoint, its bad inputs, and the
page in a real headless Chromium that types a question and reads the answer."""
from __future__ import annotations

import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from db.sessions import web_identity
from devstack.stack import Stack, running_gateway
from tests.browser import chromium
from tests.conftest import free_port

pytestmark = pytest.mark.stack


@contextmanager
def chat(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30.0) as client:
        assert client.get("/chat").status_code == 200  # sets the session cookie
        yield client


def say(client: httpx.Client, text: str) -> dict:
    response = client.post("/chat/message", json={"message": text})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_page_sets_a_private_session_and_strict_headers(web_gateway: str) -> None:
    response = httpx.get(f"{web_gateway}/chat")
    assert response.status_code == 200 and "就业服务助手" in response.text
    cookie = response.headers["set-cookie"].lower()
    assert "chat_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert httpx.get(f"{web_gateway}/chat/app.js").headers["content-type"].startswith("text/javascript")


def test_a_question_is_answered_by_the_assistant_under_the_gateways_sender_id(web_gateway: str, stack: Stack) -> None:
    with chat(web_gateway) as client:
        answer = say(client, "见习补贴怎么申请")
        assert any("见习" in r["text"] for r in answer["replies"])
        cookie = client.cookies["chat_session"]
    session = cookie.split(".")[0]  # the cookie is the session id and its signature
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{web_identity(session)}/tracker").json()
    assert any(e.get("event") == "user" for e in tracker["events"])  # under the session's hash
    for secret in (cookie, session):  # never under the cookie or the bare id
        tracker = httpx.get(f"{stack.rasa_url}/conversations/web:{secret}/tracker").json()
        assert not [e for e in tracker["events"] if e.get("event") == "user"]


def test_a_session_id_chosen_by_the_client_is_replaced(web_gateway: str, stack: Stack) -> None:
    """Session fixation: an attacker who plants a cookie value of their choosing in a victim's
    browser must not be able to read or write that conversation afterwards."""
    chosen = "PlantedByAnAttacker" + secrets.token_hex(8)
    response = httpx.post(f"{web_gateway}/chat/message", json={"message": "见习补贴怎么申请"}, timeout=30.0,
                          headers={"cookie": f"chat_session={chosen}"})
    assert response.status_code == 200 and response.json()["replies"]
    assert chosen not in response.headers["set-cookie"]
    for sender in (f"web:{chosen}", web_identity(chosen)):
        tracker = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker").json()
        assert not [e for e in tracker["events"] if e.get("event") == "user"]


def test_a_client_cannot_choose_its_sender_id(web_gateway: str, stack: Stack) -> None:
    with chat(web_gateway) as client:
        response = client.post("/chat/message", json={"message": "你好", "sender": "wx:victim-openid"})
        assert response.status_code == 200
    tracker = httpx.get(f"{stack.rasa_url}/conversations/wx:victim-openid/tracker").json()
    assert not [e for e in tracker["events"] if e.get("event") == "user"]


def test_a_bare_number_picks_the_offered_choice(web_gateway: str) -> None:
    with chat(web_gateway) as client:
        menu = say(client, "/help")
        titles = [b["title"] for r in menu["replies"] for b in r["buttons"]]
        assert "政策清单" in titles
        picked = say(client, str(titles.index("政策清单") + 1))
        assert any("政策清单" in r["text"] for r in picked["replies"])


@pytest.mark.parametrize("body, headers, status", [
    (b'{"message": "hi"}', {"content-type": "text/plain"}, 415),
    (b"not json", {"content-type": "application/json"}, 400),
    (b'{"message": ""}', {"content-type": "application/json"}, 400),
    (b'{"message": 42}', {"content-type": "application/json"}, 400),
    (b'["message"]', {"content-type": "application/json"}, 400),
    (b'{"message": "' + b"a" * 20000 + b'"}', {"content-type": "application/json"}, 413),
])
def test_bad_requests_get_4xx_and_reach_nobody(web_gateway: str, body: bytes, headers: dict, status: int) -> None:
    response = httpx.post(f"{web_gateway}/chat/message", content=body, headers=headers)
    assert response.status_code == status


def test_rasa_down_gets_a_short_answer_and_the_gateway_keeps_running(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    with running_gateway(nowhere, port, tmp_path, {"WEB_CHAT": "on"}):
        url = f"http://127.0.0.1:{port}"
        with chat(url) as client:
            answer = say(client, "见习补贴怎么申请")
            assert "稍后再试" in answer["replies"][0]["text"]
            assert say(client, "再问一次")["replies"]  # still up
        assert httpx.get(f"{url}/health").json()["rasa"] == "down"


def test_redis_away_still_gets_the_answer(stack: Stack, tmp_path: Path) -> None:
    """The shared store down (a Redis restart): offered choices are not kept, the answer still is given."""
    port = free_port()
    env = {"WEB_CHAT": "on", "WECHAT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "", "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with running_gateway(stack.rasa_url, port, tmp_path, env):
        with chat(f"http://127.0.0.1:{port}") as client:
            assert "社保补贴" in say(client, "社保补贴是什么")["replies"][0]["text"]
            assert say(client, "2")["replies"]  # a number goes as typed


# ---- a real browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    session = chromium("390,844")  # a phone-sized window
    yield session
    session.quit()


BOT_TEXTS = "return [...document.querySelectorAll('.msg.bot:not(.typing)')].map(e => e.textContent)"


def bot_texts(driver: object) -> list:
    return list(driver.execute_script(BOT_TEXTS))  # type: ignore[attr-defined]


def send(driver: object, text: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "text").send_keys(text)  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "form button").click()  # type: ignore[attr-defined]


def test_the_page_in_chromium_types_a_question_reads_the_answer_and_clicks_a_button(web_gateway: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(f"{web_gateway}/chat")  # type: ignore[attr-defined]
    wait = WebDriverWait(driver, 20)
    wait.until(EC.element_to_be_clickable((By.ID, "text")))
    greeting = len(bot_texts(driver))
    send(driver, "就业见习补贴怎么申请")
    wait.until(lambda d: len(bot_texts(d)) > greeting)
    assert any("见习" in text and "来源" in text for text in bot_texts(driver))
    # the page fits a phone screen: no horizontal scrolling
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")  # type: ignore[attr-defined]
    before = len(bot_texts(driver))
    driver.execute_script(  # type: ignore[attr-defined]
        "[...document.querySelectorAll('.buttons button')].find(b => b.textContent === '求职登记').click()")
    wait.until(lambda d: len(bot_texts(d)) > before and "同意" in bot_texts(d)[-1])
    send(driver, "不同意")
    wait.until(lambda d: "没有保存" in bot_texts(d)[-1])


def test_links_are_clickable_and_markup_is_shown_as_text(web_gateway: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(f"{web_gateway}/chat")  # type: ignore[attr-defined]
    send(driver, "<img src=x onerror=alert(1)>")
    send(driver, "北京毕业生就业创业服务平台的网址是多少")
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".msg.bot a[href^='http']"))
    assert driver.find_elements(By.CSS_SELECTOR, ".msg img") == []  # type: ignore[attr-defined]
    assert any("<img" in e.text for e in driver.find_elements(By.CSS_SELECTOR, ".msg.me"))  # type: ignore[attr-defined]
    link = driver.find_elements(By.CSS_SELECTOR, ".msg.bot a[href^='http']")[0]  # type: ignore[attr-defined]
    assert link.get_attribute("rel") == "noopener noreferrer" and link.get_attribute("target") == "_blank"
