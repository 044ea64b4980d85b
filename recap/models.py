"""Typed artifacts passed between stages and stored as JSON in the episode folder."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from recap.errors import ArtifactError

T = TypeVar("T", bound="Artifact")


class Artifact:
    """Mixin: JSON (de)serialisation with a clear error for corrupt files."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        raise NotImplementedError

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def load(cls: type[T], path: Path, rebuild_hint: str = "") -> T:
        """Read an artifact, naming the file and how to rebuild it when it is missing or corrupt."""
        hint = f"; rebuild it with `{rebuild_hint}`" if rebuild_hint else ""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ArtifactError(f"{path} is missing{hint}") from None
        except OSError as exc:
            raise ArtifactError(f"cannot read {path}: {exc.strerror}{hint}") from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return cls.from_dict(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise ArtifactError(f"{path} is corrupt ({_short(exc)}){hint}") from None


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


@dataclass
class Chapter(Artifact):
    title: str
    start: float
    end: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chapter:
        return cls(str(data["title"]), float(data["start"]), float(data["end"]))


@dataclass
class TranscriptSource(Artifact):
    """A transcript the source already has, saved by the fetch stage under `transcripts/`."""

    origin: str
    """feed (a podcast feed's `<podcast:transcript>`), subtitles (the uploader's) or
    auto-captions (made by the site)."""
    file: str
    """Path inside the episode folder."""
    format: str
    """srt, vtt, json, html or txt."""
    language: str | None = None
    url: str = ""
    """Where it was downloaded from."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranscriptSource:
        return cls(str(data["origin"]), str(data["file"]), str(data["format"]),
                   data.get("language"), str(data.get("url") or ""))


@dataclass
class Info(Artifact):
    """Normalised metadata of an episode (info.json)."""

    title: str
    duration: float
    audio_file: str
    source: str
    webpage_url: str = ""
    uploader: str = ""
    upload_date: str | None = None
    description: str = ""
    chapters: list[Chapter] = field(default_factory=list)
    thumbnail: str | None = None
    extractor: str = ""
    id: str = ""
    transcripts: list[TranscriptSource] = field(default_factory=list)
    """Existing transcripts saved beside the audio (a feed's, subtitles, captions)."""
    episode_number: int | None = None
    """A feed's `itunes:episode`."""

    @property
    def seekable(self) -> bool:
        """True when the source URL accepts a `t=` start time (YouTube)."""
        return self.extractor.lower().startswith("youtube")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Info:
        return cls(
            title=str(data["title"]),
            duration=float(data["duration"]),
            audio_file=str(data["audio_file"]),
            source=str(data["source"]),
            webpage_url=str(data.get("webpage_url") or ""),
            uploader=str(data.get("uploader") or ""),
            upload_date=data.get("upload_date"),
            description=str(data.get("description") or ""),
            chapters=[Chapter.from_dict(c) for c in data.get("chapters") or []],
            thumbnail=data.get("thumbnail"),
            extractor=str(data.get("extractor") or ""),
            id=str(data.get("id") or ""),
            transcripts=[TranscriptSource.from_dict(t) for t in data.get("transcripts") or []],
            episode_number=data.get("episode_number"),
        )


@dataclass
class Segment(Artifact):
    """One timestamped piece of transcript."""

    id: int
    start: float
    end: float
    text: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        return cls(int(data["id"]), float(data["start"]), float(data["end"]), str(data["text"]))


@dataclass
class Transcript(Artifact):
    """transcript.json: the whole episode's segments."""

    language: str
    duration: float
    model: str
    segments: list[Segment]
    origin: str = "whisper"
    """whisper, feed, subtitles or auto-captions (see recap.captions)."""
    source: str = ""
    """The existing transcript's file in the episode folder, when not transcribed here."""

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = [
            Segment.from_dict({**s, "id": s.get("id", i)})
            for i, s in enumerate(data["segments"])
        ]
        return cls(str(data["language"]), float(data["duration"]), str(data["model"]), segments,
                   str(data.get("origin") or "whisper"), str(data.get("source") or ""))


@dataclass
class Chunk(Artifact):
    """Consecutive segments packed to fit the model's context."""

    index: int
    start: float
    end: float
    segment_ids: list[int]
    text: str
    tokens: int
    chapter: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(
            index=int(data["index"]),
            start=float(data["start"]),
            end=float(data["end"]),
            segment_ids=[int(i) for i in data["segment_ids"]],
            text=str(data["text"]),
            tokens=int(data["tokens"]),
            chapter=data.get("chapter"),
        )


@dataclass
class Chunks(Artifact):
    """chunks.json."""

    token_budget: int
    tokenizer: str
    chunks: list[Chunk]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunks:
        return cls(
            int(data["token_budget"]),
            str(data["tokenizer"]),
            [Chunk.from_dict(c) for c in data["chunks"]],
        )


@dataclass
class Bullet(Artifact):
    """One note, with the time range and transcript segments it rests on."""

    text: str
    start: float
    end: float
    segment_ids: list[int] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bullet:
        return cls(
            str(data["text"]),
            float(data["start"]),
            float(data["end"]),
            [int(i) for i in data.get("segment_ids") or []],
        )


@dataclass
class Topic(Artifact):
    title: str
    bullets: list[Bullet]

    @property
    def start(self) -> float:
        return min((b.start for b in self.bullets), default=0.0)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Topic:
        return cls(str(data["title"]), [Bullet.from_dict(b) for b in data["bullets"]])


@dataclass
class Notes(Artifact):
    """notes.json: topic-grouped bullets for the whole episode."""

    topics: list[Topic]
    keywords: list[str] = field(default_factory=list)
    summary: str = ""
    intro: str = ""
    speakers: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    language: str = ""
    """The language the notes are written in (ISO 639-1); empty in notes from before it was
    recorded, read as English."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notes:
        return cls(
            topics=[Topic.from_dict(t) for t in data["topics"]],
            keywords=[str(k) for k in data.get("keywords") or []],
            summary=str(data.get("summary") or ""),
            intro=str(data.get("intro") or ""),
            speakers=[str(s) for s in data.get("speakers") or []],
            checks=dict(data.get("checks") or {}),
            language=str(data.get("language") or ""),
        )
