"""Pieces of the batch runner that need no kernel: territories chosen, key figures, resume
rule, manifest writes, atomic files, the French index page, SVG ids, arguments."""

from __future__ import annotations

import json
import os
import stat

import nbformat
import pytest

from territoire_lib import batch
from territoire_lib.batch import runner
from territoire_lib.batch.outputs import _french_time, _up_to_date
from territoire_lib.dataset import load_territory
from territoire_lib.errors import TerritoireError


@pytest.fixture(scope="module")
def demo():
    return load_territory("demo")


# -- territories --------------------------------------------------------------------------------
def test_levels_list_every_territory(demo):
    assert len(batch.select_territories(demo, "commune", None)) == 120
    epcis = batch.select_territories(demo, "epci", None)
    assert [c for c, *_ in epcis] == demo.geography.epcis["code"].tolist()
    assert all(err == "" and level == "epci" for _, _, level, err in epcis)
    perimeters = batch.select_territories(demo, "perimetre", None)
    assert [c for c, *_ in perimeters] == ["CTG-VALMONT-COEUR", "CTG-COTEAUX-ORVANNE"]


def test_named_codes_are_checked_in_french(demo):
    chosen = batch.select_territories(demo, "commune", ["96001", " 96999 ", "296000011", "96001"])
    assert [c for c, *_ in chosen] == ["96001", "96999", "296000011"]  # duplicates dropped
    by_code = {c: (name, level, err) for c, name, level, err in chosen}
    assert by_code["96001"] == ("Valmont-sur-Loue", "commune", "")
    assert by_code["96999"][2].startswith("Territoire inconnu : « 96999 »")
    assert by_code["296000011"][2] == (
        "« 296000011 » (CA de Valmont-sur-Loue) est un territoire de niveau EPCI, pas commune."
    )
    # without a level, any known code is accepted
    assert batch.select_territories(demo, None, ["296000011"])[0][3] == ""


def test_key_figures_are_ratios_of_sums(demo):
    code = "296000029"
    figures = batch.key_figures(demo, [(code, "epci"), ("96001", "commune")], None)
    # the headline is the rate the Cnaf publishes for the EPCI (txcouv_pe_epci.csv, 2023:
    # 64.0); beside it, the recomputed rate: places of the EPCI's communes in December 2023
    # over their children under 3 on 1 January 2024, times 100 (a ratio of sums)
    obs = demo.observations
    members = obs["commune"].isin(demo.geography.members(code))
    places = obs[members & (obs["variable"] == "places_total") & (obs["annee"] == 2023)]
    kids = obs[members & (obs["variable"] == "enfants_0_2_estimes") & (obs["annee"] == 2024)]
    census = obs[members & (obs["variable"] == "pop_0_2") & (obs["annee"] == 2021)]
    rate = figures[code]["taux_couverture_global"]
    assert rate["annee"] == 2023 and not rate["masque"]
    assert rate["valeur"] == 64.0 and rate["source"] == "publiée"
    # places 1 031 (nbpla_pe_epci.csv, 2023) over the estimated children
    assert places["valeur"].sum() == pytest.approx(1031)
    assert rate["valeur_calculee"] == pytest.approx(1031 * 100 / kids["valeur"].sum())
    assert figures[code]["enfants_0_2"]["valeur"] == pytest.approx(census["valeur"].sum())
    assert set(figures) == {code, "96001"}
    # a year caps the figures: the 2021 coverage uses the 2021 places
    capped = batch.key_figures(demo, [(code, "epci")], 2021)[code]["taux_couverture_global"]
    assert capped["annee"] == 2021


# -- files and resume -----------------------------------------------------------------------------
def test_write_atomic_replaces_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "a" / "rapport.html"
    batch.write_atomic(target, b"un")
    batch.write_atomic(target, b"deux")
    assert target.read_bytes() == b"deux"
    assert [p.name for p in target.parent.iterdir()] == ["rapport.html"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def _entry(tmp_path, key):
    data = {"a/x.html": b"<html>", "a/x.xlsx": b"PK"}
    for rel, content in data.items():
        batch.write_atomic(tmp_path / rel, content)
    return {
        "statut": "ok",
        "cle": key,
        "fichiers": {"rapport": "a/x.html", "tableaux": "a/x.xlsx"},
        "sommes": {rel: batch.sha256_bytes(c) for rel, c in data.items()},
    }


def test_up_to_date_needs_same_key_files_and_checksums(tmp_path):
    key = {"parametres": {"territoire": "96001"}, "carnet": "abc", "donnees": "d1"}
    entry = _entry(tmp_path, key)
    assert _up_to_date(entry, key, tmp_path)
    assert not _up_to_date(entry, {**key, "donnees": "d2"}, tmp_path)
    assert not _up_to_date({**entry, "statut": "echec"}, key, tmp_path)
    assert not _up_to_date(None, key, tmp_path)
    (tmp_path / "a" / "x.xlsx").write_bytes(b"PK modified")
    assert not _up_to_date(entry, key, tmp_path)
    (tmp_path / "a" / "x.xlsx").unlink()
    assert not _up_to_date(entry, key, tmp_path)


def test_damaged_manifest_means_redo(tmp_path):
    (tmp_path / batch.MANIFEST_NAME).write_text("{pas du json", encoding="utf-8")
    assert batch.read_manifest(tmp_path) == {}
    (tmp_path / batch.MANIFEST_NAME).write_text(json.dumps({"format": 99}), encoding="utf-8")
    assert batch.read_manifest(tmp_path) == {}


# -- index ------------------------------------------------------------------------------------------
def test_index_is_french_accessible_and_escaped():
    manifest = {
        "donnees": {"nom": "Démo", "fictif": True, "somme_controle": "abc"},
        "execution": {
            "fin": "2026-11-29T13:28:47+00:00",
            "executeur": "2 processus",
            "refus": {},
        },
        "territoires": {
            "96001": {
                "nom": "Valmont <b>",
                "niveau": "commune",
                "statut": "ok",
                "duree_s": 2.5,
                "fichiers": {"rapport": "96001/r.html", "tableaux": "96001/t.xlsx"},
                "chiffres_cles": {
                    "population": {"valeur": 50512.4, "annee": 2021, "masque": False},
                    "taux_couverture_global": {"valeur": 55.119, "annee": 2023, "masque": False},
                    "enfants_0_2": {"valeur": None, "annee": 2021, "masque": True},
                },
            },
            "96002": {
                "nom": "Bourg",
                "niveau": "commune",
                "statut": "echec",
                "erreur": "Erreur dans le carnet (cellule [3]) : « x » & co",
                "fichiers": {"carnet": "96002/c.ipynb"},
            },
        },
    }
    page = batch.render_index(manifest)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page
    assert "<caption>" in page and page.count('scope="col"') == 7
    assert "Valmont &lt;b&gt;" in page and "Valmont <b>" not in page
    assert "50\u202f512 (2021)" in page and "55,1 (2023)" in page  # French numbers, year
    assert "secret (2021)" in page  # a masked figure is never shown
    assert "2,5 s" in page
    assert "Erreur dans le carnet (cellule [3]) : « x » &amp; co" in page
    assert '<a href="96001/r.html">rapport HTML' in page and "carnet exécuté" in page
    assert "2 territoires, 1 en échec" in page and "Données fictives" in page
    # the time of the run in French, Paris time (UTC+1 in November)
    assert "Dernière exécution : 29 novembre 2026 à 14 h 28 (heure de Paris)" in page
    assert "<script" not in page and "http" not in page


def test_run_time_in_paris_time():
    assert _french_time("2026-07-01T09:05:00+00:00") == (
        "1er juillet 2026 à 11 h 05 (heure de Paris)"  # UTC+2 in summer
    )
    assert _french_time("2026-07-01T09:05:00") == "1er juillet 2026 à 9 h 05"
    assert _french_time("hier") == "hier"  # not a date: as it is


def test_index_lists_refused_codes():
    manifest = {
        "territoires": {},
        "execution": {"refus": {"96999": {"nom": "96999", "erreur": "Territoire inconnu"}}},
    }
    page = batch.render_index(manifest)
    assert "1 territoire, 1 en échec" in page
    assert "Codes demandés mais non traités" in page and "Territoire inconnu" in page


# -- report and SVG ids -------------------------------------------------------------------------------
def test_svg_ids_renumbered_as_in_a_fresh_kernel():
    def cell(svg):
        c = nbformat.v4.new_code_cell()
        c.outputs = [nbformat.v4.new_output("display_data", data={"image/svg+xml": svg})]
        return c

    nb = nbformat.v4.new_notebook(
        cells=[
            cell('<path fill="url(#gradient_41)"/><linearGradient id="gradient_41"/>'),
            cell(
                '<g clip-path="url(#clip7)"/><clipPath id="clip7"/><path fill="url(#gradient_42)"/>'
                '<linearGradient id="gradient_42"/><text>gradient_42x</text>'
            ),
        ]
    )
    batch.renumber_svg_ids(nb)
    # Vega counts gradients from 0 and clip paths from 1 in a new kernel
    first, second = (c.outputs[0].data["image/svg+xml"] for c in nb.cells)
    assert first == '<path fill="url(#gradient_0)"/><linearGradient id="gradient_0"/>'
    assert second == (
        '<g clip-path="url(#clip1)"/><clipPath id="clip1"/><path fill="url(#gradient_1)"/>'
        '<linearGradient id="gradient_1"/><text>gradient_42x</text>'
    )


# -- arguments ----------------------------------------------------------------------------------------
def test_bad_arguments_are_refused_in_french(tmp_path):
    with pytest.raises(TerritoireError, match="Aucun territoire choisi"):
        batch.run_batch(tmp_path, progress=False)
    with pytest.raises(TerritoireError, match="Niveau inconnu : « canton »"):
        batch.run_batch(tmp_path, niveau="canton", progress=False)
    with pytest.raises(TerritoireError, match="Carnet introuvable"):
        batch.run_batch(tmp_path, niveau="epci", notebook=tmp_path / "absent.ipynb")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "sans_territoire.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(TerritoireError, match="n'a pas de paramètre « territoire »"):
        batch.run_batch(tmp_path / "out", niveau="epci", notebook=path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text("nom: essai\n", encoding="utf-8")
    with pytest.raises(TerritoireError, match="n'a pas de paramètre « scenario »"):
        batch.run_batch(
            tmp_path / "out",
            niveau="epci",
            notebook=batch.REPO_DIR / "notebooks" / "00_donnees.ipynb",
            scenario=scenario,
        )
    assert not (tmp_path / "out").exists()  # nothing written for a refused command


def test_cli_registers_batch(capsys):
    from territoire_lib.cli import main

    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    out = capsys.readouterr().out
    assert "--niveau" in out and "--dask ADRESSE" in out and "--force" in out
    assert main(["batch", "--niveau", "epci", "--sortie", "x", "--processus", "0"]) == 1
    assert "Nombre de processus invalide : « 0 »" in capsys.readouterr().err


# -- manifest writes ------------------------------------------------------------------------------
def _fake_runner(stop_after=None):
    """Stands for the process pool: each territory "succeeds" at once with small files."""

    def run(config, jobs, n_workers, finish_one, progress, address, total):
        for i, job in enumerate(jobs):
            if stop_after is not None and i == stop_after:
                raise KeyboardInterrupt
            res = batch.JobResult(
                code=job.code, ok=True, notebook=b"{}", html=b"<html></html>", xlsx=b"x"
            )
            finish_one(job, res)

    return run


def _manifest_writes(monkeypatch):
    writes = []
    real = batch.write_atomic

    def counting(path, data):
        if path.name == batch.MANIFEST_NAME:
            writes.append(len(json.loads(data)["territoires"]))
        real(path, data)

    monkeypatch.setattr(runner, "write_atomic", counting)
    return writes


CODES = ["96001", "96002", "96003", "96004", "96005"]


def test_manifest_is_not_rewritten_after_every_territory(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_run_processes", _fake_runner())
    writes = _manifest_writes(monkeypatch)
    monkeypatch.setattr(runner, "MANIFEST_EVERY", 3600.0)
    summary = batch.run_batch(tmp_path / "a", territoires=CODES, progress=False)
    assert sorted(summary.faits) == CODES
    # once before the work (nothing done yet) and once at the end: not once per territory
    assert writes == [0, 5]
    done = json.loads((tmp_path / "a" / batch.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert [e["statut"] for e in done["territoires"].values()] == ["ok"] * 5

    writes.clear()
    monkeypatch.setattr(runner, "MANIFEST_EVERY", 0.0)  # due after every territory
    batch.run_batch(tmp_path / "b", territoires=CODES, progress=False)
    assert writes == [0, 1, 2, 3, 4, 5, 5]


def test_an_interrupted_batch_keeps_what_it_did(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "MANIFEST_EVERY", 3600.0)
    monkeypatch.setattr(runner, "_run_processes", _fake_runner(stop_after=2))
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch(tmp_path, territoires=CODES, progress=False)
    manifest = json.loads((tmp_path / batch.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert list(manifest["territoires"]) == CODES[:2]
    # the next run redoes only the three others
    monkeypatch.setattr(runner, "_run_processes", _fake_runner())
    summary = batch.run_batch(tmp_path, territoires=CODES, progress=False)
    assert summary.a_jour == CODES[:2] and sorted(summary.faits) == CODES[2:]


def test_the_index_of_an_interrupted_batch_says_what_is_left(tmp_path, monkeypatch):
    codes = [*CODES, "96006"]
    monkeypatch.setattr(runner, "_run_processes", _fake_runner(stop_after=2))
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch(tmp_path, territoires=codes, progress=False)
    manifest = json.loads((tmp_path / batch.MANIFEST_NAME).read_text(encoding="utf-8"))
    execution = manifest["execution"]
    # 6 asked, the fake pool stops before the third: 2 done, 4 left (96003 … 96006)
    assert execution["selection"] == 6
    assert list(execution["restants"]) == codes[2:]
    assert execution["interruption"] == "arrêt demandé (Ctrl-C ou signal d'arrêt)"
    page = (tmp_path / batch.INDEX_NAME).read_text(encoding="utf-8")
    assert "Exécution interrompue avant la fin : 2 territoires traités sur 6, 4 restants à " \
        "traiter, 0 en échec." in page  # fmt: skip
    assert "4 territoires n'ont pas été traités" in page
    assert "<caption>Territoires restant à traiter</caption>" in page
    assert page.count('</td></tr>\n<tr><th scope="row">') == 3  # 4 rows in that table
    assert "<td>96006</td>" in page and "6 territoires, 0 en échec" not in page

    # the next run finishes them: the index no longer says interrupted
    monkeypatch.setattr(runner, "_run_processes", _fake_runner())
    batch.run_batch(tmp_path, territoires=codes, progress=False)
    page = (tmp_path / batch.INDEX_NAME).read_text(encoding="utf-8")
    assert "6 territoires, 0 en échec." in page and "interrompue" not in page
    manifest = json.loads((tmp_path / batch.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert "restants" not in manifest["execution"]


def test_an_interrupted_run_does_not_show_an_old_entry_as_produced():
    manifest = {
        "execution": {
            "interruption": "arrêt demandé (Ctrl-C ou signal d'arrêt)",
            "selection": 3,
            "restants": {"96002": "Bourg", "96003": "Val"},
        },
        "territoires": {
            "96001": {"nom": "Valmont", "niveau": "commune", "statut": "ok"},
            # from an earlier run (another key), not redone: not « produit », not a failure
            "96002": {
                "nom": "Bourg",
                "niveau": "commune",
                "statut": "echec",
                "fichiers": {"carnet": "96002/c.ipynb"},
            },
        },  # fmt: skip
    }
    page = batch.render_index(manifest)
    assert "1 territoire traité sur 3, 2 restants à traiter, 0 en échec." in page
    assert (
        "non traité (exécution interrompue)</span><br>fichiers d'une exécution précédente" in page
    )
    assert page.count(">produit<") == 1
