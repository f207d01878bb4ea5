"""Settings.from_env: every PARLEY_<FIELD> variable parsed as the CDK app writes it, bad values refused
at start-up with the variable named, and keyword construction untouched by the environment."""

from __future__ import annotations

import pytest

from infra_cdk.functions import settings_environment
from parley.settings import Settings, SettingsError

#: Named in docs/DESIGN and the README: clients, tests and deployments rely on these exact names.
DOCUMENTED = ("PARLEY_MODE", "PARLEY_JWT_SECRET", "PARLEY_SIM_TTFT_MS", "PARLEY_SIM_TOKENS_PER_S",
              "PARLEY_SIM_FAIL_AFTER", "PARLEY_LIMIT_FREE_PER_HOUR", "PARLEY_LIMIT_PLUS_PER_HOUR",
              "PARLEY_SAFETY_POLICY")


class _Params:
    def __init__(self, settings: dict[str, object]) -> None:
        self.settings = settings


def test_documented_names_are_read() -> None:
    env = {"PARLEY_MODE": "aws", "PARLEY_JWT_SECRET": "s3cret", "PARLEY_SIM_TTFT_MS": "7",
           "PARLEY_SIM_TOKENS_PER_S": "12.5", "PARLEY_SIM_FAIL_AFTER": "3", "PARLEY_LIMIT_FREE_PER_HOUR": "4",
           "PARLEY_LIMIT_PLUS_PER_HOUR": "40", "PARLEY_SAFETY_POLICY": "flag"}
    assert set(env) == set(DOCUMENTED)
    s = Settings.from_env(env)
    assert (s.mode, s.jwt_secret, s.sim_ttft_ms, s.sim_tokens_per_s, s.sim_fail_after, s.limit_free_per_hour,
            s.limit_plus_per_hour, s.safety_policy) == ("aws", "s3cret", 7, 12.5, 3, 4, 40, "flag")


def test_every_field_round_trips_through_the_environment_as_the_cdk_app_writes_it() -> None:
    """Defaults rendered by infra_cdk's settings_environment (bools as true/false, lists comma-joined,
    None as empty) read back to exactly the defaults: every field, every type."""
    defaults = Settings()
    env = settings_environment(_Params(defaults.model_dump()))  # type: ignore[arg-type]
    assert set(env) == {f"PARLEY_{name.upper()}" for name in Settings.model_fields}
    assert Settings.from_env(env) == defaults


def test_values_of_each_kind() -> None:
    s = Settings.from_env({
        "PARLEY_CORS_ORIGINS": "https://a.example, https://b.example,",  # comma list, blanks dropped
        "PARLEY_ATTACHMENT_ALLOWED_KINDS": "pdf,docx",
        "PARLEY_CACHE_ENABLED": "false",
        "PARLEY_ATTACHMENT_PROCESS_INLINE": "1",  # bool | None
        "PARLEY_MODEL_BACKEND": "",  # empty: None for a field that may be None
        "PARLEY_SIM_FAIL_AFTER": "",
        "PARLEY_DEFAULT_SYSTEM_PROMPT": "",  # empty stays empty where None is not allowed
        "PARLEY_GENERATION_STALE_AFTER_S": "2.5",
        "PARLEY_COLDSTORE_SSE": "aws:kms",
        "PARLEY_UNRELATED": "ignored",
        "HOME_OF_SOMETHING": "ignored",
    })
    assert s.cors_origins == ("https://a.example", "https://b.example")
    assert s.attachment_allowed_kinds == ("pdf", "docx")
    assert s.cache_enabled is False and s.attachment_process_inline is True
    assert s.model_backend is None and s.sim_fail_after is None and s.default_system_prompt == ""
    assert s.generation_stale_after_s == 2.5 and s.coldstore_sse == "aws:kms"
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize(("name", "raw", "says"), [
    ("PARLEY_SIM_TTFT_MS", "fast", "valid integer"),
    ("PARLEY_MODE", "cloud", "'local' or 'aws'"),
    ("PARLEY_CACHE_ENABLED", "maybe", "valid boolean"),
    ("PARLEY_ATTACHMENT_UPLOAD_EXPIRES_S", "3600", "less than or equal to 900"),
    ("PARLEY_GENERATION_STALE_AFTER_S", "0", "greater than 0"),
])
def test_a_bad_value_is_refused_at_start_up_naming_the_variable(name: str, raw: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: raw})
    assert name in str(refused.value) and says in str(refused.value)


def test_a_refusal_never_echoes_the_value() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"PARLEY_JWT_TTL_S": "hunter2-not-a-number"})
    assert "hunter2" not in str(refused.value)


def test_keyword_construction_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_MODE", "aws")
    monkeypatch.setenv("PARLEY_SIM_TTFT_MS", "999")
    assert Settings(sim_ttft_ms=5).mode == "local" and Settings(sim_ttft_ms=5).sim_ttft_ms == 5
    assert Settings.from_env().mode == "aws"  # from_env() with no mapping reads os.environ


def test_settings_are_frozen() -> None:
    with pytest.raises(ValueError):
        Settings().mode = "aws"  # type: ignore[misc]
