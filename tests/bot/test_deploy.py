"""The Dockerfile, compose example and systemd unit run real commands with safe essentials.

No container engine runs here: these read the files as the engine and systemd would, and
check each command they start against the real argument parser and settings.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.settings import ENV_KEYS
from bot.settings_loader import load_settings
from retrieval.sources import is_url

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CONTINUED = "\\"  # a Dockerfile line ending in a backslash goes on on the next line


def instructions(path: Path) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of a Dockerfile, continuation lines joined, comments out."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = " ".join((pending, line.removesuffix(CONTINUED).strip())).strip()
        if line.endswith(CONTINUED):
            continue
        keyword, _, rest = pending.partition(" ")
        found.append((keyword.upper(), rest.strip()))
        pending = ""
    return found


def final_stage(path: Path) -> list[tuple[str, str]]:
    """The instructions of the last stage: what the shipped image is made of."""
    steps = instructions(path)
    last = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last:]


def exec_form(arguments: str) -> list[str]:
    """A JSON-array (exec form) argument list, as Docker reads it."""
    parsed = json.loads(arguments)
    assert isinstance(parsed, list)
    return [str(item) for item in parsed]


def parses(argv: list[str]) -> str:
    """The sub-command ``briefbot argv`` runs; fails the test if the parser rejects it."""
    try:
        return str(build_parser().parse_args(argv).command)
    except SystemExit as exit_:  # argparse's way of rejecting
        raise AssertionError(f"briefbot {shlex.join(argv)} is not a valid command") from exit_


def test_image_is_slim_python_311_and_runs_as_a_non_root_user() -> None:
    """The shipped stage starts from a slim Python 3.11 and switches to a numbered non-root user
    before anything runs."""
    stage = final_stage(ROOT / "Dockerfile")
    assert stage[0] == ("FROM", "python:3.11-slim")
    users = [arguments for keyword, arguments in stage if keyword == "USER"]
    assert users, "no USER: the bot would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert [k for k, _ in stage].index("USER") < [k for k, _ in stage].index("ENTRYPOINT")


def test_image_installs_runtime_dependencies_only() -> None:
    """No dev or bench extras, no editable install, and neither tests nor benchmarks copied."""
    steps = instructions(ROOT / "Dockerfile")
    installs = [args for keyword, args in steps if keyword == "RUN" and "pip" in args]
    assert installs
    for command in installs:
        assert "[" not in command  # no extras at all: the package's own dependencies
        assert " -e " not in command
    copied = " ".join(args for keyword, args in steps if keyword == "COPY")
    for folder in ("tests", "bench", "seeds", ".venv"):
        assert folder not in copied.split()
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"tests", "bench", ".venv", "config.toml", "*.sqlite3"} <= set(ignored)


def test_image_keeps_the_store_on_a_volume() -> None:
    """The store path the image sets lies inside a declared VOLUME."""
    stage = final_stage(ROOT / "Dockerfile")
    volumes = [v for k, args in stage if k == "VOLUME" for v in exec_form(args)]
    env = " ".join(args for k, args in stage if k == "ENV")
    store = next(w.split("=", 1)[1] for w in env.split() if w.startswith("BRIEFBOT_DB="))
    assert any(Path(store).is_relative_to(volume) for volume in volumes)


def test_image_healthcheck_and_command_are_real_briefbot_commands() -> None:
    """HEALTHCHECK runs `briefbot health`; ENTRYPOINT plus CMD run `briefbot run`."""
    stage = final_stage(ROOT / "Dockerfile")
    health = next(args for keyword, args in stage if keyword == "HEALTHCHECK")
    options, _, command = health.partition(" CMD ")
    assert "--interval=" in options
    argv = exec_form(command)
    assert argv[0] == "briefbot"
    assert parses(argv[1:]) == "health"
    entry = exec_form(next(args for keyword, args in stage if keyword == "ENTRYPOINT"))
    cmd = exec_form(next(args for keyword, args in stage if keyword == "CMD"))
    assert entry == ["briefbot"]
    assert parses(cmd) == "run"


def unit(path: Path) -> dict[str, list[str]]:
    """``Key`` -> every value it is given in a systemd unit (keys may repeat)."""
    values: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_systemd_unit_starts_a_real_command_as_a_service_user() -> None:
    """ExecStart is `briefbot run` as the parser knows it; User is not root; its variables are
    ones the settings read."""
    values = unit(DEPLOY / "briefbot.service")
    (start,) = values["ExecStart"]
    argv = shlex.split(start)
    assert Path(argv[0]).name == "briefbot"
    assert parses(argv[1:]) == "run"
    assert values["User"] not in (["root"], ["0"])
    assert "2" in values["RestartPreventExitStatus"][0].split()
    names = {value.split("=", 1)[0] for value in values["Environment"]}
    assert names <= {*ENV_KEYS, "BRIEFBOT_CONFIG"}


def test_compose_example_mounts_a_config_that_loads_with_a_feed_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The config compose mounts is valid for the settings loader and polls a feed URL."""
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert "./briefbot.toml:/etc/briefbot/config.toml:ro" in compose
    assert "BRIEFBOT_CONFIG: /etc/briefbot/config.toml" in compose
    assert "briefbot-data:/data" in compose
    settings = load_settings(DEPLOY / "briefbot.toml", env={})
    assert settings.token == ""  # the token comes from the environment, never this file
    assert str(settings.db_path).startswith("/data/")
    feeds = [source for source in settings.sources if is_url(source.location)]
    assert feeds
    assert all(source.every > 0 for source in feeds)
