from recommender.markers import music_markers, timecode, to_csv, to_edl


def test_markers_move_onto_the_video_timeline_and_sections_win_over_downbeats():
    marks = music_markers(offset=10.0, video_duration=6.0, downbeats=[8.0, 10.0, 12.0, 14.0, 16.0, 18.0],
                          sections=[0.0, 14.0], section_labels=["A", "B"])  # fmt: skip
    assert [(m.time, m.kind) for m in marks] == [(0.0, "downbeat"), (2.0, "downbeat"), (4.0, "section")]
    assert marks[-1].label == "Section B"


def test_timecode_and_edl_layout():
    assert timecode(61.48, 25) == "00:01:01:12"
    assert timecode(0.0, 24, start_hours=1) == "01:00:00:00"
    marks = music_markers(offset=0.0, video_duration=3.0, downbeats=[0.0, 2.0])
    edl = to_edl(marks, title="Clip\nwith newline", fps=25).splitlines()
    assert edl[0] == "TITLE: Clip with newline" and edl[1] == "FCM: NON-DROP FRAME"
    assert edl[3].startswith("001  001      V     C        01:00:00:00 01:00:00:01 01:00:00:00 01:00:00:01")
    assert edl[4] == " |C:ResolveColorBlue |M:Bar 1 |D:1"
    assert to_csv(marks, fps=25).splitlines()[2] == "2.000,00:00:02:00,downbeat,Bar 2"
