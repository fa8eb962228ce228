"""The page figures of `make bench`, on the demo: what the harness reports is what runs."""

import pytest

from pocketmentor import demo
from pocketmentor.bench import pages
from pocketmentor.learning.tests.test_queries import KEPT


@pytest.mark.django_db
def test_the_bench_reports_each_page_and_the_kept_unit_pages():
    demo.demo_seed(language="nb")
    figures = {name: value for name, value, _ in pages.measure()}
    for page in pages.PAGES:
        assert figures[f"page.{page}.queries"] > 0
        assert 0 < figures[f"page.{page}.html_bytes"] < figures[f"page.{page}.first_load_bytes"]
    for page in pages.KEPT:
        assert figures[f"page.{page}.kept_queries"] == KEPT
        assert figures[f"page.{page}.rendered_ms"] > 0 and figures[f"page.{page}.kept_ms"] > 0
