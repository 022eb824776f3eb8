"""Times `art ui`'s pages on large versions.

A repository gets N versions (default 3) of a dataset of FILES files (default
100,000): half in one flat folder, half in 100 folders; each version rewrites
1% of the files and a 40 MB CSV's rows. Then `art ui` serves it and every page
is requested REPEAT times over HTTP (keep-alive off, cookie set): the median
wall time per page, its size, and the server's peak RSS are reported. The page
cache is warmed by one request first, as a user's second click would find it.
There is no peer: the bound is the issue's, one second a page.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import statistics
import subprocess
import time
import urllib.parse
from pathlib import Path


def run(art: str, *args: str, cwd: Path) -> str:
    result = subprocess.run([art, *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"art {' '.join(args)}: {result.stderr}")
    return result.stdout


def make(work: Path, art: str, files: int, versions: int) -> None:
    if work.exists():
        shutil.rmtree(work)
    data = work / "data"
    flat = data / "flat"
    flat.mkdir(parents=True)
    rng = random.Random(7)
    for i in range(files // 2):
        (flat / f"f{i:06d}.txt").write_text(f"row {i} {rng.random()}\n")
    for folder in range(100):
        (data / f"d{folder:03d}").mkdir()
        for i in range(files // 200):
            (data / f"d{folder:03d}" / f"g{i:05d}.txt").write_text(f"{folder} {i}\n")
    with open(data / "table.csv", "w") as out:
        out.write("id,label,score\n")
        for i in range(1_000_000):
            out.write(f"{i},class_{i % 50},{rng.random():.6f}\n")
    run(art, "init", cwd=work)
    for version in range(versions):
        if version:
            for i in rng.sample(range(files // 2), files // 200):
                (flat / f"f{i:06d}.txt").write_text(f"changed {version} {i}\n")
            lines = (data / "table.csv").read_text().splitlines(keepends=True)
            for i in range(1, len(lines), 100):
                lines[i] = f"{i - 1},relabelled_{version},0.5\n"
            (data / "table.csv").write_text("".join(lines))
        run(art, "commit", "big", "data", "-q", "--metadata", f"round={version}", cwd=work)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--art", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    work = Path(options.work)
    print(f"== making {options.versions} versions of {options.files:,} files in {work}")
    make(work, options.art, options.files, options.versions)
    server = subprocess.Popen([options.art, "ui", "--json", "--port", "0"], cwd=work,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    import json
    serving = json.loads(server.stdout.readline())
    port = serving["port"]
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(serving["url"]).query)["token"][0]
    last = f"v{options.versions - 1}"
    pages = [
        ("artifacts", "/"),
        ("artifact (du on demand)", "/a/big"),
        ("artifact with du", "/a/big?usage=1"),
        ("version, root folder", f"/v/big/{last}"),
        ("folder of 50,000 files, page 1", f"/v/big/{last}?dir=flat"),
        ("folder of 50,000 files, page 100", f"/v/big/{last}?dir=flat&page=100"),
        ("table preview, page 1", f"/f/big/{last}?path=table.csv"),
        ("table preview, page 5,000", f"/f/big/{last}?path=table.csv&page=5000"),
        ("compare v0 with the last", f"/diff?a=big:v0&b=big:{last}"),
        ("row diff of the 40 MB table", f"/diff?a=big:v0&b=big:{last}&rows=table.csv&key=id"),
        ("lineage", f"/lineage/big/{last}"),
        ("gc plan", "/gc?keep-last=1"),
    ]
    print(f"| page | median of {options.repeat} | size |")
    print("|---|---|---|")
    for name, path in pages:
        times = []
        size = 0
        for attempt in range(options.repeat + 1):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            start = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": f"art-ui-{port}={token}"})
            response = connection.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - start
            connection.close()
            if response.status != 200:
                raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
            size = len(body)
            if attempt:  # the first warms the page cache
                times.append(elapsed)
        print(f"| {name} | {statistics.median(times) * 1000:.0f} ms | {size / 1024:.0f} KiB |")
    with open(f"/proc/{server.pid}/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM")).split()[1]
    print(f"server peak RSS: {int(peak) / 1024:.0f} MiB")
    server.terminate()
    server.wait()


if __name__ == "__main__":
    main()
