"""Text helpers that several stages share: clock formats and markdown front matter.

Kept here, once, so that notes, write, transcribe, chunk and the commands print a time the same
way and read a post the same way.
"""

from recap.text.clock import clock, duration, srt_time, timestamp
from recap.text.markdown import strip_front_matter

__all__ = ["clock", "duration", "srt_time", "strip_front_matter", "timestamp"]
