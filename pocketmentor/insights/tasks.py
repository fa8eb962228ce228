"""Background work of the insights: making an Excel export too large for a request."""

from django_tasks import task

from pocketmentor.insights.exports import export_build


@task()
def export_file_build(job_id: str) -> str:
    """Make and store the requested Excel file (`exports.export_build`); the job's state."""
    return export_build(job_id=job_id)
