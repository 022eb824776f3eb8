"""Edges a W&B user hits: '=' in names, merging folders, strings for lists, stale objects."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

import artvc
from conftest import read, write


def test_names_with_equals_signs(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "hive" / "year=2023" / "month=01" / "p.parquet", "p")
    write(folder / "k=v.txt", "kv")
    artifact = artvc.Artifact("partitions")
    artifact.add_dir(folder / "hive")
    artifact.add_file(folder / "k=v.txt", name="extra/a=b.txt")
    artifact.add_reference(folder / "k=v.txt", name="refs/c=d.txt")
    repo.log_artifact(artifact)
    assert [e.path for e in artifact.files()] == [
        "extra/a=b.txt", "refs/c=d.txt", "year=2023/month=01/p.parquet"
    ]
    root = artifact.download()
    assert read(root, "year=2023/month=01/p.parquet") == b"p" and read(root, "refs/c=d.txt") == b"kv"
    with pytest.raises(ValueError, match="holds '='"):
        artvc.Artifact("s3").add_reference("s3://bucket/logs/year=2024/")


def test_folders_merge(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "images" / "batch_1" / "a.jpg", "a")
    write(folder / "images" / "batch_1" / "shared" / "x.txt", "x1")
    write(folder / "images" / "batch_11" / "b.jpg", "b")
    write(folder / "images" / "batch_11" / "shared" / "y.txt", "y")
    write(folder / "extra.jpg", "e")
    v2 = artvc.Artifact("dataset")
    v2.add_dir(folder / "images" / "batch_1")
    v2.add_dir(folder / "images" / "batch_11")  # both at the top: merged, not replaced
    v2.add_file(folder / "extra.jpg", name="shared/extra.jpg")
    repo.log_artifact(v2)
    assert [e.path for e in v2.files()] == [
        "a.jpg", "b.jpg", "shared/extra.jpg", "shared/x.txt", "shared/y.txt"
    ]
    write(folder / "more" / "shared" / "z.txt", "z")
    draft = v2.new_draft()
    draft.add_dir(folder / "more")  # onto a folder the version has: merged
    repo.log_artifact(draft)
    assert [e.path for e in draft.files()] == [
        "a.jpg", "b.jpg", "shared/extra.jpg", "shared/x.txt", "shared/y.txt", "shared/z.txt"
    ]
    # Two add_dirs into one name merge; remove() then add_dir() replaces.
    write(folder / "A" / "a.txt", "a")
    write(folder / "B" / "b.txt", "b")
    both = artvc.Artifact("both")
    both.add_dir(folder / "A", name="sub")
    both.add_dir(folder / "B", name="sub")
    repo.log_artifact(both)
    assert [e.path for e in both.files()] == ["sub/a.txt", "sub/b.txt"]
    replaced = both.new_draft()
    replaced.remove("sub")
    replaced.add_dir(folder / "A", name="sub")
    repo.log_artifact(replaced)
    assert [e.path for e in replaced.files()] == ["sub/a.txt"]
    # An empty folder, then a file below it.
    (folder / "empty").mkdir()
    nested = artvc.Artifact("nested")
    nested.add_dir(folder / "empty", name="d")
    nested.add_file(folder / "extra.jpg", name="d/f.jpg")
    assert [e.path for e in repo.log_artifact(nested).files()] == ["d/f.jpg"]
    assert repo.fsck()["clean"] is True


def test_a_new_artifact_holds_exactly_its_folder(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "project" / "ds" / "a.txt", "a")
    write(folder / "ext" / "r.bin", "r")
    first = artvc.Artifact("ds")
    first.add_dir(folder / "project" / "ds")
    v0 = repo.log_artifact(first)
    draft = v0.new_draft()
    draft.add_reference(folder / "ext" / "r.bin")
    repo.log_artifact(draft)
    again = artvc.Artifact("ds")
    again.add_dir(folder / "project" / "ds")
    assert [e.path for e in repo.log_artifact(again).files()] == ["a.txt"]
    # Inside the repository or outside it, the same rules: .artignore, .git, empty folders.
    for place in (folder / "project" / "in", folder / "out"):
        write(place / ".artignore", "*.tmp\n")
        write(place / "junk.tmp", "j")
        write(place / ".git" / "config", "g")
        write(place / "keep.txt", "k")
        artifact = artvc.Artifact(f"rules-{place.name}")
        artifact.add_dir(place)
        assert [e.path for e in repo.log_artifact(artifact).files()] == [".artignore", "keep.txt"]
        (place / "empty").mkdir()
        empty = artvc.Artifact(f"empty-{place.name}")
        empty.add_dir(place / "empty")
        assert repo.log_artifact(empty).files() == []
    with pytest.raises(artvc.UsageError, match="inside .art"):
        inside = artvc.Artifact("store")
        inside.add_dir(Path(repo.path, ".art"))
        repo.log_artifact(inside)


def test_strings_are_not_lists_and_labels_are_checked_first(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "project" / "tmp_a" / "f", "1")
    write(folder / "project" / "keepme" / "f", "2")
    for name in ("tmp_a", "keepme"):
        for i in range(2):
            write(folder / "project" / name / "f", f"{name}{i}")
            artifact = artvc.Artifact(name)
            artifact.add_dir(folder / "project" / name)
            repo.log_artifact(artifact, aliases="production" if i == 0 and name == "keepme" else ())
    assert repo.use_artifact("keepme:v0").aliases == ["production"]
    plan = repo.gc(keep_last=1, name="tmp_*", grace=0)
    assert [d.version for d in plan.decisions if not d.keep] == ["tmp_a:v0"]
    draft = artvc.Artifact("tagged")
    draft.add_file(folder / "project" / "tmp_a" / "f")
    with pytest.raises(artvc.UsageError):
        repo.log_artifact(draft, tags=["v2"])
    with pytest.raises(artvc.UsageError):
        repo.log_artifact(draft, aliases=["-h"])
    assert "tagged" not in [c.name for c in repo.collections()]
    repo.log_artifact(draft, tags="golden")
    assert draft.tags == ["golden"]
    for bad in ("-x", "--help", "a b"):
        with pytest.raises(artvc.UsageError):
            artvc.Artifact(bad)
    with pytest.raises(artvc.UsageError):
        repo.use_artifact("-h")


def test_what_is_said_about_a_version(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "s.txt", "s")
    first = artvc.Artifact("same", description="first", metadata={"v": 1})
    first.add_file(folder / "s.txt")
    repo.log_artifact(first)
    second = artvc.Artifact("same", description="second", metadata={"v": 2})
    second.add_file(folder / "s.txt")
    repo.log_artifact(second)
    assert (second.version, second.description, second.metadata) == ("v1", "second", {"v": 2})
    third = artvc.Artifact("same", description="second", metadata={"v": 2})
    third.add_file(folder / "s.txt")
    assert repo.log_artifact(third).version == "v1"  # nothing differs: no version
    untouched = second.new_draft()
    assert repo.log_artifact(untouched, aliases=["best"]).version == "v1"
    assert untouched.aliases == ["best", "latest"]
    retitled = second.new_draft()
    retitled.metadata["v"] = 3
    assert repo.log_artifact(retitled).version == "v2"
    # remove() of a path also being added drops the version's file too.
    draft = retitled.new_draft()
    write(folder / "t.txt", "t")
    draft.add_file(folder / "t.txt", name="s.txt")
    draft.remove("s.txt")
    repo.log_artifact(draft)
    assert draft.version == "v3" and draft.files() == []
    # A path only this draft added is dropped from it, not from the version.
    keep = second.new_draft()
    keep.add_file(folder / "t.txt", name="n.csv")
    keep.remove("n.csv")
    keep.add_file(folder / "t.txt", name="m.csv")
    keep.description = "-starts with a dash"
    keep.ttl = timedelta(days=1)
    repo.log_artifact(keep)
    assert [e.path for e in keep.files()] == ["m.csv", "s.txt"]
    assert keep.description == "-starts with a dash" and keep.ttl == timedelta(days=1)
    timed = keep.new_draft()
    timed.ttl = timedelta(days=2)
    assert repo.log_artifact(timed).ttl == timedelta(days=2)


def test_objects_follow_their_edits(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "project" / "d" / "img[1].png", "one")
    write(folder / "project" / "d" / "img1.png", "plain")
    artifact = artvc.Artifact("ds", ttl=timedelta(days=7))
    artifact.add_dir(folder / "project" / "d")
    repo.log_artifact(artifact)
    assert artifact.ttl == timedelta(days=7)
    artifact.ttl = None
    assert artifact.ttl is None
    artifact.link("best")
    assert artifact.aliases == ["best", "latest"]
    artifact.unlink("best")
    assert artifact.aliases == ["latest"]
    listed = repo.artifacts(name="ds")[0]
    listed.aliases.append("production")
    listed.tags.append("golden")
    listed.save()
    fresh = repo.use_artifact("ds")
    assert fresh.aliases == ["latest", "production"] and fresh.tags == ["golden"]
    path = artifact.get_path("img[1].png").download(folder / "one")
    assert read(path) == b"one"
    only = artifact.download(folder / "prefix", path_prefix="img[")
    assert sorted(os.listdir(only)) == ["img[1].png"]


def test_bad_metadata_is_refused_before_anything_is_written(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "a.txt", "a")
    before = set(os.listdir(tempfile.gettempdir()))
    for metadata in ({"t": {1, 2}}, {"x": float("nan")}):
        artifact = artvc.Artifact("m", metadata=metadata)
        artifact.add_file(folder / "a.txt")
        with pytest.raises(ValueError, match="metadata"):
            repo.log_artifact(artifact)
    with pytest.raises(ValueError):
        artvc.Artifact("m", metadata=[1, 2])  # type: ignore[arg-type]
    leaked = {n for n in set(os.listdir(tempfile.gettempdir())) - before if n.startswith("artvc-metadata")}
    assert leaked == set()
    assert repo.collections() == []


def test_a_symlinked_file_stores_its_content(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "real.txt", "content")
    os.symlink(folder / "real.txt", folder / "link.txt")
    artifact = artvc.Artifact("linked")
    artifact.add_file(folder / "link.txt", name="copy.txt")
    artifact.add_file(folder / "link.txt")  # named after the link, as W&B
    repo.log_artifact(artifact)
    assert artifact.get_entry("copy.txt").kind == "file"
    assert read(artifact.download(), "copy.txt") == b"content"
    assert read(artifact.download(), "link.txt") == b"content"


def test_another_projects_version_is_read_only(folder: Path) -> None:
    a = artvc.init(folder / "a")
    write(folder / "a" / "d" / "f", "f")
    shared = artvc.Artifact("shared")
    shared.add_dir(folder / "a" / "d")
    a.log_artifact(shared)
    b = artvc.init(folder / "b")
    b.add_project("a", folder / "a")
    theirs = b.use_artifact("a/shared:latest")
    for action in (lambda: theirs.link("best"), theirs.delete, theirs.save):
        with pytest.raises(artvc.UsageError, match="belongs to a"):
            action()
