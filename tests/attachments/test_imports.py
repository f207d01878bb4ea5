"""The chat path (chunks, selection, rendering) does not load the file parsers."""

from __future__ import annotations

import subprocess
import sys

CHAT_PATH = (
    "from parley.attachments import chunks_from_json, select_chunks, render_document\n"
    "from parley.attachments import Limits, validate_upload\n"
    "import sys\n"
    "print(sorted(m for m in ('pypdf', 'docx', 'PIL') if m in sys.modules))\n"
)


def test_chat_path_imports_no_parsers() -> None:
    out = subprocess.run([sys.executable, "-c", CHAT_PATH], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_export_resolves() -> None:
    import parley.attachments as attachments

    assert set(attachments.__all__) == set(attachments._EXPORTS)
    for name in attachments.__all__:
        assert getattr(attachments, name) is not None
