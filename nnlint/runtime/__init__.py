"""What `nnlint probe` and `nnlint run` share: which frames are the user's code (frames.py), one recorder of
torch calls with the running module (recorder.py), and one way to save and restore a model's state
(state.py). Importing this package does not import torch; its modules do.
"""
