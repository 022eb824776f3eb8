"""Every pattern of "Advanced W&B Artifacts Patterns", ported to artvc and run on art."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import time
from array import array
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import artvc
from conftest import S3, read, write


def test_collections_of_splits(repo: artvc.Repository, folder: Path) -> None:
    for split in ("train", "val", "test"):
        for i in range(3):
            write(folder / "project" / "data" / split / f"{i}.jpg", f"{split}-{i}")
    with artvc.run(job_type="prepare-splits", repository=repo) as run:
        for split in ("train", "val", "test"):
            artifact = artvc.Artifact(
                name=f"imagenet_{split}", type="dataset", description=f"ImageNet {split} split"
            )
            artifact.add_dir(f"project/data/{split}/")
            run.log_artifact(artifact)
            assert artifact.version == "v0"
            assert artifact.file_count == 3
    collections = repo.collections(type="dataset")
    assert [c.name for c in collections] == ["imagenet_test", "imagenet_train", "imagenet_val"]
    val = repo.use_artifact("imagenet_val:latest")
    assert val.description == "ImageNet val split"
    assert val.logged_by() is not None and val.logged_by().job_type == "prepare-splits"  # type: ignore[union-attr]
    assert sorted(os.listdir(val.download())) == ["0.jpg", "1.jpg", "2.jpg"]


def test_partitions_found_by_metadata(repo: artvc.Repository, folder: Path) -> None:
    with artvc.run(job_type="partition-logs", repository=repo) as run:
        for year in (2020, 2021):
            for month in range(1, 5):
                partition = artvc.Artifact(
                    name=f"server_logs_{year}_{month:02d}",
                    type="logs",
                    metadata={"year": year, "month": month, "partition_key": f"{year}-{month:02d}"},
                )
                path = folder / "project" / "logs" / str(year) / f"{month:02d}"
                if month != 3:  # a month without logs is skipped, as in the pattern
                    write(path / "server.log", f"{year}-{month} ok\n")
                if os.path.exists(path):
                    partition.add_dir(path)
                    run.log_artifact(partition)
    spring = repo.artifacts(type="logs", metadata={"year": 2021})
    assert sorted(a.name for a in spring) == [
        "server_logs_2021_01", "server_logs_2021_02", "server_logs_2021_04"
    ]
    keyed = repo.artifacts(metadata={"partition_key": "2020-04"})
    assert [a.qualified_name for a in keyed] == ["server_logs_2020_04:v0"]
    assert keyed[0].metadata == {"year": 2020, "month": 4, "partition_key": "2020-04"}
    # Only the partitions needed are downloaded.
    root = keyed[0].download(folder / "needed")
    assert read(root, "server.log") == b"2020-4 ok\n"
    assert repo.artifacts(type="logs", name="server_logs_2020_*", metadata={"month": 1})[0].name == (
        "server_logs_2020_01"
    )


def test_incremental_draft_adds_removes_and_replaces(repo: artvc.Repository, folder: Path) -> None:
    data = folder / "project" / "curated"
    for batch in (10, 15):
        write(data / "annotations" / f"batch_{batch}.json", json.dumps({"batch": batch}))
        for i in range(3):
            write(data / "images" / f"batch_{batch}" / f"duplicate_00{i}.jpg", os.urandom(2048))
    first = artvc.Artifact("curated_dataset", type="dataset")
    first.add_dir(data)
    repo.log_artifact(first)

    write(folder / "annotations" / "batch_42.json", '{"batch": 42}')
    write(folder / "images" / "batch_42" / "a.jpg", os.urandom(4096))
    write(folder / "annotations" / "batch_10_corrected.json", '{"batch": 10, "fixed": true}')
    with artvc.run(job_type="incremental-update", repository=repo) as run:
        saved = run.use_artifact("curated_dataset:latest")
        draft = saved.new_draft()
        draft.add_file(folder / "annotations" / "batch_42.json", name="annotations/batch_42.json")
        draft.add_dir(folder / "images" / "batch_42", name="images/batch_42")
        draft.remove("images/batch_15/duplicate_001.jpg")
        draft.remove("images/batch_15/duplicate_002.jpg")
        draft.remove("annotations/batch_10.json")
        draft.add_file(folder / "annotations" / "batch_10_corrected.json", name="annotations/batch_10.json")
        run.log_artifact(draft)
    assert draft.version == "v1"
    paths = [e.path for e in draft.files()]
    assert "images/batch_15/duplicate_001.jpg" not in paths
    assert "images/batch_42/a.jpg" in paths and "annotations/batch_42.json" in paths
    changes = repo.diff("curated_dataset:v0", "curated_dataset:v1")
    assert isinstance(changes, artvc.Diff)
    assert {(c.status, c.path) for c in changes.changes} == {
        ("A", "annotations/batch_42.json"),
        ("A", "images/batch_42/a.jpg"),
        ("M", "annotations/batch_10.json"),
        ("D", "images/batch_15/duplicate_001.jpg"),
        ("D", "images/batch_15/duplicate_002.jpg"),
    }
    # The folder the first version came from is untouched by a draft.
    assert (data / "images" / "batch_15" / "duplicate_001.jpg").exists()
    root = draft.download()
    assert read(root, "annotations/batch_10.json") == b'{"batch": 10, "fixed": true}'


def test_s3_references(repo: artvc.Repository, s3: S3, folder: Path) -> None:
    bucket = s3.make_bucket()
    images = {f"imagenet/train/{i}.jpg": os.urandom(1000 + i) for i in range(3)}
    images["imagenet/val/0.jpg"] = b"val"
    for key, body in images.items():
        s3.put(bucket, key, body)
    with artvc.run(job_type="reference-external", repository=repo) as run:
        artifact = artvc.Artifact("imagenet_s3", type="dataset", description="ImageNet stored in S3")
        artifact.add_reference(uri=f"s3://{bucket}/imagenet/train/", name="train")
        artifact.add_reference(uri=f"s3://{bucket}/imagenet/val/", name="val")
        run.log_artifact(artifact)
    assert artifact.size == 0 and artifact.reference_bytes == sum(len(b) for b in images.values())
    entry = artifact.get_entry("train/1.jpg")
    assert entry.kind == "external" and entry.ref == f"s3://{bucket}/imagenet/train/1.jpg"
    assert entry.size == 1001
    root = artifact.download()
    assert read(root, "train/2.jpg") == images["imagenet/train/2.jpg"]
    assert artifact.verify_references()["unchanged"] == 4
    # The bucket's object changes: art refuses to return it.
    s3.put(bucket, "imagenet/train/0.jpg", b"tampered")
    with pytest.raises(artvc.ReferenceChangedError) as caught:
        artifact.download(folder / "again")
    assert "train/0.jpg" in caught.value.message
    assert not (folder / "again" / "train" / "0.jpg").exists()
    # A missing object is an error and no version is made.
    broken = artvc.Artifact("broken", type="dataset")
    broken.add_reference(f"s3://{bucket}/nothing-here")
    with pytest.raises(artvc.ArtError):
        repo.log_artifact(broken)
    assert [c.name for c in repo.collections()] == ["imagenet_s3"]


def test_pipeline_lineage_comes_from_runs(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "sensors.csv", "temperature,pressure\n" + "".join(f"{i},{i * 2}\n" for i in range(50)))
    with artvc.run(job_type="ingest", repository=repo) as run:
        raw = artvc.Artifact("raw_sensor_data", type="dataset")
        raw.add_file(folder / "sensors.csv")
        run.log_artifact(raw)
    with artvc.run(job_type="fit-scaler", repository=repo) as run:
        raw_path = run.use_artifact("raw_sensor_data:latest").download()
        rows = Path(raw_path, "sensors.csv").read_text().splitlines()[1:]
        scaler = artvc.Artifact("sensor_scaler", type="preprocessor", metadata={"n_samples": len(rows)})
        with scaler.new_file("scaler.json") as f:
            json.dump({"mean": 24.5}, f)
        run.log_artifact(scaler)
        processed = artvc.Artifact(
            "processed_sensor_data", type="dataset",
            metadata={"preprocessing": "StandardScaler", "scaler_version": "sensor_scaler:v0"},
        )
        with processed.new_file("processed.csv") as f:
            f.write("".join(f"{int(r.split(',')[0]) - 24.5}\n" for r in rows))
        run.log_artifact(processed)
    with artvc.run(job_type="train", repository=repo, run_id="train-1") as run:
        data = run.use_artifact("processed_sensor_data:latest")
        run.use_artifact("sensor_scaler:v0")
        model = artvc.Artifact("model", type="model")
        with model.new_file("weights.bin", "wb") as f:
            f.write(os.urandom(256))
        run.log_artifact(model, aliases=["best"])
    assert sorted(i.qualified_name for i in model.inputs) == [
        "processed_sensor_data:v0", "sensor_scaler:v0"
    ]
    assert [i.qualified_name for i in data.inputs] == ["raw_sensor_data:v0"]
    assert model.logged_by() is not None and model.logged_by().run_id == "train-1"  # type: ignore[union-attr]
    users = repo.use_artifact("raw_sensor_data:v0").used_by()
    assert [(u.job_type, u.user) for u in users] == [("fit-scaler", "tester")]
    assert model.aliases == ["best", "latest"]


def test_split_indices_saved_and_reloaded(repo: artvc.Repository, folder: Path) -> None:
    labels = [i % 3 for i in range(100)]
    write(folder / "full" / "labels.json", json.dumps(labels))
    full = artvc.Artifact("full_dataset", type="dataset")
    full.add_dir(folder / "full")
    repo.log_artifact(full)
    with artvc.run(job_type="create-splits", repository=repo) as run:
        path = run.use_artifact("full_dataset:latest").download()
        count = len(json.loads(read(path, "labels.json")))
        order = list(range(count))
        random.Random(42).shuffle(order)
        splits = {"train": order[:70], "val": order[70:80], "test": order[80:]}
        artifact = artvc.Artifact(
            "dataset_splits", type="split_indices",
            metadata={f"{k}_size": len(v) for k, v in splits.items()} | {"random_seed": 42},
        )
        for name, indices in splits.items():
            with artifact.new_file(f"{name}_indices.bin", "wb") as f:
                array("q", indices).tofile(f)
        run.log_artifact(artifact)
    with artvc.run(job_type="train", repository=repo) as run:
        split_path = run.use_artifact("dataset_splits:latest").download()
        train = array("q")
        with open(os.path.join(split_path, "train_indices.bin"), "rb") as f:
            train.fromfile(f, 70)
        assert list(train) == splits["train"]
        meta = run.use_artifact("dataset_splits:latest").metadata
        assert meta == {"train_size": 70, "val_size": 10, "test_size": 20, "random_seed": 42}


def test_augmentation_metadata(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "project" / "original" / "a.png", b"png")
    source = artvc.Artifact("original_images", type="dataset")
    source.add_dir(folder / "project" / "original")
    repo.log_artifact(source)
    config = {
        "rotation": 15, "horizontal_flip": 0.5,
        "color_jitter": {"brightness": 0.2, "contrast": 0.2}, "crop_scale": (0.8, 1.0),
    }
    with artvc.run(job_type="augment-dataset", repository=repo) as run:
        run.use_artifact("original_images:latest").download()
        for i in range(5):
            write(folder / "data" / "augmented" / f"a_{i}.png", f"aug{i}")
        augmented = artvc.Artifact(
            "augmented_images", type="dataset",
            metadata={"source": "original_images:latest", "augmentations": config, "multiplier": 5},
        )
        augmented.add_dir(folder / "data" / "augmented")
        run.log_artifact(augmented)
    back = repo.use_artifact("augmented_images:v0").metadata
    assert back["augmentations"]["crop_scale"] == [0.8, 1.0]
    assert back["augmentations"]["color_jitter"] == {"brightness": 0.2, "contrast": 0.2}
    found = repo.artifacts(metadata={"augmentations.rotation": 15, "multiplier": 5})
    assert [a.qualified_name for a in found] == ["augmented_images:v0"]
    assert [a.name for a in augmented.inputs] == ["original_images"]
    # Metadata edited after the fact: recorded, the content id kept.
    augmented.metadata["reviewed"] = True
    augmented.save()
    again = repo.use_artifact("augmented_images:v0")
    assert again.metadata["reviewed"] is True and again.id == augmented.id


def test_model_dataset_config_bundle(repo: artvc.Repository, folder: Path) -> None:
    write(folder / "ckpt" / "model.pth", os.urandom(4096))
    trained = artvc.Artifact("resnet50_trained", type="model")
    trained.add_dir(folder / "ckpt")
    repo.log_artifact(trained, aliases=["best"])
    write(folder / "project" / "imagenet" / "train" / "0.jpg", b"img")
    dataset = artvc.Artifact("imagenet_processed", type="dataset")
    dataset.add_dir(folder / "project" / "imagenet")
    repo.log_artifact(dataset)
    write(folder / "train.py", "print('train')\n")
    write(folder / "model_architecture.py", "class ResNet: pass\n")
    with artvc.run(job_type="create-bundle", repository=repo) as run:
        bundle = artvc.Artifact("training_bundle_v1", type="bundle", description="Complete training context")
        model_path = run.use_artifact("resnet50_trained:best").download()
        bundle.add_file(f"{model_path}/model.pth", name="model.pth")
        dataset_artifact = run.use_artifact("imagenet_processed:v0")
        bundle.add_reference(dataset_artifact, name="dataset")
        with bundle.new_file("training_config.json") as f:
            json.dump({"model": "ResNet-50", "epochs": 90, "batch_size": 256}, f, indent=2)
        bundle.add_file(folder / "train.py")
        bundle.add_file(folder / "model_architecture.py")
        run.log_artifact(bundle)
    kinds = {e.path: e.kind for e in bundle.files()}
    assert kinds["dataset"] == "bundle" and kinds["model.pth"] in ("file", "chunked")
    assert bundle.get_entry("dataset").ref == "art:imagenet_processed:v0"
    root = bundle.download()
    assert read(root, "dataset/train/0.jpg") == b"img"
    assert read(root, "model.pth") == read(folder / "ckpt" / "model.pth")
    assert json.loads(read(root, "training_config.json"))["epochs"] == 90
    # The bundled dataset is kept by gc as long as the bundle is.
    dataset_artifact.delete()
    assert repo.gc(dry_run=True).dropped == 0


def _worker(project: str, worker_id: int) -> None:
    shard = Path(project, "shards", f"results_worker_{worker_id}.parquet")
    shard.parent.mkdir(parents=True, exist_ok=True)
    shard.write_bytes(os.urandom(10_000))
    with artvc.run(job_type="process-shard", repository=project, group="batch_42") as run:
        artifact = artvc.Artifact(name="processed_results", type="dataset")
        artifact.add_file(shard)
        run.upsert_artifact(artifact, distributed_id="batch_42")


def test_distributed_creation_by_four_workers(repo: artvc.Repository) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(repo.path, i)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with artvc.run(job_type="finalize", repository=repo, group="batch_42") as run:
        final = artvc.Artifact("processed_results", type="dataset", metadata={"workers": 4, "batch_id": 42})
        run.finish_artifact(final, distributed_id="batch_42")
    assert final.version == "v0" and final.metadata == {"workers": 4, "batch_id": 42}
    assert sorted(e.path for e in final.files()) == [f"results_worker_{i}.parquet" for i in range(4)]
    # Finishing twice is refused.
    with pytest.raises(artvc.UsageError):
        repo.finish_artifact(artvc.Artifact("processed_results"), distributed_id="batch_42")


def test_ttl_retention_and_gc(repo: artvc.Repository, folder: Path) -> None:
    for name, ttl in (("experiment_outputs", timedelta(seconds=1)), ("raw", None)):
        write(folder / "project" / name / "out.txt", name)
        artifact = artvc.Artifact(name, type="results", ttl=ttl)
        artifact.add_dir(folder / "project" / name)
        repo.log_artifact(artifact)
    outputs = repo.use_artifact("experiment_outputs:v0")
    assert outputs.ttl == timedelta(seconds=1)
    raw = repo.use_artifact("raw")
    assert raw.ttl is None
    raw.ttl = timedelta(days=30)
    assert repo.use_artifact("raw").ttl == timedelta(days=30)
    time.sleep(1.2)
    plan = repo.gc(dry_run=True)
    decision = {d.version: d for d in plan.decisions}
    assert not decision["experiment_outputs:v0"].keep
    assert "TTL expired" in decision["experiment_outputs:v0"].reason
    assert decision["raw:v0"].keep
    done = repo.gc(dry_run=False, grace="0s")
    assert done.dropped == 1 and done.artifacts_gone == ["experiment_outputs"]
    with pytest.raises(artvc.NotFoundError):
        repo.use_artifact("experiment_outputs:v0")

    # The pattern's cleanup script: keep important aliases and recent versions.
    for i in range(3):
        write(folder / "project" / "ds" / "f.txt", str(i))
        d = artvc.Artifact("ds", type="dataset")
        d.add_dir(folder / "project" / "ds")
        repo.log_artifact(d, aliases=["production"] if i == 0 else [])
    keep_aliases = ["latest", "production", "best", "baseline"]
    deleted = []
    for artifact in repo.artifacts(type="dataset"):
        if any(alias in artifact.aliases for alias in keep_aliases):
            continue
        age = datetime.now(artifact.created_at.tzinfo) - artifact.created_at
        if age < timedelta(days=-1):  # everything here is new: delete all the rest
            continue
        deleted.append(artifact.qualified_name)
        artifact.delete()
    assert deleted == ["ds:v1"]
    assert [v.version for v in repo.versions("ds")] == ["v2", "v0"]
    assert repo.gc(keep_last=1, dry_run=False, grace="0s").dropped == 0  # v0 is production


def test_shared_cache_and_a_second_project(folder: Path) -> None:
    project_a = artvc.init(folder / "project-a")
    write(folder / "project-a" / "tok" / "tokenizer.pkl", os.urandom(50_000))
    with artvc.run(job_type="create-shared", repository=project_a) as run_a:
        shared = artvc.Artifact("shared_preprocessor", type="model")
        shared.add_file(folder / "project-a" / "tok" / "tokenizer.pkl")
        run_a.log_artifact(shared)

    project_b = artvc.init(folder / "project-b")
    project_b.add_project("project-a", folder / "project-a")
    with artvc.run(job_type="use-shared", repository=project_b) as run_b:
        artifact_ref = run_b.use_artifact("project-a/shared_preprocessor:latest")
        assert artifact_ref.qualified_name == "project-a/shared_preprocessor:v0"
        artifact_path = artifact_ref.download()
        assert read(artifact_path, "tokenizer.pkl") == read(folder / "project-a" / "tok" / "tokenizer.pkl")
        derived = artvc.Artifact("derived", type="dataset")
        with derived.new_file("n.txt") as f:
            f.write("made with the shared tokenizer")
        run_b.log_artifact(derived)
    assert [i.qualified_name for i in derived.inputs] == ["project-a/shared_preprocessor:v0"]

    # The copy went through the shared cache: a third project reads it there.
    assert project_b.cache_info()["objects"] > 0
    project_c = artvc.init(folder / "project-c")
    project_c.add_project("project-a", folder / "project-a")
    path_c = project_c.use_artifact("project-a/shared_preprocessor:v0").download(folder / "c-copy")
    assert read(path_c, "tokenizer.pkl") == read(artifact_path, "tokenizer.pkl")

    # A repeated download finds the files right and rewrites none of them.
    before = os.stat(os.path.join(artifact_path, "tokenizer.pkl"))
    artifact_ref.download()
    after = os.stat(os.path.join(artifact_path, "tokenizer.pkl"))
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert project_b.cache_cleanup(0)["bytesLeft"] == 0


def test_remotes_push_clone_pull(repo: artvc.Repository, s3: S3, folder: Path) -> None:
    bucket = s3.make_bucket()
    write(folder / "project" / "data" / "a.csv", "id,v\n1,2\n")
    artifact = artvc.Artifact("ds", type="dataset")
    artifact.add_dir(folder / "project" / "data")
    repo.log_artifact(artifact, aliases=["production"])
    repo.add_remote("origin", f"s3://{bucket}/team")
    pushed = repo.push("origin")
    assert pushed["added"] == ["ds:v0"]
    other = artvc.clone(f"s3://{bucket}/team", folder / "other")
    assert other.use_artifact("ds:production").version == "v0"
    remote_version = repo.use_artifact("origin/ds:production")
    assert remote_version.qualified_name == "origin/ds:v0"
    assert read(remote_version.download(folder / "from-remote"), "a.csv") == b"id,v\n1,2\n"
    write(folder / "other" / "data" / "b.csv", "id\n3\n")
    second = artvc.Artifact("ds", type="dataset")
    second.add_dir(folder / "other" / "data")
    other.log_artifact(second)
    other.push()
    pulled = repo.pull("origin")
    assert pulled["added"] == ["ds:v1"]
    assert sorted(e.path for e in repo.use_artifact("ds:latest").files()) == ["b.csv"]
