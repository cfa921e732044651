"""`make_music_videos --photos --music`: real photographs edited to real music, or a clear error."""

import pytest
from django.core.management import CommandError, call_command


def test_photos_and_music_go_together(tmp_path):
    with pytest.raises(CommandError, match="--photos and --music go together"):
        call_command("make_music_videos", str(tmp_path / "out"), "--photos", str(tmp_path))


def test_folders_without_usable_music_or_photographs_are_refused(tmp_path):
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "readme.txt").write_text("no music here")
    (tmp_path / "photos").mkdir()
    with pytest.raises(CommandError, match="found 0 music files of 45 s or more and 0 photographs"):
        call_command("make_music_videos", str(tmp_path / "out"), "--photos", str(tmp_path / "photos"),
                     "--music", str(tmp_path / "music"))  # fmt: skip
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_folder_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(CommandError, match="not a folder: .*nowhere"):
        call_command("make_music_videos", str(tmp_path / "out"), "--photos", str(tmp_path / "nowhere"),
                     "--music", str(tmp_path))  # fmt: skip
