"""`recap notes --explain`: each bullet beside the transcript lines it rests on."""

from __future__ import annotations

from recap.episode import Episode
from recap.models import Notes, Transcript
from recap.text.clock import clock


def explain(episode: Episode) -> str:
    """Per bullet: its time range, its segment ids and the transcript text it rests on."""
    notes = Notes.load(episode.notes_path, f"recap notes {episode.root}")
    transcript = Transcript.load(episode.transcript_path, f"recap transcribe {episode.root}")
    segments = {s.id: s for s in transcript.segments}
    out: list[str] = []
    for topic in notes.topics:
        out.append(f"## {topic.title}")
        for bullet in topic.bullets:
            ids = ", ".join(f"S{i}" for i in bullet.segment_ids) or "no segments"
            out.append(f"- {bullet.text}")
            out.append(f"  {clock(bullet.start)}–{clock(bullet.end)} · {ids}")
            for i in bullet.segment_ids:
                segment = segments.get(i)
                if segment is None:
                    out.append(f"    > (S{i}) not in transcript.json")
                else:
                    out.append(f"    > (S{i}) [{clock(segment.start)}] {segment.text.strip()}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
