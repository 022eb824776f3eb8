#!/usr/bin/env python3
"""Times `art write-manifest` against its peers on generated data.

Datasets (generated once into the work folder, then reused):
  small  20,000 files of 1-16 KiB in 100 folders, half random, half CSV-like text
  large  two 512 MiB files: one random, one CSV-like text
  labels 20,000 JSON annotation files of 0.5-3 KiB (versions.py only)

Per dataset and round, in alternation: art write-manifest into a fresh
repository, git add -A into a fresh git repository, and (large only) the CPU
limit: openssl dgst -sha256 then lz4 -1 over the same files, on one core.
Input is re-read before every timed step so each starts from a warm page
cache; old repositories are deleted only at the end, because deleting many
files slows file creation on this machine for minutes.

Prints each run, then the median per tool, MB/s, ratios, and peak RSS.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

MiB = 1 << 20


def write_file(path, rng, index):
    """One small-shape file: random bytes for even `index`, CSV rows for odd."""
    size = rng.randint(1024, 16384)
    if index % 2 == 0:
        data = rng.randbytes(size)
    else:
        rows, total = [], 0
        while total < size:
            row = f"{index},{rng.randint(0, 99999)},{rng.random():.5f},label{rng.randint(0, 9)}\n"
            rows.append(row)
            total += len(row)
        data = "".join(rows).encode()[:size]
    with open(path, "wb") as f:
        f.write(data)


def generate_small(folder):
    rng = random.Random(7)
    for i in range(20000):
        sub = os.path.join(folder, f"d{i % 100:03d}")
        os.makedirs(sub, exist_ok=True)
        size = rng.randint(1024, 16384)
        if i % 2 == 0:
            data = rng.randbytes(size)
        else:
            rows = []
            total = 0
            while total < size:
                row = f"{i},{rng.randint(0, 99999)},{rng.random():.5f},label{rng.randint(0, 9)}\n"
                rows.append(row)
                total += len(row)
            data = "".join(rows).encode()[:size]
        with open(os.path.join(sub, f"f{i:05d}.dat"), "wb") as f:
            f.write(data)


def generate_large(folder, size):
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(11)
    with open(os.path.join(folder, "random.bin"), "wb") as f:
        left = size
        while left:
            n = min(left, 8 * MiB)
            f.write(rng.randbytes(n))
            left -= n
    words = ["alpha", "beta", "gamma", "delta", "cat", "dog", "train", "test", "label"]
    with open(os.path.join(folder, "table.csv"), "w") as f:
        f.write("id,word,value,score,label\n")
        written, row = 0, 0
        while written < size:
            lines = [
                f"{j},{words[rng.randrange(9)]},{rng.randrange(100000)},"
                f"{rng.random() * 1000:.4f},{words[rng.randrange(9)]}"
                for j in range(row, row + 100000)
            ]
            text = "\n".join(lines) + "\n"
            if written + len(text) > size:
                text = text[: size - written]
            f.write(text)
            written += len(text)
            row += 100000


def generate_labels(folder, count=20000):
    """Per-image annotation files, as detection datasets ship them: `count`
    COCO-style JSON files of 0.5-3 KiB in 100 folders, one per image, all
    with the same keys."""
    rng = random.Random(13)
    names = ["person", "bicycle", "car", "dog", "cat", "bus", "truck", "bird", "horse",
             "traffic light"]
    for i in range(count):
        sub = os.path.join(folder, f"d{i % 100:03d}")
        os.makedirs(sub, exist_ok=True)
        boxes = [{"id": i * 10 + k, "category": rng.choice(names),
                  "bbox": [round(rng.uniform(0, 600), 2), round(rng.uniform(0, 400), 2),
                           round(rng.uniform(10, 200), 2), round(rng.uniform(10, 200), 2)],
                  "area": round(rng.uniform(100, 40000), 1), "iscrowd": 0}
                 for k in range(rng.randint(1, 8))]
        label = {"image": {"file_name": f"train/{i:012d}.jpg", "width": rng.choice([640, 480, 512]),
                           "height": rng.choice([480, 427, 640]), "id": i},
                 "annotations": boxes}
        with open(os.path.join(sub, f"{i:012d}.json"), "w") as f:
            json.dump(label, f, indent=2)


def generate_huge(folder):
    """One 4 GiB file: 2 GiB of random bytes, then 2 GiB of CSV-like text."""
    os.makedirs(folder, exist_ok=True)
    generate_large(folder, 2048 * MiB)
    with open(os.path.join(folder, "random.bin"), "ab") as out:
        with open(os.path.join(folder, "table.csv"), "rb") as text:
            shutil.copyfileobj(text, out, 8 * MiB)
    os.remove(os.path.join(folder, "table.csv"))
    os.rename(os.path.join(folder, "random.bin"), os.path.join(folder, "huge.bin"))


def dataset_bytes(folder):
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def reread(folder):
    """Reads every file so the timed step starts from a warm page cache
    (links are left alone: a real tree may hold dangling ones)."""
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as f:
                while f.read(8 * MiB):
                    pass


def timed(command, cwd=None, shell=False):
    """Runs a command; returns (seconds, peak RSS in KiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"benchmark: {command} failed: {process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--art", required=True, help="the art binary (a release build)")
    parser.add_argument("--work", required=True, help="folder for data and repositories")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large-size", type=int, default=512, help="MiB per large file")
    parser.add_argument("--only", choices=["small", "large", "huge"], help="run one dataset")
    args = parser.parse_args()

    art = os.path.abspath(args.art)
    work = os.path.abspath(args.work)
    data = os.path.join(work, "data")
    runs = os.path.join(work, f"runs-{os.getpid()}")
    os.makedirs(runs, exist_ok=True)
    for tool in ("git", "openssl", "lz4"):
        if not shutil.which(tool):
            sys.exit(f"benchmark: '{tool}' is not installed (apt-get install -y {tool})")

    datasets = []
    if args.only in (None, "small"):
        datasets.append(("small", os.path.join(data, "small"), generate_small))
    if args.only in (None, "large"):
        size = args.large_size * MiB
        datasets.append(
            ("large", os.path.join(data, f"large-{args.large_size}"),
             lambda folder: generate_large(folder, size))
        )

    if args.only == "huge":
        # Memory check: one 4 GiB file (2 GiB random, 2 GiB text).
        datasets.append(
            ("huge", os.path.join(data, "huge-4096"),
             generate_huge)
        )

    summary = []
    for name, folder, generate in datasets:
        if not os.path.isdir(folder):
            print(f"generating {name} dataset in {folder} ...", flush=True)
            generate(folder + ".tmp")
            os.rename(folder + ".tmp", folder)
        total = dataset_bytes(folder)
        files = sum(len(f) for _, _, f in os.walk(folder))
        print(f"\n== {name}: {files} files, {total / MiB:.0f} MiB ==", flush=True)
        results = {"art write-manifest": []}
        if name != "huge":
            results["git add -A"] = []
        if name == "large":
            results["sha256+lz4 (1 core)"] = []
        for round_ in range(args.rounds):
            # art: a fresh repository each round, so nothing deduplicates.
            repo = os.path.join(runs, f"art-{name}-{round_}")
            os.makedirs(repo)
            subprocess.run([art, "-C", repo, "init"], check=True, stdout=subprocess.DEVNULL)
            reread(folder)
            results["art write-manifest"].append(
                timed([art, "-C", repo, "write-manifest", folder]))
            if name == "huge":
                line = f"art {results['art write-manifest'][-1][0]:.2f}s"
                print(f"round {round_ + 1}: {line}", flush=True)
                continue
            # git: a fresh git dir with the dataset as its work tree.
            git_dir = os.path.join(runs, f"git-{name}-{round_}")
            subprocess.run(["git", "init", "-q", "--bare", git_dir], check=True)
            reread(folder)
            results["git add -A"].append(
                timed(["git", f"--git-dir={git_dir}", f"--work-tree={folder}", "add", "-A"]))
            if name == "large":
                names = " ".join(sorted(os.listdir(folder)))
                script = (
                    f"cd '{folder}' && openssl dgst -sha256 {names} >/dev/null && "
                    + " && ".join(f"lz4 -1 -c {n} >/dev/null" for n in sorted(os.listdir(folder)))
                )
                reread(folder)
                results["sha256+lz4 (1 core)"].append(timed(["taskset", "-c", "0", "sh", "-c", script]))
            line = "  ".join(f"{tool} {r[-1][0]:.2f}s" for tool, r in results.items())
            print(f"round {round_ + 1}: {line}", flush=True)
        art_time = statistics.median(t for t, _ in results["art write-manifest"])
        print(f"{'tool':<22}{'median s':>10}{'MB/s':>10}{'peak RSS MiB':>14}{'art faster by':>15}")
        for tool, values in results.items():
            seconds = statistics.median(t for t, _ in values)
            rss = max(r for _, r in values) / 1024
            ratio = seconds / art_time
            print(f"{tool:<22}{seconds:>10.2f}{total / 1e6 / seconds:>10.0f}{rss:>14.1f}{ratio:>14.2f}x")
            summary.append((name, tool, seconds, ratio, rss))

    print("\n== summary (median of rounds; ratio = peer time / art time) ==")
    for name, tool, seconds, ratio, rss in summary:
        print(f"{name:<6} {tool:<22} {seconds:7.2f} s   ratio {ratio:5.2f}   peak RSS {rss:6.1f} MiB")
    print(f"\n(old repositories are in {runs}; deleting them now)", flush=True)
    shutil.rmtree(runs)


if __name__ == "__main__":
    main()
