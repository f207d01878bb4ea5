"""Test files made on the spot: PDFs written by hand (pypdf cannot lay out text), DOCX with
python-docx, images with Pillow, and hostile variants of each."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

import docx
from PIL import Image
from pypdf import PdfReader, PdfWriter


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def page_stream(lines: list[str]) -> bytes:
    ops = [b"BT /F1 11 Tf 14 TL 72 750 Td"]
    for line in lines:
        ops.append(_pdf_string(line) + b" Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def make_pdf(
    pages: list[list[str]],
    *,
    declared_count: int | None = None,
    compress: bool = False,
    raw_streams: list[bytes] | None = None,
    page_extra: bytes = b"",
) -> bytes:
    """A valid PDF with one Helvetica text line per entry (``raw_streams`` replace the content streams)."""
    streams = raw_streams if raw_streams is not None else [page_stream(lines) for lines in pages]
    objects: list[bytes] = []
    n_pages = len(streams)
    first_page = 4
    kids = b" ".join(f"{first_page + 2 * i} 0 R".encode() for i in range(n_pages))
    count = declared_count if declared_count is not None else n_pages
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(count).encode() + b" >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, stream in enumerate(streams):
        content_id = first_page + 2 * i + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
            + page_extra
            + f" /Contents {content_id} 0 R >>".encode()
        )
        if compress:
            data = zlib.compress(stream, 9)
            objects.append(
                f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"
            )
        else:
            objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypt_pdf(data: bytes, *, user_password: str, owner_password: str = "owner") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(blocks: list[tuple[str, object]]) -> bytes:
    """Blocks: ("h1"/"h2", text), ("p", text), ("table", [[cell, ...], ...])."""
    document = docx.Document()
    for kind, value in blocks:
        if kind.startswith("h"):
            document.add_heading(str(value), level=int(kind[1:]))
        elif kind == "p":
            document.add_paragraph(str(value))
        elif kind == "table":
            rows = value  # type: ignore[assignment]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))  # type: ignore[arg-type]
            for r, row in enumerate(rows):  # type: ignore[arg-type]
                for c, cell in enumerate(row):
                    table.cell(r, c).text = str(cell)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def add_zip_member(data: bytes, name: str, payload: bytes) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, payload)
    return out.getvalue()


def understate_zip_member(data: bytes, name: str, claimed_size: int) -> bytes:
    """Rewrite a member's uncompressed size, in its local header and the central directory, to a lie."""
    buf = bytearray(data)
    encoded = name.encode()
    at = 0
    while (at := buf.find(b"PK\x01\x02", at)) >= 0:
        name_len = struct.unpack_from("<H", buf, at + 28)[0]
        if bytes(buf[at + 46 : at + 46 + name_len]) == encoded:
            struct.pack_into("<I", buf, at + 24, claimed_size)
            local = struct.unpack_from("<I", buf, at + 42)[0]
            struct.pack_into("<I", buf, local + 22, claimed_size)
        at += 4
    return bytes(buf)


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    image = Image.new(mode, size, color=0 if mode == "1" else (200, 30, 60))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (the classic pixel bomb)."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


_VOCABULARY = (
    "river stone market garden signal harbor copper meadow lantern orchard cabinet ledger canyon "
    "violet thunder mirror basket pencil engine forest candle marble window bridge meadow tunnel "
    "summer winter autumn spring silver golden quiet rapid gentle bright narrow distant hollow"
).split()


def filler_sentences(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(8, 18))]
        out.append(" ".join(words).capitalize() + ".")
    return out


def filler_document(paragraphs: int, seed: int = 7, sentences_per_paragraph: int = 5) -> list[str]:
    sentences = filler_sentences(paragraphs * sentences_per_paragraph, seed)
    return [
        " ".join(sentences[i : i + sentences_per_paragraph])
        for i in range(0, len(sentences), sentences_per_paragraph)
    ]
