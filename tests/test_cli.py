import subprocess
import sys

import pytest

import monocle
from monocle.cli.main import main


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert monocle.__version__ in capsys.readouterr().out
    assert main([]) == 0
    assert "commands" in capsys.readouterr().out


def test_info_lists_versions(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"monocle      {monocle.__version__}" in out
    assert "torch" in out and "turbo" in out


def test_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "monocle.cli.main", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and monocle.__version__ in result.stdout
