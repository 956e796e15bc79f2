"""A minimal, byte-reproducible xlsx writer for the demo (shared strings, fixed timestamps).

Owns ``_xlsx``: sheets of rows (strings and integers) assembled by hand into a zip whose
members carry fixed dates, so the workbook is identical byte for byte on every machine.

Layer « données » (demo.*): imports :mod:`.spec` only.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

import numpy as np

from .spec import GENERATED_BY


def _xlsx(sheets: list[tuple[str, list[list]]], title: str) -> bytes:
    """A minimal, byte-reproducible xlsx (shared strings, fixed zip timestamps)."""
    strings: dict[str, int] = {}

    def col(i: int) -> str:
        return chr(ord("A") + i)

    sheet_xml = []
    for _, rows in sheets:
        width = max(len(r) for r in rows)
        body = []
        for r, row in enumerate(rows, start=1):
            cells = []
            for i, value in enumerate(row):
                ref = f"{col(i)}{r}"
                if value is None or value == "":
                    continue
                if isinstance(value, (int, np.integer)):
                    cells.append(f'<c r="{ref}"><v>{int(value)}</v></c>')
                else:
                    idx = strings.setdefault(str(value), len(strings))
                    cells.append(f'<c r="{ref}" t="s"><v>{idx}</v></c>')
            body.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else f'<row r="{r}"/>')
        sheet_xml.append(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<dimension ref="A1:{col(width - 1)}{len(rows)}"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"<sheetData>{''.join(body)}</sheetData>"
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/></worksheet>'
        )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg_rel = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sst = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    members = {
        "[Content_Types].xml": head
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
            f'ContentType="{ct}.worksheet+xml"/>'
            for i in range(len(sheets))
        )
        + f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>',
        "_rels/.rels": head + f'<Relationships xmlns="{pkg_rel}">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>",
        "docProps/app.xml": head + '<Properties xmlns="http://schemas.openxmlformats.org/'
        'officeDocument/2006/extended-properties"><Application>Territoire</Application>'
        "</Properties>",
        "docProps/core.xml": head + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.'
        'org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
        f'XMLSchema-instance"><dc:title>{escape(title)}</dc:title>'
        f"<dc:creator>{GENERATED_BY}</dc:creator>"
        '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:modified>'
        "</cp:coreProperties>",
        "xl/workbook.xml": head + f'<workbook xmlns="{main}" xmlns:r="{rel}">'
        "<bookViews><workbookView/></bookViews><sheets>"
        + "".join(
            f'<sheet name="{escape(name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, (name, _) in enumerate(sheets)
        )
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": head
        + f'<Relationships xmlns="{pkg_rel}">'
        + "".join(
            f'<Relationship Id="rId{i + 1}" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(sheets))
        )
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{len(sheets) + 2}" Type="{rel}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/styles.xml": head + f'<styleSheet xmlns="{main}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
        'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
        'builtinId="0"/></cellStyles></styleSheet>',
        "xl/sharedStrings.xml": head
        + f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>',
    }
    for i, xml in enumerate(sheet_xml):
        members[f"xl/worksheets/sheet{i + 1}.xml"] = xml
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            zf.writestr(info, text.encode("utf-8"), compresslevel=6)
    return buf.getvalue()
