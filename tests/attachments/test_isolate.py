"""The isolated runner: results and refusals come back; hangs are killed, memory capped, crashes reported."""

from __future__ import annotations

import os
import signal
import time

import pytest

from parley.attachments import (
    AttachmentTooLarge,
    ExtractionFailed,
    Limits,
    extract,
    extract_isolated,
    run_isolated,
)
from tests.attachments.samples import encrypt_pdf, make_pdf

pytestmark = pytest.mark.timeout(120)


def _sleep_forever() -> None:
    time.sleep(3600)


def _allocate(gib: int) -> int:
    return len(bytearray(gib * 1024**3))


def _exit_hard(code: int) -> None:
    os._exit(code)


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _add(a: int, b: int = 0) -> int:
    return a + b


def test_returns_the_result() -> None:
    assert run_isolated(_add, 2, b=3, timeout_s=30, memory_mb=None) == 5


def test_a_hang_is_killed() -> None:
    with pytest.raises(ExtractionFailed, match="longer than 0.5 s"):
        run_isolated(_sleep_forever, timeout_s=0.5, memory_mb=None)


def test_memory_is_capped() -> None:
    with pytest.raises(ExtractionFailed, match="more memory than allowed"):
        run_isolated(_allocate, 8, timeout_s=30, memory_mb=256)


def test_crashes_are_reported() -> None:
    with pytest.raises(ExtractionFailed, match="status 3"):
        run_isolated(_exit_hard, 3, timeout_s=30, memory_mb=None)
    with pytest.raises(ExtractionFailed, match="too much memory"):
        run_isolated(_kill_self, timeout_s=30, memory_mb=None)


def test_extract_isolated_matches_extract() -> None:
    data = make_pdf([["Isolated page one"], ["Isolated page two"]])
    limits = Limits()
    isolated = extract_isolated(data, filename="a.pdf", content_type="application/pdf", limits=limits)
    assert isolated == extract(data, filename="a.pdf", content_type="application/pdf", limits=limits)


def test_extract_isolated_passes_refusals_through() -> None:
    locked = encrypt_pdf(make_pdf([["x"]]), user_password="pw")
    with pytest.raises(ExtractionFailed, match="password-protected"):
        extract_isolated(locked, filename="a.pdf", content_type="", limits=Limits())
    with pytest.raises(AttachmentTooLarge):
        extract_isolated(b"x" * 100, filename="a.txt", content_type="", limits=Limits(max_text_bytes=10))


def test_extract_isolated_stops_a_page_that_never_ends() -> None:
    # One page pypdf needs seconds to interpret: no check between pages can stop it, the kill does.
    slow = b"BT /F1 11 Tf 72 700 Td\n" + b"(a) Tj 1 0 Td\n" * 150_000 + b"ET"
    data = make_pdf([], raw_streams=[slow], compress=True)
    limits = Limits(time_budget_s=0.3, isolated_grace_s=0.3)
    with pytest.raises(ExtractionFailed, match="longer than 0.6 s and was stopped"):
        extract_isolated(data, filename="slow.pdf", content_type="", limits=limits)


def test_works_without_posix_semaphores(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS Lambda has no /dev/shm: semaphores fail there (so Pool and Queue do); the runner needs none."""
    import _multiprocessing
    import multiprocessing
    import multiprocessing.synchronize  # noqa: F401 - imported before the patch, as it is in real use

    def no_shm(*args: object, **kwargs: object) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(_multiprocessing, "SemLock", no_shm)
    with pytest.raises(OSError):
        multiprocessing.get_context("fork").Queue()  # what Lambda does to a Queue
    assert run_isolated(_add, 1, b=1, timeout_s=30, memory_mb=256) == 2
    data = make_pdf([["No shared memory needed"]])
    result = extract_isolated(data, filename="a.pdf", content_type="", limits=Limits())
    assert "No shared memory needed" in result.text
