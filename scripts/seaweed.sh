#!/usr/bin/env bash
# Starts or stops a SeaweedFS server with an S3 gateway on 127.0.0.1 for
# benchmarks and manual trials (the tests start their own).
#   scripts/seaweed.sh start DIR [BASE_PORT]   prints the S3 endpoint
#   scripts/seaweed.sh stop DIR
# Access key 'artkey', secret 'art-test-secret'. Needs weed in
# .build/test-venv (scripts/test.sh installs it) or ART_TEST_WEED.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
weed=${ART_TEST_WEED:-$here/.build/test-venv/bin/weed}
command=${1:?start or stop}
dir=${2:?folder for the server\'s data}
case $command in
start)
  base=${3:-28000}
  mkdir -p "$dir/data"
  cat > "$dir/s3.json" <<JSON
{"identities":[{"name":"art","credentials":[{"accessKey":"artkey","secretKey":"art-test-secret"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
  "$weed" server -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port=$base -volume.port=$((base + 1)) -filer.port=$((base + 2)) \
    -s3 -s3.port=$((base + 3)) -s3.config="$dir/s3.json" \
    -master.volumeSizeLimitMB=1024 -volume.max=300 >"$dir/weed.log" 2>&1 &
  echo $! > "$dir/weed.pid"
  for _ in $(seq 1 150); do
    if (exec 3<>/dev/tcp/127.0.0.1/$((base + 3))) 2>/dev/null; then
      echo "http://127.0.0.1:$((base + 3))"
      exit 0
    fi
    sleep 0.2
  done
  echo "SeaweedFS did not start; see $dir/weed.log" >&2
  exit 1
  ;;
stop)
  if [ -f "$dir/weed.pid" ]; then
    kill -9 "$(cat "$dir/weed.pid")" 2>/dev/null || true
    rm -f "$dir/weed.pid"
  fi
  ;;
esac
