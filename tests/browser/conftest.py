"""Browser tests: Voilà served on a free local port, driven by Playwright in Debian's Chromium.

Without Chromium the tests skip, except in CI (CI=true) where a missing browser fails.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("Voilà s'est arrêté au démarrage")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError("Voilà n'écoute pas")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "Chromium est introuvable alors que CI=true : installer le paquet chromium."
            )
        pytest.skip("Chromium n'est pas installé (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


NOTEBOOK = "dashboards/comite_pilotage.ipynb"


def make_run_command(port: int, **make_vars: str) -> list[str]:
    """The Voilà command line of ``make run`` (dry run) on ``port``: tests and benchmarks
    serve the dashboard exactly as ``make run`` does."""
    assigns = [f"{k}={v}" for k, v in {"HOST": "127.0.0.1", "PORT": port, **make_vars}.items()]
    out = subprocess.run(
        ["make", "-s", "-n", "run", *assigns],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    logical = out.replace("\\\n", " ").splitlines()  # join continued recipe lines
    line = next(x for x in logical if "voila " in x and "comite_pilotage" in x)
    words = shlex.split(line)
    start = next(i for i, w in enumerate(words) if w.endswith("/voila") or w == "voila")
    return [sys.executable, "-m", "voila", *words[start + 1 :]]


def start_command(command: list[str], port: int) -> subprocess.Popen:
    log = open(ARTIFACTS / f"voila-{port}.log", "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    wait_listening(port, proc)
    return proc


@pytest.fixture(scope="session")
def dashboard_url():
    """``make run`` without preheated kernels: each page starts its kernel (``QUERY_STRING``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    command = make_run_command(port, POOL="0", CULL="120")
    command = [w for w in command if not w.startswith("--preheat_kernel")]
    proc = start_command([*command, "--preheat_kernel=False"], port)
    yield f"http://127.0.0.1:{port}/"
    stop(proc)


@pytest.fixture(scope="session")
def preheated_url():
    """``make run`` as is, one preheated kernel (``wait_for_request`` path)."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    proc = start_command(make_run_command(port, POOL="1", CULL="120"), port)
    wait_kernels_idle(proc)
    yield f"http://127.0.0.1:{port}/"
    stop(proc)


def descendants(pid: int) -> list[int]:
    """Process ids under ``pid`` (kernels started by Voilà), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            continue
    return total


def wait_kernels_idle(proc: subprocess.Popen, kernels: int = 1, timeout: float = 180) -> None:
    """Wait until Voilà has ``kernels`` kernel processes and they stop using the CPU: the
    pooled kernels have then run the notebook up to ``wait_for_request``."""
    deadline = time.monotonic() + timeout
    quiet_since, last = None, -1
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("Voilà s'est arrêté au démarrage")
        pids = descendants(proc.pid)
        ticks = cpu_ticks([proc.pid, *pids])
        if len(pids) >= kernels and ticks - last <= 2:  # at most 0.02 s of CPU in 0.5 s
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 1.5:
                return
        else:
            quiet_since = None
        last = ticks
        time.sleep(0.5)
    raise TimeoutError("les noyaux préchauffés ne sont pas prêts")


def new_page(browser, width: int = 1366, height: int = 900):
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="fr-FR", accept_downloads=True
    )
    return context, context.new_page()


@pytest.fixture
def page(browser):
    context, pg = new_page(browser)
    yield pg
    context.close()


@pytest.fixture
def second_page(browser):
    context, pg = new_page(browser)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def territory():
    from territoire_lib.dataset import load_territory

    return load_territory("demo")
