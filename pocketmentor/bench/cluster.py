"""Many machines on loopback: the recipe of docs/deploy.md run for real (`make cluster-test`).

Two web nodes and two workers, each with an empty data folder of its own, behind one Caddy,
sharing PostgreSQL, Redis, an S3-compatible bucket (moto's server) and the secret key; e-mail
goes to SMTP servers on loopback that keep every message. A journey then crosses the nodes: a
sign-in link asked for on node A signs in on node B, an import uploaded on A (read by a
worker) is confirmed on B, an image uploaded on A shows on B, a release planned once reaches
each person exactly once with workers on both, and 250 participants sign in through the
proxy from one client address within two minutes.

Each step prints what it did; the last line says `N passed, N failed`. A step that needs work
not done yet is marked as expected to fail until then: it is reported and does not fail the run;
once it passes, the run says so, and the mark should go.
"""

import concurrent.futures
import email
import email.policy
import io
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.urls import reverse
from PIL import Image

from pocketmentor.bench import fanout
from pocketmentor.bench.database import bench_database
from pocketmentor.bench.load import free_port

HOST = "127.0.0.1"
PARTICIPANTS = 250
SIGN_IN_SECONDS = 120  # the 250 sign-ins must fit in this
READY_SECONDS = 120  # for each process to answer
# Steps that need work not done yet: the step's name and what it waits for.
EXPECTED_TO_FAIL: dict[str, str] = {}


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    via: str  # which process sent it: each has an SMTP port of its own


class Sink:
    """SMTP servers on loopback, one for each sender, that keep every message for the steps."""

    def __init__(self):
        self.messages: list[Mail] = []
        self.arrived = threading.Condition()
        self.controllers: list[Controller] = []

    def listen(self, via: str) -> int:
        """A port for the process `via` to send its e-mail to."""
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                text = message.get_body(("plain",)).get_content()
                with sink.arrived:
                    for to in envelope.rcpt_tos:
                        sink.messages.append(Mail(to.lower(), str(message["Subject"]), text, via))
                    sink.arrived.notify_all()
                return "250 OK"

        port = free_port()
        controller = Controller(Handler(), hostname=HOST, port=port)
        controller.start()
        self.controllers.append(controller)
        return port

    def stop(self) -> None:
        for controller in self.controllers:
            controller.stop()

    def wait_for(self, test: Callable[[Mail], bool], seconds: float = 30) -> Mail:
        """The first message that passes the test; wait for it if need be."""
        deadline = time.monotonic() + seconds
        with self.arrived:
            while True:
                found = next((m for m in self.messages if test(m)), None)
                if found or not self.arrived.wait(max(0, deadline - time.monotonic())):
                    if found is None:
                        raise AssertionError(f"no such e-mail arrived within {seconds:.0f} s")
                    return found

    def link_for(self, address: str, seconds: float = 30) -> str:
        mail = self.wait_for(lambda m: m.to == address and "/login/?t=" in m.text, seconds)
        with self.arrived:
            self.messages.remove(mail)  # each link is used once
        return re.search(r"https?://\S+/login/\?t=[\w-]+", mail.text).group(0)


@dataclass
class Cluster:
    folder: Path
    proxy: str
    nodes: list[str]
    sink: Sink
    redis_url: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    program: object = None  # the seeded live program, its week 1 just opened
    admin: object = None  # its organization's admin
    staff: requests.Session | None = None  # the admin, signed in

    def log(self, name: str):
        return (self.folder / f"{name}.log").open("a")


def run(*, redis_url: str, out=sys.stdout) -> int:
    """Start the topology on a database of its own, walk the journey; how many steps failed."""
    if connection.vendor != "postgresql":
        raise SystemExit("The cluster shares one PostgreSQL database: set DATABASE_URL to one.")
    if shutil.which("caddy") is None:
        raise SystemExit("The cluster's proxy is Caddy: apt-get install caddy")
    for chatty in ("mail.log", "werkzeug"):  # aiosmtpd's every command, moto's every request
        logging.getLogger(chatty).setLevel(logging.WARNING)
    started = time.monotonic()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pm-cluster-")))
        database_url = stack.enter_context(bench_database(folder, suffix="cluster"))
        storage = stack.enter_context(_s3())
        _flush(redis_url)
        sink = Sink()
        stack.callback(sink.stop)
        cluster = Cluster(folder, f"http://{HOST}:{free_port()}", [], sink, redis_url)
        stack.enter_context(_processes(cluster, database_url, storage))
        print(
            f"Started in {time.monotonic() - started:.0f} s: proxy {cluster.proxy} → nodes "
            f"{', '.join(cluster.nodes)}; workers w1, w2; PostgreSQL, Redis, S3 and SMTP on "
            "loopback",
            file=out,
            flush=True,
        )
        results = [_step(name, step, cluster, out) for name, step in STEPS]
    passed = sum(r == "passed" for r in results)
    expected = sum(r == "expected" for r in results)
    failed = len(results) - passed - expected
    note = f" ({expected} expected to fail, listed above)" if expected else ""
    print(f"{passed} passed, {failed} failed{note} in {time.monotonic() - started:.0f} s", file=out)
    return failed


def _step(name: str, step, cluster: Cluster, out) -> str:
    started = time.monotonic()
    try:
        detail = step(cluster)
    except Exception as error:  # every step reports, whatever broke
        seconds = time.monotonic() - started
        if name in EXPECTED_TO_FAIL:
            print(
                f"EXPECTED FAIL {name} ({seconds:.0f} s): {error}\n"
                f"  until: {EXPECTED_TO_FAIL[name]}",
                file=out,
                flush=True,
            )
            return "expected"
        print(f"FAIL {name} ({seconds:.0f} s): {error}", file=out, flush=True)
        return "failed"
    seconds = time.monotonic() - started
    if name in EXPECTED_TO_FAIL:
        detail += "; it was expected to fail: remove it from EXPECTED_TO_FAIL"
    print(f"ok {name} ({seconds:.0f} s): {detail}", file=out, flush=True)
    return "passed"


def _flush(redis_url: str) -> None:
    """Start from an empty Redis database: no rate limits or queued tasks from earlier runs."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


@contextmanager
def _processes(cluster: Cluster, database_url: str, storage: dict) -> Iterator[None]:
    """Seed, then start two web nodes, two workers and the proxy; stop them all afterwards."""
    program = fanout.seed(PARTICIPANTS)
    cluster.program = program
    cluster.admin = _admin(program)
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": cluster.redis_url,
        "TASKS_BACKEND": "redis",
        "SECRET_KEY": settings.SECRET_KEY,  # every node signs and checks links with one key
        "SITE_URL": cluster.proxy,
        "ALLOWED_HOSTS": HOST,
        "NUDGES_BATCH_SIZE": "10",  # many small tasks, so both workers take some
        "NUDGES_WORKER_INTERVAL": "1",
        "LOG_LEVEL": "WARNING",
        "WEB_WORKERS": "1",
        "HOST": HOST,
        **storage,
    }
    try:
        for name in ("a", "b"):
            data = cluster.folder / f"web-{name}"
            data.mkdir()
            port = free_port()
            command = [
                sys.executable, "-m", "pocketmentor.cli", "serve", "--migrate", "--port", str(port)
            ]  # fmt: skip
            cluster.processes[f"web-{name}"] = _start(
                cluster, f"web-{name}", command, env | {"DATA_DIR": str(data)}
            )
            cluster.nodes.append(f"http://{HOST}:{port}")
        for name in ("w1", "w2"):
            data = cluster.folder / name
            data.mkdir()
            command = [sys.executable, "-m", "pocketmentor.cli", "worker", "--name", name]
            cluster.processes[name] = _start(cluster, name, command, env | {"DATA_DIR": str(data)})
        caddyfile = cluster.folder / "Caddyfile"
        caddyfile.write_text(CADDYFILE.format(proxy=cluster.proxy, nodes=" ".join(cluster.nodes)))
        caddy_home = {
            "HOME": str(cluster.folder),
            "XDG_DATA_HOME": str(cluster.folder / "caddy"),
            "XDG_CONFIG_HOME": str(cluster.folder / "caddy"),
        }
        command = ["caddy", "run", "--config", str(caddyfile), "--adapter", "caddyfile"]
        cluster.processes["proxy"] = _start(cluster, "proxy", command, os.environ | caddy_home)
        for url in [*cluster.nodes, cluster.proxy]:
            _wait_ready(cluster, url)
        yield
    finally:
        _stop(cluster)


CADDYFILE = """\
{{
	admin off
	auto_https off
}}

{proxy} {{
	reverse_proxy {nodes} {{
		lb_policy round_robin
	}}
}}
"""


def _start(cluster: Cluster, name: str, command: list[str], env: dict) -> subprocess.Popen:
    env = env | {"EMAIL_URL": f"smtp://{HOST}:{cluster.sink.listen(name)}"}
    return subprocess.Popen(  # noqa: S603 - our own commands
        command,
        env=env,
        stdout=cluster.log(name),
        stderr=subprocess.STDOUT,
        process_group=0,
    )


def _wait_ready(cluster: Cluster, url: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        for name, process in cluster.processes.items():
            if process.poll() is not None:
                log = (cluster.folder / f"{name}.log").read_text()[-3000:]
                raise RuntimeError(f"{name} stopped (exit {process.returncode}):\n{log}")
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass  # not listening yet
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {READY_SECONDS} s")


def _stop(cluster: Cluster) -> None:
    """SIGTERM every process group (workers finish their batch); SIGKILL after 30 s."""
    for process in cluster.processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for process in cluster.processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def _s3() -> Iterator[dict]:
    """An S3-compatible server on loopback (moto's) with an empty bucket; its S3_ settings."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        storage = {
            "S3_BUCKET": "pocketmentor-media",
            "S3_ENDPOINT_URL": f"http://{host}:{port}",
            "S3_REGION": "eu-north-1",
            "S3_ACCESS_KEY_ID": "pocketmentor",
            "S3_SECRET_ACCESS_KEY": "not-a-real-secret",  # noqa: S105 - moto takes any
        }
        boto3.client(
            "s3",
            endpoint_url=storage["S3_ENDPOINT_URL"],
            region_name=storage["S3_REGION"],
            aws_access_key_id=storage["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=storage["S3_SECRET_ACCESS_KEY"],
        ).create_bucket(
            Bucket=storage["S3_BUCKET"],
            CreateBucketConfiguration={"LocationConstraint": storage["S3_REGION"]},
        )
        yield storage
    finally:
        server.stop()


def _admin(program):
    from pocketmentor.accounts.models import User
    from pocketmentor.orgs.models import Membership

    admin = User.objects.create_user("hr@fanout.example", name="Berit Solheim", language="en")
    Membership.objects.create(
        organization=program.organization, user=admin, role=Membership.Role.ADMIN
    )
    return admin


# The journey -----------------------------------------------------------------------------


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, f"GET {url}: {page.status_code}"
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _ask_link(session: requests.Session, site: str, address: str) -> int:
    """Ask for a sign-in link on the form, as a person does; the answer's status."""
    token = _csrf(session, f"{site}/login/new/")
    answer = session.post(
        f"{site}/login/new/",
        data={"csrfmiddlewaretoken": token, "email": address},
        timeout=30,
        allow_redirects=False,
    )
    return answer.status_code


def _open_link(session: requests.Session, link: str, site: str) -> int:
    """Open a sign-in link on `site` and press its button; the answer's status."""
    link = re.sub(r"^https?://[^/]+", site, link)
    page = session.get(link, timeout=30)
    if page.status_code != 200:
        return page.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    signed = session.post(
        f"{site}/login/",
        data={"csrfmiddlewaretoken": token, "t": link.rsplit("t=", 1)[1]},
        timeout=30,
        allow_redirects=False,
    )
    return signed.status_code


def step_release(cluster: Cluster) -> str:
    """The release planned once reaches each participant exactly once, from both workers."""
    from pocketmentor.nudges.models import Nudge

    program = cluster.program
    sent = Nudge.objects.filter(program=program, kind=Nudge.Kind.RELEASE, state="sent")
    deadline = time.monotonic() + 120
    while sent.count() < PARTICIPANTS and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)  # a few more worker rounds: nothing may go out twice
    mails = [m for m in list(cluster.sink.messages) if m.to.endswith("@fanout.example")]
    to_participants = Counter(m.to for m in mails)
    twice = {to: n for to, n in to_participants.items() if n > 1}
    missing = PARTICIPANTS - len(to_participants)
    by_worker = Counter(m.via for m in mails)
    planned = Nudge.objects.filter(program=program, kind=Nudge.Kind.RELEASE).count()
    assert planned == PARTICIPANTS, f"{planned} release messages planned"
    assert not twice and not missing, f"{missing} missing, {len(twice)} received it twice"
    assert set(by_worker) == {"w1", "w2"}, f"sent by {dict(by_worker)}"
    return (
        f"{planned} planned, {len(mails)} e-mails to {len(to_participants)} people, each "
        f"once; sent by {', '.join(f'{w} {n}' for w, n in sorted(by_worker.items()))}"
    )


def step_link(cluster: Cluster) -> str:
    """A sign-in link asked for on node A signs in on node B; the session holds on both."""
    a, b = cluster.nodes
    cluster.staff = requests.Session()
    status = _ask_link(cluster.staff, a, cluster.admin.email)
    assert status == 200, f"asking for a link on A: {status}"
    link = cluster.sink.link_for(cluster.admin.email)
    status = _open_link(cluster.staff, link, b)
    assert status == 302, f"signing in on B: {status}"
    people = reverse("people:list", args=[cluster.program.organization.slug])
    for node in (a, b):
        page = cluster.staff.get(f"{node}{people}", timeout=30)
        assert page.status_code == 200, f"the people page on {node}: {page.status_code}"
    return "asked on A, signed in on B; the people page answers on both"


def step_import(cluster: Cluster) -> str:
    """A people file previewed on node A is confirmed on node B."""
    from pocketmentor.accounts.models import User

    a, b = cluster.nodes
    org, program = cluster.program.organization.slug, cluster.program.slug
    preview_url = reverse("people:import", args=[org, program])
    token = _csrf(cluster.staff, f"{a}{preview_url}")
    people = "name,email,group\nNy Deltaker,ny@fanout.example,Gruppe 1\n"
    preview = cluster.staff.post(
        f"{a}{preview_url}",
        data={"csrfmiddlewaretoken": token},
        files={"file": ("people.csv", io.BytesIO(people.encode()), "text/csv")},
        timeout=30,
    )
    # The upload leads to the file's page; a worker reads the file, and node B shows it.
    assert preview.status_code == 200, f"upload on A: {preview.status_code}"
    page = preview.url.replace(a, b, 1)
    found = None
    for _ in range(60):  # the workers look for tasks every few seconds
        found = re.search(r'name="digest" value="([^"]+)"', preview.text)
        if found:
            break
        time.sleep(0.5)
        preview = cluster.staff.get(page, timeout=30)
    assert found, f"no preview within 30 s on B: {preview.status_code}"
    digest = found.group(1)
    confirm = cluster.staff.post(
        f"{b}{reverse('people:import_confirm', args=[org, program])}",
        data={"csrfmiddlewaretoken": token, "digest": digest, "invite": "0"},
        timeout=30,
        allow_redirects=False,
    )
    imported = User.objects.filter(email="ny@fanout.example").exists()
    assert imported, f"confirm on B answered {confirm.status_code}; nobody was imported"
    return "uploaded on A, read by a worker, confirmed on B: ny@fanout.example imported"


def step_image(cluster: Cluster) -> str:
    """An image uploaded in the studio on node A shows on node B."""
    from pocketmentor.programs.models import Card

    a, b = cluster.nodes
    org, program = cluster.program.organization.slug, cluster.program.slug
    new_card = reverse("studio:card_new", args=[org, program, 1])
    token = _csrf(cluster.staff, f"{a}{new_card}?kind=image")
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (11, 93, 107)).save(picture, "PNG")
    saved = cluster.staff.post(
        f"{a}{new_card}",
        data={"csrfmiddlewaretoken": token, "kind": "image", "caption": "Fjorden"},
        files={"image": ("fjord.png", picture.getvalue(), "image/png")},
        timeout=30,
        allow_redirects=False,
    )
    assert saved.status_code == 302, f"upload on A: {saved.status_code}"
    url = Card.objects.filter(unit__program=cluster.program, kind="image").latest("pk").url
    url = url if url.startswith("http") else f"{b}{url}"
    shown = requests.get(url, timeout=30)
    assert shown.status_code == 200, f"the image on B ({url}): {shown.status_code}"
    assert shown.headers["Content-Type"].startswith("image/"), shown.headers["Content-Type"]
    return f"uploaded on A, {len(shown.content)} bytes served for B from {url}"


def step_sign_ins(cluster: Cluster) -> str:
    """250 participants sign in through the proxy from one client address: no refusal."""
    refused, failed = Counter(), []

    def sign_in(n: int) -> None:
        address = f"p{n}@fanout.example"
        session = requests.Session()
        status = _ask_link(session, cluster.proxy, address)
        if status != 200:
            refused[status] += 1
            return
        status = _open_link(session, cluster.sink.link_for(address, 60), cluster.proxy)
        if status != 302:
            refused[status] += 1
            return
        if session.get(f"{cluster.proxy}/", timeout=30).status_code != 200:
            failed.append(address)

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(sign_in, range(PARTICIPANTS)))
    seconds = time.monotonic() - started
    assert not refused and not failed, (
        f"{sum(refused.values())} refused ({dict(refused)}), {len(failed)} not signed in, "
        f"in {seconds:.0f} s"
    )
    assert seconds <= SIGN_IN_SECONDS, f"took {seconds:.0f} s"
    return f"{PARTICIPANTS} signed in through the proxy in {seconds:.0f} s, none refused"


def step_ready(cluster: Cluster) -> str:
    """Every node says it is ready: database, Redis, and workers that finished a round."""
    for node in cluster.nodes:
        answer = requests.get(f"{node}/readyz", timeout=30)
        assert answer.status_code == 200, f"{node}/readyz: {answer.status_code} {answer.text}"
    return "/readyz answers 200 on both nodes"


STEPS = [
    ("release", step_release),
    ("ready", step_ready),
    ("link", step_link),
    ("import", step_import),
    ("image", step_image),
    ("sign-ins", step_sign_ins),
]
