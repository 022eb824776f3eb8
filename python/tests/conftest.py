"""Fixtures: every test in its own folder, with its own cache; a real SeaweedFS for S3."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import random
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Iterator, Optional

import pytest

import artvc

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own folder, as the current folder, with its own shared cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ART_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ART_USER", "tester")
    monkeypatch.delenv("ART_ARTIFACT_DIR", raising=False)
    return tmp_path


@pytest.fixture
def repo(folder: Path) -> artvc.Repository:
    """A new repository in ``project/`` of the test's folder."""
    return artvc.init(folder / "project")


def write(path: Path, data: bytes | str) -> Path:
    """Writes ``data`` to ``path``, making folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


class S3:
    """A SeaweedFS server's S3 gateway on 127.0.0.1, with a tiny SigV4 client for
    putting test objects (art itself reads them)."""

    access_key = "artkey"
    secret_key = "art-test-secret"

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def _request(self, method: str, path: str, body: bytes = b"") -> None:
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        host = self.endpoint.split("://", 1)[1]
        payload = hashlib.sha256(body).hexdigest()
        headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": stamp}
        signed = ";".join(sorted(headers))
        canonical = "\n".join(
            [method, urllib.request.quote(path), "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, payload]
        )
        scope = f"{day}/us-east-1/s3/aws4_request"
        text = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + self.secret_key).encode()
        for part in (day, "us-east-1", "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(self.endpoint + path, data=body, method=method)
        for name, value in headers.items():
            if name != "host":
                request.add_header(name, value)
        request.add_header(
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, SignedHeaders={signed}, Signature={signature}",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def make_bucket(self) -> str:
        name = f"artvc-{os.getpid()}-{random.randrange(1 << 30)}"
        self._request("PUT", f"/{name}")
        return name

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self._request("PUT", f"/{bucket}/{key}", body)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3]:
    """One SeaweedFS for the session, started by scripts/seaweed.sh and killed by PID."""
    weed = os.environ.get("ART_TEST_WEED", str(CHECKOUT / ".build" / "test-venv" / "bin" / "weed"))
    if not os.access(weed, os.X_OK):
        pytest.fail(f"no SeaweedFS at {weed}: run scripts/test.sh, which installs it")
    data = tempfile.mkdtemp(prefix="artvc-weed-")
    port = random.randrange(46000, 54000)
    started = subprocess.run(
        ["bash", str(CHECKOUT / "scripts" / "seaweed.sh"), "start", data, str(port)],
        capture_output=True, text=True, check=False,
    )
    try:
        if started.returncode != 0:
            pytest.fail(f"SeaweedFS did not start: {started.stderr}")
        yield S3(started.stdout.strip())
    finally:
        subprocess.run(["bash", str(CHECKOUT / "scripts" / "seaweed.sh"), "stop", data], check=False)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def s3(s3_server: S3, monkeypatch: pytest.MonkeyPatch) -> S3:
    """The S3 server, with art's credentials and endpoint in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3.secret_key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return s3_server


def read(path: str | Path, name: Optional[str] = None) -> bytes:
    """The bytes of ``path`` (joined with ``name``)."""
    return Path(path, name or "").read_bytes() if name else Path(path).read_bytes()
