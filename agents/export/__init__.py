"""Configurations and runs as things to keep: a training script, a Zoo YAML entry, media files."""
