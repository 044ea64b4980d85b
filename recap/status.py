"""`recap status`: which stages of which episodes are done, stale, edited or failed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recap.episode import STAGES, Episode
from recap.errors import InputError


@dataclass
class EpisodeStatus:
    slug: str
    title: str
    stages: dict[str, str]
    error: str | None = None


def collect_status(output_root: Path) -> list[EpisodeStatus]:
    """Status of every episode folder under `output_root`."""
    root = Path(output_root)
    if not root.is_dir():
        raise InputError(f"{root} is not a folder of episodes")
    rows = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        row = episode_status(folder)
        if row is not None:
            rows.append(row)
    return rows


def episode_status(folder: Path) -> EpisodeStatus | None:
    """Status of one episode folder; None when `folder` is not one."""
    from recap.models import Info
    from recap.stages import stage_state

    if not (folder / "manifest.json").exists() and not (folder / "info.json").exists():
        return None
    episode = Episode(folder)
    try:
        title = Info.load(episode.info_path).title
    except Exception:  # noqa: BLE001 - a broken info.json shows as a failed fetch
        title = "?"
    stages = _stale_downstream({stage: stage_state(episode, stage) for stage in STAGES})
    errors = [r.error for r in episode.read_manifest().stages.values() if r.error]
    return EpisodeStatus(folder.name, title, stages, errors[-1] if errors else None)


def _stale_downstream(stages: dict[str, str]) -> dict[str, str]:
    """A stale stage will be redone, so every finished stage after it is stale too."""
    redo = False
    for stage in STAGES:
        if redo and stages[stage] == "done":
            stages[stage] = "stale"
        redo = redo or stages[stage] == "stale"
    return stages
