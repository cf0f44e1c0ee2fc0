"""Report modules (delay statistics per group, names for codes, sorting) and the Markdown pages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelab import reporting
from pipelab.contracts import DatasetQuality
from pipelab.core import registry
from pipelab.core.params import ModuleConfig
from pipelab.reports.base import ReportInputs, delay_table

nan = np.nan


def _flights() -> pd.DataFrame:
    """AA: three completed (10, 20, 30 min late), one cancelled, one diverted; UA: one, 15 late; ZZ: one."""
    return pd.DataFrame(
        {
            "carrier": ["AA", "AA", "AA", "AA", "AA", "ZZ", "UA"],
            "origin": ["EWR", "EWR", "JFK", "JFK", "JFK", "LGA", "XXX"],
            "year": [2013] * 7,
            "month": [1, 1, 1, 1, 1, 2, 2],
            "sched_dep_time": [515, 600, 2359, 700, 705, 515, 2400],
            "arr_delay": [10.0, 20.0, 30.0, 500.0, nan, 16.0, 15.0],
            "cancelled": [False, False, False, True, False, False, False],
            "diverted": [False, False, False, False, True, False, False],
        }
    )


AIRLINES = pd.DataFrame({"carrier": ["AA", "UA"], "name": ["American Airlines Inc.", "United Air Lines Inc."]})
AIRPORTS = pd.DataFrame(
    {"faa": ["EWR", "JFK", "LGA"], "name": ["Newark Liberty Intl", "John F Kennedy Intl", "La Guardia"]}
)
PREDICTIONS = pd.DataFrame({"carrier": ["UA", "AA", "AA"], "late": [1, 0, 1], "p_late": [0.9, 0.2, 0.4]})


def report(name: str, flights: pd.DataFrame | None = None, late_minutes: int = 15) -> pd.DataFrame:
    """The table of report module `name`, called as the report stage calls it."""
    inputs = ReportInputs(
        flights=_flights() if flights is None else flights,
        airlines=AIRLINES,
        airports=AIRPORTS,
        predictions=PREDICTIONS,
        late_minutes=late_minutes,
    )
    frame: pd.DataFrame = registry.get("report", name).obj(inputs, ModuleConfig()).frame
    return frame


def test_delay_table_exact_statistics() -> None:
    table = delay_table(_flights(), ["carrier"], late_minutes=15)
    assert list(table.columns) == [
        "carrier",
        "flights",
        "cancelled",
        "diverted",
        "mean_arr_delay",
        "median_arr_delay",
        "p90_arr_delay",
        "share_late",
        "cancelled_share",
    ]
    aa = table.set_index("carrier").loc["AA"]
    assert aa["flights"] == 5  # cancelled and diverted flights are counted...
    assert aa["cancelled"] == 1
    assert aa["diverted"] == 1
    assert aa["mean_arr_delay"] == 20.0  # ...but left out of the delay statistics (500 is cancelled)
    assert aa["median_arr_delay"] == 20.0
    assert aa["p90_arr_delay"] == pytest.approx(28.0)  # 20 + 0.8 * (30 - 20)
    assert aa["share_late"] == pytest.approx(2 / 3)  # 20 and 30 of the three completed
    assert aa["cancelled_share"] == pytest.approx(0.2)


def test_delay_table_late_threshold_is_strict() -> None:
    table = delay_table(_flights(), ["carrier"], late_minutes=15).set_index("carrier")
    assert table.loc["UA", "share_late"] == 0.0  # exactly 15 minutes is on time
    assert table.loc["ZZ", "share_late"] == 1.0  # 16 is late
    lenient = delay_table(_flights(), ["carrier"], late_minutes=25).set_index("carrier")
    assert lenient.loc["AA", "share_late"] == pytest.approx(1 / 3)


def test_delay_table_group_of_only_cancelled_flights() -> None:
    flights = _flights().assign(cancelled=[False, False, False, False, False, True, False])
    table = delay_table(flights, ["carrier"], late_minutes=15).set_index("carrier")
    assert table.loc["ZZ", "flights"] == 1
    assert table.loc["ZZ", "cancelled_share"] == 1.0
    assert table.loc[["ZZ"], ["mean_arr_delay", "share_late"]].isna().to_numpy().tolist() == [[True, True]]


def test_by_carrier_names_airlines_and_sorts_largest_first() -> None:
    table = report("delay_by_carrier")
    assert table.columns[:3].tolist() == ["carrier", "airline", "flights"]
    # AA (5 flights) first, then the one-flight carriers by code
    assert table["carrier"].tolist() == ["AA", "UA", "ZZ"]
    assert table["airline"].tolist() == ["American Airlines Inc.", "United Air Lines Inc.", "(unknown carrier)"]
    assert table.index.tolist() == [0, 1, 2]


def test_by_origin_names_airports_and_sorts_largest_first() -> None:
    table = report("delay_by_origin")
    assert table["origin"].tolist() == ["JFK", "EWR", "LGA", "XXX"]
    assert table["flights"].tolist() == [3, 2, 1, 1]
    assert table["airport"].tolist() == [
        "John F Kennedy Intl",
        "Newark Liberty Intl",
        "La Guardia",
        "(unknown airport)",
    ]


def test_by_month_in_calendar_order() -> None:
    table = report("delay_by_month")
    assert table[["year", "month"]].values.tolist() == [[2013, 1], [2013, 2]]
    assert table["flights"].tolist() == [5, 2]
    assert table["mean_arr_delay"].tolist() == [20.0, 15.5]


def test_by_month_keeps_the_years_of_several_apart() -> None:
    """Own data of 2013 and 2014: January 2014 is its own row after December 2013, not pooled with January 2013."""
    flights = _flights().assign(year=[2013, 2013, 2014, 2014, 2014, 2013, 2014], month=[1, 1, 1, 1, 1, 12, 2])
    table = report("delay_by_month", flights)
    assert table[["year", "month"]].values.tolist() == [[2013, 1], [2013, 12], [2014, 1], [2014, 2]]
    assert table["flights"].tolist() == [2, 1, 3, 1]
    assert table["mean_arr_delay"].tolist() == [15.0, 16.0, 30.0, 15.0]


def test_by_hour_uses_scheduled_local_hour() -> None:
    table = report("delay_by_hour")
    assert table["sched_dep_hour"].tolist() == [0, 5, 6, 7, 23]  # 2400 is hour 0
    assert table["flights"].tolist() == [1, 2, 1, 2, 1]
    assert table.set_index("sched_dep_hour").loc[7, "cancelled"] == 1


def test_to_markdown_has_title_note_and_table() -> None:
    text = reporting.to_markdown(report("delay_by_month"), "Delays by month", note="Completed flights only.")
    lines = text.splitlines()
    assert lines[0] == "# Delays by month"
    assert lines[2] == "Completed flights only."
    header = lines[4]
    assert header.startswith("| ")
    assert "month" in header
    assert "share_late" in header
    assert set(lines[5]) <= set("|-: ")
    assert len([line for line in lines if line.startswith("|")]) == 4  # header, rule, two months
    assert "0.667" in text  # numbers rounded for reading
    assert text.endswith("\n")


def test_to_markdown_without_note() -> None:
    text = reporting.to_markdown(pd.DataFrame({"a": [1]}), "T")
    assert text.splitlines()[:3] == ["# T", "", "|   a |"]


def test_every_report_module_is_registered() -> None:
    assert registry.names("report") == [
        "delay_by_carrier",
        "delay_by_hour",
        "delay_by_month",
        "delay_by_origin",
        "model_by_carrier",
    ]


def test_model_by_carrier_predicted_vs_actual() -> None:
    table = report("model_by_carrier")
    assert table.to_dict("list") == {
        "carrier": ["AA", "UA"],
        "flights": [2, 1],
        "actual_late": [0.5, 1.0],
        "predicted_late": [pytest.approx(0.3), 0.9],
    }


def test_summary_links_every_table() -> None:
    titles = {"by_carrier": "Delays by carrier", "by_origin": "Delays by origin", "by_month": "Delays by month"}
    text = reporting.summary(336_776, {"roc_auc": 0.712345, "brier": 0.2, "n_test": 80000, "other": 1.0}, titles, [])
    assert text.startswith("# pipelab report\n")
    assert "336,776 clean flights analysed" in text
    assert "| roc_auc | 0.7123 |" in text
    assert "other" not in text
    for name, title in titles.items():
        assert f"- [{title}]({name}.md) ([CSV]({name}.csv))" in text


def test_summary_shows_counts_as_whole_numbers() -> None:
    """A test split of 81,234 flights should not read as `8.123e+04` on the front page."""
    text = reporting.summary(336_776, {"roc_auc": 0.7, "n_test": 81234}, {}, [])
    assert ("| n_test | 81234 |" in text) or ("| n_test | 81,234 |" in text), text


def test_summary_lists_the_quality_of_every_dataset() -> None:
    weather = DatasetQuality(
        dataset="raw_weather",
        contract_version="1.0.0",
        stage="validate",
        rows_in=26115,
        rows_valid=26114,
        rows_quarantined=1,
        duplicates_removed=0,
        errors={"wind_speed_range": 1},
    )
    text = reporting.summary(10, {}, {}, [weather])
    assert "## Data quality" in text
    row = next(line for line in text.splitlines() if "raw_weather" in line)
    assert "[raw_weather](quality/raw_weather.md)" in row
    assert [cell.strip() for cell in row.strip("|").split("|")][1:] == ["ok", "26115", "26114", "1", "0", "0"]
