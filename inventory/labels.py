"""Spool labels: code, material name and kind, a colour swatch, the current weight and a QR code.

One label is 70 x 37 mm (the common 3 x 8 sheet of A4 labels); a sheet puts them on A4 in
that grid. Two formats, both drawn from the same layout (`label_parts`, in millimetres from
the label's top left):

- SVG, written here with every text escaped;
- PDF, a small hand-written PDF 1.4 of vector rectangles and text in the viewer's built-in
  Helvetica (no font embedded, no dependency): its WinAnsi encoding covers Western European
  text, and a character outside it prints as "?" (a code with one is led by the spool's
  number: `printed_code`). A library (reportlab) would embed fonts but is a large dependency
  for two rectangles and four lines of text.

The whole code is printed, always: its font shrinks, then it wraps (after a separator where
one is), until it fits its part of the label (`code_lines`, measured with Helvetica's widths).

The QR code (segno) encodes the spool's URL; its dark modules are drawn as rectangles (one
per horizontal run), so both formats are vector and scale to any printer.
"""

import dataclasses
import math
import re
import unicodedata
from xml.sax.saxutils import escape, quoteattr

import segno
from django.urls import reverse

MM_TO_PT = 72 / 25.4
LABEL_WIDTH, LABEL_HEIGHT = 70.0, 37.0
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
COLUMNS, ROWS = 3, 8
PER_PAGE = COLUMNS * ROWS
SHEET_TOP = (PAGE_HEIGHT - ROWS * LABEL_HEIGHT) / 2
QR_SIZE = 26.0
QR_LEFT, QR_TOP = LABEL_WIDTH - QR_SIZE - 3, (LABEL_HEIGHT - QR_SIZE) / 2
TEXT_LEFT, TEXT_RIGHT = 11.0, QR_LEFT - 1
BLANK_SWATCH = "#FFFFFF"
COLOR_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


# Helvetica's advance widths (per 1000 em) of printable ASCII, from Adobe's metrics; the SVG's
# fallback fonts (Arial, Liberation Sans) share them. Anything else is measured wide (`OTHER_WIDTH`,
# a full em for East Asian wide characters), so an estimate never runs past the label's edge.
ASCII_PRINTABLE = "".join(map(chr, range(32, 127)))


def ascii_widths(widths):
    return dict(zip(ASCII_PRINTABLE, map(int, widths.split()), strict=True))


HELVETICA = ascii_widths(
    """278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556
            556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778
            722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 556 222 222
            500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584"""
)
HELVETICA_BOLD = ascii_widths(
    """278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556
            556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 611 833 722 778 667 778
            722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 611 556 611 556 333 611 611 278 278
            556 278 889 611 611 611 611 389 556 333 611 556 778 556 556 500 389 280 389 584"""
)
OTHER_WIDTH, WIDE_WIDTH = 800, 1000
TEXT_WIDTH = TEXT_RIGHT - TEXT_LEFT
# The code gets the label's top part, above the four lines of material and weight; it starts at
# `CODE_SIZES[0]` and shrinks, then wraps, until the whole code fits there.
CODE_TOP, CODE_BOTTOM = 3.0, 13.0
CODE_SIZES = (5.5, 5.0, 4.5, 4.0, 3.6, 3.2, 2.9, 2.6, 2.3, 2.0, 1.8)
LINE_HEIGHT = 1.15
# Where a code may wrap: after these characters, else anywhere.
BREAK_AFTER = re.compile(r"[^-_ ./:]*[-_ ./:]|[^-_ ./:]+")


@dataclasses.dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    size: float
    text: str
    bold: bool = False
    role: str = ""  # the SVG's class: "code" for the code's lines


@dataclasses.dataclass(frozen=True)
class Label:
    """What a label shows, read from a spool (with its material)."""

    code: str
    number: int | None
    material: str
    kind: str
    color_name: str
    color_hex: str
    weight: str
    initial_weight: str
    url: str
    rfid_uid: str = ""

    @classmethod
    def of(cls, spool, url):
        material = spool.material
        return cls(
            code=spool.code,
            number=spool.number,
            material=material.name,
            kind=material.kind,
            color_name=material.color_name,
            # The model's validator is not a database constraint: anything else prints a blank swatch.
            color_hex=material.color_hex if COLOR_HEX.match(material.color_hex or "") else BLANK_SWATCH,
            weight=f"{spool.current_weight_g} g",
            initial_weight=f"of {spool.initial_weight_g} g",
            url=url,
            rfid_uid=spool.rfid_uid,
        )


def text_width(text, size, *, bold=False):
    """How wide `text` prints at `size` mm, in mm (Helvetica's metrics; others measured wide)."""
    widths = HELVETICA_BOLD if bold else HELVETICA
    total = 0
    for character in text:
        width = widths.get(character)
        if width is None:
            width = WIDE_WIDTH if unicodedata.east_asian_width(character) in ("W", "F") else OTHER_WIDTH
        total += width
    return total * size / 1000


def fit(text, size, width=TEXT_WIDTH, *, bold=False):
    """`text` cut (with an ellipsis) to what fits `width` mm at `size` mm: for the lines a spool's
    identity does not depend on (material, kind, colour, weights)."""
    if text_width(text, size, bold=bold) <= width:
        return text
    while text and text_width(text + "\u2026", size, bold=bold) > width:
        text = text[:-1]
    return text + "\u2026"


def wrap(text, size, width=TEXT_WIDTH, *, bold=True):
    """`text` in lines that each fit `width` mm at `size` mm: broken after a separator where one is, else anywhere."""
    lines, line = [], ""
    for piece in BREAK_AFTER.findall(text):
        if text_width(line + piece, size, bold=bold) <= width:
            line += piece
            continue
        if line:
            lines.append(line)
            line = ""
        for character in piece:  # a piece wider than a line is broken inside
            if line and text_width(line + character, size, bold=bold) > width:
                lines.append(line)
                line = ""
            line += character
    if line or not lines:
        lines.append(line)
    return lines


def code_lines(code):
    """(font size, lines) of the whole code: the largest size at which it fits the code's part of the label."""
    room = CODE_BOTTOM - CODE_TOP
    for size in CODE_SIZES:
        lines = wrap(code, size)
        if len(lines) * size * LINE_HEIGHT <= room:
            return size, lines
    return size, lines  # the smallest size: 50 characters of the widest letter fit in 4 lines


def printed_code(label, *, pdf):
    """The code as the label prints it. The PDF's Helvetica prints no character outside Western
    European (they print as "?"): such a code is led by the spool's number, which is unique in its
    tenant too (`?number=` finds the spool; Spoolman clients know it), so the label still tells
    its spool apart. The SVG prints every character (the viewer's fonts)."""
    if pdf and not winansi(label.code) and label.number is not None:
        return f"No. {label.number} {label.code}"
    return label.code


def label_parts(label, *, pdf=False):
    """The texts and the QR modules of one label, in mm from its top left."""
    size, lines = code_lines(printed_code(label, pdf=pdf))
    # The code's lines, one line's height apart, centred in the code's part of the label.
    block = len(lines) * size * LINE_HEIGHT
    first_baseline = CODE_TOP + (CODE_BOTTOM - CODE_TOP - block) / 2 + size * 0.85
    texts = [
        Text(TEXT_LEFT, first_baseline + index * size * LINE_HEIGHT, size, line, bold=True, role="code")
        for index, line in enumerate(lines)
    ]
    kind_color = " ".join(part for part in (label.kind, label.color_name) if part)
    number = f"No. {label.number}  " if label.number is not None else ""
    texts += [
        Text(TEXT_LEFT, 17.5, 3.2, fit(label.material, 3.2)),
        Text(TEXT_LEFT, 21.5, 3.2, fit(kind_color, 3.2)),
        Text(TEXT_LEFT, 28, 4.2, fit(label.weight, 4.2, bold=True), bold=True),
        Text(TEXT_LEFT, 32.5, 2.6, fit(number + label.initial_weight, 2.6)),
    ]
    if label.rfid_uid:
        # The tag's identity, to match a spool to its tag by eye; cut like every text to the QR code's edge.
        texts.append(Text(TEXT_LEFT, 35.5, 2.0, fit(f"RFID {label.rfid_uid}", 2.0)))
    return texts, qr_runs(label.url)


def qr_runs(url):
    """The QR code's dark modules as (x, y, width) runs in mm, one per horizontal run, in its square."""
    matrix = segno.make(url, error="m", micro=False).matrix
    module = QR_SIZE / len(matrix)
    runs = []
    for row_index, row in enumerate(matrix):
        start = None
        for column, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.append((QR_LEFT + start * module, QR_TOP + row_index * module, (column - start) * module))
                start = None
    return runs, module


def number(value):
    return f"{value:.3f}".rstrip("0").rstrip(".")


# --- SVG -----------------------------------------------------------------------------------


def svg_label(label, x=0.0, y=0.0):
    texts, (runs, module) = label_parts(label)
    qr_path = "".join(
        f"M{number(rx)} {number(ry)}h{number(width)}v{number(module)}h-{number(width)}z" for rx, ry, width in runs
    )
    parts = [
        f'<g class="label" transform="translate({number(x)} {number(y)})">',
        f'<rect width="{number(LABEL_WIDTH)}" height="{number(LABEL_HEIGHT)}" rx="2" '
        'fill="#FFFFFF" stroke="#999999" stroke-width="0.2"/>',
        f'<rect class="swatch" x="3" y="3" width="6" height="{number(LABEL_HEIGHT - 6)}" rx="1" '
        f'fill={quoteattr(label.color_hex)} stroke="#333333" stroke-width="0.2"/>',
    ]
    for text in texts:
        weight = ' font-weight="bold"' if text.bold else ""
        role = f' class="{text.role}"' if text.role else ""
        # A code's trailing space (where it wrapped) would be dropped by XML anyway: keep each line exact.
        parts.append(
            f'<text{role} x="{number(text.x)}" y="{number(text.y)}" font-size="{number(text.size)}"{weight} '
            f'xml:space="preserve">{escape(text.text)}</text>'
        )
    parts.append(f'<path class="qr" fill="#000000" d="{qr_path}"/>')
    parts.append("</g>")
    return "".join(parts)


def svg_document(width, height, body, title):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{number(width)}mm" height="{number(height)}mm" '
        f'viewBox="0 0 {number(width)} {number(height)}" font-family="Helvetica, Arial, sans-serif">'
        f"<title>{escape(title)}</title>{body}</svg>\n"
    ).encode()


def sheet_positions(count):
    """(page, x, y) of each label on A4 sheets, row by row."""
    left = (PAGE_WIDTH - COLUMNS * LABEL_WIDTH) / 2
    for index in range(count):
        page, slot = divmod(index, PER_PAGE)
        row, column = divmod(slot, COLUMNS)
        yield page, left + column * LABEL_WIDTH, SHEET_TOP + row * LABEL_HEIGHT


def svg(label):
    return svg_document(LABEL_WIDTH, LABEL_HEIGHT, svg_label(label), f"Spool {label.code}")


def svg_sheet(labels):
    """All labels on A4 pages drawn one below the other in one SVG (print it page by page)."""
    pages = max(1, math.ceil(len(labels) / PER_PAGE))
    body = "".join(
        svg_label(label, x, y + page * PAGE_HEIGHT)
        for label, (page, x, y) in zip(labels, sheet_positions(len(labels)), strict=True)
    )
    return svg_document(PAGE_WIDTH, PAGE_HEIGHT * pages, body, f"{len(labels)} spool labels")


# --- PDF -----------------------------------------------------------------------------------


def winansi(value):
    """Whether the PDF's Helvetica (WinAnsi, cp1252) prints every character of `value`."""
    try:
        value.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def pdf_text(value):
    """A PDF string literal in WinAnsi (cp1252): backslash and parentheses escaped, anything else "?"."""
    encoded = value.encode("cp1252", errors="replace")
    return b"(" + encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def pdf_color(color_hex):
    red, green, blue = (int(color_hex[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return f"{red:.3f} {green:.3f} {blue:.3f}"


def pdf_label(label, x, y, page_height):
    """The drawing operators of one label whose top left is at (x, y) mm on a page `page_height` mm high."""
    texts, (runs, module) = label_parts(label, pdf=True)

    def box(left, top, width, height):  # a rectangle given from its top left, in PDF's bottom-up mm
        return f"{number(x + left)} {number(page_height - y - top - height)} {number(width)} {number(height)} re"

    ops = [
        "0.6 0.6 0.6 RG 0.2 w",
        box(0, 0, LABEL_WIDTH, LABEL_HEIGHT) + " S",
        f"{pdf_color(label.color_hex)} rg 0.2 0.2 0.2 RG",
        box(3, 3, 6, LABEL_HEIGHT - 6) + " B",
        "0 0 0 rg",
    ]
    ops.extend(box(rx, ry, width, module) for rx, ry, width in runs)
    ops.append("f")
    encoded = "\n".join(ops).encode() + b"\n"
    for text in texts:
        font = "/F2" if text.bold else "/F1"
        position = f"{number(x + text.x)} {number(page_height - y - text.y)}"
        encoded += f"BT {font} {number(text.size)} Tf {position} Td ".encode() + pdf_text(text.text) + b" Tj ET\n"
    return encoded


def pdf_document(pages, width, height, title):
    """A PDF of `pages` (each the drawing operators of one page, in mm) on pages `width` x `height` mm."""
    objects = [
        None,  # 1: catalog, 2: pages, written once the page objects are numbered
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + pdf_text(title) + b" /Producer (print-farm) >>",
    ]
    media_box = f"[0 0 {number(width * MM_TO_PT)} {number(height * MM_TO_PT)}]"
    kids = []
    for operators in pages:
        stream = f"{MM_TO_PT:.6f} 0 0 {MM_TO_PT:.6f} 0 0 cm\n".encode() + operators
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        contents = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox {media_box} "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {contents} 0 R >>".encode()
        )
        kids.append(f"{len(objects)} 0 R")
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    output = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number_, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n" % number_ + body + b"\nendobj\n"
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    output += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    output += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(output)


def pdf(label):
    return pdf_document([pdf_label(label, 0, 0, LABEL_HEIGHT)], LABEL_WIDTH, LABEL_HEIGHT, f"Spool {label.code}")


def pdf_sheet(labels):
    pages = [b"" for _ in range(max(1, math.ceil(len(labels) / PER_PAGE)))]
    for label, (page, x, y) in zip(labels, sheet_positions(len(labels)), strict=True):
        pages[page] += pdf_label(label, x, y, PAGE_HEIGHT)
    return pdf_document(pages, PAGE_WIDTH, PAGE_HEIGHT, f"{len(labels)} spool labels")


# --- From requests ---------------------------------------------------------------------------


def spool_url(request, spool):
    """The spool's API page, which its label's QR code points to."""
    return request.build_absolute_uri(reverse("spool-detail", args=[spool.pk]))


def sheet(request, spools, *, as_pdf):
    """A4 label sheets (PDF or SVG) for `spools`, in their order: the API's labels/ and the admin's action."""
    entries = [Label.of(spool, spool_url(request, spool)) for spool in spools]
    return pdf_sheet(entries) if as_pdf else svg_sheet(entries)
