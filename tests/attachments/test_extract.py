"""Each kind extracted from files generated here."""

from __future__ import annotations

import hashlib
import json

import pytest

from parley.attachments import Extracted, Limits, extract
from parley.attachments.images import estimate_image_tokens
from parley.attachments.kinds import DOCX_TYPE
from parley.tokens import count_tokens
from tests.attachments.samples import encrypt_pdf, image_bytes, make_docx, make_pdf

LIMITS = Limits()


def test_pdf_pages_are_marked_and_sectioned() -> None:
    pages = [[f"Page {n} says hello", f"Fact number {n * 11}"] for n in range(1, 5)]
    data = make_pdf(pages, compress=True)
    result = extract(data, filename="doc.pdf", content_type="application/pdf", limits=LIMITS)
    assert result.kind == "pdf" and result.pages == 4
    assert result.text.startswith("[page 1]\nPage 1 says hello\nFact number 11")
    assert "[page 3]\nPage 3 says hello\nFact number 33" in result.text
    assert [s.page for s in result.sections] == [1, 2, 3, 4]
    for section in result.sections:
        assert result.text[section.start :].startswith(f"[page {section.page}]")
    assert result.tokens == count_tokens(result.text)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert not result.truncated


def test_pdf_with_only_an_owner_password_opens() -> None:
    data = encrypt_pdf(make_pdf([["Readable despite protection"]]), user_password="")
    result = extract(data, filename="locked.pdf", content_type="application/pdf", limits=LIMITS)
    assert "Readable despite protection" in result.text


def test_pdf_character_limit_truncates_and_says_so() -> None:
    pages = [[f"Line {i} of page {p} with some words in it" for i in range(30)] for p in range(10)]
    result = extract(make_pdf(pages), filename="long.pdf", content_type="", limits=Limits(max_chars=3000))
    assert result.truncated and len(result.text) <= 3000
    assert any("character limit" in note for note in result.notes)


def test_docx_paragraphs_headings_and_tables_in_order() -> None:
    data = make_docx(
        [
            ("h1", "Quarterly report"),
            ("p", "Revenue grew in every region."),
            ("table", [["Region", "Revenue"], ["North", "120"], ["South", "95"]]),
            ("h2", "Outlook"),
            ("p", "We expect steady growth."),
        ]
    )
    result = extract(data, filename="report.docx", content_type=DOCX_TYPE, limits=LIMITS)
    assert result.kind == "docx"
    assert result.text == (
        "# Quarterly report\n\nRevenue grew in every region.\n\n"
        "Region | Revenue\nNorth | 120\nSouth | 95\n\n## Outlook\n\nWe expect steady growth."
    )
    assert [s.label for s in result.sections] == ["Quarterly report", "Outlook"]
    assert result.text[result.sections[1].start :].startswith("## Outlook")


def test_text_and_markdown() -> None:
    data = "\ufeff# Title\r\n\r\nSome text.\r\n\r\n## Part two\r\nMore.\r\n".encode()
    result = extract(data, filename="notes.md", content_type="text/markdown", limits=LIMITS)
    assert result.text.startswith("# Title\n\nSome text.")
    assert "\r" not in result.text
    assert [s.label for s in result.sections] == ["Title", "Part two"]


def test_utf16_text_with_bom() -> None:
    result = extract(
        "héllo wörld".encode("utf-16"), filename="a.txt", content_type="text/plain", limits=LIMITS
    )
    assert result.text == "héllo wörld"


def test_code_is_fenced_with_its_language() -> None:
    source = "def add(a, b):\n    return a + b\n"
    result = extract(source.encode(), filename="calc.py", content_type="text/x-python", limits=LIMITS)
    assert result.kind == "code" and result.language == "python"
    assert result.text == "```python\ndef add(a, b):\n    return a + b\n```"


def test_code_containing_fences_gets_a_longer_fence() -> None:
    source = 'doc = """\n```js\nx()\n```\n"""\n'
    result = extract(source.encode(), filename="m.py", content_type="", limits=LIMITS)
    assert result.text.startswith("````python\n") and result.text.endswith("\n````")


def test_json_minified_is_pretty_printed_and_formatted_is_kept() -> None:
    value = {"name": "parley", "tags": ["a", "b"], "nested": {"depth": 2, "items": list(range(30))}}
    minified = json.dumps(value, separators=(",", ":")).encode()
    result = extract(minified, filename="v.json", content_type="application/json", limits=LIMITS)
    assert result.text == json.dumps(value, indent=2)
    formatted = b'{\n    "a": 1\n}\n'
    assert extract(formatted, filename="f.json", content_type="", limits=LIMITS).text == formatted.decode()


def test_deep_minified_json_is_kept_as_is() -> None:
    one = "[" * 500 + "1" + "]" * 500
    data = ("[" + ",".join([one] * 200) + "]").encode()  # 200 KB that indentation would make ~50 MB
    result = extract(data, filename="deep.json", content_type="", limits=Limits(max_chars=10**9))
    assert result.text == data.decode()


def test_json_lines_kept_as_is() -> None:
    data = b'{"a": 1}\n{"a": 2}\n'
    assert extract(data, filename="rows.jsonl", content_type="", limits=LIMITS).text == data.decode()


def test_csv_is_row_capped() -> None:
    rows = ["id,name,score"] + [f'{i},"Name, {i}",{i * 3}' for i in range(1, 1001)]
    data = "\n".join(rows).encode()
    result = extract(data, filename="s.csv", content_type="text/csv", limits=Limits(max_csv_rows=101))
    lines = result.text.splitlines()
    assert lines[0] == "id,name,score" and lines[1] == '1,"Name, 1",3'
    assert len(lines) == 101 and result.truncated
    assert result.notes == ("only the first 101 of 1,001 rows were extracted",)


def test_csv_semicolons_are_sniffed() -> None:
    data = b"a;b;c\n1;2;3\n4;5;6\n"
    result = extract(data, filename="eu.csv", content_type="", limits=LIMITS)
    assert result.text == "a;b;c\n1;2;3\n4;5;6\n"
    assert not result.truncated


@pytest.mark.parametrize(
    ("fmt", "name", "media"),
    [
        ("PNG", "a.png", "image/png"),
        ("JPEG", "a.jpg", "image/jpeg"),
        ("GIF", "a.gif", "image/gif"),
        ("WEBP", "a.webp", "image/webp"),
    ],
)
def test_images(fmt: str, name: str, media: str) -> None:
    data = image_bytes(fmt, (640, 480))
    result = extract(data, filename=name, content_type=media, limits=LIMITS)
    assert result.kind == "image" and result.text == "" and result.tokens == 0
    assert result.image is not None
    assert (result.image.format, result.image.media_type) == (fmt, media)
    assert (result.image.width, result.image.height) == (640, 480)
    assert result.image.estimated_tokens == 85 + 170 * 2  # not upscaled: 2 x 1 tiles of 512 px
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_image_token_estimate_matches_openai_s_examples() -> None:
    assert estimate_image_tokens(1024, 1024) == 765
    assert estimate_image_tokens(2048, 4096) == 1105


def test_image_with_generic_content_type_takes_the_name_s_type() -> None:
    result = extract(
        image_bytes("PNG"), filename="shot.png", content_type="application/octet-stream", limits=LIMITS
    )
    assert result.media_type == "image/png"


def test_extracted_round_trips_through_a_dict() -> None:
    result = extract(make_pdf([["one"], ["two"]]), filename="r.pdf", content_type="", limits=LIMITS)
    again = Extracted.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    meta = result.metadata()
    assert "text" not in meta and meta["pages"] == 2 and meta["chars"] == len(result.text)
    image = extract(image_bytes("PNG"), filename="i.png", content_type="", limits=LIMITS)
    assert Extracted.from_dict(json.loads(json.dumps(image.to_dict()))) == image
