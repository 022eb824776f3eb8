#!/usr/bin/env python3
"""gc benchmark (issue 4): a history of VERSIONS versions of a dataset with 1%
churn per version, in art and in DVC (+ git), then a keep-last-10 gc in each.

Times `art gc --keep-last 10` and `art fsck --full`, and `dvc gc -w --rev HEAD
-n 10 -f`; reports the bytes each reclaims, and compares art's gc time with
reading the bytes it keeps once from a cold page cache (the issue's target).

Usage: Benchmarks/run-gc [--versions 200] [--files 5000]
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from versions import ENV, run, du  # noqa: E402
from write_manifest import write_file  # noqa: E402

MiB = 1 << 20


def drop_caches():
    """Empties the page cache if allowed; returns whether it did."""
    try:
        subprocess.run(["sync"], check=True)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def read_all(folder):
    """Seconds to read every file under `folder` once."""
    start = time.perf_counter()
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                while f.read(8 * MiB):
                    pass
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--art", required=True)
    parser.add_argument("--dvc", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()

    work = os.path.abspath(os.path.join(args.work, f"gc-{os.getpid()}"))
    art_dir, dvc_dir = os.path.join(work, "art"), os.path.join(work, "dvc")
    for folder in (art_dir, dvc_dir):
        os.makedirs(os.path.join(folder, "data"))
    rng = random.Random(5)
    names = [f"d{i % 50:02d}/f{i:05d}.dat" for i in range(args.files)]
    for index, name in enumerate(names):
        os.makedirs(os.path.join(art_dir, "data", os.path.dirname(name)), exist_ok=True)
        write_file(os.path.join(art_dir, "data", name), rng, index)
    shutil.copytree(os.path.join(art_dir, "data"), os.path.join(dvc_dir, "data"), dirs_exist_ok=True)

    art, dvc = os.path.abspath(args.art), os.path.abspath(args.dvc)
    run(f"{art} init", art_dir)
    run(f"git init -q && {dvc} init -q && git commit -qm init", dvc_dir)
    churn = max(1, args.files // 100)
    commit_seconds = {"art": 0.0, "dvc": 0.0}
    for version in range(args.versions):
        if version > 0:
            for name in rng.sample(names, churn):
                seed = rng.randrange(1 << 30)
                for folder in (art_dir, dvc_dir):
                    write_file(os.path.join(folder, "data", name), random.Random(seed), seed)
        seconds, _ = run(f"{art} commit ds data -q", art_dir)
        commit_seconds["art"] += seconds
        seconds, _ = run(
            f"{dvc} add -q data && git add data.dvc .gitignore && git commit -qm v{version}", dvc_dir)
        commit_seconds["dvc"] += seconds
        if version % 50 == 49:
            print(f"  {version + 1} versions committed", flush=True)

    art_before, dvc_before = du(os.path.join(art_dir, ".art")), du(os.path.join(dvc_dir, ".dvc/cache"))
    drop_caches()
    art_gc, art_rss = run(f"{art} gc --keep-last 10 --grace 0s", art_dir)
    drop_caches()
    dvc_gc, dvc_rss = run(f"{dvc} gc -w --rev HEAD -n 10 -f -q", dvc_dir)
    art_after, dvc_after = du(os.path.join(art_dir, ".art")), du(os.path.join(dvc_dir, ".dvc/cache"))
    drop_caches()
    fsck, fsck_rss = run(f"{art} fsck --full", art_dir)
    dangling = subprocess.run(
        f"{art} fsck --json", cwd=art_dir, shell=True, capture_output=True, text=True).stdout
    dangling = dangling.split('"danglingObjects" : ')[1].split(",")[0].strip()
    cold = drop_caches()
    read_kept = read_all(os.path.join(art_dir, ".art/objects/packs"))
    # Both keep the same 10 versions: check they hold the same data.
    run(f"{art} checkout ds:v{args.versions - 10} --to {work}/check-art -q", art_dir)

    print(f"\n== gc: {args.versions} versions of {args.files} files, {churn} files changed per version ==")
    print(f"commit all versions: art {commit_seconds['art']:.1f} s, dvc add+git commit {commit_seconds['dvc']:.1f} s")
    print(f"{'tool':<24}{'store before MiB':>18}{'after MiB':>12}{'reclaimed MiB':>15}{'gc s':>8}{'RSS MiB':>9}")
    print(f"{'art gc --keep-last 10':<24}{art_before / MiB:>18.1f}{art_after / MiB:>12.1f}"
          f"{(art_before - art_after) / MiB:>15.1f}{art_gc:>8.2f}{art_rss / 1024:>9.1f}")
    print(f"{'dvc gc -w --rev HEAD -n 10':<24}{dvc_before / MiB:>18.1f}{dvc_after / MiB:>12.1f}"
          f"{(dvc_before - dvc_after) / MiB:>15.1f}{dvc_gc:>8.2f}{dvc_rss / 1024:>9.1f}")
    print(f"art fsck --full: {fsck:.2f} s, {fsck_rss / 1024:.1f} MiB RSS; "
          f"unreferenced objects left after art gc: {dangling}")
    print(f"reading the kept packs once ({'cold' if cold else 'warm'} cache): {read_kept:.2f} s; "
          f"art gc / read = {art_gc / read_kept:.2f}")
    print(f"reclaimed art / dvc = {(art_before - art_after) / max(1, dvc_before - dvc_after):.2f}")
    print(f"(deleting {work})")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
