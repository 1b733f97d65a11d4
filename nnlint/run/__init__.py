"""`nnlint run`: run the user's own training script and check the recipe's sanity tests on its real model.

The script runs in-process under instrumentation (capture.py) until its first optimizer step; the session
(session.py) then runs one small module per check (NN911-NN917) on the model, batch, loss and optimizer it
caught, and either stops the script or removes every hook and lets training go on unchanged.
Nothing here imports torch at package import time: command.py is loaded by every `nnlint` invocation.
"""
