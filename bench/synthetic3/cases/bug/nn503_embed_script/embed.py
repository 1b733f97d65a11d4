"""Embed a folder of sentences with a trained encoder and save the vectors."""
import sys

import torch

from encoder import SentenceEncoder

encoder = SentenceEncoder(vocab_size=30000, dim=384)
encoder.load_state_dict(torch.load(sys.argv[1], map_location="cpu"))
encoder.eval()

batches = torch.load(sys.argv[2])
vectors = []
for tokens in batches:
    vectors.append(encoder(tokens).mean(1))  # BUG: NN503
torch.save(torch.cat(vectors), sys.argv[3])
