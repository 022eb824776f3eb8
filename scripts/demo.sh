#!/usr/bin/env bash
# The main job, from a fresh clone: builds art in release mode, generates a
# sample dataset, stores it, lists it, restores it, checks that the restored
# copy is bit-for-bit identical, and verifies the packs.
# Usage: scripts/demo.sh [WORK_DIR]   (default .build/demo; it is recreated)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== build (release) =="
swift build -c release --product art 2>&1 | tail -1
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
echo "demo finished: everything above ran against $(pwd)"
