"""The console in a real headless Chromium against a console process: log in, compose and
publish a district job fair, read its audience count, send it, watch the progress page follow
the deliveries (the test plays the push worker), read the report and its chart, and open the
ledger with a masked registration whose markup is shown as text; answer a handoff (转人工) and
close it; a second city staff member approves a city-wide broadcast; mark an unanswered
question handled."""
from __future__ import annotations

import base64
import contextlib
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Dict, Iterator, Optional, Tuple

import pytest
from sqlalchemy import select, update

from console.app import staff_store
from console.config import ConsoleSettings
from db.crypto import new_key
from db.tables import broadcasts, deliveries
from devstack.console import running_console
from handoff.store import HandoffStore
from ledger.config import LedgerSettings
from ledger.store import Ledger
from notices.model import Notice
from notices.store import NoticeStore
from tests.browser import chromium
from tests.conftest import free_port
from tests.console.conftest import PASSWORD, graduate, subscribe
from unanswered.store import UnansweredStore


# staff accounts of a console under test: name → (role, district, channel identity)
Accounts = Dict[str, Tuple[str, Optional[str], Optional[str]]]


@contextlib.contextmanager
def console_process(folder: Path, accounts: Accounts, seed: Optional[Callable[[Ledger], None]] = None) -> Iterator[Tuple[str, Ledger]]:
    """A console process on a fresh SQLite ledger in `folder` with these staff accounts (the
    ledger seeded first, if asked), and the same ledger opened here."""
    key, hash_key = new_key(), b"h" * 32
    ledger = Ledger.open(LedgerSettings(f"sqlite:///{folder / 'ledger.sqlite3'}", [key], hash_key))
    if seed is not None:
        seed(ledger)
    staff = staff_store(ConsoleSettings(), ledger)
    for name, (role, district, identity) in accounts.items():
        staff.add_user(name, PASSWORD, role, district, identity)
    env = {"DATABASE_URL": ledger.settings.database_url, "LEDGER_KEYS": key.decode(),  # type: ignore[union-attr]
           "LEDGER_HASH_KEY": base64.urlsafe_b64encode(hash_key).decode()}
    port = free_port()
    try:
        with running_console(port, folder, env):
            yield f"http://127.0.0.1:{port}", ledger
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, Ledger]]:
    """A console process on a fresh SQLite ledger, and the same ledger opened here."""
    accounts: Accounts = {"haidian": ("district", "海淀区", "tg:9001"), "city1": ("city", None, None), "city2": ("city", None, None)}
    with console_process(tmp_path_factory.mktemp("console"), accounts) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    session = chromium("1280,900", console_log=True)
    yield session
    session.quit()


def text_of(driver, css: str) -> str:  # type: ignore[no-untyped-def]
    """The element's text, or "" while it is missing or being replaced (the page re-renders)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


def play_push_worker(ledger: Ledger, broadcast_id: int, statuses: dict) -> None:
    with ledger.engine.begin() as conn:
        for identity, status in statuses.items():
            conn.execute(update(deliveries).where((deliveries.c.broadcast_id == broadcast_id) & (deliveries.c.identity == identity))
                         .values(status=status))


def test_compose_send_watch_progress_read_report_and_ledger_in_chromium(served: Tuple[str, Ledger], browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, ledger = served
    graduate(ledger, "wx:g1", "王芳", "13912345678", "海淀区", school="<img src=x onerror=alert(1)>大学")
    for identity, districts in (("tg:101", ["海淀区"]), ("tg:102", []), ("wx:o103", ["海淀区"]), ("tg:104", ["朝阳区"])):
        subscribe(NoticeStore(ledger.engine), identity, "fair", districts)
    driver = browser
    wait = WebDriverWait(driver, 15)

    # log in
    driver.get(f"{url}/console")  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.ID, "username"))
    driver.find_element(By.ID, "username").send_keys("haidian")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "password").send_keys(PASSWORD)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "login").click()  # type: ignore[attr-defined]
    wait.until(lambda d: "haidian" in text_of(d, "#who"))

    # compose and publish a district job fair
    driver.find_element(By.CSS_SELECTOR, "nav a[href='#/compose']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.ID, "compose-form"))
    assert driver.find_element(By.ID, "district").get_attribute("value") == "海淀区"  # type: ignore[attr-defined]
    assert not driver.find_element(By.ID, "district").is_enabled()  # type: ignore[attr-defined]
    driver.find_element(By.ID, "title").send_keys("海淀区高校毕业生专场招聘会")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "body").send_keys("百家企业，千个岗位，欢迎参加。")  # type: ignore[attr-defined]
    driver.execute_script("document.getElementById('event_date').value = document.getElementById('valid_until').value")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "event_time").send_keys("9:00-12:00")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "place").send_keys("海淀区某会展中心（示例）")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "publish").click()  # type: ignore[attr-defined]

    # its audience: the three subscribers for 海淀区 or any district
    wait.until(lambda d: text_of(d, "#audience-count"))
    assert text_of(driver, "#audience-count") == "3"
    assert text_of(driver, "#notice-title") == "海淀区高校毕业生专场招聘会"

    # send now → the progress page, waiting for the push worker
    driver.find_element(By.ID, "send-now").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.current_url.split("#")[-1].startswith("/broadcast/"))
    broadcast_id = int(driver.current_url.rsplit("/", 1)[-1])  # type: ignore[attr-defined]
    wait.until(lambda d: text_of(d, "#broadcast-status") == "待发送")
    NoticeStore(ledger.engine).fan_out(broadcast_id)
    wait.until(lambda d: "共 3 条，已处理 0 条" in text_of(d, "#progress-text"))  # the page polled and caught up
    assert text_of(driver, "#broadcast-status") == "发送中" and driver.find_element(By.ID, "cancel").is_displayed()  # type: ignore[attr-defined]
    play_push_worker(ledger, broadcast_id, {"tg:101": "sent", "tg:102": "sent", "wx:o103": "blocked"})
    wait.until(lambda d: text_of(d, "#broadcast-status") == "已完成")
    assert "已处理 3 条" in text_of(driver, "#progress-text")
    assert "已送达 2" in text_of(driver, "#counts") and "已屏蔽/退订 1" in text_of(driver, "#counts")
    assert not driver.find_element(By.ID, "cancel").is_displayed()  # type: ignore[attr-defined]

    # the report, with an SVG bar per channel and status
    bars = driver.find_elements(By.CSS_SELECTOR, "#report-chart rect.bar")  # type: ignore[attr-defined]
    counts = {(b.get_attribute("data-channel"), b.get_attribute("data-status")): int(b.get_attribute("data-count")) for b in bars}
    assert counts == {("tg", "sent"): 2, ("tg", "failed"): 0, ("tg", "blocked"): 0, ("tg", "skipped"): 0,
                      ("wx", "sent"): 0, ("wx", "failed"): 0, ("wx", "blocked"): 1, ("wx", "skipped"): 0}
    widths = {(b.get_attribute("data-channel"), b.get_attribute("data-status")): float(b.get_attribute("width")) for b in bars}
    assert widths[("tg", "sent")] > widths[("wx", "blocked")] > 0 == widths[("tg", "failed")]
    assert text_of(driver, "#report-table tr[data-channel='tg'] td[data-status='sent']") == "2"

    # the ledger: masked, markup shown as text
    driver.find_element(By.CSS_SELECTOR, "nav a[href='#/ledger']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ledger tr.registration"))
    assert text_of(driver, "#ledger tr.registration td.name") == "王*"
    assert text_of(driver, "#ledger tr.registration td.phone") == "139****5678"
    assert text_of(driver, "#ledger tr.registration td.school") == "<img src=x onerror=alert(1)>大学"
    assert driver.find_elements(By.CSS_SELECTOR, "#view img") == []  # type: ignore[attr-defined]
    assert "13912345678" not in driver.page_source and "王芳" not in driver.page_source  # type: ignore[attr-defined]
    assert "岗位推介 0/3" in text_of(driver, "#ledger tr.registration")

    # nothing the page did was blocked by its content security policy, and no script failed
    # (network entries are the expected 401 of /me before logging in)
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]  # type: ignore[attr-defined]
    assert errors == []
    actions = [entry["action"] for entry in ledger.audit_entries()]
    assert actions == ["login", "notice_publish", "broadcast"]


def log_in(driver, url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 15)
    driver.get(f"{url}/console")
    wait.until(lambda d: d.find_elements(By.ID, "username") or d.find_elements(By.ID, "logout"))
    if driver.find_elements(By.ID, "logout"):
        if username in text_of(driver, "#who"):
            return
        driver.find_element(By.ID, "logout").click()
        wait.until(lambda d: d.find_elements(By.ID, "username"))
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login").click()
    wait.until(lambda d: username in text_of(d, "#who"))


def test_answer_a_handoff_and_close_it_in_chromium(served: Tuple[str, Ledger], browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, ledger = served
    cases = HandoffStore(ledger.engine, ledger.cipher)
    said = [("graduate", "我想问见习补贴"), ("assistant", "就业见习补贴……"), ("graduate", "<b>转人工</b>，手机13912345678")]
    case, _ = cases.open("tg:7001", "海淀区", said)
    cases.open("tg:7002", "朝阳区", [("graduate", "转人工")])  # not haidian's
    driver = browser
    wait = WebDriverWait(driver, 15)
    log_in(driver, url, "haidian")

    driver.find_element(By.CSS_SELECTOR, "nav a[href='#/handoffs']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#handoffs tr[data-id]"))
    listed = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('#handoffs tr[data-id]')].map((row) => [row.dataset.id, row.textContent])")
    assert [row[0] for row in listed] == [str(case.id)] and "等待回复" in listed[0][1]
    driver.get(f"{url}/console#/handoff/{case.id}")  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript li"))
    # read in one go: the page re-renders the transcript while it polls
    said_on_page = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('#transcript li .pre')].map((node) => node.textContent)")
    assert said_on_page == ["我想问见习补贴", "就业见习补贴……", "<b>转人工</b>，手机139****5678"]  # markup as text, number masked

    driver.find_element(By.ID, "reply-text").send_keys("你好，我是海淀区的工作人员。请问你是哪年毕业的？")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "send-reply").click()  # type: ignore[attr-defined]
    wait.until(lambda d: "已发送" in text_of(d, "#handoff-message"))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript li.from-staff [data-delivery='pending']"))
    [outgoing] = [cases.claim(i, 60) for i in cases.due()]  # the push worker's part
    assert outgoing is not None and outgoing.identity == "tg:7001"
    cases.settle(outgoing.id, "sent")
    cases.inbound(case.id, "2022年毕业的")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript li.from-staff [data-delivery='sent']"))  # the page polled
    wait.until(lambda d: "2022年毕业的" in text_of(d, "#transcript"))

    driver.find_element(By.ID, "close-handoff").click()  # type: ignore[attr-defined]
    driver.switch_to.alert.accept()  # type: ignore[attr-defined]
    wait.until(lambda d: text_of(d, "#handoff-status").startswith("已结束"))
    assert driver.find_elements(By.ID, "reply-text") == []  # type: ignore[attr-defined]
    assert cases.current("tg:7001") is None
    driver.find_element(By.CSS_SELECTOR, "nav a[href='#/handoffs']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.ID, "no-handoffs"))
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]  # type: ignore[attr-defined]
    assert errors == []
    assert [e["action"] for e in ledger.audit_entries()][-2:] == ["handoff_reply", "handoff_close"]


def test_a_second_city_staff_member_approves_a_city_wide_broadcast_in_chromium(
        served: Tuple[str, Ledger], browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, ledger = served
    notices = NoticeStore(ledger.engine)
    notice_id = notices.create(Notice(kind="announcement", title="致全市未就业毕业生的一封信", body="就业服务不断线。",
                                      valid_from=date.today(), valid_until=date.today() + timedelta(days=30), created_by="city1"))
    notices.publish(notice_id)
    broadcast_id = notices.create_broadcast(notice_id, "city1")
    driver = browser
    wait = WebDriverWait(driver, 15)

    log_in(driver, url, "city1")
    driver.find_element(By.CSS_SELECTOR, "nav a[href='#/approvals']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#approvals button.approve[data-id='{broadcast_id}']"))
    own = driver.find_element(By.CSS_SELECTOR, f"#approvals button.approve[data-id='{broadcast_id}']")  # type: ignore[attr-defined]
    assert not own.is_enabled()  # nobody approves their own city-wide broadcast

    log_in(driver, url, "city2")
    driver.find_element(By.CSS_SELECTOR, "nav a[href='#/approvals']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#approvals button.approve[data-id='{broadcast_id}']"))
    driver.find_element(By.CSS_SELECTOR, f"#approvals button.approve[data-id='{broadcast_id}']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"#approvals button.approve[data-id='{broadcast_id}']"))
    with ledger.engine.begin() as conn:
        row = conn.execute(select(broadcasts.c.status, broadcasts.c.approved_by).where(broadcasts.c.id == broadcast_id)).first()
    assert (row.status, row.approved_by) == ("ready", "city2")


def test_mark_an_unanswered_question_handled_in_chromium(served: Tuple[str, Ledger], browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, ledger = served
    questions = UnansweredStore(ledger.engine, ledger.cipher)
    questions.record("tg", "灵活就业人员社保怎么交", "unclear", "ask_policy", 0.4)
    questions.record("wx", "灵活就业人员社保怎么交？", "gave_up", "nlu_fallback", 0.2)
    driver = browser
    wait = WebDriverWait(driver, 15)
    log_in(driver, url, "city1")
    driver.find_element(By.CSS_SELECTOR, "nav a[href='#/unanswered']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#unanswered tr[data-key]"))
    [row] = driver.find_elements(By.CSS_SELECTOR, "#unanswered tr[data-key]")  # type: ignore[attr-defined]
    assert "灵活就业人员社保怎么交" in row.text and "2" in row.text
    row.find_element(By.CSS_SELECTOR, "button[data-resolution='added']").click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#unanswered tr[data-key]"))
    assert questions.open_questions() == []
