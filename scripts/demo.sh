#!/usr/bin/env bash
# The main job, from a fresh clone: builds art in release mode, generates a
# sample dataset, stores it, lists it, restores it, checks that the restored
# copy is bit-for-bit identical and verifies the packs; then versions it:
# commit, change, status, commit, log, diff, checkout of the old version,
# checkout back, aliases.
# Usage: scripts/demo.sh [WORK_DIR]   (default .build/demo; it is recreated)
set -euo pipefail
cd "$(dirname "$0")/.."
top="$(pwd)"
bash scripts/setup.sh
echo "== build (release) =="
swift build -c release --static-swift-stdlib --product art 2>&1 | tail -1
art="$(swift build -c release --show-bin-path)/art"

work="${1:-.build/demo}"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
echo "== sample dataset =="
python3 - <<'PY'
import os, random
rng = random.Random(2026)
os.makedirs("dataset/images", exist_ok=True)
os.makedirs("dataset/labels", exist_ok=True)
os.makedirs("dataset/empty-split", exist_ok=True)
for i in range(300):                      # small binary "images"
    with open(f"dataset/images/img_{i:04d}.jpg", "wb") as f:
        f.write(rng.randbytes(rng.randint(2000, 30000)))
with open("dataset/labels/train.csv", "w") as f:   # a 20 MB table, chunked
    f.write("id,label,score,split\n")
    for i in range(400000):
        f.write(f"{i},class_{rng.randint(0, 99)},{rng.random():.6f},{'train' if i % 10 else 'val'}\n")
with open("dataset/model.bin", "wb") as f:         # 8 MB of weights
    f.write(rng.randbytes(8 << 20))
open("dataset/README empty.txt", "w").close()
os.symlink("labels/train.csv", "dataset/latest.csv")
PY
du -sh dataset
echo "== art init =="
"$art" init
echo "== art write-manifest dataset =="
manifest=$("$art" write-manifest -v dataset)
echo "$manifest"
echo "== art write-manifest dataset (again: nothing new to store) =="
"$art" write-manifest -v dataset
echo "== art ls-manifest $manifest =="
"$art" ls-manifest --long "$manifest"
echo "== art ls-manifest -r (first lines) =="
"$art" ls-manifest -r --long "$manifest" | head -5
echo "== art hash-object vs sha256sum =="
"$art" hash-object dataset/labels/train.csv
sha256sum dataset/labels/train.csv
echo "== art read-manifest $manifest restored =="
"$art" read-manifest "${manifest:0:12}" restored
diff -r --no-dereference dataset restored && echo "restored copy is identical (diff -r)"
echo "== art verify-pack =="
"$art" verify-pack
echo "== art count-objects =="
"$art" count-objects

echo
echo "== versions: art commit dataset dataset =="
"$art" commit dataset dataset --type dataset -m "first cut" --metadata rows=400000 --metadata source=demo
echo "== change 1% of the images, append rows, remove one file; art status =="
python3 - <<'PY'
import random
rng = random.Random(7)
for i in range(0, 300, 100):
    with open(f"dataset/images/img_{i:04d}.jpg", "wb") as f:
        f.write(rng.randbytes(5000))
lines = open("dataset/labels/train.csv").read().splitlines(keepends=True)
for i in range(1, len(lines), 2000):                 # relabel 200 rows
    row = lines[i].split(",")
    row[1] = "class_relabelled"
    lines[i] = ",".join(row)
with open("dataset/labels/train.csv", "w") as f:
    f.writelines(lines)
    for i in range(400000, 410000):
        f.write(f"{i},class_{rng.randint(0, 99)},{rng.random():.6f},train\n")
PY
rm dataset/images/img_0299.jpg
"$art" status
echo "== art commit dataset --alias production =="
"$art" commit dataset -m "more rows" --alias production
echo "== art log; art log dataset =="
"$art" log
"$art" log dataset
echo "== art diff dataset:v0 dataset:v1 =="
"$art" diff dataset:v0 dataset:v1
echo "== art diff dataset:v0 dataset:v1 --rows --key id: which rows of train.csv changed =="
"$art" diff dataset:v0 dataset:v1 --rows --key id --limit 3
echo "== art checkout dataset:v0 (in place), then compare with the first copy =="
cp -a restored v0-copy
"$art" checkout dataset:v0
diff -r --no-dereference dataset v0-copy && echo "dataset/ is bit for bit v0 again"
echo "== art checkout dataset:production (back to the latest) =="
"$art" checkout dataset:production
"$art" status dataset
echo "== art alias set dataset:v0 best; art alias ls; art show dataset:best =="
"$art" alias set dataset:v0 best
"$art" alias ls
"$art" show dataset:best
echo
echo "== upkeep: two more versions, then art du; art gc --keep-last 1 --dry-run --explain =="
for n in 1 2; do
  python3 -c "
import random; rng = random.Random($n)
open('dataset/images/img_000$n.jpg', 'wb').write(rng.randbytes(5000))"
  "$art" commit dataset -m "image $n replaced"
done
"$art" du dataset
"$art" gc --keep-last 1 --dry-run --explain
echo "== art gc --keep-last 1 --grace 0s: v2 goes; latest, production and best stay =="
"$art" gc --keep-last 1 --grace 0s
"$art" log dataset
echo "== art fsck --full =="
"$art" fsck --full
"$art" checkout dataset:best --to best-copy -q
diff -r --no-dereference best-copy v0-copy && echo "dataset:best still checks out bit for bit after gc"
echo
echo "== a pipeline: raw -> features -> model, with lineage =="
mkdir -p pipeline/raw pipeline/features pipeline/model
python3 -c "
import random; rng = random.Random(5)
open('pipeline/raw/events.csv', 'w').write(''.join(f'{i},{rng.random():.4f}\\n' for i in range(20000)))"
"$art" commit raw pipeline/raw --type dataset -q
awk -F, '{ print $1 "," ($2 > 0.5) }' pipeline/raw/events.csv > pipeline/features/labels.csv
"$art" commit features pipeline/features --type dataset --input raw:latest --job preprocess -q
head -c 100000 /dev/urandom > pipeline/model/weights.bin
"$art" commit model pipeline/model --type model --input features:latest --input raw:latest \
  --job train --run demo-run-1 --alias production -q
"$art" lineage model
"$art" lineage raw --downstream
"$art" lineage model --format dot
echo
echo "== reference entries: data that stays where it is, checked at checkout =="
mkdir -p shared/images
python3 -c "
import random; rng = random.Random(9)
for i in range(20): open(f'shared/images/scan_{i:02d}.bin', 'wb').write(rng.randbytes(50000))"
(cd shared && exec python3 -u -m http.server 0 --bind 127.0.0.1 > ../http.log 2>&1) &
echo $! > http.pid
for _ in $(seq 50); do grep -q "port" http.log 2>/dev/null && break; sleep 0.1; done
port="$(sed -n 's/.*port \([0-9]*\).*/\1/p' http.log | head -1)"
trap 'kill "$(cat http.pid)" 2>/dev/null || true' EXIT
"$art" commit scans --reference "$(pwd)/shared/images=images" \
  --reference "http://127.0.0.1:$port/images/scan_00.bin=mirror/scan_00.bin" --checksum
"$art" show scans | grep -E "size|references"
"$art" verify scans
"$art" checkout scans --to scans-copy -q
diff -r shared/images scans-copy/images && cmp shared/images/scan_00.bin scans-copy/mirror/scan_00.bin \
  && echo "references fetched and verified, bit for bit"
python3 -c "open('shared/images/scan_03.bin', 'r+b').write(b'changed')"
"$art" verify scans || echo "(exit $?: the shared file changed since it was recorded)"
"$art" checkout scans --to scans-copy2 -q || echo "(checkout refused the changed reference, exit $?)"
kill "$(cat http.pid)"
echo
echo "== another project: use its versions here, through the shared cache =="
export ART_CACHE_DIR="$(pwd)/cache"
mkdir -p consumer
(cd consumer && "$art" init -q . && "$art" project add demo .. && "$art" project ls)
(cd consumer && "$art" show demo/dataset:production | head -4)
mkdir -p consumer/model && head -c 50000 /dev/urandom > consumer/model/w.bin
(cd consumer && "$art" commit tuned model --input demo/dataset:production --job finetune -q \
  && "$art" lineage tuned)
(cd consumer && "$art" checkout demo/dataset:production --to data -q)
"$art" checkout dataset:production --to production-copy -q
diff -r --no-dereference consumer/data production-copy \
  && echo "demo/dataset:production copied in, bit for bit"
"$art" cache info
(cd consumer && "$art" fsck --full)
echo
echo "== a remote: push to a shared folder, clone elsewhere, check out =="
"$art" remote add shared "$(pwd)/remote"
"$art" push shared
"$art" push shared | head -1
"$art" clone "$(pwd)/remote" clone -q
(cd clone && "$art" log && "$art" checkout dataset:production --to prod -q)
diff -r --no-dereference clone/prod production-copy && echo "cloned dataset:production, bit for bit"
(cd clone && "$art" checkout origin/dataset:latest --path '**/*.csv' --to csv-only -q && find csv-only)
(cd clone && "$art" fsck --full)
echo
echo "== from Python: the W&B patterns with artvc (python/, no install needed) =="
ART_BINARY="$art" PYTHONPATH="$top/python/src" python3 - <<'PY'
import os, artvc
repo = artvc.Repository("clone")
with artvc.run(job_type="train", repository=repo, run_id="demo-run") as run:
    data = run.use_artifact("dataset:production")
    path = data.download("py-download")
    print(f"use_artifact + download: {data.qualified_name} -> {path} ({data.file_count} files)")
    os.makedirs("py-model", exist_ok=True)
    model = artvc.Artifact("py_model", type="model", metadata={"acc": 0.91, "layers": [64, 32]})
    with model.new_file("weights.bin", "wb") as f:
        f.write(os.urandom(4096))
    run.log_artifact(model, aliases=["best"], tags=["demo"])
print(f"logged {model.qualified_name}: inputs {[a.qualified_name for a in model.inputs]}, "
      f"made by run {model.logged_by().run_id}")
draft = model.new_draft()
with draft.new_file("notes.txt") as f:
    f.write("second cut\n")
repo.log_artifact(draft)
print("diff:", [(c.status, c.path) for c in repo.diff("py_model:v0", "py_model:v1").changes])
print("found by metadata:", [a.qualified_name for a in repo.artifacts(type="model", metadata={"acc": 0.91})])
try:
    repo.use_artifact("py_model:v9")
except artvc.NotFoundError as error:
    print(f"NotFoundError ({error.code}): {error.message}")
PY
echo "demo finished: everything above ran against $(pwd)"
