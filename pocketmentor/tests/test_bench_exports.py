"""The export figures of `make bench`, on the demo: what the harness reports is what runs."""

import io

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from pocketmentor import demo
from pocketmentor.bench import exports
from pocketmentor.insights.models import Engagement, ExportFile
from pocketmentor.learning.models import Enrollment


@pytest.mark.django_db
def test_the_bench_streams_the_csv_and_builds_the_excel_file_as_the_worker_does():
    demo.demo_seed(language="nb")
    enrolled = Enrollment.objects.count()
    Engagement.objects.filter(enrollment__pk__in=Enrollment.objects.values("pk")[:10]).delete()
    slugs = exports.prepare(progress=lambda text: None)
    assert Engagement.objects.count() == enrolled  # the missing rows written

    csv = exports._csv("participants", *slugs)
    assert csv["rows"] == enrolled
    assert 0 < csv["first_byte"] <= csv["first_row"] <= csv["seconds"]
    assert csv["bytes"] > 100 * enrolled and csv["peak_mb"] >= 0

    xlsx = exports._xlsx("participants", *slugs)
    job = ExportFile.objects.get()
    assert job.state == ExportFile.State.READY and xlsx["bytes"] == default_storage.size(job.file)
    with default_storage.open(job.file) as file:
        sheet = load_workbook(io.BytesIO(file.read())).active
    assert sheet.max_row == enrolled + 1
