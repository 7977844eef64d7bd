import json

import pytest

from monocle.demo import run_demo


def test_demo_writes_a_page_with_metrics_for_every_preset(tmp_path):
    result = run_demo(tmp_path, per_preset=1, size=(48, 64))
    page = result.page.read_text()
    assert {"indoor", "outdoor", "portrait"} <= set(result.summary)
    for row in result.rows:
        assert row["n_valid"] > 0
        # ground truth on the page went through the 16-bit PNG and came back within half a step
        assert row["png16_max_error_m"] <= row["png16_half_step_m"] + 1e-6
        assert f"images/{row['id']}_input.png" in page
        assert (tmp_path / "images" / f"{row['id']}_relative_error.png").is_file()
    assert (tmp_path / result.photo3d["gif"]).is_file()
    assert result.photo3d["html"] in page
    stored = json.loads((tmp_path / "metrics.json").read_text())
    assert len(stored["rows"]) == 3
    assert stored["summary"]["indoor"]["abs_rel"] == pytest.approx(
        result.summary["indoor"]["abs_rel"]
    )


def test_demo_command_falls_back_to_the_baseline_without_shipped_weights(
    tmp_path, capsys, monkeypatch
):
    from monocle.cli.main import main
    from monocle.infer import loading

    monkeypatch.setattr(loading, "WEIGHTS_DIR", tmp_path / "no_weights_here")
    assert main(["demo", "--out", str(tmp_path), "--per-preset", "1"]) == 0
    assert "mean log-depth baseline" in (tmp_path / "index.html").read_text()
    assert main(["demo", "--out", str(tmp_path), "--model", "no_such_model"]) == 2
    assert "no_such_model" in capsys.readouterr().err
