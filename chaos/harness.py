"""The parts a chaos scenario breaks, each a real server of its own on a spare loopback port.

- :class:`OwnPostgres`: a PostgreSQL cluster made with ``initdb`` in a temporary folder (port
  ``CHAOS_PG_PORT``, default 15433), stopped and restarted with ``pg_ctl``;
- :class:`OwnRedis`: a ``redis-server`` without persistence (port ``CHAOS_REDIS_PORT``, 16379);
- :class:`Web`: gunicorn serving the project with production settings (``DEBUG`` off) against both;
- :class:`Load`: threads sending requests, each answer recorded (time, status, duration).

Nothing here is imported by the application: faults are made from outside, by stopping processes.
Every wait is bounded. The shared servers of the machine (5432, 6379) are never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("CHAOS_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT = int(os.environ.get("CHAOS_PG_PORT", "15433"))
REDIS_PORT = int(os.environ.get("CHAOS_REDIS_PORT", "16379"))
WEB_PORT = int(os.environ.get("CHAOS_WEB_PORT", "18310"))
SECRET_KEY = "chaos-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105  # nosec B105 - test servers
NO_DISK = ["--save", "", "--appendonly", "no"]
REPORT_PATH = ROOT / "var" / "chaos-report.txt"


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns something true; ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout} s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the ``postgres`` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class OwnPostgres:
    """A throw-away PostgreSQL cluster on ``PG_PORT`` (trust authentication, loopback only)."""

    def __init__(self, port: int = PG_PORT):
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="smk-chaos-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists() and (os.geteuid() != 0 or shutil.which("runuser") is not None)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(  # noqa: S603
            _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.start()

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(  # noqa: S603
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._ctl("-o", options, "-l", str(self.log), "-w", "-t", "60", "start", timeout=90)

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "-t", "60", "stop", timeout=90)

    def is_running(self) -> bool:
        return port_open(self.port)

    def createdb(self, name: str) -> None:
        subprocess.run(  # noqa: S603
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def psql(self, name: str, sql: str) -> str:
        result = subprocess.run(  # noqa: S603
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-At", "-d", name],
            input=sql,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout.strip()

    def destroy(self) -> None:
        if self.is_running():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class OwnRedis:
    """A ``redis-server`` on ``REDIS_PORT`` without persistence: stopping it loses its queues."""

    def __init__(self, port: int = REDIS_PORT):
        self.port = port
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", *NO_DISK],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), 20, what="redis up")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        wait_for(lambda: not port_open(self.port), 10, what="redis down")

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def app_env(pg: OwnPostgres, redis: OwnRedis, database: str, **extra: str) -> dict[str, str]:
    """The environment of a web, worker or beat process of the chaos stack (production settings)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smarketing.settings",
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": pg.url(database),
        "REDIS_URL": redis.url(0),
        "WEBHOOKS_ALLOW_PRIVATE": "true",
        "API_THROTTLE_USER": "1000000/hour",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        # Short leases and heartbeats: a scenario sees recovery in seconds, not minutes.
        "JOB_LEASE_SECONDS": "5",
        "JOB_HEARTBEAT_SECONDS": "1",
        "WORKER_HEARTBEAT_SECONDS": "2",
    }
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 300) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Web:
    """gunicorn (two workers, as in production) on ``WEB_PORT``."""

    def __init__(self, env: dict[str, str], port: int = WEB_PORT, workers: int = 2):
        self.env = env
        self.port = port
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="smk-chaos-web-", suffix=".log")[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "smarketing.wsgi:application",
                    *("--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--threads", "4"),
                    *("--timeout", "60", "--graceful-timeout", "5"),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: port_open(self.port), 60, what="gunicorn listening")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Answer:
    at: float
    kind: str
    status: int
    seconds: float
    body: object = None
    headers: dict = field(default_factory=dict)


def request(base: str, method: str, path: str, *, token: str = "", data=None, timeout: float = 30) -> Answer:
    """One HTTP request; status 0 when no answer came at all (connection refused or reset)."""
    headers = {"Accept": "application/json"}
    body = None
    if token:
        headers["Authorization"] = f"Token {token}"
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310  # nosec B310 - loopback
            status, raw, answer_headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), dict(error.headers)
    except OSError:
        status, raw, answer_headers = 0, b"", {}
    parsed: object = raw
    if answer_headers.get("Content-Type", "").startswith("application/json"):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw
    return Answer(started, f"{method} {path}", status, time.monotonic() - started, parsed, answer_headers)


class Load:
    """``threads`` threads calling ``step(i)`` in turn until stopped (or ``count`` steps)."""

    def __init__(self, step, threads: int = 4, count: int | None = None, pause: float = 0.05):
        self.step = step
        self.threads = threads
        self.count = count
        self.pause = pause
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._counter = 0
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _next(self) -> int | None:
        with self._lock:
            if self._stop.is_set() or (self.count is not None and self._counter >= self.count):
                return None
            self._counter += 1
            return self._counter

    def _run(self) -> None:
        while (index := self._next()) is not None:
            answer = self.step(index)
            with self._lock:
                self.answers.append(answer)
            time.sleep(self.pause)

    def start(self) -> Load:
        for _ in range(self.threads):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def stop(self, timeout: float = 60) -> list[Answer]:
        self._stop.set()
        return self.join(timeout)

    def join(self, timeout: float = 60) -> list[Answer]:
        deadline = time.monotonic() + timeout
        for thread in self._workers:
            thread.join(max(0.1, deadline - time.monotonic()))
        return self.answers


def report(*, fault: str, load: str, expected: int, delivered: int, duplicates: int, lost: int, errors: int, **more):
    """Print one scenario's line (and append it to ``var/chaos-report.txt`` for docs/reliability.md)."""
    extra = "".join(f" | {key}={value}" for key, value in more.items())
    line = (
        f"CHAOS | {fault} | load: {load} | expected={expected} delivered={delivered} "
        f"duplicates={duplicates} lost={lost} 5xx={errors}{extra}"
    )
    print("\n" + line)
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    with REPORT_PATH.open("a") as out:
        out.write(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())} {line}\n")
    return line


class Celery:
    """A ``celery worker`` or ``celery beat`` process of the chaos stack (its own process group)."""

    def __init__(self, env: dict[str, str], kind: str = "worker", name: str = "chaos", concurrency: int = 1):
        self.env = env
        self.kind = kind
        self.name = name
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix=f"smk-chaos-{kind}-", suffix=".log")[1])
        self.schedule = Path(tempfile.mkdtemp(prefix="smk-chaos-beat-")) / "schedule"

    def argv(self) -> list[str]:
        celery = [sys.executable, "-m", "celery", "-A", "smarketing"]
        if self.kind == "beat":
            return [*celery, "beat", "--loglevel=INFO", "--schedule", str(self.schedule)]
        return [
            *celery,
            "worker",
            "-n",
            f"{self.name}@localhost",
            f"--concurrency={self.concurrency}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ]

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                self.argv(), env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group (main process and pool children), as a crash would."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def hand_off_new_lead(stack, email: str) -> tuple[Answer, Answer]:
    """A new MQL created and handed off to the stack's sales team through the API (each handoff
    is one ``lead.handed_off`` webhook delivery): the two answers."""
    created = request(
        stack.web.base,
        "POST",
        "/api/v1/leads/",
        token=stack.token,
        data={"email": email, "stage": "mql", "team": stack.team},
    )
    handed = request(
        stack.web.base,
        "POST",
        f"/api/v1/leads/{created.body['id']}/handoff/",
        token=stack.token,
        data={"team": stack.sales},
    )
    return created, handed


def deliveries_of(tag: str) -> str:
    """``FROM … WHERE …`` of the webhook deliveries about the leads whose e-mail starts with ``tag``."""
    return (
        "FROM smarketing_webhookdelivery d JOIN leads_lead l ON (d.payload->'data'->>'lead')::int = l.id"
        f" WHERE l.email LIKE '{tag}-%'"
    )


def upload(base: str, path: str, *, token: str, filename: str, content: str, fields: dict | None = None) -> Answer:
    """A multipart/form-data POST with one file (an import)."""
    boundary = f"chaos{int(time.monotonic() * 1000)}"
    parts = []
    for name, value in (fields or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    )
    body = "".join(parts).encode()
    headers = {"Authorization": f"Token {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    started = time.monotonic()
    req = urllib.request.Request(base + path, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310  # nosec B310 - loopback
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except OSError:
        status, raw = 0, b"{}"
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = raw
    return Answer(started, f"POST {path}", status, time.monotonic() - started, parsed)


class SmtpSink:
    """An aiosmtpd server on loopback that keeps every accepted message with its Message-ID.

    With ``hold_first_quit`` it answers ``250`` to the first message, then holds that session's
    ``QUIT`` (``holding`` is set): the sender is past the server's acceptance and waiting on the
    socket — the moment a scenario kills it, as a crash right after the ``250`` would.
    """

    def __init__(self, port: int = int(os.environ.get("CHAOS_SMTP_PORT", "18320")), hold_first_quit: bool = False):
        self.port = port
        self.received: list[tuple[float, str, list[str]]] = []
        self.controller = None
        self.hold_first_quit = hold_first_quit
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_QUIT(self, server, session, envelope):
        import asyncio

        if self.hold_first_quit and not self.holding.is_set():
            self.holding.set()
            for _ in range(600):  # at most 60 s
                if self.release.is_set():
                    break
                await asyncio.sleep(0.1)
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf-8", "replace")
        header = next((line for line in text.splitlines() if line.lower().startswith("message-id:")), "")
        self.received.append((time.monotonic(), header.split(":", 1)[-1].strip(), list(envelope.rcpt_tos)))
        return "250 OK"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def env(self) -> dict[str, str]:
        return {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_TIMEOUT": "10",
        }


class Receiver:
    """A webhook receiver on loopback that answers 200 after ``delay`` seconds and keeps every ``webhook-id``."""

    def __init__(self, port: int = int(os.environ.get("CHAOS_RECEIVER_PORT", "18330")), delay: float = 0.3):
        import http.server

        self.port = port
        self.ids: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(delay)
                outer.ids.append(self.headers.get("webhook-id", ""))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
