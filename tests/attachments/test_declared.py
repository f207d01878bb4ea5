"""The published upload declarations are a subset of what the server accepts, and only they are admitted."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.attachments.declared import DeclaredUploads
from parley.attachments.limits import Limits, validate_upload

LIMITS = Limits()
DECLARED = DeclaredUploads(LIMITS)


@st.composite
def declarations(draw):
    branch = draw(st.sampled_from(DECLARED._branches))
    name = draw(st.from_regex(branch.name, fullmatch=True).filter(lambda n: len(n) <= 1024))
    if branch.type_required:
        content_type = draw(st.from_regex(branch.content_type, fullmatch=True))
    else:
        content_type = draw(st.none() | st.from_regex(branch.content_type, fullmatch=True))
    return name, content_type, draw(st.integers(1, branch.max_size))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(declarations())
def test_every_declaration_the_schema_admits_is_accepted(declaration):
    assert DECLARED.admits(*declaration)
    validate_upload(*declaration, LIMITS)  # raises if the server would refuse it


@pytest.mark.parametrize(("filename", "content_type", "size", "status"), [
    ("Report.PDF", "application/pdf", 10, 201),
    ("Dockerfile", None, 10, 201),
    ("LICENSE", "text/plain", 10, 201),
    ("component.ts", "video/mp2t", 10, 201),
    ("0", None, 10, 415),
    ("LICENSE", None, 10, 415),
    ("setup.exe", "application/x-msdownload", 10, 415),
    ("photo.png", "image/jpeg", 10, 422),
    ("empty.txt", None, 0, 422),
    ("huge.png", "image/png", 6 * 1024 * 1024, 413),
])
def test_declarations_outside_the_schema_get_the_precise_refusal(client, auth, filename, content_type, size, status):
    body = {"filename": filename, "size": size} | ({"contentType": content_type} if content_type else {})
    assert client.post("/attachments", json=body, headers=auth).status_code == status
