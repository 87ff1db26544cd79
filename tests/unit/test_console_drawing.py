"""The console's pure parts: how values are written (``api.console.formatting``) and the SVG
bar charts (``api.console.charts``) — escaped text, bars to scale, markers, no style."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from api.console.charts import Bar, horizontal, meter, vertical
from api.console.formatting import day, days, instant, label, money, number, percent


def test_values_are_written_one_way_everywhere():
    assert money(Decimal("12345"), "EUR") == "€\u00a012,345.00"
    assert money(Decimal("-5.5"), "USD") == "-$\u00a05.50"
    assert money(Decimal("1"), "CHF") == "CHF\u00a01.00"
    assert money(None, "EUR") == money(Decimal(1), None) == "—"
    assert (number(1234567), number(None)) == ("1,234,567", "—")
    assert (percent(0.5463), percent(None)) == ("54.6\u00a0%", "—")
    assert (days(55.9), days(1), days(None)) == ("55.9\u00a0days", "1\u00a0day", "—")
    assert day(date(2025, 12, 3)) == "3 Dec 2025"
    assert instant(datetime(2025, 12, 3, 14, 5, tzinfo=UTC)) == "3 Dec 2025, 14:05 UTC"
    assert (label("closed_won"), label("team-north"), label(None)) == ("Closed won", "Team north", "—")


def widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect class="bar[^"]*" [^>]*width="([\d.]+)%"', svg)]


def test_a_horizontal_chart_draws_bars_to_scale_with_escaped_labels():
    svg = str(horizontal("Deals <by> stage", [Bar("A & B", 20, "20"), Bar("<script>", 10, "10", "good"),
                                              Bar("None", 0, "0", "muted")]))

    assert widths(svg) == [54.0, 27.0, 0.0]
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "A &amp; B" in svg
    assert 'role="img"' in svg and '<title id="chart-deals-by-stage-title">Deals &lt;by&gt; stage</title>' in svg
    assert 'class="bar good"' in svg and 'class="bar muted"' in svg
    assert "style=" not in svg


def test_a_vertical_chart_draws_a_marker_across_its_bar_for_a_target():
    svg = str(vertical("Revenue against quota", [Bar("Q1", 50, "€ 50", marker=100, marker_shown="€ 100"),
                                                 Bar("Q2", 100, "€ 100")], height=220))

    heights = [float(h) for h in re.findall(r'<rect class="bar" [^>]*height="([\d.]+)"', svg)]
    assert heights == [86.0, 172.0]  # the plot is 220 - 22 - 26 px high; the target 100 is its top
    assert re.search(r'<line class="marker" x1="5.00%" x2="45.00%" y1="22.0" y2="22.0"/>', svg)
    assert "<title>Q1: € 50 (target € 100)</title>" in svg


def test_a_meter_is_a_bar_filled_to_its_rate_and_nothing_without_one():
    assert 'class="fill" width="80.60%"' in str(meter(0.806, "80.6 %"))
    assert 'class="fill" width="100.00%"' in str(meter(1.7, "170 %"))
    assert str(meter(None, "")) == ""
