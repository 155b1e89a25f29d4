"""The real thing: `desktop-cvae serve` started as a person starts it (uvicorn, its own process), used over
HTTP and from headless Chromium (Debian's chromium and chromium-driver, driven by selenium)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow  # starts a server and a real browser

pytest.importorskip("uvicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "desktop_cvae", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_serve_refuses_settings_it_cannot_run_with():
    out = _cli("serve", "--host", "0.0.0.0")
    assert out.returncode == 2 and "--token" in out.stderr and "--no-auth" in out.stderr
    out = _cli("serve", "--db", "nonsense://")
    assert out.returncode == 2 and "cannot open the archive" in out.stderr
    out = _cli("serve", "--workers", "0")
    assert out.returncode == 2 and "--workers must be between 1 and 64" in out.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {**os.environ, "DESKTOP_CVAE_DATA": str(folder / "data"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "desktop_cvae", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the server did not start: {proc.stdout.read()[-3000:]}")
        time.sleep(0.3)
    yield base, folder
    proc.send_signal(signal.SIGINT)  # Ctrl+C: a clean stop
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the server did not stop on Ctrl+C")
    assert proc.returncode == 0, proc.stdout.read()[-3000:]


def _digit_png(readable, label: int, folder) -> str:
    img = Image.fromarray(255 - (readable[label][0] * 255).astype(np.uint8)).resize((160, 160))
    path = folder / f"digit-{label}.png"
    img.save(path)
    return str(path)


def _post_file(base: str, data: bytes) -> tuple[int, dict]:
    boundary = "----desktop-cvae-test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(base + "/api/recognize", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_served_api_answers_over_http(server, readable):
    base, folder = server
    buf = io.BytesIO()
    Image.fromarray(255 - (readable[6][0] * 255).astype(np.uint8)).resize((100, 100)).save(buf, "PNG")
    status, body = _post_file(base, buf.getvalue())
    assert status == 200 and body["label"] == 6 and body["not_a_digit"] is False
    import imagegen

    photo = imagegen.phone_photo(readable[4][0], np.random.default_rng(4))  # larger than a socket's buffer
    status, body = _post_file(base, photo)
    assert status == 200 and body["label"] == 4, body
    status, body = _post_file(base, b"GIF89a" + bytes(40))
    assert status in (400, 415) and body["error"]
    assert _post_file(base, buf.getvalue())[0] == 200  # and it is still alive


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("no Chromium here (Debian: apt-get install chromium chromium-driver; .ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1200,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_a_person_uploads_draws_and_opens_the_archive(server, browser, readable, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, _ = server
    wait = WebDriverWait(browser, 30)
    browser.get(base + "/")
    browser.find_element(By.ID, "file").send_keys(_digit_png(readable, 3, tmp_path))
    browser.find_element(By.ID, "send").click()
    wait.until(ec.url_contains("/results/"))
    assert browser.find_element(By.ID, "label").text == "3"
    bars = browser.find_elements(By.CSS_SELECTOR, "#probabilities progress")
    assert len(bars) == 10
    if os.environ.get("DESKTOP_CVAE_SCREENSHOT"):  # docs/serve.png: the whole result page
        browser.set_window_size(1100, 1650)
        browser.save_screenshot(os.environ["DESKTOP_CVAE_SCREENSHOT"])
        browser.set_window_size(1200, 1000)

    # The noise test answers in place as the slider moves (the page's script, no reload).
    before = browser.find_element(By.ID, "noisy-input").get_attribute("src")
    browser.execute_script("const s = document.getElementById('sigma'); s.value = '0.8';"
                           "s.dispatchEvent(new Event('input'));")
    wait.until(lambda d: d.find_element(By.ID, "noisy-input").get_attribute("src") != before)
    assert browser.find_element(By.ID, "sigma-value").text == "0.80"

    # A 7 drawn on the pad: a bar across the top, then a stroke down to the left.
    browser.get(base + "/")
    pad = browser.find_element(By.ID, "pad")
    (ActionChains(browser).move_to_element_with_offset(pad, -80, -90).click_and_hold()
     .move_by_offset(40, 0).move_by_offset(40, 0).move_by_offset(40, 0).move_by_offset(40, 0)
     .move_by_offset(-20, 45).move_by_offset(-20, 45).move_by_offset(-20, 45).move_by_offset(-20, 45)
     .release().perform())
    browser.find_element(By.ID, "pad-send").click()
    wait.until(ec.url_contains("/results/"))
    assert browser.find_element(By.ID, "label").text == "7"

    browser.get(base + "/archive")
    rows = browser.find_elements(By.CSS_SELECTOR, "#archive tr.entry")
    assert len(rows) >= 2 and rows[0].text.startswith("7") and any(r.text.startswith("3") for r in rows)
    # Nothing the pages do is blocked by their own Content-Security-Policy.
    assert not [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]


def test_a_picture_dropped_or_pasted_on_the_page_is_read(server, browser, readable):
    """Drag-and-drop and Ctrl+V, as the page's script receives them: a drop event on the drop zone, a paste event
    on the page, each carrying a PNG file."""
    import base64

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, _ = server
    wait = WebDriverWait(browser, 30)
    make_file = ("const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));"
                 "const box = new DataTransfer(); box.items.add(new File([bytes], 'x.png', {type: 'image/png'}));")
    for label, event in ((2, "document.getElementById('drop').dispatchEvent(new DragEvent('drop', "
                             "{dataTransfer: box, bubbles: true, cancelable: true}));"),
                         (5, "document.dispatchEvent(new ClipboardEvent('paste', "
                             "{clipboardData: box, bubbles: true, cancelable: true}));")):
        buf = io.BytesIO()
        Image.fromarray(255 - (readable[label][1] * 255).astype(np.uint8)).resize((150, 150)).save(buf, "PNG")
        browser.get(base + "/")
        browser.execute_script(make_file + event, base64.b64encode(buf.getvalue()).decode())
        wait.until(ec.url_contains("/results/"))
        assert browser.find_element(By.ID, "label").text == str(label)
