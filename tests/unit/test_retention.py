"""--keep N prunes old run directories under the report root, and nothing else there."""

from __future__ import annotations

from dcr_harness.engine.retention import prune_run_dirs, run_dirs


def make(root, name, results=True):
    path = root / name
    path.mkdir(parents=True)
    if results:
        (path / "results.json").write_text("{}")
    return path


def test_keeps_the_newest_run_dirs_and_the_current_one(tmp_path):
    old = [make(tmp_path, f"20260101T00000{i}Z-reference-{100 + i}") for i in range(4)]
    current = make(tmp_path, "20250101T000000Z-reference-1", results=False)  # clock skew: still kept
    removed = prune_run_dirs(tmp_path, 2, current=current)
    assert removed == old[:3]
    assert set(run_dirs(tmp_path)) == {old[3], current}


def test_leaves_other_directories_and_the_latest_link_alone(tmp_path):
    make(tmp_path, "20260101T000000Z-reference-1")
    mine = make(tmp_path, "my-notes")
    (tmp_path / "latest").symlink_to("20260101T000000Z-reference-1")
    assert prune_run_dirs(tmp_path, 1, current=make(tmp_path, "20260101T000001Z-reference-2"))
    assert mine.is_dir() and (tmp_path / "latest").is_symlink()
