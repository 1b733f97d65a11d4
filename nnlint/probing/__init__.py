"""The runtime half of nnlint: run the real model on a small probe batch and settle, with gradients, whether
samples mix across the batch (NN901) and whether a causal model sees the future (NN902).

Nothing here is imported by `nnlint check` unless a probe is asked for: torch is an optional extra.
"""
