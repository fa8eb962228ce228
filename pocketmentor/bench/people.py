"""How long an admin's import of 10,000 participants takes, from the CSV bytes to the rows."""

import time

from pocketmentor.bench import Figure
from pocketmentor.orgs.models import Organization
from pocketmentor.people.importing import read_people
from pocketmentor.people.services import people_import

ROWS = 10_000
DEPARTMENTS = ["Oppvekst", "Helse og omsorg", "Teknisk", "Kultur", "Økonomi"]


def people_csv(rows: int = ROWS) -> bytes:
    """A realistic file: Norwegian headers, semicolons as Excel writes them, groups of ten."""
    lines = ["navn;e-post;avdeling;gruppe;språk"]
    lines += [
        f"Leder {n};import{n:05d}@bench.example;{DEPARTMENTS[n % 5]};Gruppe {n // 10 + 1};nb"
        for n in range(rows)
    ]
    return "\n".join(lines).encode("utf-8-sig")


def measure() -> list[Figure]:
    program = Organization.objects.order_by("pk").first().programs.order_by("pk").first()
    data = people_csv()
    started = time.perf_counter()
    people_import(program=program, people=read_people(data, filename="people.csv"))
    first = time.perf_counter() - started
    started = time.perf_counter()
    people_import(program=program, people=read_people(data, filename="people.csv"))
    again = time.perf_counter() - started
    return [
        Figure("import.people_10000.seconds", round(first, 2), "s"),
        Figure("import.people_10000.rows_per_second", round(ROWS / first), "rows/s"),
        Figure("import.people_10000_again.seconds", round(again, 2), "s"),
    ]
