"""ProbabilityBars and the QPainter charts: right texts, and every state paints something."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from app.widgets.charts.stats_charts import ConfusionMatrixChart, LabelDistributionChart, TrainingCurveChart, VersionsChart, nice_ticks
from app.widgets.prob_bars import ProbabilityBars, format_percent
from core.domain import Polarity, Prediction


def distinct_colours(widget: QWidget) -> int:
    image: QImage = widget.grab().toImage()
    assert not image.isNull() and image.width() > 0
    return len({image.pixel(x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)})


@pytest.fixture
def bars(qtbot) -> ProbabilityBars:
    w = ProbabilityBars()
    qtbot.addWidget(w)
    w.resize(340, w.sizeHint().height())
    return w


def test_headline_names_winner_and_confidence(bars: ProbabilityBars) -> None:
    bars.set_prediction(Prediction(Polarity.POSITIVE, (0.05, 0.02, 0.93)), None)
    assert bars.headline_text() == "Positive · 93 %"
    assert bars.human_text() == "" and not bars.disagrees()
    assert distinct_colours(bars) > 20


def test_human_label_and_disagreement(bars: ProbabilityBars) -> None:
    bars.set_prediction(Prediction(Polarity.POSITIVE, (0.05, 0.02, 0.93)), Polarity.NEGATIVE)
    assert bars.human_text() == "You: negative"
    assert bars.disagrees()
    assert "disagrees" in bars.accessibleDescription()
    bars.set_prediction(Prediction(Polarity.NEGATIVE, (0.6, 0.3, 0.1)), Polarity.NEGATIVE)
    assert bars.headline_text() == "Negative · 60 %" and not bars.disagrees()
    assert distinct_colours(bars) > 20


def test_empty_and_loading_states(bars: ProbabilityBars) -> None:
    assert bars.headline_text() == "No term selected"
    assert distinct_colours(bars) > 5
    bars.show_loading()
    assert bars.headline_text() == "Loading model…"
    assert distinct_colours(bars) > 5
    bars.set_prediction(None, Polarity.NEUTRAL)
    assert bars.headline_text() == "No prediction yet" and bars.human_text() == "You: neutral"
    bars.set_prediction(None, None)
    assert bars.headline_text() == "No term selected"


def test_format_percent() -> None:
    assert format_percent(0.934) == "93 %"
    assert format_percent(0.001) == "<1 %"
    assert format_percent(0.0) == "0 %"
    assert format_percent(1.0) == "100 %"


def test_nice_ticks() -> None:
    assert nice_ticks(0, 1157, 6, integer=True) == [0, 250, 500, 750, 1000, 1250]
    assert nice_ticks(0, 3, 6, integer=True) == [0, 1, 2, 3]
    ticks = nice_ticks(0.72, 0.88, 4)
    assert ticks[0] <= 0.72 and ticks[-1] >= 0.88 and len(ticks) <= 5
    flat = nice_ticks(5, 5)  # a flat series still gets a usable axis
    assert flat[0] <= 5 < flat[-1] and flat == sorted(flat)


def make_charts() -> list[QWidget]:
    labels = LabelDistributionChart()
    labels.set_counts({"negative": 412, "neutral": 58, "positive": 1033, "conflict": 3})
    matrix = ConfusionMatrixChart()
    matrix.set_matrix([[80, 6, 14], [5, 4, 5], [12, 3, 247]])
    curve = TrainingCurveChart()
    curve.add_point(1, "body", 0.82, None)
    for epoch in range(1, 21):
        curve.add_point(epoch, "head", 0.6 / epoch + 0.2, 0.76 + epoch * 0.003)
    versions = VersionsChart()
    versions.set_versions([("v1", 0.702), ("v2", 0.779), ("v3", 0.817), ("v4", 84.3)])
    return [labels, matrix, curve, versions]


@pytest.mark.parametrize("size", [(300, 200), (640, 420)])
def test_charts_render_non_blank(qtbot, size: tuple[int, int]) -> None:
    for chart in make_charts():
        qtbot.addWidget(chart)
        chart.resize(*size)
        assert distinct_colours(chart) > 30, type(chart).__name__


def test_charts_empty_states_render(qtbot) -> None:
    for cls in (LabelDistributionChart, ConfusionMatrixChart, TrainingCurveChart, VersionsChart):
        chart = cls()
        qtbot.addWidget(chart)
        chart.resize(300, 200)
        assert distinct_colours(chart) > 5


def test_chart_setters_keep_order_and_validate(qtbot) -> None:
    labels = LabelDistributionChart()
    qtbot.addWidget(labels)
    labels.set_counts({"positive": 2, "extra": 1})
    assert list(labels.counts()) == ["negative", "neutral", "positive", "extra"]
    matrix = ConfusionMatrixChart()
    qtbot.addWidget(matrix)
    with pytest.raises(ValueError):
        matrix.set_matrix([[1, 2], [3]])
    with pytest.raises(ValueError):
        matrix.set_matrix([[1, 2], [3, 4]])  # two rows, three default labels
    matrix.set_matrix([[1, 2], [3, 4]], labels=["bad", "good"])


def test_training_curve_merges_repeated_epoch_and_clears(qtbot) -> None:
    curve = TrainingCurveChart()
    qtbot.addWidget(curve)
    curve.add_point(1, "lora", 0.9, None)
    curve.add_point(1, "lora", None, 0.8)
    curve.add_point(2, "lora", 0.7, 0.82)
    assert curve.points() == [(1, "lora", 0.9, 0.8), (2, "lora", 0.7, 0.82)]
    curve.clear()
    assert curve.points() == []


def test_an_elided_label_ends_in_an_ellipsis_when_narrow_and_tells_the_whole_text(qtbot) -> None:
    from app.widgets.elided_label import ElidedLabel

    text = "doc T-7 · sentence 2 · a-rather-long-survey-export-name.csv"
    label = ElidedLabel(text)
    qtbot.addWidget(label)
    label.resize(label.fontMetrics().horizontalAdvance(text) + 20, 24)
    assert label.shown_text() == text
    label.resize(120, 24)
    shown = label.shown_text()
    assert shown.endswith("…") and text.startswith(shown[:-1]) and len(shown) < len(text)
    assert label.toolTip() == text and label.minimumSizeHint().width() == 0
    assert distinct_colours(label) > 1  # it paints its text
    label.setText("short")
    assert label.toolTip() == "short"
