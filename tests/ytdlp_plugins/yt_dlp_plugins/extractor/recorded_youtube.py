"""A yt-dlp plugin for tests: YouTube links answered from recordings, with no network.

yt-dlp loads it (ahead of its own YouTube extractor) when this folder's parent is on PYTHONPATH;
the tests put it there for the `recap` subprocess only, so the product runs unchanged. The file
named by $RECAP_TEST_RECORDED_YOUTUBE says, per video id, either

- {"info": {...}}: a recorded info dict, returned as the YouTube extractor returned it, with its
  formats and thumbnails pointing at the test's local HTTP server ({"base": url}); or
- {"refusal": {"reason": ..., "subreason": ...}}: YouTube's playability status, turned into the
  error YouTube's extractor raises for it (yt-dlp's own hint and geo handling included).
"""

from __future__ import annotations

import json
import os

from yt_dlp.extractor.common import InfoExtractor
from yt_dlp.extractor.youtube import YoutubeBaseInfoExtractor, YoutubeIE
from yt_dlp.utils import remove_end


class YoutubeRecordedIE(InfoExtractor):
    IE_NAME = "youtube:recorded"
    _VALID_URL = YoutubeIE._VALID_URL
    _COOKIE_HOWTO_WIKI_URL = YoutubeBaseInfoExtractor._COOKIE_HOWTO_WIKI_URL

    def _real_extract(self, url):
        video_id = self._match_id(url)
        with open(os.environ["RECAP_TEST_RECORDED_YOUTUBE"], encoding="utf-8") as fh:
            recordings = json.load(fh)
        video = recordings["videos"][video_id]
        if "refusal" in video:
            self._refuse(video["refusal"])
        info = dict(video["info"])
        base = recordings["base"]
        info["formats"] = [{**f, "url": f"{base}/{f['url']}"} for f in info["formats"]]
        info["thumbnails"] = [{**t, "url": f"{base}/{t['url']}"} for t in info["thumbnails"]]
        info.pop("thumbnail", None)  # yt-dlp picks it from the list, as for YouTube
        return info

    def _refuse(self, status):
        """What yt-dlp's YoutubeIE does with a playability status that has no formats."""
        reason, subreason = status.get("reason", ""), status.get("subreason", "")
        if subreason.startswith("The uploader has not made this video available in your country"):
            self.raise_geo_restricted(subreason, status.get("countries"), metadata_available=True)
        if subreason and subreason != reason:
            reason += f". {subreason}"
        if "sign in" in reason.lower():
            reason = remove_end(reason, "This helps protect our community. Learn more")
            hint = YoutubeBaseInfoExtractor._youtube_login_hint.fget(self)
            reason = f"{remove_end(reason.strip(), '.')}. {hint}"
        self.raise_no_formats(reason, expected=True)
