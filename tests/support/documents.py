"""What a printed document says: a PDF's text (poppler's `pdftotext`) and an SVG label sheet's codes."""

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

SVG = "{http://www.w3.org/2000/svg}"


def pdf_text(document: bytes) -> str:
    """The text a reader of the PDF sees, as poppler extracts it (Debian's poppler-utils; CI's .ci/run installs it)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (CI's .ci/run does).")
    result = subprocess.run(["pdftotext", "-raw", "-", "-"], input=document, capture_output=True, check=True)
    return result.stdout.decode()


def svg_label_codes(document: bytes) -> list[str]:
    """The code printed on each label of an SVG (one label or a sheet), its wrapped lines joined, in order."""
    tree = ET.fromstring(document)
    return [
        "".join(text.text or "" for text in label.iter(f"{SVG}text") if text.get("class") == "code")
        for label in tree.iter(f"{SVG}g")
        if label.get("class") == "label"
    ]


def unwrapped(text: str) -> str:
    """A PDF's text with its line breaks removed: a code wrapped on its label reads whole again."""
    return "".join(text.split("\n"))
