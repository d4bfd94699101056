"""GRPO: Group Relative Policy Optimization, the critic-free method of DeepSeekMath and DeepSeek-R1.

:mod:`.schema` declares its hyperparameters (torch-free), :mod:`.core` its arithmetic, :mod:`.policy` its one
network and :mod:`.grpo` the algorithm with stable-baselines3's model surface. Importing this package imports
nothing heavy, so the registry can list GRPO without loading torch.
"""
