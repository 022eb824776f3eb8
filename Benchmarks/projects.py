#!/usr/bin/env python3
"""Cross-project and reference benchmark (issue 5).

A source project holds a dataset (FILES small files plus one BIG_MIB file).
Timed, alternating art and the peer, the input re-read before each step:

- using another project's version: `art checkout proj/ds:v0 --to data` in a
  new repository with an empty shared cache, and again in another new
  repository with the cache warm; against `dvc import` of the same data from
  a git+DVC source repository, and `cp -r` of the folder (the floor);
- reference entries: `art commit --reference FOLDER` (reads and hashes every
  file once) and `art verify`, against `sha256sum` of the same files (floor);
  `art checkout` of the references against `cp -r`.

Usage: Benchmarks/run-projects [--files 5000] [--big-mib 256] [--rounds 3]
"""
import argparse
import os
import random
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from versions import ENV, run  # noqa: E402


def make_dataset(folder, files, big_mib):
    rng = random.Random(11)
    os.makedirs(f"{folder}/images", exist_ok=True)
    for i in range(files):
        with open(f"{folder}/images/{i // 500:02d}-{i:05d}.bin", "wb") as f:
            f.write(rng.randbytes(rng.randint(1024, 16384)))
    with open(f"{folder}/weights.bin", "wb") as f:
        for _ in range(big_mib):
            f.write(rng.randbytes(1 << 20))


def read_all(folder):
    for root, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(root, name), "rb") as f:
                while f.read(8 << 20):
                    pass


def timed(command, cwd, warm=None):
    if warm:
        read_all(warm)
    seconds, rss = run(command, cwd)
    return seconds, rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--art", required=True)
    parser.add_argument("--dvc", default="dvc")
    parser.add_argument("--work", required=True)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--big-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    art, dvc = os.path.abspath(args.art), os.path.abspath(args.dvc)
    work = os.path.abspath(os.path.join(args.work, f"projects-{os.getpid()}"))
    os.makedirs(work)
    source = f"{work}/source"
    make_dataset(f"{source}/data", args.files, args.big_mib)
    total = sum(os.path.getsize(os.path.join(r, n)) for r, _, ns in os.walk(f"{source}/data") for n in ns)
    print(f"== dataset: {args.files} small files + {args.big_mib} MiB file, "
          f"{total / (1 << 20):.1f} MiB ==")
    # The source project, in art and in git + DVC (the same folder).
    run(f"{art} init -q . && {art} commit ds data -q", source)
    run(f"git init -q && {dvc} init -q && {dvc} add -q data && git add -A && git commit -qm v0",
        source)
    # Rounds alternate the tools (rotated each round); the median is shown.
    # Every round gets new folders and art-cold a new, empty cache; old
    # trees are deleted only at the end (deleting slows file creation here).
    names = ["art-cold", "dvc-import", "art-warm", "cp"]
    times = {name: [] for name in names}
    rss = {name: 0 for name in names}
    for round_number in range(args.rounds):
        cache = f"{work}/art-cache-{round_number}"
        ENV["ART_CACHE_DIR"] = cache
        order = names[round_number % len(names):] + names[:round_number % len(names)]
        # art-warm needs the cache art-cold filled: keep that order.
        if order.index("art-warm") < order.index("art-cold"):
            order.remove("art-warm")
            order.insert(order.index("art-cold") + 1, "art-warm")
        for name in order:
            folder = f"{work}/{name}-{round_number}"
            os.makedirs(folder)
            if name.startswith("art"):
                run(f"{art} init -q . && {art} project add src {source}", folder)
                command = f"{art} checkout src/ds:v0 --to data -q"
            elif name == "dvc-import":
                run(f"git init -q && {dvc} init -q && git commit -qm init --allow-empty", folder)
                command = f"{dvc} import -q {source} data -o data"
            else:
                command = f"cp -r {source}/data data"
            seconds, peak = timed(command, folder, warm=f"{source}/data")
            run(f"diff -r -x .gitignore -x '*.dvc' data {source}/data", folder)  # bit for bit
            times[name].append(seconds)
            rss[name] = max(rss[name], peak)
    median = {name: sorted(values)[len(values) // 2] for name, values in times.items()}
    for name in names:
        spread = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:12s} {median[name]:8.2f} s (rounds: {spread})  {rss[name] / 1024:7.1f} MiB RSS")
    print(f"art cold / dvc import = {median['art-cold'] / median['dvc-import']:.2f}; "
          f"art warm / dvc import = {median['art-warm'] / median['dvc-import']:.2f}; "
          f"art cold / cp -r = {median['art-cold'] / median['cp']:.2f}")

    print("== reference entries (no byte stored) ==")
    refs = f"{work}/refs"
    os.makedirs(refs)
    run(f"{art} init -q .", refs)
    commit, _ = timed(f"{art} commit shared --reference {source}/data=data -q", refs,
                      warm=f"{source}/data")
    hashing, _ = timed(f"find {source}/data -type f -print0 | xargs -0 sha256sum > /dev/null", refs,
                       warm=f"{source}/data")
    verify, _ = timed(f"{art} verify shared", refs, warm=f"{source}/data")
    checkout, _ = timed(f"{art} checkout shared --to out -q", refs, warm=f"{source}/data")
    copy, _ = timed(f"cp -r {source}/data copy", refs, warm=f"{source}/data")
    print(f"commit --reference {commit:6.2f} s   verify {verify:6.2f} s   sha256sum {hashing:6.2f} s"
          f"   (commit / sha256sum = {commit / hashing:.2f})")
    print(f"checkout of the references {checkout:6.2f} s   cp -r {copy:6.2f} s"
          f"   (checkout / cp = {checkout / copy:.2f})")
    store = sum(os.path.getsize(os.path.join(r, n))
                for r, _, ns in os.walk(f"{refs}/.art/objects") for n in ns)
    print(f"store after commit --reference: {store / 1024:.1f} KiB for {total / (1 << 20):.1f} MiB referenced")
    shutil.rmtree(work, ignore_errors=True)  # only now: deleting slows file creation


if __name__ == "__main__":
    main()
