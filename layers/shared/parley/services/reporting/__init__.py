"""Reports: reporting events (timeline, recorder, rebuild) and the rollups and reports read from them."""
