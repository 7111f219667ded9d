"""Open the built documentation in headless Chromium and check it as a reader would.

Usage (``make docs-check`` runs it after ``make docs``)::

    python docs/check_site.py [docs/_build/html]

The site is served on 127.0.0.1 by :mod:`http.server` and every internal page is
opened in Debian's Chromium, driven by Selenium through Debian's ChromeDriver. The
check fails when:

* an internal link, image, stylesheet or script points to a file that is not there,
  or a link's ``#anchor`` names no element of its target page;
* an image did not load (``naturalWidth`` is 0), or the browser logged an error
  (a failed request, a script error, an attempt to reach the network);
* a page with formulas was not typeset by MathJax (each ``.math`` element must hold an
  ``mjx-container``, none may hold a TeX error, and the visible ones must have a
  width);
* the gallery does not show one loaded thumbnail per example, or an example page
  lacks its run time or an embedded figure that sphinx-gallery produced;
* a public class or function of the package has no page in the API reference.

Chromium and ChromeDriver come from Debian (packages ``chromium`` and
``chromium-driver``); when they are missing and the script runs as root, it installs
them with apt-get first.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import importlib
import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict, deque
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
# the public names whose pages the API reference must have
MODULES = (
    "sklearn_losses",
    "sklearn_losses.losses",
    "sklearn_losses.metrics",
    "sklearn_losses.scoring",
    "sklearn_losses.neural_network",
    "sklearn_losses.compare",
    "sklearn_losses.plotting",
)

# What one page tells us, gathered in the browser after it has loaded and MathJax
# has finished.
PAGE_SCRIPT = r"""
const visible = (e) => e.offsetParent !== null;
const sources = [];
for (const e of document.querySelectorAll("link[href]")) {
  if (["stylesheet", "icon", "preload"].some((r) => e.relList.contains(r))) {
    sources.push(e.href);
  }
}
for (const e of document.querySelectorAll("script[src]")) sources.push(e.src);
const maths = [...document.querySelectorAll(".math")];
return {
  links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  sources: sources,
  images: [...document.images].map((i) => ({
    src: i.currentSrc || i.src,
    loaded: i.complete && i.naturalWidth > 0,
    classes: i.className,
  })),
  ids: [...document.querySelectorAll("[id]")].map((e) => e.id).concat(
    [...document.querySelectorAll("a[name]")].map((e) => e.name)),
  math: maths.length,
  math_typeset: maths.filter((e) => e.querySelector("mjx-container")).length,
  math_errors: document.querySelectorAll("mjx-merror").length,
  math_empty: [...document.querySelectorAll("mjx-container")]
    .filter((e) => visible(e) && e.getBoundingClientRect().width === 0).length,
  thumbnails: [...document.querySelectorAll(".sphx-glr-thumbcontainer")].map((c) => {
    const i = c.querySelector("img");
    return {src: i ? (i.currentSrc || i.src) : null,
            loaded: !!i && i.complete && i.naturalWidth > 0};
  }),
  run_time: document.body.innerText.includes("Total running time of the script"),
};
"""

WAIT_FOR_MATHJAX = r"""
const done = arguments[arguments.length - 1];
if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
  MathJax.startup.promise.then(() => done("typeset"), (e) => done("error: " + e));
} else {
  done(document.querySelector(".math") ? "missing" : "none");
}
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def _serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}/"


def _ensure_browser(install: bool) -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if not missing:
        return
    if not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(
            f"{', '.join(missing)} not found: install Debian's packages with "
            "'apt-get install chromium chromium-driver' (as root)."
        )
    print("installing chromium and chromium-driver with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _driver(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    return driver


def _exists(url: str) -> bool:
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200
    except urllib.error.URLError:
        return False


def _page_key(url: str) -> str:
    """The page a URL shows, without its fragment (directories mean index.html)."""
    url = urldefrag(url)[0]
    return url + "index.html" if url.endswith("/") else url


def _public_objects() -> dict[int, tuple[object, list[str]]]:
    """Each public class or function, with every ``module.name`` it is exported as."""
    found: dict[int, tuple[object, list[str]]] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found.setdefault(id(obj), (obj, []))[1].append(f"{module_name}.{name}")
    return found


class SiteCheck:
    def __init__(self, root: Path, base: str, driver, examples: Path):
        self.root, self.base, self.driver, self.examples = root, base, driver, examples
        self.failures: list[str] = []
        self.pages: dict[str, dict] = {}
        self.anchors: list[tuple[str, str, str]] = []  # (source page, target, anchor)
        self.files_checked: dict[str, bool] = {}

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def rel(self, url: str) -> str:
        return unquote(url[len(self.base) :]) if url.startswith(self.base) else url

    # -- visiting pages -----------------------------------------------------------------
    def visit(self, url: str) -> dict:
        self.driver.get(url)
        for _ in range(100):
            if self.driver.execute_script("return document.readyState") == "complete":
                break
            time.sleep(0.1)
        mathjax = self.driver.execute_async_script(WAIT_FOR_MATHJAX)
        info = self.driver.execute_script(PAGE_SCRIPT)
        if any(not image["loaded"] for image in info["images"]):
            # give late images a moment, scrolled into view
            self.driver.execute_script(
                "for (const i of document.images) i.scrollIntoView();"
            )
            time.sleep(1.0)
            info = self.driver.execute_script(PAGE_SCRIPT)
        info["mathjax"] = mathjax
        info["log"] = [
            entry
            for entry in self.driver.get_log("browser")
            if entry.get("level") == "SEVERE"
        ]
        return info

    def crawl(self) -> None:
        start = self.base + "index.html"
        queue, seen = deque([start]), {start}
        while queue:
            url = queue.popleft()
            page = self.rel(url)
            info = self.visit(url)
            self.pages[page] = info
            self.check_page(page, info)
            for link in info["links"]:
                if not link.startswith(self.base):
                    continue  # external, or mailto:, javascript:
                target, anchor = urldefrag(link)
                key = _page_key(target)
                if anchor:
                    self.anchors.append((page, self.rel(key), unquote(anchor)))
                if urlsplit(key).path.endswith(".html"):
                    if key not in seen:
                        seen.add(key)
                        if self.check_file(key, page):
                            queue.append(key)
                else:
                    self.check_file(key, page)
            for source in info["sources"]:
                if source.startswith(self.base):
                    self.check_file(source, page)

    def check_file(self, url: str, page: str) -> bool:
        if url not in self.files_checked:
            self.files_checked[url] = _exists(url)
        if not self.files_checked[url]:
            self.fail(f"{page}: broken internal link to {self.rel(url)}")
        return self.files_checked[url]

    def check_page(self, page: str, info: dict) -> None:
        for image in info["images"]:
            if not image["loaded"]:
                self.fail(f"{page}: image {self.rel(image['src'])} did not load")
        for entry in info["log"]:
            self.fail(f"{page}: browser error: {entry.get('message', entry)}")
        if info["math"]:
            if info["mathjax"] != "typeset":
                self.fail(f"{page}: formulas not typeset (MathJax: {info['mathjax']})")
            elif info["math_typeset"] < info["math"]:
                self.fail(
                    f"{page}: {info['math'] - info['math_typeset']} of "
                    f"{info['math']} formulas were not typeset"
                )
            if info["math_errors"]:
                self.fail(f"{page}: {info['math_errors']} formulas have TeX errors")
            if info["math_empty"]:
                self.fail(f"{page}: {info['math_empty']} formulas render empty")

    # -- checks over the whole site -----------------------------------------------------
    def check_anchors(self) -> None:
        for page, target, anchor in self.anchors:
            ids = self.pages.get(target, {}).get("ids")
            if ids is not None and anchor not in ids:
                self.fail(
                    f"{page}: link to {target}#{anchor}, which has no such anchor"
                )

    def check_gallery(self) -> None:
        examples = sorted(p.stem for p in self.examples.glob("plot_*.py"))
        index = self.pages.get("auto_examples/index.html")
        if index is None:
            self.fail("the gallery (auto_examples/index.html) is not linked or missing")
            return
        if not examples:
            self.fail(f"no examples (plot_*.py) found in {self.examples}")
        thumbnails = index["thumbnails"]
        if len(thumbnails) < len(examples):
            self.fail(
                f"the gallery shows {len(thumbnails)} thumbnails for "
                f"{len(examples)} examples"
            )
        for thumbnail in thumbnails:
            if not thumbnail["loaded"]:
                self.fail(f"gallery thumbnail {thumbnail['src']} did not load")
        images = DOCS / "auto_examples" / "images"
        for name in examples:
            page = self.pages.get(f"auto_examples/{name}.html")
            if page is None:
                self.fail(f"the example {name} has no page in the gallery")
                continue
            if not page["run_time"]:
                self.fail(f"auto_examples/{name}.html: the example did not run")
            produced = len(list(images.glob(f"sphx_glr_{name}_[0-9][0-9][0-9].png")))
            shown = [
                i
                for i in page["images"]
                if "sphx-glr-single-img" in i["classes"]
                or "sphx-glr-multi-img" in i["classes"]
            ]
            loaded = sum(i["loaded"] for i in shown)
            if loaded < max(produced, len(shown)):
                self.fail(
                    f"auto_examples/{name}.html: {loaded} figures shown, "
                    f"{produced} produced by the example"
                )
        self.gallery = (len(examples), len(thumbnails))

    def check_api(self) -> None:
        missing = []
        for _obj, names in _public_objects().values():
            pages = [f"gen_modules/{name}.html" for name in names]
            if not any(page in self.pages for page in pages):
                missing.append(names[0])
        for name in missing:
            self.fail(f"the API reference has no page for {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "html", nargs="?", type=Path, default=DOCS / "_build" / "html", help="the site"
    )
    parser.add_argument(
        "--no-install", action="store_true", help="never apt-get install the browser"
    )
    parser.add_argument(
        "--examples",
        type=Path,
        default=Path(os.environ.get("SKLEARN_LOSSES_EXAMPLES_DIR", ROOT / "examples")),
        help="the gallery's sources (default: examples/)",
    )
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        sys.exit(f"{args.html}/index.html not found: build the site with 'make docs'.")
    _ensure_browser(install=not args.no_install)

    started = time.perf_counter()
    server, base = _serve(args.html)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        driver = _driver(profile)
        try:
            check = SiteCheck(args.html, base, driver, args.examples)
            check.crawl()
            check.check_anchors()
            check.check_gallery()
            check.check_api()
        finally:
            driver.quit()
            server.shutdown()

    pages = check.pages.values()
    formulas = sum(p["math"] for p in pages)
    typeset = sum(p["math_typeset"] for p in pages)
    images = sum(len(p["images"]) for p in pages)
    counts = defaultdict(int)
    for failure in check.failures:
        counts[re.sub(r"^[^:]*: ", "", failure).split(" ")[0]] += 1
    examples, thumbnails = getattr(check, "gallery", (0, 0))
    print(
        f"Opened {len(check.pages)} pages in Chromium in "
        f"{time.perf_counter() - started:.0f} s: {len(check.files_checked)} linked "
        f"files, {len(check.anchors)} anchors, {images} images, {typeset} of "
        f"{formulas} formulas typeset, {thumbnails} gallery thumbnails for "
        f"{examples} examples."
    )
    if check.failures:
        print(f"{len(check.failures)} problems:")
        for failure in check.failures:
            print(f"  {failure}")
        return 1
    print("No problems found.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
