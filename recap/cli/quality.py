"""`recap check` (quality report of an episode's notes and post) and `recap eval` (fact recall)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from recap.text.clock import timestamp

EpisodeArg = Annotated[Path, typer.Argument(help="An episode folder (output/<slug>).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts).")]


def register(app: typer.Typer) -> None:
    """Register `check` and `eval`."""
    app.command("check")(check)
    app.command("eval")(evaluate)


def check(
    episode: EpisodeArg,
    as_json: JsonOpt = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit with status 1 when a bullet is not supported by the transcript.")
    ] = False,
) -> None:
    """Quality report: bullets, topics, figures verified, repaired, dropped, coverage, reading time.

    Also re-checks every bullet of notes.json against the transcript, so hand edits are checked.
    """
    from recap.quality.report import quality_report

    report = quality_report(episode)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(report))
    if strict and report["recheck"]["unsupported"]:
        raise typer.Exit(1)


def evaluate(
    episode: EpisodeArg,
    facts: Annotated[Path, typer.Option(
        "--facts", help="JSON list of expected facts, each a list of acceptable phrasings.")],
    as_json: JsonOpt = False,
    min_score: Annotated[float | None, typer.Option(
        "--min-score", help="Exit with status 1 when fact recall is below this (0-1).")] = None,
) -> None:
    """Score the episode's post by the share of expected facts it states."""
    from recap.errors import ConfigError
    from recap.quality.facts import evaluate as run_eval

    if min_score is not None and not 0 <= min_score <= 1:
        raise ConfigError(f"--min-score must be between 0 and 1 (got {min_score})")
    result = run_eval(episode, facts)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_eval(result))
    if min_score is not None and result["score"] < min_score:
        raise typer.Exit(1)


# ---------------------------------------------------------------- text output

def format_report(report: dict[str, Any]) -> str:
    """The human-readable `recap check` report."""
    cov = report["coverage"]
    lines = [f"{report['title']}", f"  {report['episode']}"]

    def row(label: str, value: str) -> None:
        lines.append(f"  {label:<18}{value}")

    row("topics", str(report["topics"]))
    row("bullets", str(report["bullets"]))
    if report["figures_checked"] is not None:
        row("figures verified",
            f"{report['figures_verified']} of {report['figures_checked']} (notes stage)")
        row("repaired", str(report["repaired"] or 0))
        row("dropped", str(report["dropped"] or 0))
    else:
        row("figures verified", "n/a (no checks recorded by the notes stage)")
    row("coverage", _coverage_line(cov))
    for index in cov["uncovered_chunks"]:
        chunk = next(c for c in cov["chunks"] if c["index"] == index)
        missing = ", ".join([*chunk["missing_figures"], *chunk["missing_names"]][:6])
        row("not in notes", f"chunk {index} ({timestamp(chunk['start'])}-{timestamp(chunk['end'])}): "
            f"{missing}")
    row("reading time", _reading_line(report))
    recheck = report["recheck"]
    if not recheck["unsupported"]:
        count = recheck["bullets"]
        row("re-check", f"all {count} bullet{'' if count == 1 else 's'} supported by the "
            f"transcript ({recheck['figures_supported']} of {recheck['figures']} figures)")
    else:
        row("re-check", f"{len(recheck['unsupported'])} of {recheck['bullets']} bullets not "
            "supported by the transcript:")
        for item in recheck["unsupported"]:
            lines.append(f"    - [{timestamp(item['start'])}] {item['text']}")
            lines.append(f"      {item['problem']}")
    return "\n".join(lines)


def _coverage_line(cov: dict[str, Any]) -> str:
    parts = []
    if cov["figure_coverage"] is not None:
        parts.append(f"{cov['figure_coverage']:.0%} of source figures "
                     f"({cov['figures_in_notes']}/{cov['figures']})")
    if cov["name_coverage"] is not None:
        parts.append(f"{cov['name_coverage']:.0%} of names "
                     f"({cov['names_in_notes']}/{cov['names']})")
    return ", ".join(parts) or "n/a (no figures or names in the transcript)"


def _reading_line(report: dict[str, Any]) -> str:
    from recap.write.reading import indefinite_article

    reading, episode = report["reading_minutes"], report["episode_minutes"]
    if reading is None:
        return "n/a (no post yet; run `recap write`)"
    text = f"{_number(reading)} min"
    if episode is not None:
        text += f" instead of {_number(episode)} min"
    saving = report["saving"]
    if isinstance(saving, int | float):
        # the post itself claims no saving of 1x or less ("2 minutes reading.")
        article = indefinite_article(int(saving))
        text += f", {article} {_number(saving)}x saving" if saving > 1 else ", no saving"
    elif saving:
        text += f", a {saving} saving"
    return text


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)



def format_eval(result: dict[str, Any]) -> str:
    """The human-readable `recap eval` report."""
    lines = [f"{result['post']}"]
    for fact in result["facts"]:
        if fact["found"]:
            lines.append(f"  found    {fact['id']}  (\"{fact['matched']}\")")
        else:
            lines.append(f"  missing  {fact['id']}")
    lines.append(f"score: {result['found']}/{result['total']} facts ({result['score']:.0%})")
    return "\n".join(lines)
