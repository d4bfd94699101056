"""Hyperparameter sweeps: search spaces from the schema, grid or random search times seeds, every trial a run."""
