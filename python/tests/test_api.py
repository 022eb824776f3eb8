"""The rest of the surface: edits, downloads, diffs and the draft rules."""

from __future__ import annotations

import os
from datetime import timezone
from pathlib import Path

import pytest

import artvc
from conftest import read, write


def _dataset(repo: artvc.Repository, folder: Path, **files: str) -> artvc.Artifact:
    data = folder / "project" / "data"
    for name, text in files.items():
        write(data / name.replace("__", "/"), text)
    artifact = artvc.Artifact("ds", type="dataset", description="first")
    artifact.add_dir(data)
    return repo.log_artifact(artifact)


def test_properties_of_a_logged_version(repo: artvc.Repository, folder: Path) -> None:
    artifact = _dataset(repo, folder, a="aa", sub__b="bbb")
    fetched = repo.use_artifact("ds")
    assert (fetched.name, fetched.version, fetched.qualified_name) == ("ds", "v0", "ds:v0")
    assert fetched.id == artifact.id and len(fetched.id) == 64
    assert fetched.type == "dataset" and fetched.description == "first"
    assert fetched.size == 5 and fetched.file_count == 2
    assert fetched.created_at.tzinfo == timezone.utc
    assert fetched.aliases == ["latest"] and fetched.tags == []
    entry = fetched.get_entry("sub/b")
    assert (entry.kind, entry.size, entry.ref) == ("file", 3, None)
    with pytest.raises(KeyError):
        fetched.get_entry("nope")
    # Logging the same contents again makes no version (as W&B).
    same = artvc.Artifact("ds", type="dataset")
    same.add_dir(folder / "project" / "data")
    assert repo.log_artifact(same).version == "v0"
    # A folder from outside the repository works too (stored as a draft).
    write(folder / "elsewhere" / "x.txt", "x")
    outside = artvc.Artifact("outside")
    outside.add_dir(folder / "elsewhere")
    assert [e.path for e in repo.log_artifact(outside).files()] == ["x.txt"]
    # A repository handle from a folder inside it.
    assert artvc.Repository(folder / "project" / "data").path == repo.path


def test_save_edits_metadata_tags_and_aliases(repo: artvc.Repository, folder: Path) -> None:
    artifact = _dataset(repo, folder, a="1")
    artifact.metadata.update({"rows": 10, "label": "42"})
    artifact.description = "checked by hand"
    artifact.tags = ["golden"]
    artifact.aliases.append("production")
    artifact.save()
    again = repo.use_artifact("ds:production")
    assert again.metadata == {"rows": 10, "label": "42"}
    assert again.description == "checked by hand" and again.tags == ["golden"]
    assert [a.qualified_name for a in repo.artifacts(tag="golden")] == ["ds:v0"]
    assert [a.qualified_name for a in repo.artifacts(metadata={"label": "42"})] == ["ds:v0"]
    assert repo.artifacts(metadata={"label": 42}) == []
    del again.metadata["rows"]
    again.tags = []
    again.save()
    third = repo.use_artifact("ds:v0")
    assert third.metadata == {"label": "42"} and third.tags == []
    third.unlink("production")
    assert repo.use_artifact("ds:v0").aliases == ["latest"]
    third.link("best")
    with pytest.raises(artvc.UsageError):
        repo.use_artifact("ds:best").delete()  # a protected alias
    repo.use_artifact("ds:best").delete(delete_aliases=True)
    assert repo.collections() == []


def test_download_checkout_and_verify(repo: artvc.Repository, folder: Path) -> None:
    artifact = _dataset(repo, folder, a="aa", images__x="x", images__y="y")
    root = artifact.download()
    assert root == str(folder / "artifacts" / "ds:v0")
    Path(root, "a").write_text("tampered")
    write(Path(root) / "extra.txt", "mine")
    with pytest.raises(artvc.DiffersError) as caught:
        artifact.verify(root)
    assert {(d["path"], d["kind"]) for d in caught.value.differences} == {
        ("a", "changed"), ("extra.txt", "extra")
    }
    artifact.download()  # repairs what changed, keeps what is not the version's
    assert read(root, "a") == b"aa" and (Path(root) / "extra.txt").exists()
    artifact.checkout(root)  # exactly the version
    assert not (Path(root) / "extra.txt").exists()
    artifact.verify(root)
    only = artifact.download(folder / "only", path_prefix="images/")
    assert sorted(os.listdir(only)) == ["images"]
    single = artifact.get_path("images/y").download(folder / "single")
    assert single == str(folder / "single" / "images" / "y") and read(single) == b"y"
    os.environ["ART_ARTIFACT_DIR"] = str(folder / "cache-dir")
    try:
        assert artifact.download() == str(folder / "cache-dir" / "ds:v0")
    finally:
        del os.environ["ART_ARTIFACT_DIR"]


def test_diff_structured_and_by_rows(repo: artvc.Repository, folder: Path) -> None:
    _dataset(repo, folder, **{"t.csv": "id,v\n1,a\n2,b\n"})
    write(folder / "project" / "data" / "t.csv", "id,v\n1,a\n2,c\n3,d\n")
    second = artvc.Artifact("ds", metadata={"rows": 3})
    second.add_dir(folder / "project" / "data")
    repo.log_artifact(second)
    diff = repo.diff("ds:v0", second)
    assert isinstance(diff, artvc.Diff)
    assert [(c.status, c.path, c.old_size, c.new_size) for c in diff.changes] == [("M", "t.csv", 13, 17)]
    assert diff.metadata == [artvc.MetadataChange("rows", artvc.MISSING, 3)]
    rows = repo.diff("ds:v0", "ds:v1", rows=True, key="id")
    assert isinstance(rows, list) and rows[0].path == "t.csv"
    assert (rows[0].rows["added"], rows[0].rows["changed"]) == (1, 1)
    write(folder / "project" / "data" / "new.txt", "n")
    against_folder = repo.diff("ds:v1", folder / "project" / "data")
    assert isinstance(against_folder, artvc.Diff)
    assert [(c.status, c.path) for c in against_folder.changes] == [("A", "new.txt")]
    (folder / "project" / "data" / "t.csv").chmod(0o600)
    modes = repo.diff("ds:v1", folder / "project" / "data")
    assert isinstance(modes, artvc.Diff)
    [changed] = [c for c in modes.changes if c.status == "M"]
    assert (changed.path, changed.new_mode) == ("t.csv", "600")
    assert changed.old_mode not in (None, "600")  # what the umask gave it


def test_draft_rules(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "a.txt", "a")
    write(folder / "b.txt", "b")
    draft = artvc.Artifact("notes")
    draft.add_file(folder / "a.txt")
    draft.add_file(folder / "b.txt", name="docs/b.txt")
    draft.remove("a.txt")  # a path added to this draft
    with draft.new_file("docs/c.txt") as f:
        f.write("c")
    logged = repo.log_artifact(draft)
    assert [e.path for e in logged.files()] == ["docs/b.txt", "docs/c.txt"]
    # A fresh artifact holds only what it adds, not the previous version's files.
    fresh = artvc.Artifact("notes")
    fresh.add_file(folder / "a.txt")
    assert [e.path for e in repo.log_artifact(fresh).files()] == ["a.txt"]
    # Workers' files must sit at their names below one folder.
    bad = artvc.Artifact("shards")
    bad.add_file(folder / "a.txt", name="x/a.txt")
    with pytest.raises(ValueError, match="below one folder"):
        repo.upsert_artifact(bad, distributed_id="d1")
    mixed = artvc.Artifact("shards")
    mixed.add_file(folder / "a.txt")
    with mixed.new_file("c.txt") as f:
        f.write("c")
    with pytest.raises(ValueError, match="2 folders"):
        repo.upsert_artifact(mixed, distributed_id="d1")
