"""What can learn: the algorithm registry, stable-baselines3's algorithms and the tabular agents."""
