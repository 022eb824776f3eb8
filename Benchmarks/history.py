#!/usr/bin/env python3
"""History benchmark (issue 19): does art's cost stay flat as history grows?

Grows one repository to VERSIONS versions of a FILES-file dataset (1% of the
files rewritten per version), pushing every version to a folder remote, so
the remote holds a pack per push. At each mark (10, 100, 1000 versions by
default) it times, with the peak RSS of each:

  commit     a version after the next 1% change
  noop       a commit with nothing changed
  status     art status of the dataset (nothing changed)
  log        art log of the dataset (every version: its output grows with
             the history, so this one is linear by nature)
  log -n 20  the newest 20 versions, what a user reads
  show       art show of the first version
  checkout   the first version into a new folder
  diff       art diff of the first two versions (--stat)
  gc         art gc --dry-run with no saved mark (.art/state/gc-mark
             removed): the walk of every kept version
  gc, 1 new  art gc --dry-run after one more version: the mark of the gc
             before stands for the others, so only the new one is walked
  push       a version that changes one file, pushed
  fetch      that one-file version fetched into a clone made at the mark
             before it (the clone's own cost is the clone row)
             (push, fetch and gc, 1 new: three rounds of one new version
             each, median reported)
  clone      the whole remote into a new folder

Each operation should stay within 2x of its 10-version time at the last mark;
the table gives each time and the ratio to the first mark. Input is re-read
before each timed step; old folders are deleted only at the end. The steps
that change nothing (noop, status, log, log -n 20, show, diff) run three
times and the median is reported, as single runs of a few hundredths of a
second vary by half on this VM; the others run once (gc, 1 new saves its
mark, so a second run would not walk the new version).

With --remote-gc-every N, 'art gc --remote origin --grace 0s' runs (untimed)
after every N versions, as a scheduled job would: it merges the small packs
the pushes left once pack.autoMerge (50) of them have piled up, so the
remote's pack count stays bounded.

Usage: Benchmarks/run-history [--versions 1000] [--files 20000] [--marks 10,100,1000]
                              [--remote-gc-every N]
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from versions import ENV  # noqa: E402
from write_manifest import reread, write_file  # noqa: E402

STEPS = ["commit", "noop", "status", "log", "log -n 20", "show", "checkout", "diff", "gc", "gc, 1 new", "push",
         "fetch", "clone"]


def art(binary, arguments, cwd, check=True):
    """Runs art; returns (seconds, peak RSS KiB)."""
    start = time.perf_counter()
    process = subprocess.Popen([binary] + arguments, cwd=cwd, env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        sys.exit(f"history: 'art {' '.join(arguments)}' failed ({code}): "
                 f"{process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss


def median_of(rounds, run):
    """Calls run() `rounds` times; returns (median seconds, largest peak RSS)."""
    samples = sorted(run() for _ in range(rounds))
    return samples[len(samples) // 2][0], max(rss for _, rss in samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--art", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--marks", default="10,100,1000")
    parser.add_argument("--keep", action="store_true", help="leave the repository and remote in --work")
    parser.add_argument("--remote-gc-every", type=int, default=0,
                        help="run 'art gc --remote origin --grace 0s' after every N versions (untimed)")
    args = parser.parse_args()
    marks = sorted({int(m) for m in args.marks.split(",") if int(m) <= args.versions})
    binary = os.path.abspath(args.art)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    repo = os.path.join(work, "repo")
    data = os.path.join(repo, "data")
    remote = os.path.join(work, "remote")
    rng = random.Random(5)
    paths = []
    for i in range(args.files):
        folder = os.path.join(data, f"d{i % 100:03d}")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"f{i:05d}.dat")
        write_file(path, rng, i)
        paths.append(path)
    art(binary, ["init", "-q"], repo)
    art(binary, ["remote", "add", "origin", remote], repo)
    churn = max(1, args.files // 100)
    cursor = 0

    def change(count):
        nonlocal cursor
        for _ in range(count):
            write_file(paths[cursor % len(paths)], rng, cursor)
            cursor += 7919  # a prime: spreads the rewrites over every folder

    results = {}
    made = 0
    started = time.perf_counter()
    for mark in marks:
        while made < mark - 1:
            if made > 0:
                change(churn)
            art(binary, ["commit", "-q", "ds", "data", "-m", f"v{made}"], repo)
            art(binary, ["push", "-q", "origin"], repo)
            made += 1
            if args.remote_gc_every and made % args.remote_gc_every == 0:
                art(binary, ["gc", "--remote", "origin", "--grace", "0s"], repo)
        row = {}
        reread(data)
        change(churn)
        row["commit"] = art(binary, ["commit", "-q", "ds", "data", "-m", f"v{made}"], repo)
        made += 1
        art(binary, ["push", "-q", "origin"], repo)
        def after_reread(arguments, check=True):
            reread(data)
            return art(binary, arguments, repo, check=check)
        row["noop"] = median_of(3, lambda: after_reread(["commit", "-q", "ds", "data"], check=False))
        row["status"] = median_of(3, lambda: after_reread(["status", "ds"], check=False))
        row["log"] = median_of(3, lambda: art(binary, ["log", "ds"], repo))
        row["log -n 20"] = median_of(3, lambda: art(binary, ["log", "ds", "-n", "20"], repo))
        row["show"] = median_of(3, lambda: art(binary, ["show", "ds:v0"], repo))
        row["checkout"] = art(binary, ["checkout", "ds:v0", "--to",
                                       os.path.join(work, f"old-{mark}")], repo)
        row["diff"] = median_of(
            3, lambda: art(binary, ["diff", "ds:v0", "ds:v1", "--stat"], repo, check=False))
        mark_file = os.path.join(repo, ".art", "state", "gc-mark")
        if os.path.exists(mark_file):
            os.remove(mark_file)
        row["gc"] = art(binary, ["gc", "--dry-run"], repo)
        peer = os.path.join(work, f"peer-{mark}")
        row["clone"] = art(binary, ["clone", remote, peer], work)
        # Three rounds of a one-file version, each pushed, fetched and
        # followed by a gc; the median of each (one sample of a few
        # hundredths of a second varies by half on this VM).
        samples = {"push": [], "fetch": [], "gc, 1 new": []}
        for _ in range(3):
            change(1)
            art(binary, ["commit", "-q", "ds", "data", "-m", "one file"], repo)
            made += 1
            samples["push"].append(art(binary, ["push", "-q", "origin"], repo))
            samples["fetch"].append(art(binary, ["fetch", "-q", "origin"], peer))
            samples["gc, 1 new"].append(art(binary, ["gc", "--dry-run"], repo))
        for step, runs in samples.items():
            runs.sort()
            row[step] = (runs[1][0], max(rss for _, rss in runs))
        results[mark] = row
        print(f"history: {made} versions after {time.perf_counter() - started:.0f} s", flush=True)

    first = marks[0]
    print()
    print(f"art history: {args.files} files, 1% churn per version, one push per version"
          + (f", gc --remote every {args.remote_gc_every} versions" if args.remote_gc_every else ""))
    header = "| operation | " + " | ".join(f"{m} versions" for m in marks) + \
        f" | {marks[-1]} ÷ {first} | peak RSS at {marks[-1]} |"
    print(header)
    print("|" + "---|" * (len(marks) + 3))
    for step in STEPS:
        times = [results[m][step][0] for m in marks]
        rss = results[marks[-1]][step][1]
        ratio = times[-1] / times[0] if times[0] > 0 else float("nan")
        flag = "" if ratio <= 2 else " (over 2x)"
        print(f"| {step} | " + " | ".join(f"{t:.3f} s" for t in times) +
              f" | {ratio:.2f}{flag} | {rss / 1024:.0f} MiB |")
    remote_packs = 0
    for root, _, files in os.walk(remote):
        remote_packs += sum(1 for f in files if f.endswith(".pack"))
    print(f"\nremote: {remote_packs} packs; local: "
          f"{len(os.listdir(os.path.join(repo, '.art', 'objects', 'packs')))} pack files and indexes")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
