"""Temperature scaling: the numpy math on synthetic and hand-computed cases, then a real tiny training
that fits, saves and applies its temperature, and the evaluate CLI's "ece" / "nll"."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from core.ml.calibration import apply_temperature, ece, fit_temperature, nll, reliability


def _sampled(true_t: float, n: int = 20000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits of a model that is overconfident by ``true_t``: labels are drawn from
    softmax(logits / true_t), so true_t is the temperature that calibrates them."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 3.0, size=(n, 3))
    probs = apply_temperature(logits, true_t)
    labels = np.array([rng.choice(3, p=p) for p in probs])
    return logits, labels


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_fit_recovers_a_known_temperature(true_t):
    logits, labels = _sampled(true_t)
    fitted = fit_temperature(logits, labels)
    assert fitted == pytest.approx(true_t, rel=0.06)
    # The fitted T is the NLL optimum: nudging it either way only makes the NLL worse.
    best = nll(apply_temperature(logits, fitted), labels)
    for other in (fitted * 0.9, fitted * 1.1):
        assert nll(apply_temperature(logits, other), labels) > best


def test_scaling_lowers_ece_and_keeps_the_argmax():
    logits, labels = _sampled(2.0, n=5000, seed=1)
    t = fit_temperature(logits, labels)
    raw, scaled = apply_temperature(logits, 1.0), apply_temperature(logits, t)
    assert (raw.argmax(1) == scaled.argmax(1)).all()
    assert ece(scaled, labels) < 0.02 < ece(raw, labels)


def test_apply_temperature_by_hand():
    probs = apply_temperature([[math.log(1), math.log(3)]], 1.0)
    assert probs[0].tolist() == pytest.approx([0.25, 0.75])
    # T = 2 halves the logits: the odds 3:1 become sqrt(3):1.
    halved = apply_temperature([[0.0, math.log(3)]], 2.0)[0]
    assert halved[1] / halved[0] == pytest.approx(math.sqrt(3))
    # Huge logits do not overflow.
    assert apply_temperature([[1000.0, 0.0, -1000.0]], 1.0)[0].tolist() == pytest.approx([1.0, 0.0, 0.0])


def test_ece_and_nll_on_a_hand_computed_case():
    # Confidences 0.95, 0.85 (bin (0.9,1] and (0.8,0.9]) and 0.6, 0.55 (bin (0.5,0.6]).
    probs = [[0.95, 0.03, 0.02],   # right
             [0.05, 0.85, 0.10],   # wrong (gold 0)
             [0.6, 0.3, 0.1],      # right
             [0.2, 0.25, 0.55]]    # wrong (gold 1)
    labels = [0, 0, 0, 1]
    # bin (0.9,1]: 1 item, acc 1, conf .95 -> .05; bin (0.8,.9]: acc 0, conf .85 -> .85;
    # bin (0.5,.6]: 2 items, acc .5, conf .575 -> .075 each. ECE = (.05 + .85 + 2 * .075) / 4.
    assert ece(probs, labels) == pytest.approx((0.05 + 0.85 + 2 * 0.075) / 4)
    assert nll(probs, labels) == pytest.approx(-(math.log(0.95) + math.log(0.05) + math.log(0.6) + math.log(0.25)) / 4)
    # A confidence exactly on an edge belongs to the lower bin: (lo, hi].
    bins = reliability([[0.6, 0.4, 0.0]], [0])
    assert bins[5]["n"] == 1 and bins[5]["accuracy"] == 1.0 and sum(b["n"] for b in bins) == 1


def test_no_data_means_no_change():
    assert fit_temperature(np.zeros((0, 3)), []) == 1.0
    assert ece(np.zeros((0, 3)), []) == 0.0


def test_calibration_module_is_torch_free():
    code = "import sys, core.ml.calibration; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- a real tiny training ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def calibrated(tiny_base_model, small_examples):
    from core.ml.config import TrainConfig
    from core.ml.train import train

    cfg = TrainConfig.for_engine("two-phase", base_model=str(tiny_base_model), epochs=(1, 3), batch_size=8, seed=2)
    with_dev = train(cfg, small_examples, list(small_examples) * 3)  # 72 dev terms: fitted on dev
    without = train(cfg, small_examples, small_examples[:8])         # dev too small: out-of-fold heads
    return with_dev, without


def test_training_fits_and_records_a_temperature(calibrated):
    with_dev, without = calibrated
    rec = with_dev.model.info["calibration"]
    assert rec["method"] == "dev" and rec["n"] == 72
    assert with_dev.model.info["temperature"] == rec["temperature"] > 0
    assert rec["nll_after"] <= rec["nll_before"] + 1e-4  # T minimises exactly this NLL
    assert {"ece", "nll"} <= set(with_dev.metrics)
    rec = without.model.info["calibration"]
    assert rec["method"].startswith("out-of-fold") and rec["n"] == 24
    assert rec["temperature"] >= 1.0  # an out-of-fold T only softens
    assert without.metrics["n"] == 8 and "ece" in without.metrics


def test_saved_model_applies_its_temperature_and_old_folders_read_one(calibrated, small_examples, tmp_path):
    from core.ml.model import PolarityModel

    model = calibrated[0].model
    folder = model.save(tmp_path / "m")
    items = [(e.sentence, e.start, e.end) for e in small_examples]
    loaded = PolarityModel.load(folder, device="cpu", precision="float32")
    logits = loaded.predict_logits(items)
    assert loaded.temperature == model.info["temperature"]
    assert np.allclose(loaded.predict_proba(items), apply_temperature(logits, loaded.temperature), atol=1e-6)
    # A folder from before calibration has no temperature: plain softmax, T = 1.
    info = json.loads((folder / "model.json").read_text())
    del info["temperature"], info["calibration"]
    (folder / "model.json").write_text(json.dumps(info))
    old = PolarityModel.load(folder, device="cpu", precision="float32")
    assert old.temperature == 1.0
    assert np.allclose(old.predict_proba(items), apply_temperature(logits, 1.0), atol=1e-6)


def test_evaluate_json_reports_ece_and_nll(calibrated, small_tsv, tmp_path, capsys):
    from core.cli import main

    folder = calibrated[0].model.save(tmp_path / "m")
    assert main(["evaluate", "--model", str(folder), "--data", str(small_tsv), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert 0.0 <= data["ece"] <= 1.0 and data["nll"] > 0.0


# -- the calibration slice: held out of training when there is no dev set ------------------------
def _many(small_examples, copies: int) -> list:
    """``copies`` x the small rows, each copy a distinct sentence (so grouping has work to do)."""
    from core.domain import TermExample

    return [TermExample(f"{e.sentence} ({k})", e.start, e.end, e.polarity)
            for k in range(copies) for e in small_examples]


def test_holdout_slice_is_stratified_by_label_and_whole_sentences(small_examples):
    from collections import Counter

    from core.ml.temperature import MIN_DEV, holdout

    examples = _many(small_examples, 10)  # 240 terms, 230 sentences
    rest, held = holdout(examples, None, seed=3)
    assert len(rest) + len(held) == 240 and MIN_DEV <= len(held) <= 26
    assert not {e.sentence for e in rest} & {e.sentence for e in held}  # a sentence stays on one side
    totals, taken = Counter(e.polarity for e in examples), Counter(e.polarity for e in held)
    assert all(abs(taken[p] - 0.1 * n) <= 2 for p, n in totals.items())
    assert holdout(examples, None, seed=3) == (rest, held)  # seeded: the same slice again
    # A dev set big enough to fit T on, or too few labels for a slice of MIN_DEV terms: no slice.
    assert holdout(examples, examples[:MIN_DEV], seed=3) == (examples, [])
    assert holdout(examples[:150], None, seed=3) == (examples[:150], [])


def test_training_without_dev_fits_t_on_a_slice_it_never_trained_on(tiny_base_model, small_examples,
                                                                     monkeypatch):
    from core.ml.calibration import apply_temperature, fit_temperature
    from core.ml.config import TrainConfig
    from core.ml.temperature import holdout
    from core.ml.train import train

    from core.ml import temperature

    examples = _many(small_examples, 10)
    cfg = TrainConfig.for_engine("two-phase", base_model=str(tiny_base_model), epochs=(1, 3), batch_size=16, seed=4)
    rest, held = holdout(examples, None, seed=4)
    items, labels = [(e.sentence, e.start, e.end) for e in held], [e.polarity.index for e in held]
    monkeypatch.setattr(temperature, "REFIT_ON_ALL", False)  # the slice model itself, to check its T
    sliced = train(cfg, examples, None).model
    rec = sliced.info["calibration"]
    assert rec["method"].startswith("held-out slice") and rec["n"] == len(held) == sliced.info["n_calibration"]
    assert sliced.info["n_train"] == len(rest)  # the slice was kept out of training
    # The saved T is the NLL optimum on the slice's logits, unclamped (a slice may also sharpen).
    logits = sliced.predict_logits(items)
    assert sliced.temperature == pytest.approx(fit_temperature(logits, labels), rel=1e-3)
    assert rec["nll_after"] <= rec["nll_before"] + 1e-4
    # The default: the same recipe again on every row, keeping the slice's T.
    monkeypatch.setattr(temperature, "REFIT_ON_ALL", True)
    steps: list = []
    final = train(cfg, examples, None, on_progress=steps.append).model
    # Two trainings, one progress bar: steps only go up, and "done" comes once, at the end.
    assert [e.step for e in steps] == sorted(e.step for e in steps)
    assert [e.phase for e in steps].count("done") == 1 and steps[-1].phase == "done"
    assert steps[-1].step == steps[-1].total
    assert final.info["n_train"] == len(examples) and final.info["n_calibration"] == len(held)
    assert final.temperature == sliced.temperature and "retrained on all" in final.info["calibration"]["method"]
    assert not np.allclose(final.predict_logits(items), logits)  # a different model (it saw the slice)
    assert np.allclose(final.predict_proba(items[:1]), apply_temperature(final.predict_logits(items[:1]),
                                                                          final.temperature), atol=1e-6)
