"""The CLI on the ONNX path: --runtime on predict, evaluate and project predict, `models export`,
`predict --input --lenient`, and the starter model's export built once into the user cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.cli import main
from core.serve.info import ONNX_FILES

pytestmark = pytest.mark.slow
SENTENCE = "The pasta was cold but the staff were lovely"


def run_cli(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def model(tiny_base_model, small_tsv_session, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serve-cli") / "model"
    assert main(["train", "--train", str(small_tsv_session), "--out", str(out), "--base-model", str(tiny_base_model),
                 "--epochs", "1", "--head-epochs", "2", "--batch-size", "8", "--json"]) == 0
    return out


def _old_copy(model: Path, tmp_path: Path) -> Path:
    """The folder as Polarity Studio wrote it before exports existed."""
    old = tmp_path / "old"
    shutil.copytree(model, old)
    info = json.loads((old / "model.json").read_text())
    del info["serving"]
    (old / "model.json").write_text(json.dumps(info), encoding="utf-8")
    for name in ONNX_FILES.values():
        (old / name).unlink(missing_ok=True)
    return old


def test_predict_and_evaluate_agree_across_runtimes(model, small_tsv_session, capsys):
    got = {}
    for runtime in ("onnx", "torch"):
        code, out, _ = run_cli(capsys, "predict", "--model", model, "--sentence", SENTENCE, "--term", "staff",
                               "--runtime", runtime, "--precision", "float32", "--json")
        assert code == 0
        got[runtime] = json.loads(out)
    assert got["onnx"]["label"] == got["torch"]["label"]
    for k, v in got["onnx"]["probabilities"].items():
        assert v == pytest.approx(got["torch"]["probabilities"][k], abs=1e-4)
    scores = []
    for runtime in ("onnx", "torch"):
        code, out, _ = run_cli(capsys, "evaluate", "--model", model, "--data", small_tsv_session, "--runtime", runtime,
                               "--json")
        assert code == 0
        scores.append(json.loads(out)["confusion"])
    assert scores[0] == scores[1]


def test_batch_predict_lenient_skips_the_mismatched_row(model, tmp_path, capsys):
    src = tmp_path / "dev.tsv"
    src.write_text("positive\tFOOD\tpasta\t4:9\tThe pasta was great\r\n"
                   "negative\tFOOD\tsalt shrimp\t4:15\tThe salt\" shrimp was bad\r\n"
                   "negative\tFOOD\tpizza\t4:9\tThe pizza was awful\r\n", encoding="utf-8", newline="")
    dst = tmp_path / "out.jsonl"
    code, _, err = run_cli(capsys, "predict", "--model", model, "--input", src, "--output", dst)
    assert code == 2 and f"{src}:2" in err and not dst.exists()
    code, out, _ = run_cli(capsys, "predict", "--model", model, "--input", src, "--output", dst, "--lenient", "--json")
    assert code == 0 and json.loads(out)["runtime"] == "onnx"
    assert [json.loads(line)["term"] for line in dst.read_text().splitlines()] == ["pasta", "pizza"]


def test_models_export_adds_the_export_to_an_older_folder(model, tmp_path, capsys):
    old = _old_copy(model, tmp_path)
    code, _, err = run_cli(capsys, "predict", "--model", old, "--sentence", SENTENCE, "--term", "staff",
                           "--runtime", "onnx")
    assert code == 2 and "polarity models export" in err and err.count("\n") == 1
    code, out, err = run_cli(capsys, "predict", "--model", old, "--sentence", SENTENCE, "--term", "staff", "--json")
    assert code == 0 and "warning" not in err  # an older folder: torch, silently
    before = json.loads(out)
    code, out, _ = run_cli(capsys, "models", "export", old, "--json")
    data = json.loads(out)
    assert code == 0 and data["runtime"] == "onnx" and data["precision"] in ("int8", "float32")
    assert (old / "model.onnx").is_file()
    code, out, _ = run_cli(capsys, "predict", "--model", old, "--sentence", SENTENCE, "--term", "staff",
                           "--runtime", "onnx", "--precision", "float32", "--json")
    assert code == 0 and json.loads(out)["label"] == before["label"]
    code, _, err = run_cli(capsys, "models", "export", tmp_path / "nope")
    assert code == 2 and "no such model folder" in err


def test_broken_export_warns_once_then_torch_predicts(model, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(model, broken)
    for name in ONNX_FILES.values():
        (broken / name).write_bytes(b"not an onnx file")
    code, out, err = run_cli(capsys, "predict", "--model", broken, "--sentence", SENTENCE, "--term", "staff", "--json")
    assert code == 0 and json.loads(out)["term"] == "staff"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("polarity: warning:") and "torch" in lines[0]
    code, _, err = run_cli(capsys, "predict", "--model", broken, "--sentence", SENTENCE, "--term", "staff",
                           "--runtime", "onnx")
    assert code == 2 and "cannot load the ONNX export" in err and "Traceback" not in err


def test_project_predict_takes_runtime(tiny_base_model, small_tsv_session, tmp_path, capsys):
    db = tmp_path / "p.db"
    unlabeled = tmp_path / "u.jsonl"
    unlabeled.write_text("\n".join(json.dumps({"text": t, "start": 4, "end": 9}) for t in
                                   ["The pasta was great", "The pizza was awful"]) + "\n")
    assert run_cli(capsys, "project", "init", db)[0] == 0
    assert run_cli(capsys, "project", "import", db, small_tsv_session)[0] == 0
    assert run_cli(capsys, "project", "import", db, unlabeled)[0] == 0
    code, _, _ = run_cli(capsys, "project", "train", db, "--base-model", tiny_base_model, "--epochs", "1",
                         "--head-epochs", "2", "--batch-size", "8", "--json")
    assert code == 0
    rows = {}
    for runtime in ("onnx", "torch"):
        code, out, _ = run_cli(capsys, "project", "predict", db, "--runtime", runtime, "--json")
        assert code == 0 and json.loads(out)["predicted"] == 2
        dst = tmp_path / f"{runtime}.jsonl"
        assert run_cli(capsys, "project", "export", db, dst, "--with-predictions")[0] == 0
        rows[runtime] = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [r.get("prediction") for r in rows["onnx"]] == [r.get("prediction") for r in rows["torch"]]
