"""联系跟进 in a real headless Chromium against a console process: a district staff member opens
the 未联系到 list (masked names, their district only), opens a graduate, is told in Chinese what is
missing from the form (by the page, and by the server for what only it checks), records an attempt
that reaches them with no wish to work yet, sees it in the history with its default follow-up date
and the graduate gone from the list, reads 本周到期 with the overdue one marked, and cannot open
another district's number; a city staff member chooses a district."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterator, Tuple

import pytest

from ledger.contacts import Attempt, ContactBook, beijing_today
from ledger.store import Ledger
from tests.browser import chromium
from tests.console.test_browser import Accounts, console_process, log_in, text_of
from tests.ledger.test_contacts import imported

NOTE = "本人说想先休息半年"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, Ledger]]:
    """A console process on a fresh SQLite ledger, and the same ledger opened here."""
    accounts: Accounts = {"haidian": ("district", "海淀区", None), "city1": ("city", None, None)}
    with console_process(tmp_path_factory.mktemp("contacts-console"), accounts) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    session = chromium("1280,1000", console_log=True)
    yield session
    session.quit()


def listed(driver) -> dict:  # type: ignore[no-untyped-def]
    """The list's rows, read in one go (the page re-renders): ref → row text."""
    rows = driver.execute_script(
        "return [...document.querySelectorAll('#contacts-list tr.graduate')].map((row) => [row.dataset.ref, row.textContent])")
    return dict(rows)


def choose(driver, css: str, value: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.CSS_SELECTOR, css)).select_by_value(value)


def test_record_an_attempt_and_see_it_in_the_history_and_the_lists_in_chromium(served: Tuple[str, Ledger], browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, ledger = served
    today = beijing_today()
    wang = imported(ledger, "王芳")
    li = imported(ledger, "李雷", school="<img src=x onerror=alert(1)>大学")
    han = imported(ledger, "韩梅梅", district="朝阳区")
    zhao = imported(ledger, "赵敏")
    ContactBook(ledger).record(zhao, Attempt(today - timedelta(days=20), "phone", True, "no_wish", today - timedelta(days=2)), "x")
    driver = browser
    wait = WebDriverWait(driver, 15)
    log_in(driver, url, "haidian")

    # 未联系到: their district only, names masked, markup shown as text
    driver.find_element(By.CSS_SELECTOR, "nav a[href='#/contacts']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#contacts-list tr.graduate"))
    rows = listed(driver)
    assert set(rows) == {wang, li}  # 赵敏 was reached, 韩梅梅 is 朝阳区's
    assert "王*" in rows[wang] and "<img src=x onerror=alert(1)>大学" in rows[li]
    assert driver.find_elements(By.CSS_SELECTOR, "#view img") == []  # type: ignore[attr-defined]
    assert "王芳" not in driver.page_source and "李雷" not in driver.page_source  # type: ignore[attr-defined]

    # open 王芳 and try the form
    driver.find_element(By.CSS_SELECTOR, f"#contacts-list tr[data-ref='{wang}'] button.open-graduate").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.ID, "contact-form"))
    assert text_of(driver, "#contact-history-empty") == "还没有联系记录。"
    driver.find_element(By.ID, "contact-save").click()  # type: ignore[attr-defined]
    wait.until(lambda d: text_of(d, "#contact-message") == "请选择是否联系上")
    choose(driver, "#contact-reached", "no")
    assert not driver.find_element(By.ID, "contact-status").is_enabled()  # type: ignore[attr-defined]
    choose(driver, "#contact-reached", "yes")
    driver.find_element(By.ID, "contact-save").click()  # type: ignore[attr-defined]
    wait.until(lambda d: text_of(d, "#contact-message") == "联系上时，请选择了解到的就业状态")
    choose(driver, "#contact-method", "visit")
    choose(driver, "#contact-status", "no_wish")
    assert "默认联系日期 30 天后跟进" in text_of(driver, "#contact-next-hint")
    # what only the server checks comes back in Chinese too, and nothing is written
    driver.execute_script("document.getElementById('contact-next').value = arguments[0]",  # type: ignore[attr-defined]
                          (today + timedelta(days=400)).isoformat())
    driver.find_element(By.ID, "contact-save").click()  # type: ignore[attr-defined]
    wait.until(lambda d: text_of(d, "#contact-message") == "下次跟进日期不能超过联系日期后一年")
    assert ContactBook(ledger).history(wang) == []
    driver.execute_script("document.getElementById('contact-next').value = ''")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "contact-note").send_keys(NOTE)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "contact-save").click()  # type: ignore[attr-defined]

    # saved: in the history, with the default follow-up; gone from 未联系到
    wait.until(lambda d: text_of(d, "#contact-message") == "已保存联系记录。")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#contact-history tbody tr"))
    history = text_of(driver, "#contact-history tbody tr")
    assert "走访" in history and "联系上" in history and "暂无就业意愿" in history and NOTE in history
    assert (today + timedelta(days=30)).isoformat() in history
    assert "暂无就业意愿" in text_of(driver, "#contact-details")
    assert set(listed(driver)) == {li}
    [saved] = ContactBook(ledger).history(wang)
    assert (saved.method, saved.status, saved.note, saved.staff) == ("visit", "no_wish", NOTE, "haidian")

    # 本周到期: the overdue one, marked; 王芳's follow-up is a month away
    driver.find_element(By.ID, "contacts-tab-due").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#contacts-list[data-tab='due'] tr.graduate"))
    due = listed(driver)
    assert set(due) == {zhao} and "已逾期 2 天" in due[zhao] and "暂无就业意愿" in due[zhao]

    # another district's number is not found, like an unknown one
    driver.find_element(By.ID, "contact-lookup").send_keys(han)  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "#contact-lookup-form button").click()  # type: ignore[attr-defined]
    wait.until(lambda d: text_of(d, "#contact-lookup-error") == "没有这条登记，或不在你的管辖范围内")
    assert not driver.find_elements(By.CSS_SELECTOR, f"#contact-graduate[data-ref='{han}']")  # type: ignore[attr-defined]

    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]  # type: ignore[attr-defined]
    assert errors == []
    assert [e["detail"]["ref"] for e in ledger.audit_entries() if e["action"] == "contact"] == [zhao, wang]


def test_city_staff_choose_a_district_in_chromium(served: Tuple[str, Ledger], browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, ledger = served
    yan = imported(ledger, "欧阳娜娜", district="延庆区")
    driver = browser
    wait = WebDriverWait(driver, 15)
    log_in(driver, url, "city1")
    driver.get(f"{url}/console#/contacts")  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.ID, "contacts-district"))
    driver.find_element(By.ID, "contacts-tab-unreached").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#contacts-tab-unreached.current") and d.find_elements(By.ID, "contacts-district"))
    choose(driver, "#contacts-district", "延庆区")
    wait.until(lambda d: set(listed(d)) == {yan})
    assert "欧***" in listed(driver)[yan]
    driver.find_element(By.CSS_SELECTOR, f"#contacts-list tr[data-ref='{yan}'] button.open-graduate").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#contact-graduate[data-ref='{yan}']"))
    choose(driver, "#contact-reached", "no")
    driver.find_element(By.ID, "contact-save").click()  # type: ignore[attr-defined]
    wait.until(lambda d: text_of(d, "#contact-message") == "已保存联系记录。")
    assert "未联系上" in text_of(driver, "#contact-history tbody tr")
    wait.until(lambda d: "1" == text_of(d, f"#contacts-list tr[data-ref='{yan}'] td.attempts"))
