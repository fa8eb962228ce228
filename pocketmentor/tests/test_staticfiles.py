import re

from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command


def test_before_collecting_pages_link_plain_names(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    assert staticfiles_storage.url("pocketmentor/app.css") == "/static/pocketmentor/app.css"


def test_collected_files_are_fingerprinted_and_compressed(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    url = staticfiles_storage.url("pocketmentor/app.css")
    assert re.fullmatch(r"/static/pocketmentor/app\.[0-9a-f]{12}\.css", url)
    collected = tmp_path / url.removeprefix("/static/")
    for suffix in (".br", ".gz"):
        compressed = collected.with_name(collected.name + suffix)
        assert 0 < compressed.stat().st_size < collected.stat().st_size
