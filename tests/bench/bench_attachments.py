"""Attachment benchmarks (not collected by pytest): ``python -m tests.bench.bench_attachments``.

Prints: extraction of a 200-page PDF (in-process and isolated), of a ~5 MB DOCX, and chunking and
select_chunks over a ~1 M-character document.
"""

from __future__ import annotations

import io
import random
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import docx  # noqa: E402
from docx.shared import Inches  # noqa: E402
from PIL import Image  # noqa: E402

from parley.attachments import (  # noqa: E402
    Limits,
    chunk,
    chunk_extracted,
    extract,
    extract_isolated,
    render_document,
    select_chunks,
)
from parley.tokens import encoding  # noqa: E402
from tests.attachments.samples import filler_document, make_pdf  # noqa: E402


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def words(rng: random.Random, vocabulary: list[str], n: int) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(n))


def make_big_docx(target_bytes: int) -> bytes:
    rng = random.Random(3)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(5000)]
    document = docx.Document()
    for section in range(60):
        document.add_heading(f"Section {section} {words(rng, vocabulary, 4)}", level=1)
        for _ in range(100):
            document.add_paragraph(words(rng, vocabulary, rng.randint(20, 60)).capitalize() + ".")
        table = document.add_table(rows=12, cols=4)
        for r in range(12):
            for c in range(4):
                table.cell(r, c).text = words(rng, vocabulary, 2)
    out = io.BytesIO()
    document.save(out)
    # Pad to the target with photos (incompressible pixels), as real reports are.
    while out.tell() < target_bytes:
        noise = Image.frombytes("RGB", (400, 400), rng.randbytes(400 * 400 * 3))
        picture = io.BytesIO()
        noise.save(picture, format="PNG")
        picture.seek(0)
        document.add_picture(picture, width=Inches(2))
        out = io.BytesIO()
        document.save(out)
    return out.getvalue()


def main() -> None:
    limits = Limits()
    encoding()  # tokenizer loading is a one-off per process, not part of any figure below
    print(f"python {sys.version.split()[0]}")

    pages = [
        [
            f"Page {p} line {i}: " + " ".join(filler_document(1, seed=p * 100 + i, sentences_per_paragraph=1))
            for i in range(40)
        ]
        for p in range(200)
    ]
    pdf = make_pdf(pages, compress=True)
    seconds, result = timed(lambda: extract(pdf, filename="b.pdf", content_type="", limits=limits))
    print(
        f"PDF 200 pages ({len(pdf) / 1e6:.2f} MB, {len(result.text):,} chars, {result.tokens:,} tokens): "
        f"extract {seconds * 1000:.0f} ms"
    )
    seconds, _ = timed(lambda: extract_isolated(pdf, filename="b.pdf", content_type="", limits=limits))
    print(f"PDF 200 pages: extract_isolated {seconds * 1000:.0f} ms (fork + pipe included)")
    seconds, chunks = timed(lambda: chunk_extracted(result))
    print(f"PDF 200 pages: chunk_extracted {seconds * 1000:.0f} ms -> {len(chunks)} chunks")

    big_docx = make_big_docx(5 * 1024 * 1024)
    seconds, result = timed(lambda: extract(big_docx, filename="b.docx", content_type="", limits=limits))
    print(
        f"DOCX {len(big_docx) / 1e6:.2f} MB ({len(result.text):,} chars, {result.tokens:,} tokens): "
        f"extract {seconds * 1000:.0f} ms"
    )

    text = "\n\n".join(filler_document(2200))[:1_000_000]
    text = text[:500_000] + " The launch code for Project Zephyr is 7741-alpha. " + text[500_000:]
    seconds, chunks = timed(lambda: chunk(text, max_tokens=400, overlap=50))
    print(f"text {len(text):,} chars: chunk {seconds * 1000:.0f} ms -> {len(chunks)} chunks")
    seconds, selected = timed(
        lambda: select_chunks(chunks, "What is the launch code for project Zephyr?", 4000), 5
    )
    found = any("7741-alpha" in c.text for c in selected)
    print(
        f"text {len(text):,} chars: select_chunks {seconds * 1000:.0f} ms -> {len(selected)} chunks, "
        f"{sum(c.tokens for c in selected)} tokens, answer found: {found}"
    )
    seconds, rendered = timed(
        lambda: render_document("big.txt", "text", selected, total_chunks=len(chunks), truncated=False), 5
    )
    print(f"render_document {seconds * 1000:.1f} ms -> {len(rendered):,} chars")


if __name__ == "__main__":
    main()
