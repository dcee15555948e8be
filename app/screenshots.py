"""Screenshots of each page of the app for the README, taken in headless Chromium (Debian's, driven by Playwright)
against `streamlit run` on a loopback port. Regenerate them with `make screenshots` after changing a page.

Run: .venv/bin/python app/screenshots.py   (writes app/screenshots/*.png)
"""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "app" / "screenshots"
# (file, URL path, text that appears when the page has finished its fit)
PAGES = (("home.png", "", "Loss at this budget"),
         ("loss_curves.png", "Loss_curves", "Predicted final loss"),
         ("isoflop.png", "IsoFLOP", "Approach 3: the compute-optimal"),
         ("downstream.png", "Downstream", "Forecast error"),
         ("hyperparameters.png", "Hyperparameters", "above the optimum"),
         ("sparse_runs.png", "Sparse_runs", "Start dense at"),
         ("repeated_data.png", "Repeated_data", "over the unique data"),
         ("backtests.png", "Backtests", "Probability of reaching"),
         ("your_own_law.png", "Your_own_law", "largest in the data"),
         ("leaderboard.png", "Leaderboard", "Choosing runs under a budget"))


@contextmanager
def serve(log=subprocess.DEVNULL):
    """``streamlit run app/Home.py`` on a free loopback port; yields its URL once it answers its health check."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "Home.py"),
                             "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:  # bounded: the server answers its health check within seconds
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(only: tuple[str, ...] = ()) -> None:
    """Every page's screenshot, or only those named (``python app/screenshots.py backtests.png``)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no chromium on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    with serve() as url:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            # Streamlit scrolls inside its own container, so a tall viewport is what captures the whole page
            page = browser.new_page(viewport={"width": 1400, "height": 3400})
            for name, path, ready in [p for p in PAGES if not only or p[0] in only]:
                page.goto(f"{url}/{path}")
                page.get_by_text(ready).first.wait_for(timeout=600_000)
                page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=600_000)
                page.wait_for_timeout(1500)  # images finish decoding
                page.screenshot(path=str(OUT / name), full_page=True)  # the whole page: fit, figures, forecast
                print(f"wrote {OUT / name}")
            browser.close()


if __name__ == "__main__":
    main(tuple(sys.argv[1:]))
