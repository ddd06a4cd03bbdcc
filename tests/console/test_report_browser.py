"""The monthly report page (月度通报) in a real headless Chromium against a console process: choose a
month, read the table (furthest behind first, exact counts, month-on-month arrows), the SVG bar chart
of the share fully served and a trend chart per district; the download link gives the .xlsx; a
district's staff see their district and the city total only. Nothing is blocked by the CSP."""
from __future__ import annotations

from typing import Iterator, Tuple

import pytest

from ledger.report import TOTAL_LABEL
from ledger.store import Ledger
from tests.browser import chromium
from tests.console.conftest import PASSWORD
from tests.console.test_browser import Accounts, console_process, text_of
from tests.ledger.test_report import seed_city

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, Ledger]]:
    accounts: Accounts = {"city1": ("city", None, None), "haidian": ("district", "海淀区", None)}
    with console_process(tmp_path_factory.mktemp("console-report"), accounts, seed=seed_city) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[object]:
    session = chromium("1280,1000", console_log=True)
    yield session
    session.quit()


def log_in_and_open_september(driver, url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 15)
    driver.get(f"{url}/console#/report")
    wait.until(lambda d: d.find_elements(By.ID, "username"))
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login").click()
    wait.until(lambda d: d.find_elements(By.ID, "report-month"))
    driver.execute_script("document.getElementById('report-month').value = '2022-09'")
    driver.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").click()
    wait.until(lambda d: "2022年9月" in text_of(d, "#report-title") and d.find_elements(By.CSS_SELECTOR, "#monthly-summary tr[data-district]"))


def test_the_citys_report_with_its_table_and_both_charts(served: Tuple[str, Ledger], browser: object) -> None:
    from selenium.webdriver.common.by import By

    url, _ = served
    driver = browser
    log_in_and_open_september(driver, url, "city1")

    # the table: furthest behind first, exact counts, arrows against August
    rows = driver.find_elements(By.CSS_SELECTOR, "#monthly-summary tbody tr")  # type: ignore[attr-defined]
    assert [row.get_attribute("data-district") for row in rows] == ["朝阳区", "海淀区", "丰台区", TOTAL_LABEL]
    assert text_of(driver, "#monthly-summary tr[data-district='海淀区'] td[data-key='listed'] .value") == "5"
    assert text_of(driver, "#monthly-summary tr[data-district='海淀区'] td[data-key='share_served'] .value") == "50.0%"
    assert text_of(driver, "#monthly-summary tr[data-district='海淀区'] td[data-key='served'] .mom") == "▲2"
    assert text_of(driver, "#monthly-summary tr[data-district='海淀区'] td[data-key='share_served'] .mom") == "▲50个百分点"
    assert text_of(driver, f"#monthly-summary tr[data-district='{TOTAL_LABEL}'] td[data-key='reached'] .value") == "7"
    assert text_of(driver, "#monthly-summary tr[data-district='丰台区'] td[data-key='listed'] .mom") == "持平"
    assert text_of(driver, "#monthly-detail tr[data-district='朝阳区'] td[data-key='startup'] .value") == "1"

    # the bar chart of the share fully served, as SVG
    bars = driver.find_elements(By.CSS_SELECTOR, "svg#monthly-served-chart rect.bar")  # type: ignore[attr-defined]
    shares = {bar.get_attribute("data-district"): bar.get_attribute("data-share") for bar in bars}
    assert shares == {"朝阳区": "0", "海淀区": "0.5", "丰台区": "1", TOTAL_LABEL: "0.5"}
    widths = {bar.get_attribute("data-district"): float(bar.get_attribute("width")) for bar in bars}
    assert widths["丰台区"] > widths["海淀区"] > widths["朝阳区"] == 0

    # a trend chart per district and the total, each an SVG with both lines over July–September
    charts = driver.find_elements(By.CSS_SELECTOR, "#monthly-trends svg.trend-chart")  # type: ignore[attr-defined]
    assert [chart.get_attribute("data-district") for chart in charts] == ["朝阳区", "海淀区", "丰台区", TOTAL_LABEL]
    haidian = charts[1]
    assert len(haidian.find_elements(By.CSS_SELECTOR, "polyline[data-series='share_reached']")) == 1
    assert len(haidian.find_elements(By.CSS_SELECTOR, "polyline[data-series='share_served']")) == 1
    served_points = haidian.find_elements(By.CSS_SELECTOR, "circle[data-series='share_served']")
    assert [(p.get_attribute("data-month"), p.get_attribute("data-share")) for p in served_points] == [
        ("2022-07", "0"), ("2022-08", "0"), ("2022-09", "0.5")]
    assert float(served_points[2].get_attribute("cy")) < float(served_points[1].get_attribute("cy"))  # higher share, higher up

    # the download link gives the .xlsx
    link = driver.find_element(By.ID, "report-download")  # type: ignore[attr-defined]
    assert link.get_attribute("href") == f"{url}/console/api/report.xlsx?month=2022-09"
    fetched = driver.execute_async_script(  # type: ignore[attr-defined]
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(async (r) => done([r.status, r.headers.get('content-type'),"
        " (await r.arrayBuffer()).byteLength]));", link.get_attribute("href"))
    assert fetched[0] == 200 and fetched[1] == XLSX and fetched[2] > 1000

    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]  # type: ignore[attr-defined]
    assert errors == []


def test_a_districts_staff_see_their_district_and_the_city_total(served: Tuple[str, Ledger], browser: object) -> None:
    from selenium.webdriver.common.by import By

    url, _ = served
    driver = browser
    log_in_and_open_september(driver, url, "haidian")
    rows = driver.find_elements(By.CSS_SELECTOR, "#monthly-summary tbody tr")  # type: ignore[attr-defined]
    assert [row.get_attribute("data-district") for row in rows] == ["海淀区", TOTAL_LABEL]
    assert "第 2 位" in text_of(driver, "#report-note")
    assert len(driver.find_elements(By.CSS_SELECTOR, "svg#monthly-served-chart rect.bar")) == 2  # type: ignore[attr-defined]
    assert len(driver.find_elements(By.CSS_SELECTOR, "#monthly-trends svg.trend-chart")) == 2  # type: ignore[attr-defined]
    assert "朝阳区" not in driver.page_source and "丰台区" not in driver.page_source  # type: ignore[attr-defined]
