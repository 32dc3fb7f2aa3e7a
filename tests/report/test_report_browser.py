"""The report as a person opens it: rendered by a real headless browser (Chromium, from the
operating system's packages: ``apt-get install chromium``). The page must load, every image
must decode (naturalWidth > 0), and a screenshot must not be blank. With ``ALFRAME_SCREENSHOTS``
set (CI does), the screenshot is kept there for the record. Skipped, saying why, without a
Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from experiment_plans import small_plan
from report_runs import make_experiment

from alframe.plan import Call
from alframe.report import build_report

BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "chrome")
                if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium to render the report (apt-get install chromium); the page is not checked in a browser")

#: Appended to a copy of the page (never to the report): once everything has loaded, the state
#: of every image is written into the DOM that --dump-dom prints.
PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth}));
  const out = document.createElement('pre'); out.id = 'probe';
  out.textContent = JSON.stringify({images: imgs, title: document.title,
                                    verdict: (document.getElementById('verdict') || {}).textContent || null});
  document.body.appendChild(out);
});
</script>"""


def _browser(*args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-dev-shm-usage", "--virtual-time-budget=5000"]
    return subprocess.run([BROWSER, *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    curves = {
        "random": (Call("random"), [[(10, 0.2), (20, 0.4), (30, 0.5), (40, 0.6)]]),
        "uncertainty": (Call("uncertainty"), [[(10, 0.2), (20, 0.5), (30, 0.6), (40, 0.7)]]),
    }
    make_experiment(tmp / "exp", small_plan("exp"), curves)
    return build_report(tmp / "exp").files["index.html"]


def test_the_page_and_every_image_load_in_a_browser(report: Path, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = _browser("--dump-dom", probed.as_uri())
    m = re.search(r"<pre id=\"probe\">(.*?)</pre>", done.stdout, re.S)
    assert m, f"the page did not finish loading: {done.stderr[-2000:]}"
    state = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    assert state["title"] == "exp · alframe report"
    assert state["verdict"] and "uncertainty" in state["verdict"]
    assert len(state["images"]) >= 3  # curves per metric, time, imbalance
    broken = [i["alt"] for i in state["images"] if not i["complete"] or i["width"] <= 0]
    assert not broken, f"images that did not load: {broken}"


def test_a_screenshot_of_the_report_is_not_blank(report: Path, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    shot = tmp_path / "report.png"
    done = _browser("--window-size=1280,2400", f"--screenshot={shot}", report.as_uri())
    assert shot.is_file(), done.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1280, 2400)
        grey = im.convert("L")
        assert ImageStat.Stat(grey).stddev[0] > 10  # text, tables and plots, not one flat colour
        lo, hi = grey.getextrema()
        assert hi - lo > 100
    keep = os.environ.get("ALFRAME_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / "report.png")
