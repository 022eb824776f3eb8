#!/usr/bin/env python3
"""Versions benchmark: art against git, git-lfs, DVC, restic and borg.

For each dataset (the same generated data as write_manifest.py: "small",
20,000 files of 1-16 KiB; "large", a 512 MiB random file and a 512 MiB CSV;
"labels", 20,000 COCO-style JSON annotation files of 0.5-3 KiB; with --tree
PATH, "tree", a copy of a real folder) and each tool, in its own workspace
holding a copy of the data:

  first     make the first version
  noop      make a version again with nothing changed
  second    make a version after the change: small, rewrite 1% of the files;
            large, append 8 MiB to the CSV and overwrite 1 MiB in the middle
            of the random file; labels, add a box to 1% of the files; tree,
            append a line to 1% of the files
  checkout  get the first version back into an empty folder
  again     get the first version into that folder again, as a training
            script that fetches its data on every start does (art: the same
            'checkout --to'; git, restic, borg: the same command; DVC:
            'dvc checkout' in its workspace)
  store     bytes the tool's store takes after both versions (art's without
            .art/state, the stat cache: derived, safe to delete, as restic's
            cache, which lives outside its repository, is not counted; DVC's
            is .dvc/cache alone)
  rss       peak RSS over the steps

The checkout step runs --checkout-rounds times (median reported), as it
varies most. With --second-rounds N the second step runs N times, each
round on a fresh change of the same kind, and the median is reported:
rounds after the first run once the checkouts are done, so the store is
still measured after two versions and every tool's first version is where
its checkout command looks. Before each timed step the input is re-read, dirty pages are
written back (sync), and the tool is started once untimed to print its
version (its program and the libraries it loads read back into the page
cache, which this VM drops after a minute idle; for DVC and borg, Python
only imports what printing the version needs). After each step the harness
waits, untimed, until no process works in the tool's folder any more (git's
commit leaves a detached `gc --auto` repacking on both cores for seconds
once thousands of loose objects pile up; it used to run during the next
tool's timed step, and the time waited is printed). The order of tools rotates
from step to step (and round to round), and old workspaces are deleted
only at the end. Prints a table per dataset with each figure and its ratio
to the best peer (peer / art for times and sizes: above 1 means art is
better).
The tool "art-lz4" is art with `core.compression = lz4`, to show what zstd
costs and saves; "art-zstd3" art fixed at zstd level 3; "art-archive" art at zstd
level 3 with restic's chunk sizes (512 KiB to 8 MiB). None is counted as a
peer.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from write_manifest import generate_small, generate_large, generate_labels, reread, MiB  # noqa: E402

ENV = dict(os.environ, RESTIC_PASSWORD="bench", BORG_PASSPHRASE="",
           BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK="yes", BORG_RELOCATED_REPO_ACCESS_IS_OK="yes",
           GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="bench",
           GIT_COMMITTER_EMAIL="b@b", DVC_NO_ANALYTICS="1")


def run(command, cwd, allow_fail=False):
    """Runs a shell command; returns (seconds, peak RSS KiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, shell=True, env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and not allow_fail:
        sys.exit(f"benchmark: '{command}' in {cwd} failed ({code}): {process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss


def settle(folder, limit=900):
    """Waits, untimed, until no process works in `folder`: git's commit
    starts `gc --auto` detached once a repository holds thousands of loose
    objects, and its repack then ran on both cores for seconds while the
    next tool's step was timed. Returns the seconds waited."""
    start = time.perf_counter()
    while True:
        busy = False
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                continue
            if cwd == folder or cwd.startswith(folder + os.sep):
                busy = True
                break
        waited = time.perf_counter() - start
        if not busy:
            return waited
        if waited > limit:
            sys.exit(f"benchmark: a process still works in {folder} after {limit} s")
        time.sleep(0.05)


def du(path, skip=None):
    """Bytes of the files below `path`, leaving out its subfolder `skip`."""
    total = 0
    for root, folders, files in os.walk(path):
        if root == path and skip in folders:
            folders.remove(skip)
        for name in files:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                total += os.path.getsize(full)
    return total


def change(data, dataset, round_=0):
    rng = random.Random(3 + round_)
    if dataset == "tree":
        files = sorted(os.path.join(r, f) for r, _, fs in os.walk(data) for f in fs
                       if not os.path.islink(os.path.join(r, f)))
        for path in files[:: 100]:  # 1%
            with open(path, "ab") as f:
                f.write(f"# changed {rng.random()}\n".encode())
    elif dataset == "labels":
        files = sorted(os.path.join(r, f) for r, _, fs in os.walk(data) for f in fs)
        for path in files[:: 100]:  # 1%
            with open(path) as f:
                label = json.load(f)
            label["annotations"].append({"id": rng.randrange(10**6), "category": "dog",
                                         "bbox": [1.5, 2.5, 30.0, 40.0], "area": 1200.0,
                                         "iscrowd": 0})
            with open(path, "w") as f:
                json.dump(label, f, indent=2)
    elif dataset == "small":
        files = sorted(os.path.join(r, f) for r, _, fs in os.walk(data) for f in fs)
        for path in files[:: 100]:  # 1%
            size = os.path.getsize(path)
            with open(path, "wb") as f:
                f.write(rng.randbytes(size))
    else:
        with open(os.path.join(data, "table.csv"), "a") as f:
            written = 0
            while written < 8 * MiB:
                line = f"{rng.randrange(10**9)},appended,{rng.random():.6f}\n"
                f.write(line)
                written += len(line)
        with open(os.path.join(data, "random.bin"), "r+b") as f:
            f.seek(256 * MiB)
            f.write(rng.randbytes(MiB))


STEPS = ("first", "noop", "second", "checkout", "again")


# Each tool: setup (untimed), first, noop, second, checkout (into $OUT),
# again (into $PREV, the folder the first checkout round filled), store path.
def tools(art, dvc):
    git = dict(
        warm="git --version",
        setup="git init -q",
        first="git add -A && git commit -qm v1", noop="git add -A && git commit -qm v2",
        second="git add -A && git commit -qm v3",
        checkout="mkdir -p $OUT && git --git-dir=.git --work-tree=$OUT checkout HEAD~1 -- . && git reset -q", store=".git",
        again="git --git-dir=.git --work-tree=$PREV checkout HEAD~1 -- . && git reset -q",
        noop_may_fail=True)
    def art_tool(*edits):
        """art's steps, after `init` and these sed edits of .art/config."""
        sed = "".join(f" -e '{e}'" for e in edits)
        return dict(
            warm=f"{art} --version",
            setup=f"{art} init" + (f" && sed -i{sed} .art/config" if edits else ""),
            first=f"{art} commit ds data -q", noop=f"{art} commit ds -q", second=f"{art} commit ds -q",
            checkout=f"{art} checkout ds:v0 --to $OUT -q", store=".art", store_skip="state",
            again=f"{art} checkout ds:v0 --to $PREV -q")
    return {
        "art": art_tool(),
        "art-lz4": art_tool("s/compression = zstd/compression = lz4/"),
        # zstd fixed at level 3 (restic's level), where the default tries
        # levels 1 and 3 and keeps 3 only where it stores 2% less.
        "art-zstd3": art_tool("s/compression = zstd$/compression = zstd:3/"),
        # restic's trade as settings: zstd level 3 and chunks of 512 KiB to
        # 8 MiB (about 1 MiB), where art's default of 64 KiB to 1 MiB dedups
        # an edited file at a finer grain.
        "art-archive": art_tool(
            "s/compression = zstd$/compression = zstd:3/", "s/min = [0-9]*$/min = 524288/",
            "s/avg = [0-9]*$/avg = 1048576/", "s/max = [0-9]*$/max = 8388608/"),
        "git": git,
        # The same steps as git, with every data file tracked by LFS.
        "git-lfs": dict(
            git,
            warm="git --version && git lfs version",
            setup="git init -q && git lfs install --local >/dev/null && git lfs track 'data/**' >/dev/null && git add .gitattributes && git commit -qm attrs"),
        "dvc": dict(
            warm=f"{dvc} --version && git --version",
            setup=f"git init -q && {dvc} init -q && git commit -qm init",
            first=f"{dvc} add -q data && git add data.dvc .gitignore && git commit -qm v1",
            noop=f"{dvc} add -q data && git add data.dvc && git commit -qm v2",
            second=f"{dvc} add -q data && git add data.dvc && git commit -qm v3",
            checkout=f"git checkout -q HEAD~1 -- data.dvc && mv data $OUT && {dvc} checkout -q data.dvc",
            again=f"{dvc} checkout -q data.dvc",
            store=".dvc/cache", noop_may_fail=True,
            # Its checkout step replaced the workspace with the first
            # version: back to the newest before later second rounds.
            restore=f"git checkout -q HEAD -- data.dvc && {dvc} checkout -q data.dvc"),
        "restic": dict(
            warm="restic version",
            setup="restic init -q --repo repo",
            first="restic -q --repo repo backup data", noop="restic -q --repo repo backup data",
            second="restic -q --repo repo backup data",
            checkout="restic -q --repo repo restore $(restic --repo repo snapshots --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"id\"])') --target $OUT",
            again="restic -q --repo repo restore $(restic --repo repo snapshots --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"id\"])') --target $PREV",
            store="repo"),
        "borg": dict(
            warm="borg --version",
            setup="borg init -e none repo",
            first="borg create repo::v1 data", noop="borg create repo::v2 data",
            second="borg create repo::v3-$ROUND data",  # one archive per round
            checkout="mkdir -p $OUT && cd $OUT && borg extract ../repo::v1", store="repo",
            again="cd $PREV && borg extract ../repo::v1"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--art", required=True)
    parser.add_argument("--dvc", default="dvc")
    parser.add_argument("--work", required=True)
    parser.add_argument("--only", help="comma-separated datasets to run: small, large, labels, tree")
    parser.add_argument("--tree", help="a real folder to version as the third dataset")
    parser.add_argument("--skip", default="",
                        help="DATASET:TOOL pairs to leave out, e.g. large:git,large:git-lfs")
    parser.add_argument("--tools", default="art,art-lz4,git,git-lfs,dvc,restic,borg")
    parser.add_argument("--checkout-rounds", type=int, default=3,
                        help="rounds of the checkout step (median reported); it varies most")
    parser.add_argument("--second-rounds", type=int, default=1,
                        help="rounds of the second step (median reported): the rounds after the "
                             "first run after 'again', each on a fresh change")
    args = parser.parse_args()
    art = os.path.abspath(args.art)
    dvc = os.path.abspath(args.dvc) if os.sep in args.dvc else args.dvc
    work = os.path.abspath(args.work)
    runs = os.path.join(work, f"versions-{os.getpid()}")
    os.makedirs(runs)
    all_names = args.tools.split(",")
    skip = set(args.skip.split(",")) if args.skip else set()
    table = tools(art, dvc)

    datasets = ["small", "large", "labels"] + (["tree"] if args.tree else [])
    for dataset in (datasets if args.only is None else args.only.split(",")):
        source = os.path.join(work, "data", {"small": "small", "large": "large-512",
                                             "labels": "labels", "tree": "tree"}[dataset])
        if dataset == "tree" and not os.path.isdir(source):
            print(f"copying {args.tree} ...", flush=True)
            shutil.copytree(args.tree, source + ".tmp", symlinks=True)
            os.rename(source + ".tmp", source)
        if not os.path.isdir(source):
            print(f"generating {dataset} dataset ...", flush=True)
            generate = {"small": generate_small, "labels": generate_labels,
                        "large": lambda f: generate_large(f, 512 * MiB)}[dataset]
            generate(source + ".tmp")
            os.rename(source + ".tmp", source)
        names = [n for n in all_names if f"{dataset}:{n}" not in skip]
        results = {}
        spaces = {}
        for name in names:
            space = os.path.join(runs, f"{dataset}-{name}")
            os.makedirs(space)
            shutil.copytree(source, os.path.join(space, "data"), symlinks=True)
            run(table[name]["setup"], space)
            settle(space)
            spaces[name] = space
            results[name] = {}
        # Steps in alternation across tools, each from a warm cache. The
        # second step's later rounds run last, so the store is measured
        # after two versions and checkout finds the first one at HEAD~1.
        schedule = [("first", [0]), ("noop", [0]), ("second", [0]),
                    ("checkout", range(args.checkout_rounds)), ("again", range(args.checkout_rounds)),
                    ("store", []), ("second", range(1, args.second_rounds))]
        samples = {step: {name: [] for name in names} for step in STEPS}
        for index, (step, rounds) in enumerate(schedule):
            if step == "store":
                for name in names:
                    results[name]["store"] = du(os.path.join(spaces[name], table[name]["store"]),
                                                table[name].get("store_skip"))
                    if "restore" in table[name]:
                        run(table[name]["restore"], spaces[name])
                continue
            for round_ in rounds:
                if step == "second":
                    for name in names:
                        change(os.path.join(spaces[name], "data"), dataset, round_)
                # Rotate the order per step and round, so no tool always
                # runs right after the others' writes (file creation here
                # slows after heavy I/O).
                shift = (index + round_) % len(names)
                for name in names[shift:] + names[:shift]:
                    space = spaces[name]
                    reread(os.path.join(space, "data"))
                    # Write back what the previous tool left dirty, so no
                    # tool's writes wait on another's (a 1 GiB checkout
                    # right after two others' is throttled to the disk).
                    os.sync()
                    run(table[name]["warm"], space)
                    out = os.path.join(space, f"out-{step}-{round_}")
                    # The folder the first checkout round filled.
                    previous = os.path.join(space, "out-checkout-0")
                    command = table[name][step].replace("$OUT", out).replace("$PREV", previous) \
                        .replace("$ROUND", str(round_))
                    allow = step == "noop" and table[name].get("noop_may_fail", False)
                    samples[step][name].append(run(command, space, allow_fail=allow))
                    waited = settle(space)
                    note = f"  (then {waited:.1f} s of its background work, untimed)" if waited > 0.2 else ""
                    print(f"{dataset} {name:8} {step:9} {samples[step][name][-1][0]:8.2f} s{note}", flush=True)
        for step in STEPS:
            for name in names:
                ordered = sorted(samples[step][name])
                median = ordered[len(ordered) // 2]
                results[name][step] = (median[0], max(rss for _, rss in ordered))
        for name in names:
            results[name]["rss"] = max(v[1] for k, v in results[name].items() if isinstance(v, tuple))
        print(f"\n== {dataset}: seconds (ratio best peer / art), store MiB, peak RSS MiB ==")
        header = f"{'tool':10}" + "".join(f"{s:>12}" for s in STEPS) + f"{'store MiB':>12}{'RSS MiB':>9}"
        print(header)
        peers = [n for n in names if not n.startswith("art")]
        for name in names:
            cells = ""
            for step in STEPS:
                seconds = results[name][step][0]
                cells += f"{seconds:12.2f}"
            print(f"{name:10}{cells}{results[name]['store'] / MiB:12.1f}{results[name]['rss'] / 1024:9.1f}")
        if "art" in names and peers:
            line = f"{'best/art':10}"
            for step in STEPS:
                best = min(results[p][step][0] for p in peers)
                line += f"{best / results['art'][step][0]:11.2f}x"
            best_store = min(results[p]["store"] for p in peers)
            line += f"{best_store / max(1, results['art']['store']):11.2f}x"
            print(line)
            for step in STEPS:
                best = min(peers, key=lambda p: results[p][step][0])
                print(f"  {step}: best peer {best} {results[best][step][0]:.2f} s, art {results['art'][step][0]:.2f} s")
            best = min(peers, key=lambda p: results[p]["store"])
            print(f"  store: smallest peer {best} {results[best]['store'] / MiB:.1f} MiB, art {results['art']['store'] / MiB:.1f} MiB")
        print(flush=True)
    print(f"(deleting {runs})")
    shutil.rmtree(runs)


if __name__ == "__main__":
    main()
