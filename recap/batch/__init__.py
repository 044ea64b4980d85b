"""Batch runs: list a playlist, channel, feed or file of sources, plan it, and run every episode.

    listing = expand("https://example.com/feed.xml")
    chosen = select(listing.entries, limit=10, since=date(2024, 1, 1))
    with create_executor("local", jobs=1) as executor:
        result = run_batch(listing.source, chosen.entries, Path("output"), BatchOptions(),
                           run_options, executor, reporter, llm_factory)

Each episode runs the usual stages in its own folder, as three steps that queue for three
kinds of worker slot: downloads (network), transcription (CPU/GPU, on an executor) and the
LLM stages (chunk, notes, write). So episode B downloads while A transcribes, and A's LLM calls
overlap B's transcription. One episode's failure never stops the others. Stages that are up to
date are skipped through the episode manifests, so rerunning a batch (after a failure, Ctrl-C or
a kill) redoes only what is missing. `OUTPUT_ROOT/batch.json` records the entries and outcomes.

    settings.py   BatchSettings: every flag of `recap batch` resolved and checked once
    listing.py    sources -> entries (feeds, playlists, folders, list files); the selection
    plan.py       BatchOptions; the dry-run plan; transcription speed measured on this machine
    records.py    batch.json lines, the result, progress callbacks, the shared LLM client
    scheduler.py  the lanes of worker slots and the run itself
    steps.py      what each slot does to an entry, through the pipeline's stage entry points
    journal.py    batch.json kept current while the batch runs
Each class documents the locks it holds beside them.
"""

from recap.batch.journal import BATCH_FILE
from recap.batch.listing import (
    MEDIA_SUFFIXES,
    Entry,
    Listing,
    Selection,
    expand,
    parse_since,
    read_source_lines,
    select,
)
from recap.batch.plan import (
    NOTES_SHARE,
    PROMPT_TOKENS_PER_CALL,
    REDUCE_CALLS,
    TOKENS_PER_WORD,
    WORDS_PER_MINUTE,
    BatchOptions,
    Plan,
    PlanItem,
    entry_state,
    estimate_llm_tokens,
    make_plan,
    measure_speed,
    speed_clip,
)
from recap.batch.records import BatchReporter, BatchResult, EntryRecord
from recap.batch.scheduler import run_batch
from recap.batch.settings import BatchSettings

__all__ = [
    "BATCH_FILE", "MEDIA_SUFFIXES", "NOTES_SHARE", "PROMPT_TOKENS_PER_CALL", "REDUCE_CALLS",
    "TOKENS_PER_WORD", "WORDS_PER_MINUTE", "BatchOptions", "BatchReporter", "BatchResult",
    "BatchSettings", "Entry", "EntryRecord", "Listing", "Plan", "PlanItem", "Selection",
    "entry_state", "estimate_llm_tokens", "expand", "make_plan", "measure_speed", "parse_since",
    "read_source_lines", "run_batch", "select", "speed_clip",
]
