"""Fixtures of the CTG plan database tests (``test_plan_*.py``).

* ``plan_sqlite_url``: a fresh SQLite file.
* ``plan_pg_url``: a fresh, empty database on a real PostgreSQL server — the server of
  ``TERRITOIRE_TEST_PG`` (a URL; ``.ci/run`` starts one and sets it), otherwise a throwaway
  server started here with Debian's binaries (``/usr/lib/postgresql/*/bin``, run as the
  ``postgres`` user when the tests run as root). Without PostgreSQL the tests are skipped —
  except with ``CI=true``, where they fail.
* ``plan_db_url``: both, one after the other (parametrised).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

PG_ENV = "TERRITOIRE_TEST_PG"


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL indisponible en CI : {reason}")
    pytest.skip(f"PostgreSQL indisponible : {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server():
    """Start a throwaway server; returns (url, stop) or (None, reason)."""
    initdbs = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) for x in Path(p).parts[-3].split(".") if x.isdigit()],
    )
    if not initdbs:
        return None, "aucun /usr/lib/postgresql/*/bin/initdb (paquet postgresql)"
    bindir = Path(initdbs[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="territoire-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            return None, "pas d'utilisateur système postgres"
        os.chown(base, pw.pw_uid, pw.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    port = _free_port()
    try:
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
             "--no-locale", "-E", "UTF8"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
             str(base / "server.log"), "-w", "-t", "60", "start"],
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        return None, f"démarrage impossible ({exc})"

    def stop() -> None:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)

    return (f"postgresql://postgres@127.0.0.1:{port}/postgres", stop), None


@pytest.fixture(scope="session")
def plan_pg_server():
    """URL of a PostgreSQL database whose role may create databases."""
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        yield url
        return
    started, reason = _start_server()
    if started is None:
        _unavailable(reason)
    url, stop = started
    try:
        yield url
    finally:
        stop()


def _admin(server_url: str):
    import psycopg

    from territoire_lib.plan.db import database_url

    # psycopg wants the plain libpq URL (no "+psycopg")
    plain = database_url(server_url).replace("postgresql+psycopg://", "postgresql://", 1)
    return psycopg.connect(plain, autocommit=True, connect_timeout=10)


@pytest.fixture
def plan_pg_url(plan_pg_server):
    """A fresh empty PostgreSQL database, dropped after the test."""
    from sqlalchemy.engine import make_url

    from territoire_lib.plan import db

    name = f"plan_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = _admin(plan_pg_server)
    except Exception as exc:  # server announced but unreachable
        _unavailable(f"connexion impossible à {PG_ENV} ({exc})")
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(db.database_url(plan_pg_server)).set(database=name)
    text = url.render_as_string(hide_password=False)
    yield text
    db.dispose_engines()
    with _admin(plan_pg_server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def plan_sqlite_url(tmp_path):
    from territoire_lib.plan import db

    yield str(tmp_path / "plan.sqlite")
    db.dispose_engines()


@pytest.fixture(params=["sqlite", "postgresql"])
def plan_db_url(request):
    """A fresh empty database: SQLite, then PostgreSQL."""
    name = "plan_sqlite_url" if request.param == "sqlite" else "plan_pg_url"
    return request.getfixturevalue(name)


@pytest.fixture
def plan_sample():
    """A small plan using every field (demo EPCI 296000011), as a PlanDocument."""
    from datetime import date

    from territoire_lib.plan.document import (
        AxisSpec,
        BudgetLine,
        CopilSpec,
        CtgSpec,
        EvaluationSpec,
        FicheSpec,
        IndicatorSpec,
        PlanDocument,
        StatusChangeSpec,
        ValueSpec,
    )

    return PlanDocument(
        ctg=CtgSpec(
            code="CTG-TEST",
            name="CTG d'essai « Valmont »",
            territory_code="296000011",
            territory_name="CA de Valmont-sur-Loue",
            start_year=2022,
            end_year=2025,
            signed_on=date(2022, 3, 15),
            signatories=("Caf", "CA de Valmont-sur-Loue"),
            partners=("Conseil départemental", "MSA"),
        ),
        axes=(
            AxisSpec("1", "Petite enfance", "Un accueil pour chaque enfant"),
            AxisSpec("2", "Jeunesse"),
        ),
        fiches=(
            FicheSpec(
                axis="1",
                code="1.1",
                title="Créer une micro-crèche à Montrevaux",
                objective="12 places",
                theme="petite enfance",
                pilot="Commune de Montrevaux",
                partners=("Caf", "PMI"),
                public="Familles",
                communes=("96006",),
                start=date(2023, 1, 2),
                end=date(2024, 9, 2),
                status="en cours",
                budgets=(
                    BudgetLine("Caf", 2023, 45000.0, 44000.0),
                    BudgetLine("Commune", 2023, 1234.56),
                ),
            ),
            FicheSpec(axis="2", code="2.1", title="=Point d'accueil jeunes", theme="jeunesse"),
        ),
        history=(
            StatusChangeSpec("1.1", date(2022, 3, 15), "à lancer", None, "claire", "Signature"),
            StatusChangeSpec("1.1", date(2023, 1, 16), "en cours", "à lancer", "julien", ""),
            StatusChangeSpec("2.1", date(2022, 3, 15), "à lancer", None, "claire", ""),
        ),
        indicators=(
            IndicatorSpec(
                fiche="1.1",
                code="rsa",
                label="Foyers percevant le RSA (pour 100 allocataires)",
                catalogue_id="part_rsa",
                unit="pour 100 allocataires",
                baseline_year=2021,
                target_value=6.0,
                target_year=2025,
            ),
            IndicatorSpec(
                fiche="1.1",
                code="places",
                label="Places ouvertes",
                unit="places",
                baseline_value=0.0,
                baseline_year=2022,
                target_value=12.0,
                target_year=2025,
                values=(
                    ValueSpec(2023, 0.0, "Agrément PMI", "julien"),
                    ValueSpec(2024, 12.0, "Agrément PMI", "julien"),
                ),
            ),
            IndicatorSpec(fiche="2.1", code="jeunes", label="Jeunes accueillis", unit="jeunes"),
        ),
        evaluations=(
            EvaluationSpec(
                "1", "efficacité", 2024, "Cible presque atteinte", "COTECH", date(2024, 6, 1)
            ),  # fmt: skip
        ),
        copil=(CopilSpec(date(2022, 6, 20), "Validation du plan", "Secrétariat"),),
    )
