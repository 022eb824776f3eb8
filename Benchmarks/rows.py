#!/usr/bin/env python3
"""Row-level diff benchmark (issue 7).

Two versions of a CSV table: ROWS rows (id, name, value, category, note),
then 1% of rows changed, 0.5% removed, 0.5% added. Both are committed to
art; then, alternating, `art diff ds:v0 ds:v1 --rows --key id --json` (read
from the store) and GNU `diff old.csv new.csv` (the two files checked out)
are timed, with their peak RSS; the inputs are re-read before each step.
Runs the 1,000,000-row case and a case of about SIZE_GIB GiB.

Usage: Benchmarks/run-rows [--size-gib 2] [--rounds 2]
"""
import argparse
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from versions import run  # noqa: E402


def generate(folder, rows):
    """Writes old.csv and new.csv; returns (changed, added, removed)."""
    rng = random.Random(7)
    changed = added = removed = 0
    with open(f"{folder}/old.csv", "w") as old, open(f"{folder}/new.csv", "w") as new:
        header = "id,name,value,category,note\n"
        old.write(header)
        new.write(header)
        batch_old, batch_new = [], []
        for i in range(rows):
            row = (f"{i},user_{rng.randrange(1 << 30):x},{rng.random():.6f},"
                   f"cat{i % 97},\"text, {i % 1013} words\"\n")
            batch_old.append(row)
            roll = i % 200
            if roll == 7:
                removed += 1
            elif roll in (3, 103):
                changed += 1
                batch_new.append(row.replace(",cat", ",changed_cat", 1))
            else:
                batch_new.append(row)
            if len(batch_old) >= 100_000:
                old.write("".join(batch_old))
                new.write("".join(batch_new))
                batch_old, batch_new = [], []
        for i in range(rows, rows + rows // 200):
            batch_new.append(f"{i},new_user,{rng.random():.6f},cat0,\"added\"\n")
            added += 1
        old.write("".join(batch_old))
        new.write("".join(batch_new))
    return changed, added, removed


def read_all(paths):
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in os.walk(path):
                read_all([os.path.join(root, n) for n in names])
            continue
        with open(path, "rb") as f:
            while f.read(8 << 20):
                pass


def case(art, work, rows, rounds):
    folder = f"{work}/rows-{rows}"
    os.makedirs(folder)
    changed, added, removed = generate(folder, rows)
    size = os.path.getsize(f"{folder}/new.csv")
    print(f"== {rows:,} rows, {size / (1 << 20):.0f} MiB per version: "
          f"{changed:,} changed, {added:,} added, {removed:,} removed ==")
    repo = f"{folder}/repo"
    os.makedirs(f"{repo}/data")
    shutil.copy(f"{folder}/old.csv", f"{repo}/data/table.csv")
    run(f"{art} init -q . && {art} commit ds data -q", repo)
    shutil.copy(f"{folder}/new.csv", f"{repo}/data/table.csv")
    run(f"{art} commit ds data -q", repo)
    results = {"art diff --rows --key id": [], "GNU diff": []}
    for _ in range(rounds):
        read_all([f"{repo}/.art/objects"])
        results["art diff --rows --key id"].append(
            run(f"{art} diff ds:v0 ds:v1 --rows --key id --json > {folder}/art.json", repo))
        read_all([f"{folder}/old.csv", f"{folder}/new.csv"])
        results["GNU diff"].append(
            run(f"diff {folder}/old.csv {folder}/new.csv > {folder}/diff.out", folder,
                allow_fail=True))
    import json
    counts = json.load(open(f"{folder}/art.json"))["files"][0]["rows"]
    assert (counts["changed"], counts["added"], counts["removed"]) == (changed, added, removed), counts
    best = {}
    for name, values in results.items():
        seconds = min(v[0] for v in values)
        rss = max(v[1] for v in values) / 1024
        best[name] = seconds
        spread = ", ".join(f"{v[0]:.2f}" for v in values)
        print(f"{name:26s} {seconds:8.2f} s (rounds: {spread})  peak RSS {rss:8.1f} MiB")
    ratio = best["art diff --rows --key id"] / best["GNU diff"]
    print(f"art / GNU diff = {ratio:.2f}; art's counts match the generator exactly")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--art", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--size-gib", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only-million", action="store_true")
    args = parser.parse_args()
    art = os.path.abspath(args.art)
    work = os.path.abspath(os.path.join(args.work, f"rows-{os.getpid()}"))
    os.makedirs(work)
    case(art, work, 1_000_000, args.rounds)
    if not args.only_million:
        # A row is about 55.2 bytes; a little over SIZE_GIB GiB per version.
        case(art, work, int(args.size_gib * (1 << 30) / 55), args.rounds)
    shutil.rmtree(work, ignore_errors=True)  # only now: deleting slows file creation


if __name__ == "__main__":
    main()
