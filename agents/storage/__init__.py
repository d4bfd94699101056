"""Run folders on disk: the store, one run's folder and its records in SB3's formats."""
