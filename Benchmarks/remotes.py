#!/usr/bin/env python3
"""Remote benchmark (issue 6): push and clone through a SeaweedFS S3 gateway
on loopback, art against DVC and `aws s3 sync` (the transfer floor).

Two data sets: FILES small files (1-16 KiB) and one BIG_MIB file. For each
set and round, alternating the order of the tools, the input re-read before
each timed step:

- upload: `art push` (after `art commit`, not timed) / `dvc push` (after
  `dvc add`, not timed) / `aws s3 sync data s3://...`;
- download into a new folder, files written: `art clone` + `art checkout` /
  `git clone` + `dvc pull` / `aws s3 sync s3://... data`.

Every download is compared with the input (`diff -r`). Dirty pages are
flushed (`sync`) before each timed step. Small-set trees are deleted only at
the end; big-set trees (two files each) after their round, or the disk fills. Prints medians and the ratios art/dvc and art/aws.

Usage: Benchmarks/run-remotes [--files 10000] [--big-mib 512] [--rounds 3]
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from projects import read_all  # noqa: E402
from versions import ENV, run  # noqa: E402


def make_small(folder, files):
    rng = random.Random(21)
    for i in range(files):
        sub = f"{folder}/shard-{i // 1000:02d}"
        os.makedirs(sub, exist_ok=True)
        with open(f"{sub}/{i:06d}.bin", "wb") as f:
            f.write(rng.randbytes(rng.randint(1024, 16384)))


def make_big(folder, mib):
    rng = random.Random(22)
    os.makedirs(folder, exist_ok=True)
    with open(f"{folder}/model.bin", "wb") as f:
        for _ in range(mib):
            f.write(rng.randbytes(1 << 20))


def size_of(folder):
    return sum(os.path.getsize(os.path.join(r, n)) for r, _, ns in os.walk(folder) for n in ns)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--art", required=True)
    parser.add_argument("--dvc", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--big-mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    art, dvc = os.path.abspath(args.art), os.path.abspath(args.dvc)
    work = os.path.abspath(args.work)
    endpoint = args.endpoint
    env = ENV
    env.update(AWS_ACCESS_KEY_ID="artkey", AWS_SECRET_ACCESS_KEY="art-test-secret",
               AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
               AWS_ENDPOINT_URL=endpoint)
    aws = f"aws --endpoint-url {endpoint}"
    if os.path.exists(work):
        print(f"removing {work} left by an earlier run (file creation is slow for a while after)")
        shutil.rmtree(work)
    os.makedirs(work)
    run(f"{aws} s3 mb s3://bench", work)

    sets = {"small": lambda d: make_small(d, args.files), "big": lambda d: make_big(d, args.big_mib)}
    results = {}
    for name, make in sets.items():
        source = f"{work}/{name}-src"
        os.makedirs(source)
        make(f"{source}/data")
        total = size_of(f"{source}/data")
        print(f"{name}: {total / (1 << 20):.1f} MiB", flush=True)
        times = {}
        for round_ in range(args.rounds):
            tools = ["art", "dvc", "aws"]
            tools = tools[round_ % 3:] + tools[:round_ % 3]
            for tool in tools:
                tag = f"{name}-{round_}-{tool}"
                repo = f"{work}/{tag}-up"
                shutil.copytree(f"{source}/data", f"{repo}/data")
                if tool == "art":
                    run(f"{art} init -q && {art} commit ds data -q && "
                        f"{art} remote add origin s3://bench/{tag}", repo)
                    up = f"{art} push -q"
                    down_setup = None
                    down = (f"{art} clone -q s3://bench/{tag} {work}/{tag}-down && "
                            f"cd {work}/{tag}-down && {art} checkout -q ds")
                elif tool == "dvc":
                    run(f"git init -q && {dvc} init -q && {dvc} add -q data && "
                        f"{dvc} remote add -q -d store s3://bench/{tag} && "
                        f"{dvc} remote modify store endpointurl {endpoint} && "
                        f"git add -A && git commit -qm v0", repo)
                    up = f"{dvc} push -q"
                    down_setup = f"git clone -q {repo} {work}/{tag}-down"
                    down = f"cd {work}/{tag}-down && {dvc} pull -q"
                else:
                    up = f"{aws} s3 sync --only-show-errors data s3://bench/{tag}/"
                    down_setup = None
                    down = (f"mkdir -p {work}/{tag}-down && cd {work}/{tag}-down && "
                            f"{aws} s3 sync --only-show-errors s3://bench/{tag}/ data")
                # Setup steps (copy, commit / dvc add) leave hundreds of MiB
                # being written back; flushed first, so no tool's timed step
                # pays for another's setup.
                os.sync()
                read_all(f"{repo}/data")
                seconds, rss = run(up, repo)
                times.setdefault((tool, "push"), []).append((seconds, rss))
                if down_setup:
                    run(down_setup, work)
                os.sync()
                seconds, rss = run(down, work)
                times.setdefault((tool, "clone"), []).append((seconds, rss))
                run(f"diff -r {source}/data {work}/{tag}-down/data", work)
                if name == "big":
                    # A few large files: deleting them does not slow file
                    # creation, and keeping every copy would fill the disk.
                    shutil.rmtree(repo)
                    shutil.rmtree(f"{work}/{tag}-down")
                print(f"  round {round_} {tool}: push {times[(tool, 'push')][-1][0]:.2f} s, "
                      f"clone {times[(tool, 'clone')][-1][0]:.2f} s", flush=True)
        results[name] = (total, times)

    print()
    print("| set | step | art | dvc | aws s3 sync | art/dvc | art/aws | art MiB/s | RSS art/dvc/aws (MiB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (total, times) in results.items():
        for step in ["push", "clone"]:
            med = {t: statistics.median(s for s, _ in times[(t, step)]) for t in ["art", "dvc", "aws"]}
            rss = {t: max(r for _, r in times[(t, step)]) / 1024 for t in ["art", "dvc", "aws"]}
            print(f"| {name} | {step} | {med['art']:.2f} s | {med['dvc']:.2f} s | {med['aws']:.2f} s | "
                  f"{med['art'] / med['dvc']:.2f} | {med['art'] / med['aws']:.2f} | "
                  f"{total / (1 << 20) / med['art']:.0f} | "
                  f"{rss['art']:.0f}/{rss['dvc']:.0f}/{rss['aws']:.0f} |")
    print()
    for name, (_, times) in results.items():
        for key, values in sorted(times.items()):
            print(f"{name} {key[0]} {key[1]}: " + ", ".join(f"{s:.2f}" for s, _ in values))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
