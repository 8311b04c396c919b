"""Settings come in layers and fail with messages that name the key and the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.settings import TOML_KEYS, ConfigError, Settings, Source
from bot.settings_loader import check_token, from_toml, load_settings

ROOT = Path(__file__).resolve().parents[2]
GOOD_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_defaults_without_a_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With no file and no environment, the documented defaults apply."""
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings == Settings()


def test_layers_file_then_environment_then_overrides(tmp_path: Path) -> None:
    """The environment beats the file, and explicit overrides beat both."""
    config = tmp_path / "c.toml"
    config.write_text('[store]\npath = "a.db"\n[index]\nscorer = "okapi"\n[search]\nresults = 5\n')
    env = {"BRIEFBOT_CONFIG": str(config), "BRIEFBOT_DB": "b.db", "BRIEFBOT_ADMIN_IDS": "7, 8"}
    settings = load_settings(env=env, scorer="lucene")
    assert settings.db_path == Path("b.db")
    assert settings.scorer == "lucene"
    assert settings.results == 5
    assert settings.admin_ids == frozenset({7, 8})


def test_sources_tables(tmp_path: Path) -> None:
    """[[sources]] tables become Source records with their poll interval."""
    config = tmp_path / "c.toml"
    config.write_text('[[sources]]\nlocation = "news"\nevery = 60\n[[sources]]\nlocation = "x"\n')
    assert load_settings(config, env={}).sources == (Source("news", 60.0), Source("x", 0.0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[store]\npaht = "x"\n', "unknown setting [store] paht"),
        ("[search]\nresults = 'many'\n", "[search] results: expected a int"),
        ("[search]\nresults = -1\n", "[search] results"),
        ("[search]\nresults = 100000\n", "[search] results: must be at most 1,000"),
        ("[access]\nadmin_ids = 'me'\n", "[access] admin_ids: expected a list of ids"),
        ("[index]\nscorer = 'tfidf'\n", "scorer: expected 'lucene' or 'okapi'"),
        ("[[sources]]\nevery = 5\n", "needs a 'location'"),
        ("[[sources]]\nlocation = 'x'\nevery = -5\n", "'every' must be a number"),
        ("store = 3\n", "'store' should be a [store] table"),
        ("[store\n", "cannot read config"),
    ],
    ids=[
        "typo",
        "type",
        "negative",
        "too-many",
        "ids",
        "scorer",
        "location",
        "every",
        "table",
        "syntax",
    ],
)
def test_bad_config_names_key_and_file(tmp_path: Path, text: str, message: str) -> None:
    """Every config mistake is a ConfigError naming the file and the key."""
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_settings(config, env={})
    assert message in str(error.value)
    assert str(config) in str(error.value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("0", True), ("2.5", True), ("-0.5", False), ("inf", False), ("nan", False), ('"x"', False)],
)
def test_title_weight_is_zero_or_more(tmp_path: Path, value: str, ok: bool) -> None:
    """[search] title_weight takes 0 (off) or any finite weight above; anything else names it."""
    config = tmp_path / "config.toml"
    config.write_text(f"[search]\ntitle_weight = {value}\n")
    if ok:
        assert load_settings(config, env={}).title_weight == float(value)
        return
    with pytest.raises(ConfigError, match=r"title_weight"):
        load_settings(config, env={})


@pytest.mark.parametrize(
    ("value", "ok"),
    [("0", True), ("0.25", True), ("-0.5", False), ("inf", False), ("nan", False), ('"x"', False)],
)
def test_date_preference_is_zero_or_more(tmp_path: Path, value: str, ok: bool) -> None:
    """[search] date_preference takes 0 (every range filters) or any finite weight above."""
    config = tmp_path / "config.toml"
    config.write_text(f"[search]\ndate_preference = {value}\n")
    if ok:
        assert load_settings(config, env={}).date_preference == float(value)
        return
    with pytest.raises(ConfigError, match=r"date_preference"):
        load_settings(config, env={})


@pytest.mark.parametrize(
    ("value", "ok"),
    [("0", True), ("0.6", True), ("-0.5", False), ("inf", False), ("nan", False), ('"x"', False)],
)
@pytest.mark.parametrize(
    "key", ["article_support", "statement_support", "coverage", "asked_weight", "proximity"]
)
def test_article_support_is_zero_or_more(tmp_path: Path, key: str, value: str, ok: bool) -> None:
    """[search] article_support, statement_support, coverage, asked_weight and proximity take 0
    or any finite weight above; else the error names the key."""
    config = tmp_path / "config.toml"
    config.write_text(f"[search]\n{key} = {value}\n")
    if ok:
        assert getattr(load_settings(config, env={}), key) == float(value)
        return
    with pytest.raises(ConfigError, match=key):
        load_settings(config, env={})


@pytest.mark.parametrize(
    ("value", "ok"), [("0", True), ("0.4", True), ("1", True), ("1.5", False), ("-0.1", False)]
)
def test_min_share_is_a_fraction(tmp_path: Path, value: str, ok: bool) -> None:
    """[search] min_share takes 0 to 1 (0 never declines); anything else names the key."""
    config = tmp_path / "config.toml"
    config.write_text(f"[search]\nmin_share = {value}\n")
    if ok:
        assert load_settings(config, env={}).min_share == float(value)
        return
    with pytest.raises(ConfigError, match=r"\[search\] min_share"):
        load_settings(config, env={})


def test_named_config_must_exist(tmp_path: Path) -> None:
    """Pointing BRIEFBOT_CONFIG at a missing file is an error, not a silent default."""
    with pytest.raises(ConfigError, match="not found"):
        load_settings(env={"BRIEFBOT_CONFIG": str(tmp_path / "nope.toml")})


def test_bad_environment_value_names_the_variable() -> None:
    """A malformed BRIEFBOT_* variable is reported by name."""
    with pytest.raises(ConfigError, match=r"\$BRIEFBOT_ALLOWED_IDS"):
        load_settings(env={"BRIEFBOT_ALLOWED_IDS": "alice"})


def test_repr_masks_the_token() -> None:
    """Printing or logging Settings never shows the token."""
    settings = load_settings(env={"BRIEFBOT_TOKEN": GOOD_TOKEN})
    assert settings.token == GOOD_TOKEN
    assert GOOD_TOKEN not in repr(settings)
    assert "token='***'" in repr(settings)


@pytest.mark.parametrize(
    ("token", "ok"),
    [(GOOD_TOKEN, True), ("", False), ("123:abc", False), ("not a token", False)],
    ids=["valid", "empty", "short", "words"],
)
def test_check_token(token: str, ok: bool) -> None:
    """A missing or malformed token gets a paragraph on how to get one from @BotFather."""
    problem = check_token(token)
    assert (problem is None) == ok
    if not ok:
        assert problem is not None
        assert "@BotFather" in problem
        assert "BRIEFBOT_TOKEN" in problem


def test_example_config_covers_every_setting() -> None:
    """config.example.toml parses and sets every key the loader knows, with default values."""
    data = tomllib.loads((ROOT / "config.example.toml").read_text())
    present = {(table, key) for table, keys in data.items() if table != "sources" for key in keys}
    assert present == set(TOML_KEYS)
    values = from_toml(data, "config.example.toml")
    defaults = Settings()
    for name, value in values.items():
        assert value == getattr(defaults, name), name


WEBHOOK = '[telegram]\nmode = "webhook"\nwebhook_url = "https://bot.example.org/hook"\n'


def test_webhook_settings_load_from_file_and_environment(tmp_path: Path) -> None:
    """Webhook mode reads its URL, address and port from the file and the secret from the
    environment; a settings dump masks the secret."""
    config = tmp_path / "c.toml"
    config.write_text(WEBHOOK + 'listen = "0.0.0.0"\nport = 8080\ndelete_webhook_on_stop = true\n')
    env = {"BRIEFBOT_CONFIG": str(config), "BRIEFBOT_SECRET_TOKEN": "abc_DEF-123"}
    settings = load_settings(env=env)
    assert (settings.mode, settings.listen, settings.port) == ("webhook", "0.0.0.0", 8080)
    assert settings.secret_token == "abc_DEF-123"
    assert settings.delete_webhook_on_stop is True
    assert "abc_DEF-123" not in repr(settings)
    assert "secret_token='***'" in repr(settings)


@pytest.mark.parametrize(
    ("more", "secret", "message"),
    [
        ("", "", "secret_token is required in webhook mode"),
        ("", "has spaces", "Telegram accepts 1-256 characters"),
        ("", "x" * 257, "Telegram accepts 1-256 characters"),
        ('[telegram]\nmode = "webhook"\n', "abc", "webhook_url: webhook mode needs the public"),
        ("port = 0\n", "abc", "port: expected 1-65535"),
        ("workers = 2\n", "abc", "run more instances behind the load balancer"),
    ],
    ids=["no-secret", "spaces", "too-long", "no-url", "port-zero", "workers"],
)
def test_webhook_mistakes_are_config_errors(
    tmp_path: Path, more: str, secret: str, message: str
) -> None:
    """A webhook set-up Telegram would refuse, or one open to anyone, fails with one line."""
    config = tmp_path / "c.toml"
    config.write_text(more if more.startswith("[telegram]") else WEBHOOK + more)
    env = {"BRIEFBOT_CONFIG": str(config), "BRIEFBOT_SECRET_TOKEN": secret}
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env)


@pytest.mark.parametrize(
    ("key", "value"),
    [("mode", "websocket"), ("transport", "requests")],
    ids=["mode", "transport"],
)
def test_mode_and_transport_take_known_values_only(tmp_path: Path, key: str, value: str) -> None:
    """An unknown mode or transport names the choices."""
    config = tmp_path / "c.toml"
    config.write_text(f'[telegram]\n{key} = "{value}"\n')
    with pytest.raises(ConfigError, match=f"\\[telegram\\] {key}: expected"):
        load_settings(env={"BRIEFBOT_CONFIG": str(config)})
