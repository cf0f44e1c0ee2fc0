"""Analytics tables for people (kind `report`), chosen by `report.tables`.

Each module turns the clean flights (and the test predictions) into one table, written as
CSV and Markdown under reports/. One file per table; a new file here registers a new one.
"""
