"""名单导入 in a real headless Chromium against a console process: a district staff member chooses a
bad file (told what to fix), then the list (.xlsx with a title row), reads the preview (counts,
rejected rows with their reasons, the match with a graduate registered in chat), confirms, and
sees the batch listed; the ledger holds what the preview showed."""
from __future__ import annotations

from pathlib import Path
from typing import Tuple

from sqlalchemy import func, select

from db.tables import registrations
from ledger.store import Ledger
from tests.console.conftest import graduate
from tests.console.test_browser import browser, log_in, served, text_of  # noqa: F401 - fixtures, re-used
from tests.ledger.test_import import phone, row, xlsx_bytes


def test_upload_preview_and_confirm_in_chromium(served: Tuple[str, Ledger], browser: object, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, ledger = served
    ref = graduate(ledger, "wx:import-g5", "王五", phone(5), "海淀区")
    bad = tmp_path / "名单.csv"
    bad.write_text("姓名,学校\n王芳,北京某大学\n", encoding="utf-8")
    good = tmp_path / "2022届名单.xlsx"
    good.write_bytes(xlsx_bytes([row(1, name="王芳"), row(2), row(2), row(3, district="朝阳区"), row(4, phone="12345"), row(5)],
                                title="2022届北京生源未就业毕业生名单"))
    driver = browser
    wait = WebDriverWait(driver, 15)
    log_in(driver, url, "haidian")
    driver.find_element(By.CSS_SELECTOR, "nav a[href='#/import']").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.ID, "import-file"))
    assert "还没有导入记录" in text_of(driver, "#import-batches")

    # a file without the ID number or phone column: told what to fix, nothing shown to confirm
    driver.find_element(By.ID, "import-file").send_keys(str(bad))  # type: ignore[attr-defined]
    driver.find_element(By.ID, "import-upload").click()  # type: ignore[attr-defined]
    wait.until(lambda d: text_of(d, "#import-error"))
    assert "缺少必需的列：身份证号或手机号" in text_of(driver, "#import-error")
    assert driver.find_elements(By.ID, "import-confirm") == []  # type: ignore[attr-defined]

    # the list: the preview
    driver.find_element(By.ID, "import-file").clear()  # type: ignore[attr-defined]
    driver.find_element(By.ID, "import-file").send_keys(str(good))  # type: ignore[attr-defined]
    driver.find_element(By.ID, "import-upload").click()  # type: ignore[attr-defined]
    wait.until(lambda d: d.find_elements(By.ID, "import-confirm"))
    counts = {key: text_of(driver, f"#import-count-{key}") for key in ("total", "added", "matched", "repeated", "rejected")}
    assert counts == {"total": "6", "added": "2", "matched": "1", "repeated": "1", "rejected": "2"}
    rejected = text_of(driver, "#import-rejected")
    assert "户籍区为朝阳区，不属于本区（海淀区）的名单" in rejected and "手机号不对（应为11位手机号码）" in rejected
    assert ref in text_of(driver, "#import-matched") and "第5行" in text_of(driver, "#import-repeated")
    assert "王*" in text_of(driver, "#import-sample") and "王芳" not in text_of(driver, "#import-sample")
    assert "不改动已有内容" in text_of(driver, "#import-note")
    with ledger.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(registrations)).scalar()

    # confirm: written as shown, the batch listed
    driver.find_element(By.ID, "import-confirm").click()  # type: ignore[attr-defined]
    wait.until(lambda d: text_of(d, "#import-result"))
    assert "新增 2 人，匹配 1 人" in text_of(driver, "#import-result")
    wait.until(lambda d: "2022届名单.xlsx" in text_of(d, "#import-batches"))
    with ledger.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(registrations)).scalar()
        imported = conn.execute(select(func.count()).select_from(registrations).where(registrations.c.source == "import")).scalar()
    assert after == before + 2 and imported == 3
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]  # type: ignore[attr-defined]
    assert errors == []
