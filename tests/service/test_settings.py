"""Settings: flag over environment over default; a bad value names the key and the allowed values."""

from __future__ import annotations

import pytest

from primebench.errors import UserError
from primebench.primes import EngineName
from primebench.service.settings import SPECS, Offload, Settings, resolve


def test_defaults() -> None:
    settings = resolve({}, {})
    assert settings == Settings()
    assert settings.max_n == 10**14 and settings.engine is EngineName.FAST


def test_environment_then_flag_precedence() -> None:
    env = {"PRIMEBENCH_PORT": "9000", "PRIMEBENCH_ENGINE": "trial", "PRIMEBENCH_OFFLOAD": "never"}
    assert resolve({}, env).port == 9000
    settings = resolve({"port": "9001"}, env)
    assert (
        settings.port == 9001
        and settings.engine is EngineName.TRIAL
        and settings.offload is Offload.NEVER
    )


@pytest.mark.parametrize(
    ("name", "raw", "needle"),
    [
        ("port", "70000", "0 to 65535"),
        ("workers", "-1", "0 (one per CPU) to 512"),
        ("engine", "quick", "one of fast, trial, trial-jit"),
        ("offload", "sometimes", "one of auto, never, always"),
        ("max_n", "0", "1 to 10^16"),
        ("max_n", str(10**16 + 1), "1 to 10^16"),
        ("loop", "rloop", "rloop is refused"),
        ("keep_alive", "maybe", "true or false"),
        ("max_connections", "10", "16 to 1000000"),
        ("answer_cache", "-1", "0 (off)"),
        ("drain", "61", "seconds from 0 to 60"),
        ("compute_threads", "x", "0 (CPUs / all pool processes)"),
        ("deadline", "soon", "seconds from 0.01 to 3600"),
        ("queue_depth", "1e3", "0 to 100000"),
    ],
)
def test_bad_value_is_refused_naming_flag_env_and_allowed(name: str, raw: str, needle: str) -> None:
    spec = next(s for s in SPECS if s.name == name)
    with pytest.raises(UserError) as info:
        resolve({name: raw}, {})
    message = str(info.value)
    assert (
        spec.flag in message and spec.env in message and needle in message and repr(raw) in message
    )


def test_bad_environment_value_names_the_variable_as_source() -> None:
    with pytest.raises(UserError, match=r"from PRIMEBENCH_WORKERS"):
        resolve({}, {"PRIMEBENCH_WORKERS": "many"})


def test_trial_jit_refuses_max_n_beyond_u32() -> None:
    with pytest.raises(UserError, match="u32"):
        resolve({"engine": "trial-jit", "max_n": str(10**12)}, {})


def test_round_trip_through_environment() -> None:
    settings = Settings(
        port=1234, engine=EngineName.TRIAL_JIT, max_n=1000, deadline=2.5, keep_alive=False
    )
    assert resolve({}, settings.to_env()) == settings


def test_max_n_reaches_the_nth_prime_page_range() -> None:
    assert resolve({"max_n": "2600000000000000"}, {}).max_n == 26 * 10**14


@pytest.mark.parametrize(
    ("raw", "value"), [("true", True), ("OFF", False), ("1", True), ("no", False)]
)
def test_keep_alive_spellings(raw: str, value: bool) -> None:
    assert resolve({}, {"PRIMEBENCH_KEEP_ALIVE": raw}).keep_alive is value
