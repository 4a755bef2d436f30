"""The generated project's web chat in real headless Chromium (Debian's chromium and
chromium-driver through Selenium): the example conversation, a crash, the store panel
showing the state that survived, and a photo shown in the chat. It fails, never skips,
without a browser: CI installs one.

The screenshot goes to a temporary file; with UPDATE_SCREENSHOT=1 it replaces
docs/img/web-chat.png (the docs show it), so a normal run never changes the tree.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from .helpers import TEMPLATE, Project, generate

SCREENSHOT = TEMPLATE / "docs" / "img" / "web-chat.png"
pytestmark = pytest.mark.xdist_group("web-chat")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return generate(tmp_path_factory.mktemp("web") / "bot", persistence="json")


@pytest.fixture
def page(project: Project, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "data"), "NO_PROXY": "127.0.0.1"}
    python = project.path / ".venv" / "bin" / "python"  # signals reach the chat, not uv
    command = [str(python), "-m", project.package, "chat", "--web"]
    process = subprocess.Popen(
        [*command, "--port", "0"], cwd=project.path, env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    url = next((line.strip() for line in process.stdout if line.startswith("http://")), "")
    assert url, "the web chat printed no address"
    yield process, url
    if process.poll() is None:
        process.kill()
        process.wait()
    process.stdout.close()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "install Debian's chromium and chromium-driver (see .ci/run)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(driver))
    try:
        yield browser
    finally:
        browser.quit()


def wait_text(browser: WebDriver, where: str, text: str, times: int = 1) -> None:
    WebDriverWait(browser, 30).until(
        lambda b: b.find_element(By.ID, where).text.count(text) >= times,
        f"{text!r} never shown {times} times in #{where}",
    )


def click(browser: WebDriver, label: str) -> None:
    """Press the newest button `label`; the page redraws its keyboards, so a button found a
    moment ago may be gone: look it up again until a click lands."""
    xpath = f"//div[@id='kb' or @id='log']//button[normalize-space()='{label}']"

    def press(b: WebDriver) -> bool:
        try:
            b.find_elements(By.XPATH, xpath)[-1].click()
        except (IndexError, StaleElementReferenceException):
            return False
        return True

    WebDriverWait(browser, 30).until(press, f"no button {label!r} to press")


def say(browser: WebDriver, text: str) -> None:
    box = browser.find_element(By.ID, "text")
    box.send_keys(text)
    browser.find_element(By.ID, "sendbtn").click()


def test_conversation_crash_and_restored_state(
    page: tuple[subprocess.Popen[str], str], browser: WebDriver, tmp_path: Path
) -> None:
    process, url = page
    browser.get(url)
    say(browser, "/start")
    click(browser, "Age")
    wait_text(browser, "log", "I would love to hear about that!")
    say(browser, "23")
    wait_text(browser, "panel", '"age": "23"')
    wait_text(browser, "log", "age - 23")  # the bot's summary
    browser.find_element(By.ID, "crash").click()
    wait_text(browser, "status", "bot running (start 2)")
    say(browser, "/show_data")
    wait_text(browser, "log", "age - 23", times=2)
    wait_text(browser, "panel", '"age": "23"')
    wait_text(browser, "saved", "last save")
    browser.find_element(By.CSS_SELECTOR, "button[data-a='photo']").click()
    WebDriverWait(browser, 30).until(
        lambda b: b.execute_script(
            "return [...document.querySelectorAll('#log img')]"
            ".some(i => i.complete && i.naturalWidth > 0)"
        ),
        "the photo the user sent is not shown",
    )
    target = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") == "1" else tmp_path / "shot.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(target))
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
