"""``--help`` for every subcommand and option; completion scripts and the man page,
generated from the parser, tested with the real bash and man/groff."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from core.cli.main import build_parser, main
from core.cli.parser import subcommands

PARSER = build_parser()
COMMANDS = subcommands(PARSER)


def _summaries() -> dict[str, str | None]:
    for action in PARSER._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help for choice in action._choices_actions}
    return {}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_subcommand_and_option_has_help(name: str) -> None:
    sub = COMMANDS[name]
    assert _summaries()[name], f"{name}: no one-line help in 'botstore --help'"
    assert sub.description, f"{name}: no description in 'botstore {name} --help'"
    missing = [
        action.option_strings or [action.dest]
        for action in sub._actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert not missing, f"{name}: options without help: {missing}"


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"    {name}" in out
    assert "BOTSTORE_ROOT" in out


def _completion(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


def _bash_complete(script: Path, words: list[str]) -> list[str]:
    line = " ".join(words)
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\nCOMP_LINE={line!r}\nCOMP_POINT={len(line)}\n"
        "_shtab_botstore\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    out = subprocess.run(
        ["bash", "-c", program], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return out.split()


def test_bash_completion_in_real_bash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "botstore.bash"
    script.write_text(_completion("bash", capsys))
    assert _bash_complete(script, ["botstore", "ch"]) == ["check"]
    assert set(_bash_complete(script, ["botstore", ""])) >= set(COMMANDS)
    assert "--timeout" in _bash_complete(script, ["botstore", "check", "--ti"])
    assert _bash_complete(script, ["botstore", "completion", ""]) == ["bash", "zsh", "fish"]


def test_zsh_completion_covers_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    script = _completion("zsh", capsys)
    assert script.startswith("#compdef botstore")
    for name in COMMANDS:
        assert f"    {name}:'" in script
    assert "--timeout" in script


@pytest.mark.skipif(
    shutil.which("zsh") is None, reason="zsh is not installed (.ci/run installs it)"
)
def test_zsh_parses_the_completion_script(capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(
        ["zsh", "-n"], input=_completion("zsh", capsys), text=True, check=True, timeout=30
    )


def test_fish_completion_covers_every_command_and_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = _completion("fish", capsys)
    lines = script.splitlines()
    for name, sub in COMMANDS.items():
        assert any(f"__fish_use_subcommand -a {name} " in line for line in lines), name
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert any(
                        f"__fish_seen_subcommand_from {name}'" in line
                        and f"-l {option[2:]}" in line
                        for line in lines
                    ), (name, option)
    assert all(line.startswith(("#", "complete -c botstore ")) for line in lines)


@pytest.mark.skipif(
    shutil.which("fish") is None, reason="fish is not installed (.ci/run installs it)"
)
def test_fish_completes_with_the_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script_path = tmp_path / "botstore.fish"
    script_path.write_text(_completion("fish", capsys))

    def complete(line: str) -> list[str]:
        program = f"source {script_path}; complete -C {shlex.quote(line)}"
        out = subprocess.run(
            ["fish", "--no-config", "-c", program],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        return [row.split("\t")[0] for row in out.splitlines()]

    assert complete("botstore ch") == ["check"]
    assert "--timeout" in complete("botstore check --ti")
    assert complete("botstore completion ") == ["bash", "fish", "zsh"]


def test_man_page_renders_with_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manpage"]) == 0
    roff = capsys.readouterr().out
    assert roff.startswith(".TH BOTSTORE")
    rendered = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-rHY=0", "-rLL=300n"],
        input=roff,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert not rendered.stderr, rendered.stderr
    text = rendered.stdout.replace("\u2010", "-")
    text = re.sub(r".\x08", "", text)  # drop overstrike bold/underline
    for name in COMMANDS:
        assert f"botstore {name}" in text, name
    assert "--timeout" in text and "BOTSTORE_ROOT" in text
