"""Attachment settings reach the configuration as given: a zero is a value, not "unset"."""

from __future__ import annotations

from parley.attachments.config import AttachmentConfig
from parley.settings import Settings


def test_zero_chunk_overlap_is_kept() -> None:
    config = AttachmentConfig.from_settings(Settings(mode="local", attachment_chunk_overlap=0))
    assert config.chunk_overlap == 0


def test_every_setting_is_read_from_settings() -> None:
    settings = Settings(mode="aws", attachment_chunk_overlap=7, attachment_chunk_tokens=64,
                        attachment_upload_expires_s=60, attachment_unused_ttl_s=3600,
                        attachment_process_inline=False, attachment_isolation="none")
    config = AttachmentConfig.from_settings(settings)
    got = (config.chunk_overlap, config.chunk_tokens, config.upload_expires_s, config.unused_ttl_s)
    assert got == (7, 64, 60, 3600)
    assert (config.process_inline, config.isolation) == (False, "none")


def test_mode_decides_what_is_left_unset() -> None:
    local = AttachmentConfig.from_settings(Settings(mode="local"))
    aws = AttachmentConfig.from_settings(Settings(mode="aws"))
    assert (local.process_inline, local.isolation) == (True, "forkserver")
    assert (aws.process_inline, aws.isolation) == (False, "fork")
