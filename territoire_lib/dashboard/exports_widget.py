"""Downloads from the page, offline: ipywidgets has no download widget, so a button prepares
the file in the kernel and shows a ``data:`` link with a ``download`` attribute; the browser
saves it when the link is clicked (keyboard: Tab then Entrée). Loading goes through
``FileUpload``.

Layer « applications » (12): may import every lower layer (errors; exports lazily). Inside the
package it imports only :mod:`.messages`.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from ..errors import TerritoireError
from .messages import LOG, error_html, esc, french_message

MIME = {
    ".png": "image/png",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".yaml": "application/x-yaml",
    ".csv": "text/csv",
}


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} octets"
    if n < 1024 * 1024:
        return f"{round(n / 1024)} Ko"
    return f"{n / 1024 / 1024:.1f} Mo".replace(".", ",")


def data_link(payload: bytes, filename: str) -> str:
    """An HTML download link carrying the file as a base64 ``data:`` URI."""
    mime = MIME.get(Path(filename).suffix.lower(), "application/octet-stream")
    b64 = base64.b64encode(payload).decode("ascii")
    return (
        f'<a class="tdb-telechargement" download="{esc(filename)}" '
        f'href="data:{mime};base64,{b64}">Télécharger « {esc(filename)} » '
        f"({size_text(len(payload))})</a>"
    )


def xlsx_bytes(source, title: str = "") -> bytes:
    """An XLSX file (``exports.to_xlsx``: a diagnostic, an indicator table or sheets) as bytes."""
    from .. import exports

    with tempfile.TemporaryDirectory(prefix="territoire-") as tmp:
        path = Path(tmp) / "export.xlsx"
        exports.to_xlsx(source, path, title=title)
        return path.read_bytes()


def file_bytes(write: Callable[[Path], object], suffix: str) -> bytes:
    """Bytes of a file written by ``write(path)`` in a private temporary folder."""
    with tempfile.TemporaryDirectory(prefix="territoire-") as tmp:
        path = Path(tmp) / f"export{suffix}"
        write(path)
        return path.read_bytes()


class DownloadButton:
    """« Exporter … » button; ``produce()`` returns (bytes, file name)."""

    def __init__(self, label: str, produce: Callable[[], tuple[bytes, str]], tooltip: str = ""):
        self.produce = produce
        self.button = widgets.Button(description=label, icon="download", tooltip=tooltip or label)
        self.button.layout.width = "auto"
        self.link = widgets.HTML()
        self.link.add_class("tdb-lien-fichier")
        self.button.on_click(self._click)
        self.widget = widgets.HBox([self.button, self.link])
        self.widget.add_class("tdb-export")

    def reset(self) -> None:
        self.link.value = ""

    def _click(self, _button=None) -> None:
        self.link.value = "Préparation du fichier…"
        try:
            payload, filename = self.produce()
            self.link.value = data_link(payload, filename)
        except Exception as exc:
            LOG.exception("export")
            self.link.value = error_html(
                french_message(
                    exc,
                    "Le fichier ne peut pas être préparé. Réessayez ; le reste "
                    "du tableau de bord reste utilisable.",
                )
            )


def uploaded_file(upload: widgets.FileUpload) -> tuple[str, bytes]:
    """(name, content) of the file chosen in a ``FileUpload`` (ipywidgets 8 value)."""
    value = upload.value
    if not value:
        raise TerritoireError("Aucun fichier choisi.")
    item = value[0] if isinstance(value, list | tuple) else next(iter(value.values()))
    return str(item["name"]), bytes(item["content"])
