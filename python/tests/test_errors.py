"""Failures raise the documented exception, with art's own message and hint."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

import artvc
from conftest import write


def _logged(repo: artvc.Repository, folder: Path) -> artvc.Artifact:
    write(folder / "project" / "data" / "a.bin", os.urandom(300_000))
    artifact = artvc.Artifact("ds", type="dataset")
    artifact.add_dir(folder / "project" / "data")
    return repo.log_artifact(artifact)


def test_a_bad_spec_is_a_usage_error(repo: artvc.Repository) -> None:
    with pytest.raises(artvc.UsageError) as caught:
        repo.use_artifact("bad name!")
    assert caught.value.code == "usage" and caught.value.exit_status == 64
    assert "'bad name!'" in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_a_missing_version_is_not_found(repo: artvc.Repository, folder: Path) -> None:
    _logged(repo, folder)
    with pytest.raises(artvc.NotFoundError) as caught:
        repo.use_artifact("ds:v7")
    assert caught.value.message == "no version 'v7' of 'ds' (version v0; aliases latest)"
    assert caught.value.hint == "see them all with 'art log ds'"
    with pytest.raises(artvc.NotFoundError):
        repo.use_artifact("nothing:latest")
    with pytest.raises(artvc.NotFoundError):
        with artvc.run(job_type="train", repository=repo) as run:
            run.use_artifact("ds:production")


def test_a_damaged_repository_is_reported_not_returned(repo: artvc.Repository, folder: Path) -> None:
    artifact = _logged(repo, folder)
    packs = list(Path(repo.path, ".art").rglob("*.pack"))
    assert packs
    for pack in packs:
        data = bytearray(pack.read_bytes())
        for offset in range(len(data) // 3, len(data) - 100, 4096):
            data[offset] ^= 0xFF
        pack.write_bytes(bytes(data))
    with pytest.raises(artvc.DamagedError) as caught:
        artifact.download(folder / "out")
    assert caught.value.code == "damaged" and caught.value.exit_status == 2
    assert not (folder / "out" / "a.bin").exists()
    report = repo.fsck(full=True)
    assert report["clean"] is False and report["errors"]


def test_not_a_repository(folder: Path) -> None:
    with pytest.raises(artvc.NotARepositoryError) as caught:
        artvc.Repository(folder)
    assert "no art repository" in caught.value.message
    assert isinstance(caught.value, artvc.NotFoundError)


def test_a_held_lock_times_out(repo: artvc.Repository, folder: Path) -> None:
    _logged(repo, folder)
    with open(os.path.join(repo.path, ".art", "lock"), "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = artvc.Repository(repo.path, lock_timeout=1)
        write(folder / "project" / "data" / "b.bin", b"b")
        again = artvc.Artifact("ds")
        again.add_dir(folder / "project" / "data")
        with pytest.raises(artvc.LockTimeoutError) as caught:
            waiting.log_artifact(again)
        assert caught.value.code == "lock-timeout"
    assert [v.version for v in repo.versions("ds")] == ["v0"]


def test_a_checkout_over_local_changes_is_a_conflict(repo: artvc.Repository, folder: Path) -> None:
    artifact = _logged(repo, folder)
    write(folder / "project" / "data" / "a.bin", b"edited")
    with pytest.raises(artvc.ConflictError) as caught:
        repo._run(["checkout", artifact.id])
    assert "a.bin" in caught.value.message


def test_logged_artifacts_are_final_and_drafts_have_no_version(
    repo: artvc.Repository, folder: Path
) -> None:
    artifact = _logged(repo, folder)
    with pytest.raises(artvc.ArtifactFinalizedError):
        artifact.add_file(folder / "project" / "data" / "a.bin")
    draft = artvc.Artifact("new")
    with pytest.raises(artvc.ArtifactNotLoggedError):
        _ = draft.version
    with pytest.raises(ValueError):
        draft.add_file(folder / "missing.txt")
    with pytest.raises(ValueError):
        draft.add_dir(folder / "project" / "data", name="../outside")
    with pytest.raises(ValueError):
        draft.remove("never-added.txt")


def test_no_binary(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("ART_BINARY", str(folder / "no-such-art"))
    with pytest.raises(artvc.BinaryNotFoundError) as caught:
        artvc.init(folder / "x")
    assert "no-such-art" in caught.value.message and "ART_BINARY" in str(caught.value)
    fake = write(folder / "fake-art", "#!/bin/sh\necho 9.0.0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ART_BINARY", str(fake))
    with pytest.raises(artvc.BinaryNotFoundError) as caught:
        artvc.init(folder / "x")
    assert "9.0.0" in caught.value.message
