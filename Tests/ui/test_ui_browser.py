"""`art ui` end to end: the real binary serving a demo repository, driven by
headless Chromium (Debian's `chromium`), and by plain HTTP for what a browser
would never send.

Run by scripts/test.sh with ART_BINARY set to the built art. With
ART_UI_SCREENSHOTS=DIR, a 1280x800 screenshot of each page is saved there
(that is how Docs/screenshots/ is made).
"""

from __future__ import annotations

import html.parser
import http.client
import os
import shutil
import struct
import subprocess
import tempfile
import urllib.parse
import zlib
from pathlib import Path
from typing import Iterator

import pytest

ART = os.environ.get("ART_BINARY", "art")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def art(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([ART, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"art {args}: {result.stderr}"
    return result


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_demo(root: Path) -> None:
    """Two versions of a small image dataset with a label table, a model made
    from it, a hostile file name, markup in metadata and files."""
    art("init", cwd=root)
    data = root / "data"
    (data / "images").mkdir(parents=True)
    for i in range(12):
        (data / "images" / f"img_{i:02d}.png").write_bytes(png(96, 64, ((i * 40) % 256, 120, 200 - i * 10)))
    rows = ["id,label,score,split"] + [f"{i},class_{i % 5},{(i * 37 % 100) / 100},{'val' if i % 10 == 0 else 'train'}"
                                        for i in range(500)]
    (data / "labels.csv").write_text("\n".join(rows) + "\n")
    (data / "README.md").write_text("# Demo dataset\n\n<script>document.title='pwned'</script>\n")
    (data / "<img src=x id=injected>.txt").write_text("a hostile name\n")
    (data / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (data / "events.jsonl").write_text("".join(f'{{"step": {i}, "loss": {1 / (i + 1):.3f}}}\n' for i in range(40)))
    art("commit", "images", "data", "--type", "dataset", "-m", "first cut",
        "--metadata", "rows=500", "--metadata", "source=<b id=injected2>camera</b>", cwd=root)
    rows[8] = "7,class_relabelled,0.5,train"
    rows.append("500,class_new,0.1,train")
    (data / "labels.csv").write_text("\n".join(rows) + "\n")
    (data / "images" / "img_03.png").write_bytes(png(96, 64, (250, 30, 30)))
    art("commit", "images", "data", "-m", "relabelled", "--metadata", "rows=501", cwd=root)
    (root / "model").mkdir()
    (root / "model" / "weights.bin").write_bytes(os.urandom(4096))
    art("commit", "classifier", "model", "--type", "model", "--input", "images:v1", "--job", "train",
        "--metadata", "accuracy=0.93", cwd=root)
    art("alias", "set", "images:v0", "production", cwd=root)
    # Evaluation results, one version a day: what a retention policy thins.
    (root / "eval").mkdir()
    for day in range(4):
        (root / "eval" / "scores.csv").write_text(
            "metric,value\n" + "".join(f"m{i},{(day + i) / 10}\n" for i in range(5)))
        art("commit", "eval", "eval", "--type", "table", "-m", f"day {day}",
            "--metadata", f"day={day}", cwd=root)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


class Server:
    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen([ART, "ui", "--port", "0"], cwd=root, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url
        parsed = urllib.parse.urlsplit(self.url)
        self.port = parsed.port or 0
        self.token = urllib.parse.parse_qs(parsed.query)["token"][0]
        # Every page lies under a secret path, the cookie's path too.
        self.base = parsed.path.rstrip("/")
        assert self.base.startswith("/ui-"), self.base

    def address(self, path: str) -> str:
        separator = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}{self.base}{path}{separator}token={self.token}"

    def request(self, path: str, *, method: str = "GET", host: str | None = None,
                cookie: bool = True, base: bool = True) -> http.client.HTTPResponse:
        """`path` under the secret base (unless `base` is false)."""
        if base:
            path = self.base + path
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": host or f"127.0.0.1:{self.port}"}
        if cookie:
            headers["Cookie"] = f"art-ui-{self.port}={self.token}"
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        response.read_body = response.read()  # type: ignore[attr-defined]
        return response

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Path, Server]]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_demo(root)
        server = Server(root)
        try:
            yield root, server
        finally:
            server.stop()


def chromium(url: str, screenshot: Path | None = None) -> str:
    """The DOM after scripts ran (`--dump-dom`), or a 1280x800 screenshot."""
    assert CHROMIUM, "chromium is not installed (scripts/test.sh installs Debian's chromium)"
    with tempfile.TemporaryDirectory() as profile:
        arguments = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     f"--user-data-dir={profile}", "--window-size=1280,800"]
        arguments += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
        result = subprocess.run(arguments + [url], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout


class Elements(html.parser.HTMLParser):
    """Tags and ids of a DOM dump, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(dom: str) -> Elements:
    elements = Elements()
    elements.feed(dom)
    return elements


PAGES = [
    ("artifacts", "/", ["Artifacts", "images", "classifier", "dataset", "model"]),
    ("artifact", "/a/images", ["Stored bytes per version", "production", "relabelled", "rows"]),
    ("version", "/v/images/v1", ["images:v1", "classifier:v0", "labels.csv", "images/", "rows"]),
    ("folder", "/v/images/v1?dir=images", ["img_00.png", "img_11.png"]),
    ("table", "/f/images/v1?path=labels.csv", ["class_relabelled", "split", "line"]),
    ("text", "/f/images/v1?path=README.md", ["Demo dataset", "<script>document.title='pwned'</script>"]),
    ("svg-as-text", "/f/images/v1?path=evil.svg", ["<svg xmlns=", "alert(1)"]),
    ("jsonl", "/f/images/v1?path=events.jsonl", ["loss", "step"]),
    ("image", "/f/images/v1?path=images/img_03.png", ["img_03.png", "download"]),
    ("diff", "/diff?a=images:v0&b=images:v1", ["labels.csv", "img_03.png", "modified", "rows"]),
    ("rows", "/diff?a=images:v0&b=images:v1&rows=labels.csv&key=id",
     ["class_relabelled", "1 added", "1 changed"]),
    ("lineage", "/lineage/images/v1", ["Lineage of images:v1", "classifier:v0", "train"]),
    ("gc", "/gc?keep-last=1", ["would drop 3 versions of 7", "carries protected alias production",
                               "drop"]),
]


@pytest.mark.parametrize("name,path,expected", PAGES, ids=[page[0] for page in PAGES])
def test_each_page_shows_its_content_in_a_browser(demo: tuple[Path, Server], name: str, path: str,
                                                   expected: list[str]) -> None:
    _, server = demo
    dom = chromium(server.address(path))
    elements = parse(dom)
    text = "".join(elements.text)
    for item in expected:
        assert item in text, f"{name}: {item!r} not on the page"
    # Nothing from the repository became markup, and no script of its ran.
    ids = {attrs.get("id") for _, attrs in elements.tags}
    assert "injected" not in ids and "injected2" not in ids
    assert "pwned" not in dom.split("<title>")[1].split("</title>")[0]
    scripts = [attrs.get("src") for tag, attrs in elements.tags if tag == "script"]
    assert scripts == [server.base + "/static/art.js"], scripts
    shots = os.environ.get("ART_UI_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        chromium(server.address(path), screenshot=Path(shots) / f"{name}.png")


def test_the_image_preview_loads_through_the_sandboxed_path(demo: tuple[Path, Server]) -> None:
    root, server = demo
    response = server.request("/raw/images/v1?path=images/img_03.png&inline=1")
    assert response.status == 200
    assert response.getheader("Content-Type") == "image/png"
    assert "sandbox" in (response.getheader("Content-Security-Policy") or "")
    assert response.read_body == (root / "data/images/img_03.png").read_bytes()  # type: ignore[attr-defined]
    # An SVG is never served to be rendered, only as an attachment.
    refused = server.request("/raw/images/v1?path=evil.svg&inline=1")
    assert refused.status == 400


def test_a_download_is_an_attachment_with_the_exact_bytes(demo: tuple[Path, Server]) -> None:
    root, server = demo
    response = server.request("/raw/images/v1?path=labels.csv")
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/octet-stream"
    assert (response.getheader("Content-Disposition") or "").startswith('attachment; filename="labels.csv"')
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.read_body == (root / "data/labels.csv").read_bytes()  # type: ignore[attr-defined]


def test_requests_without_the_token_or_for_another_host_are_refused(demo: tuple[Path, Server]) -> None:
    _, server = demo
    assert server.request("/", cookie=False).status == 403
    assert server.request("/a/images", cookie=False).status == 403
    assert server.request("/raw/images/v1?path=labels.csv", cookie=False).status == 403
    assert server.request("/static/art.css", cookie=False).status == 403
    assert server.request("/?token=" + "0" * 64, cookie=False).status == 403
    # DNS rebinding: a page of evil.example pointed at 127.0.0.1 sends its own Host.
    assert server.request("/", host=f"evil.example:{server.port}").status == 403
    assert server.request("/", host="127.0.0.1").status == 403
    # Read-only: nothing but GET and HEAD.
    for method in ["POST", "PUT", "DELETE"]:
        assert server.request("/", method=method).status == 405
    assert server.request("/", host=f"localhost:{server.port}").status == 200
    ok = server.request("/?token=" + server.token, cookie=False)
    assert ok.status == 200
    cookie = ok.getheader("Set-Cookie") or ""
    assert f"art-ui-{server.port}={server.token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # The cookie is sent only below the secret path: a server another user
    # runs on another port of 127.0.0.1 never receives it.
    assert f"Path={server.base}/" in cookie
    # Outside the secret path there is nothing, token or not.
    assert server.request("/", base=False).status == 404
    assert server.request("/a/images", base=False).status == 404
    assert server.request("/?token=" + server.token, base=False, cookie=False).status == 404
    policy = ok.getheader("Content-Security-Policy") or ""
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert ok.getheader("X-Content-Type-Options") == "nosniff"
    assert ok.getheader("Referrer-Policy") == "no-referrer"


def test_no_request_writes_to_the_repository_and_no_lock_outlives_one(demo: tuple[Path, Server]) -> None:
    root, server = demo
    before = snapshot(root / ".art")
    for _, path, _ in PAGES:
        assert server.request(path).status == 200, path
    server.request("/raw/images/v1?path=labels.csv")
    assert snapshot(root / ".art") == before
    # gc takes the lock exclusively: between requests it is free at once.
    result = subprocess.run([ART, "gc", "--dry-run", "--lock-timeout", "0"], cwd=root,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_export_opens_from_disk(demo: tuple[Path, Server]) -> None:
    root, _ = demo
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        result = art("ui", "--export", str(site), cwd=root)
        assert "wrote" in result.stdout
        dom = chromium((site / "index.html").as_uri())
        elements = parse(dom)
        text = "".join(elements.text)
        assert "images" in text and "classifier" in text and "static export" in text
        links = [attrs.get("href") or "" for tag, attrs in elements.tags if tag == "a"]
        artifact = next(link for link in links if link.startswith("p-"))
        page = chromium((site / artifact).as_uri())
        assert "Stored bytes per version" in page or "images:" in page or "classifier" in page
        for link in links:
            assert not link.startswith("/") and not link.startswith("http"), link
            assert (site / link).exists(), link
