"""Text helpers that several stages share: clock formats, markdown front matter and figures.

Kept here, once, so that notes, write, transcribe, chunk and the commands print a time the same
way and read a post the same way, and so that the faithfulness check, the notes stage and write's
figure marker agree on what a figure and a unit are (`figures`, `vocabulary`).
"""

from recap.text.clock import clock, duration, srt_time, timestamp
from recap.text.markdown import strip_front_matter

__all__ = ["clock", "duration", "srt_time", "strip_front_matter", "timestamp"]
