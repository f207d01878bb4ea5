"""Shared conversations: share links (read-only snapshots), members with roles, live updates."""
