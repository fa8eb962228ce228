"""Video links for cards: YouTube, Vimeo or a direct MP4, as a privacy-friendly embed."""

import re
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

_YOUTUBE_ID = re.compile(r"^[\w-]{11}$")


class Video(NamedTuple):
    provider: str  # "youtube", "vimeo" or "file"
    embed_url: str  # the player, loaded only when the participant asks for it


def video_for(url: str) -> Video | None:
    """The embeddable video behind a link, or None for a link we cannot play."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    if parts.scheme != "https":
        return None
    video_id = ""
    if host == "youtu.be":
        video_id = parts.path.strip("/")
    elif host == "youtube.com":
        if parts.path == "/watch":
            video_id = parse_qs(parts.query).get("v", [""])[0]
        elif parts.path.startswith(("/embed/", "/shorts/")):
            video_id = parts.path.split("/")[2]
    if video_id:
        if not _YOUTUBE_ID.match(video_id):
            return None
        return Video("youtube", f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1")
    if host in ("vimeo.com", "player.vimeo.com"):
        number = parts.path.rstrip("/").split("/")[-1]
        if number.isdigit():
            return Video("vimeo", f"https://player.vimeo.com/video/{number}?dnt=1&autoplay=1")
        return None
    if parts.path.lower().endswith(".mp4"):
        return Video("file", url)
    return None
