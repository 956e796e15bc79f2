"""Browser tests: Voilà served on a free local port, driven by Playwright in Debian's Chromium.

Without Chromium the tests skip, except in CI (CI=true) where a missing browser fails.
"""

from __future__ import annotations

import os
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


def start_voila(notebook: str, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(ARTIFACTS / f"voila-{port}.log", "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            notebook,
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--MappingKernelManager.cull_interval=30",
            "--MappingKernelManager.cull_idle_timeout=120",
            *extra,
        ],  # fmt: skip
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_listening(port, proc)
    return proc, f"http://127.0.0.1:{port}/"


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


NOTEBOOK = "dashboards/comite_pilotage.ipynb"


@pytest.fixture(scope="session")
def dashboard_url():
    """Voilà without preheated kernels: each page starts a kernel (``QUERY_STRING`` path)."""
    ARTIFACTS.mkdir(exist_ok=True)
    proc, url = start_voila(NOTEBOOK)
    yield url
    stop(proc)


@pytest.fixture(scope="session")
def preheated_url():
    """Voilà as ``make run`` serves it: preheated kernels (``wait_for_request`` path)."""
    ARTIFACTS.mkdir(exist_ok=True)
    proc, url = start_voila(NOTEBOOK, "--preheat_kernel=True", "--pool_size=1")
    wait_kernels_idle(proc)
    yield url
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
