"""The run folder's write-through (a worker on another node shares no disk with the server): what the worker's
folder became is what the server's copy becomes, files that only grow travel as their new bytes, and the server's
own files and paths outside the folder are never written from a worker."""

from __future__ import annotations

from pathlib import Path

from agents.runs.workers.folder_sync import FileWrite, FolderWatch, apply_writes, folder_files, seed


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_servers_copy_follows_every_change_of_the_workers_folder(tmp_path: Path) -> None:
    worker, server = tmp_path / "worker", tmp_path / "server"
    worker.mkdir(), server.mkdir()
    (server / "status.json").write_text("{}")  # the server's own file stays as it is
    watch = FolderWatch(worker)
    (worker / "monitor").mkdir()
    (worker / "monitor" / "0.monitor.csv").write_text("r,l,t\n1,1,0.1\n")
    (worker / "model.zip").write_bytes(b"first")
    (worker / "gone.txt").write_text("x")
    apply_writes(server, watch.changes())

    with open(worker / "monitor" / "0.monitor.csv", "a") as handle:
        handle.write("2,2,0.2\n")
    (worker / "model.zip").write_bytes(b"second, longer")
    (worker / "gone.txt").unlink()
    writes = watch.changes()
    apply_writes(server, writes)

    appended = next(w for w in writes if w.path == "monitor/0.monitor.csv")
    assert appended.offset == len("r,l,t\n1,1,0.1\n") and appended.data == b"2,2,0.2\n"  # the new line only
    assert {w.path: w.data for w in writes}["gone.txt"] is None
    assert _tree(server) == {**_tree(worker), "status.json": b"{}"}
    assert watch.changes() == []  # nothing changed: nothing travels


def test_a_file_cut_back_is_sent_whole(tmp_path: Path) -> None:
    (tmp_path / "progress.csv").write_text("a\n1\n2\n")
    watch = FolderWatch(tmp_path)
    watch.mark()
    (tmp_path / "progress.csv").write_text("a\n9\n")  # a resumed run cuts its records back to the checkpoint
    assert watch.changes() == [FileWrite("progress.csv", 0, b"a\n9\n")]


def test_the_servers_files_and_temporary_files_never_travel(tmp_path: Path) -> None:
    for name in ("config.json", "status.json", ".lock", ".model.zip.x.tmp", "model.zip"):
        (tmp_path / name).write_text(name)
    assert set(folder_files(tmp_path)) == {"model.zip"}
    assert [w.path for w in FolderWatch(tmp_path).changes()] == ["model.zip"]


def test_a_worker_cannot_write_outside_the_folder_or_over_the_servers_record(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "status.json").write_text("server")
    apply_writes(
        folder,
        [
            FileWrite("../escaped.txt", 0, b"x"),
            FileWrite("/tmp/absolute.txt", 0, b"x"),
            FileWrite("status.json", 0, b"worker"),
            FileWrite("monitor/../../escaped.txt", 0, b"x"),
            FileWrite(".lock", 0, b"x"),
        ],
    )
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/absolute.txt").exists()
    assert _tree(folder) == {"status.json": b"server"}


def test_a_resumed_runs_files_seed_the_workers_scratch_folder(tmp_path: Path) -> None:
    server, scratch = tmp_path / "server", tmp_path / "scratch"
    (server / "monitor").mkdir(parents=True)
    (server / "model.zip").write_bytes(b"checkpoint")
    (server / "monitor" / "0.monitor.csv").write_text("r,l,t\n")
    (server / "status.json").write_text("{}")
    scratch.mkdir()
    seed(scratch, folder_files(server))
    assert _tree(scratch) == {"model.zip": b"checkpoint", "monitor/0.monitor.csv": b"r,l,t\n"}
