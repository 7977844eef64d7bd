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


def test_public_api_is_reachable_from_the_package():
    assert monocle.load is monocle.infer.load
    assert "sanet_mbv2" in monocle.list_models()
    assert monocle.create_model("unet_r18").pretrained_cfg.architecture == "unet_r18"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        monocle.nope  # noqa: B018


def test_import_monocle_does_not_import_torch():
    code = "import sys, monocle; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
