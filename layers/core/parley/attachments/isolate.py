"""Run extraction in a child process with a hard time limit and a memory cap.

Why a process: pypdf, python-docx and Pillow are pure Python or C calls that no deadline can
interrupt mid-call (one hostile page's content stream, one huge XML part), and a Python thread cannot
be killed. A child process can be: on timeout it is killed, and ``RLIMIT_AS`` turns a memory bomb into
a ``MemoryError`` inside the child instead of an out-of-memory kill of the whole Lambda.

Why ``Process`` + ``Pipe`` and not a ``Pool`` or a ``Queue``: AWS Lambda has no ``/dev/shm``, so
anything built on POSIX semaphores (``Pool``, ``Queue``, ``Lock``) fails there; a ``Pipe`` is a plain
``os.pipe`` and ``Process`` with the ``fork`` start method needs nothing else. ``fork`` also makes the
start cheap (~2-5 ms; the child inherits the loaded libraries and tokenizer) where ``spawn`` would
re-import them (~1 s). Fork only from a single-threaded process (the S3-event handler is one);
forking a process with other threads running can deadlock the child on a lock one of them held.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar, cast

from parley.attachments.errors import AttachmentError, ExtractionFailed
from parley.attachments.extract import extract
from parley.attachments.extracted import Extracted
from parley.attachments.limits import Limits, validate_upload
from parley.tokens import encoding

T = TypeVar("T")
_MB = 1024 * 1024


def extract_isolated(
    data: bytes,
    *,
    filename: str,
    content_type: str | None,
    limits: Limits,
    start_method: str = "fork",
) -> Extracted:
    """``extract`` in a child process: killed after ``time_budget_s + isolated_grace_s``, its memory capped.

    Raises what ``extract`` raises; a kill or a crash becomes ``ExtractionFailed`` too.
    """
    validate_upload(filename, content_type, len(data), limits)  # fail fast, without a process
    encoding()  # load the tokenizer here once, so that every forked child inherits it
    return run_isolated(
        extract,
        data,
        filename=filename,
        content_type=content_type,
        limits=limits,
        timeout_s=limits.time_budget_s + limits.isolated_grace_s,
        memory_mb=limits.isolated_memory_mb,
        start_method=start_method,
    )


def run_isolated(
    fn: Callable[..., T],
    *args: Any,
    timeout_s: float,
    memory_mb: int | None,
    start_method: str = "fork",
    **kwargs: Any,
) -> T:
    """Call ``fn(*args, **kwargs)`` in a child process; return its result or raise its AttachmentError."""
    # typeshed gives get_context(str) the base class, which declares no Process; every real context has one.
    ctx = cast("multiprocessing.context.DefaultContext", multiprocessing.get_context(start_method))
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_child, args=(sender, fn, args, kwargs, memory_mb), daemon=True, name="parley-extract"
    )
    child.start()
    sender.close()  # so that the child's death reads as EOF here
    try:
        if not receiver.poll(timeout_s):
            raise ExtractionFailed(f"reading the file took longer than {timeout_s:g} s and was stopped")
        try:
            status, payload = receiver.recv()
        except (EOFError, OSError):
            child.join(2)
            raise ExtractionFailed(_death_reason(child.exitcode)) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if status == "ok":
        return payload  # type: ignore[no-any-return]
    if status == "error" and isinstance(payload, AttachmentError):
        raise payload
    raise ExtractionFailed(str(payload))


def _child(
    sender: Connection,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    memory_mb: int | None,
) -> None:
    try:
        if memory_mb:
            _limit_address_space(memory_mb)
        result: tuple[str, Any] = ("ok", fn(*args, **kwargs))
    except AttachmentError as e:
        result = ("error", e)
    except MemoryError:
        result = (
            "failed",
            "reading the file needed more memory than allowed (it may be a decompression bomb)",
        )
    except BaseException as e:  # noqa: BLE001 - everything must reach the parent as a reason
        result = ("failed", f"the file could not be read ({type(e).__name__})")
    try:
        sender.send(result)
    except MemoryError:
        sender.send(("failed", "the extracted text was too large to return"))
    finally:
        sender.close()


def _limit_address_space(extra_mb: int) -> None:
    """Cap the child at its current size plus ``extra_mb`` (Linux; a no-op where unsupported)."""
    try:
        import resource

        current = _vm_size()
        if current is None:
            return
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = current + extra_mb * _MB
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ImportError, OSError, ValueError):
        return


def _vm_size() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0 and -exitcode == 9:
        return "reading the file was stopped (it needed too much memory)"
    return f"reading the file failed unexpectedly (reader exited with status {exitcode})"


__all__ = ["extract_isolated", "run_isolated"]
