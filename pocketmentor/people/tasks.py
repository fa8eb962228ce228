"""Background work of the people pages: reading an uploaded people file in a worker."""

from django_tasks import task

from pocketmentor.people.importing import read_job


@task()
def people_file_read(job_id: str) -> str:
    """Read the job's file, with every bound of `read_people`; the job's state after."""
    return read_job(job_id=job_id)
