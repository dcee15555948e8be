"""The app in a real browser: headless Debian Chromium driven by Playwright against `streamlit run` on loopback.

Upload a CSV, wait for the fit, read the forecast on the page, see a chart, save a screenshot. `.ci/run` installs
chromium when it is missing; elsewhere, without chromium or playwright, the test skips and says why."""

import os
import shutil
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "app"))
from screenshots import serve  # noqa: E402  (the same server the README's screenshots are taken against)

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CSV = "N,D,loss\n" + "\n".join(f"{n:g},{d:g},{1.8 + 400 * n ** -0.34 + 1500 * d ** -0.28:.6f}"
                               for n in (1e7, 3e7, 1e8, 3e8, 1e9) for d in (1e9, 1e10, 1e11))


@pytest.fixture
def app_url(tmp_path):
    started = False
    with (tmp_path / "streamlit.log").open("w") as log:
        try:
            with serve(log) as url:
                started = True
                yield url
        except RuntimeError as exc:
            if started:  # the test's own error, not the server's
                raise
            pytest.fail(f"{exc}; see {tmp_path / 'streamlit.log'}")


def test_upload_fit_and_forecast_in_a_real_browser(app_url, tmp_path):
    if CHROMIUM is None or not _has_playwright():
        reason = "no chromium on PATH" if CHROMIUM is None else "playwright is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run installs chromium and `make test` installs playwright")
        print(f"\nskipped: {reason} (apt-get install chromium; pip install playwright)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    csv = tmp_path / "runs.csv"
    csv.write_text(CSV)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(app_url)
        page.get_by_text("Loss at this budget").wait_for(timeout=240_000)  # the bundled data, fitted
        page.get_by_text("Upload CSV files").click()
        page.locator("input[type=file]").set_input_files(str(csv))
        page.get_by_text("15 rows, 15 runs.").wait_for(timeout=240_000)
        # the run is over when Streamlit's "running" indicator goes (stale elements of the last run stay till then)
        page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=240_000)
        forecast = page.get_by_text("Loss at this budget")
        forecast.wait_for(timeout=240_000)  # a loaded machine with cold caches can take longer than the default 30 s
        text = forecast.inner_text()
        assert text.startswith("Loss at this budget: ") and float(text.split(":")[1].split()[0]) > 1.8
        assert "15 runs" in page.get_by_text("15 rows, 15 runs.").inner_text()
        charts = page.locator("[data-testid='stImage'] img")
        charts.nth(1).wait_for(timeout=60_000)
        assert charts.count() >= 2  # the parity plot and the frontier
        page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        browser.close()
    print(f"\nforecast on the page: {text}; screenshot: {tmp_path / 'app.png'}")
    assert (tmp_path / "app.png").stat().st_size > 10_000


def _has_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def test_a_zip_of_hf_checkpoints_fits_on_the_loss_curves_page(app_url, tmp_path):
    """Training logs as people have them: a zipped folder of Hugging Face checkpoints, uploaded as it is."""
    if CHROMIUM is None or not _has_playwright():
        pytest.skip("no chromium or playwright (see the test above)")
    import zipfile

    from playwright.sync_api import sync_playwright

    logs = ROOT / "tests" / "fixtures" / "logs"
    archive = tmp_path / "hf.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted((logs / "hf").rglob("trainer_state.json")):
            z.write(f, f.relative_to(logs).as_posix())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(app_url + "/Loss_curves")
        # no need to wait for the bundled curves' fit: choosing the upload stops that run and starts another
        page.get_by_text("Upload CSV files or logs").click(timeout=120_000)
        page.locator("input[type=file]").set_input_files(str(archive))
        page.get_by_text("Logs read as: Hugging Face Trainer").wait_for(timeout=120_000)
        page.get_by_text("N: total_flos / (6 x num_input_tokens_seen)").wait_for(timeout=120_000)
        page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=240_000)
        page.get_by_text("Converged.").wait_for(timeout=240_000)
        page.screenshot(path=str(tmp_path / "logs.png"), full_page=True)
        browser.close()
    assert (tmp_path / "logs.png").stat().st_size > 10_000
