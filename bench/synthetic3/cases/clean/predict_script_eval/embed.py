import sys

import torch

from models import build_model

encoder = build_model().eval()
encoder.load_state_dict(torch.load(sys.argv[1], map_location="cpu"))
batches = torch.load(sys.argv[2])
vectors = []
with torch.no_grad():
    for images in batches:
        vectors.append(encoder(images))
torch.save(torch.cat(vectors), sys.argv[3])
