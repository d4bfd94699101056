"""Distillation: imitate a trained policy with a much smaller one (DAgger), and download it as numpy-only code."""
