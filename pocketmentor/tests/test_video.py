import pytest

from pocketmentor.lib.video import video_for


@pytest.mark.parametrize(
    ("url", "provider", "embed"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube",
         "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"),
        ("https://youtu.be/dQw4w9WgXcQ", "youtube",
         "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"),
        ("https://vimeo.com/76979871", "vimeo", "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1"),
        ("https://media.example.no/film.mp4", "file", "https://media.example.no/film.mp4"),
    ],
)  # fmt: skip
def test_playable_links(url, provider, embed):
    assert video_for(url) == (provider, embed)


@pytest.mark.parametrize(
    "url",
    [
        "http://youtu.be/dQw4w9WgXcQ",  # not https
        "https://youtu.be/<script>",
        "https://vimeo.com/channels/staff",
        "https://example.com/page",
        "javascript:alert(1)",
    ],
)
def test_links_we_cannot_play(url):
    assert video_for(url) is None
