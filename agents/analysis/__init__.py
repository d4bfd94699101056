"""Statistics over runs: seed groups, confidence bands, the IQM."""
