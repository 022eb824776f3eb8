#!/usr/bin/env python3
"""Python package benchmark: what calling art through artvc costs over the bare CLI.

Two measurements, each art and artvc alternating (the order swapping every
round), input re-read before each timed step:

  use+download  an unchanged version fetched again into the same folder, as
                a training script does on every start: bare
                `art checkout NAME:latest --to DIR` (one process, run from
                Python with subprocess) against
                `repo.use_artifact("NAME:latest").download(DIR)` and the
                same inside a run (`run.use_artifact`, which also records the
                use). Datasets: "tiny" (10 files) and "small" (20,000 files
                of 1-16 KiB, the write-manifest benchmark's).
  log 20k       the first version of the 20,000-file folder: bare
                `art commit ds data` against `Artifact.add_dir(data)` +
                `repo.log_artifact(...)`, each into a new `.art` (removed
                and made again between steps; the data stays).

Prints per round and the medians, with artvc's cost over the CLI in ms and
as a ratio. Targets (issue 18): under 30 ms more per use+download call,
logging within 5% of `art commit`.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "python", "src"))

from write_manifest import generate_small, reread  # noqa: E402

import artvc  # noqa: E402


def bare(art, *arguments):
    """Runs art as a user's script would (one process) and returns seconds."""
    start = time.perf_counter()
    subprocess.run([art, *arguments], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def fresh_repository(top):
    shutil.rmtree(os.path.join(top, ".art"), ignore_errors=True)
    return artvc.init(top)


def use_and_download(art, work, name, rounds):
    """Medians (bare, artvc, artvc in a run) of fetching an unchanged version."""
    top = os.path.join(work, name)
    repo = artvc.Repository(top)
    destination = os.path.join(work, f"{name}-download")
    repo.use_artifact("ds:latest").download(destination)  # the first, full download
    times = {"art checkout": [], "artvc": [], "artvc in a run": []}
    with artvc.run(job_type="train", repository=repo) as run:
        run.use_artifact("ds:latest")  # the use is recorded once; later calls find it
        for round_ in range(rounds):
            reread(os.path.join(top, "data"))
            steps = list(times)
            if round_ % 2:
                steps.reverse()
            for step in steps:
                if step == "art checkout":
                    elapsed = bare(art, "-C", top, "checkout", "ds:latest", "--to", destination)
                else:
                    start = time.perf_counter()
                    user = run if step == "artvc in a run" else repo
                    user.use_artifact("ds:latest").download(destination)
                    elapsed = time.perf_counter() - start
                times[step].append(elapsed)
    return {step: statistics.median(values) for step, values in times.items()}


def log_folder(art, work, rounds):
    """Medians (bare commit, artvc log_artifact) of a first version of 20,000 files."""
    top = os.path.join(work, "small")
    data = os.path.join(top, "data")
    times = {"art commit": [], "artvc log_artifact": []}
    for round_ in range(rounds):
        steps = list(times)
        if round_ % 2:
            steps.reverse()
        for step in steps:
            repo = fresh_repository(top)
            reread(data)
            if step == "art commit":
                elapsed = bare(art, "-C", top, "commit", "ds", data, "-q")
            else:
                start = time.perf_counter()
                artifact = artvc.Artifact("ds", type="dataset")
                artifact.add_dir(data)
                repo.log_artifact(artifact)
                elapsed = time.perf_counter() - start
            times[step].append(elapsed)
            print(f"  round {round_ + 1}: {step} {elapsed:.3f}s", flush=True)
    return {step: statistics.median(values) for step, values in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--art", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rounds", type=int, default=21, help="use+download rounds")
    parser.add_argument("--log-rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ["ART_BINARY"] = os.path.abspath(args.art)
    work = os.path.abspath(os.path.join(args.work, "python"))
    os.makedirs(work, exist_ok=True)
    cached = os.path.join(args.work, "data", "small")
    for name, files in (("tiny", 10), ("small", 20000)):
        data = os.path.join(work, name, "data")
        if not os.path.isdir(data):
            if name == "small" and os.path.isdir(cached):
                shutil.copytree(cached, data)
            elif name == "small":
                generate_small(data)
            else:
                os.makedirs(data)
                for i in range(files):
                    with open(os.path.join(data, f"f{i}.txt"), "w") as f:
                        f.write(f"row {i}\n" * 100)
        repo = fresh_repository(os.path.join(work, name))
        subprocess.run(
            [args.art, "-C", repo.path, "commit", "ds", data, "-q"], check=True
        )
    print(f"art {subprocess.run([args.art, '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"Python {sys.version.split()[0]}, artvc {artvc.__version__}")
    for name in ("tiny", "small"):
        medians = use_and_download(args.art, work, name, args.rounds)
        base = medians["art checkout"]
        print(f"\n== use_artifact + download of an unchanged version: {name} ({args.rounds} rounds) ==")
        print(f"{'call':<28}{'median ms':>10}{'over CLI ms':>13}{'ratio':>8}")
        for step, seconds in medians.items():
            print(f"{step:<28}{seconds * 1000:>10.1f}{(seconds - base) * 1000:>13.1f}{seconds / base:>8.2f}")
    print(f"\n== log a 20,000-file folder as a first version ({args.log_rounds} rounds) ==")
    medians = log_folder(args.art, work, args.log_rounds)
    base = medians["art commit"]
    print(f"{'call':<28}{'median s':>10}{'over CLI ms':>13}{'ratio':>8}")
    for step, seconds in medians.items():
        print(f"{step:<28}{seconds:>10.3f}{(seconds - base) * 1000:>13.1f}{seconds / base:>8.3f}")


if __name__ == "__main__":
    main()
