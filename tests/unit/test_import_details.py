"""Smaller things found on the way of a user's own territory (issue 13, item 8): the import
summary keeps its commas, the count of communes « sous 10 000 habitants » counts only those,
files written by `indicateurs --sortie` get the same permissions as the batch's, old cache
entries are pruned."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from territoire_lib import cli, dataset, files
from territoire_lib.active_source import prune_cache
from territoire_lib.sources.cafdata import read_early_childhood

REPO = Path(__file__).resolve().parents[2]
EPCI_A, EPCI_B = "200000001", "200000002"
PLACES = "pl_psu_col;pl_hors_psu_col;pl_eaje;pl_prescol;pl_am_ind;pl_gad_ind;tot_offre"


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TERRITOIRE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["import_", "indicateurs"])

    def _run(*argv):
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


# -- the import summary ------------------------------------------------------------------------
def test_import_summary_keeps_its_commas(run, tmp_path):
    folder = tmp_path / "belfort"
    folder.mkdir()
    (folder / "manifeste.yaml").write_text(
        'nom: Territoire de Belfort\ndepartements: ["90"]\nfichiers: {}\n', encoding="utf-8"
    )
    code, out, _ = run("import", folder)
    # data/referentiel: 101 communes of département 90 in 3 EPCI; no file, no observation
    assert code == 0
    assert "\n101 communes, 3 EPCI, 1 département(s), 0 observations\n" in out


def test_demo_summary_thousands_and_commas(run):
    code, out, _ = run("import", "demo")
    summary = out.splitlines()[2]
    # the demo: 120 communes in 5 EPCI (data/demo/README.md); thousands with a narrow space
    assert summary.startswith("120 communes, 5 EPCI, 1 département(s), ")
    count = summary.split(", ")[3].removesuffix(" observations")
    assert count.replace("\u202f", "").isdigit() and "\u202f" in count


# -- communes estimated from their EPCI ------------------------------------------------------
def _csv(path: Path, lines: list[str]) -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode("utf-8"))
    return path


def _places_files(tmp_path: Path) -> tuple[Path, Path]:
    """EPCI A: 90010 (45 000 inhabitants, commune row for 2023 only), 90001, 90002; EPCI B:
    90003. Totals: A 200 places in 2022 and 2023, B 20."""
    com = _csv(
        tmp_path / "nbpla_pe_com.csv",
        [
            f"annee;numcom;nomcom;numepci;nomepci;numdep;nomdep;{PLACES.replace(';', '_com;')}_com",
            f"2023;90010;Belfort;{EPCI_A};CA A;90;TdB;60;10;70;5;40;5;120",
        ],
    )
    epci = _csv(
        tmp_path / "nbpla_pe_epci.csv",
        [
            f"annee;numepci;nomepci;numdep;nomdep;{PLACES.replace(';', '_epci;')}_epci",
            f"2022;{EPCI_A};CA A;90;TdB;100;10;110;10;70;10;200",
            f"2022;{EPCI_B};CC B;90;TdB;0;0;0;0;20;0;20",
            f"2023;{EPCI_A};CA A;90;TdB;100;10;110;10;70;10;200",
            f"2023;{EPCI_B};CC B;90;TdB;0;0;0;0;20;0;20",
        ],
    )
    return com, epci


COMMUNES = pd.DataFrame(
    {
        "code": ["90010", "90001", "90002", "90003"],
        "epci": [EPCI_A, EPCI_A, EPCI_A, EPCI_B],
        "population": [45000.0, 900.0, 2700.0, 500.0],
    }
)
KIDS = pd.DataFrame(
    {
        "commune": ["90010", "90001", "90002", "90003"],
        "annee": 2021,
        "variable": "pop_0_2",
        "valeur": [1500.0, 30.0, 10.0, 12.0],
        "statut": "publie",
    }
)


def _total(obs: pd.DataFrame, commune: str, year: int) -> float:
    sel = (obs["commune"] == commune) & (obs["annee"] == year)
    return float(obs.loc[sel & (obs["variable"] == "places_total"), "valeur"].iloc[0])


def test_large_commune_without_its_row_is_not_counted_under_10000(tmp_path):
    com, epci = _places_files(tmp_path)
    obs, _, report = read_early_childhood({}, {"com": com, "epci": epci}, COMMUNES, KIDS)
    notes = " | ".join(report.notes)
    # small communes estimated: 90001, 90002 (EPCI A) and 90003 (EPCI B) = 3, never 4
    assert "3 communes sous 10 000 habitants : places estimées par repli sur l'EPCI" in notes
    assert "4 communes sous" not in notes
    # 90010 has no commune row in 2022: estimated that year, and said so apart
    assert (
        "1 commune(s) de 10 000 habitants ou plus sans ligne dans le fichier communal "
        "(nbpla_pe_com) pour au moins une année" in notes
    )
    assert "90010 (2022)" in notes
    # 2022: EPCI A's 200 places shared by children 0-2: 90010 gets 200 × 1500 / 1540
    assert _total(obs, "90010", 2022) == pytest.approx(200 * 1500 / 1540)
    # 2023: its own row (120), the 80 left shared 30:10 → 60 and 20
    assert _total(obs, "90010", 2023) == 120
    assert _total(obs, "90001", 2023) == pytest.approx(60)


def test_no_commune_file_every_year_of_the_large_commune_is_listed(tmp_path):
    _, epci = _places_files(tmp_path)
    _, _, report = read_early_childhood({}, {"epci": epci}, COMMUNES, KIDS)
    notes = " | ".join(report.notes)
    assert "3 communes sous 10 000 habitants" in notes
    assert "90010 (2022, 2023)" in notes


# -- permissions of the files written ---------------------------------------------------------
@pytest.fixture
def umask_022(monkeypatch):
    old = os.umask(0o022)
    monkeypatch.setattr(files, "_UMASK", [])  # read again
    yield
    os.umask(old)


def test_atomic_path_gives_the_usual_permissions(tmp_path, umask_022):
    target = tmp_path / "tableau.xlsx"
    with files.atomic_path(target) as tmp:
        tmp.write_bytes(b"x")
    # 0666 & ~022 = 0644, as any new file and as the batch's outputs (files.write_atomic)
    assert target.stat().st_mode & 0o777 == 0o644
    files.write_atomic(tmp_path / "lot.html", b"x")
    assert (tmp_path / "lot.html").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_indicateurs_sortie_is_readable_by_others(run, tmp_path, umask_022, suffix):
    target = tmp_path / f"diagnostic{suffix}"
    code, _, err = run("indicateurs", "296000011", "--source", "demo", "--sortie", target)
    assert code == 0, err
    assert target.stat().st_mode & 0o777 == 0o644  # was 0600 (mkstemp)


# -- pruning the cache ------------------------------------------------------------------------
def _entry(root: Path, name: str, source: str, mtime: int) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps({"source": source}), encoding="utf-8")
    os.utime(folder / "meta.json", (mtime, mtime))
    return folder


def test_prune_keeps_the_three_most_recent_entries_of_each_folder(tmp_path):
    root = tmp_path / "cache"
    a = [_entry(root, f"a{i}", "/donnees/a", 1_000 + i) for i in range(5)]
    b = _entry(root, "b0", "/donnees/b", 10)  # older than all, but another folder
    (root / "sources.json").write_text("{}", encoding="utf-8")
    removed = prune_cache(root, "/donnees/a", keep=3)
    assert sorted(removed) == [a[0], a[1]]  # the two oldest of five
    assert [p.exists() for p in a] == [False, False, True, True, True]
    assert b.exists() and (root / "sources.json").exists()


def test_a_new_version_of_a_folder_prunes_the_old_one(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRITOIRE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(dataset, "CACHE_KEEP", 1)
    monkeypatch.setattr(dataset, "_MEMORY", {})  # both versions read from the files
    folder = tmp_path / "mes_donnees"
    shutil.copytree(REPO / "data" / "demo", folder)
    first = dataset.load_territory(folder)
    assert (tmp_path / "cache" / first.checksum / "meta.json").exists()
    manifest = folder / "manifeste.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("nom: ", "nom: Copie — ", 1), encoding="utf-8"
    )
    second = dataset.load_territory(folder)
    assert second.checksum != first.checksum and second.name.startswith("Copie — ")
    entries = [p.parent.name for p in (tmp_path / "cache").glob("*/meta.json")]
    assert entries == [second.checksum]  # keep 1: the older version of the folder is gone
