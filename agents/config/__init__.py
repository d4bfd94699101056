"""What a run is: hyperparameter schemas, the run configuration, presets and share links."""
