"""Classify every image of a folder with a trained checkpoint."""
import sys
from pathlib import Path

import torch
from PIL import Image
from torchvision import transforms

from models import build_model

tfm = transforms.Compose([transforms.Resize((96, 96)), transforms.ToTensor()])
net = build_model()
net.load_state_dict(torch.load(sys.argv[1], map_location="cpu"))

with torch.no_grad():  # BUG: NN404
    for path in sorted(Path(sys.argv[2]).glob("*.jpg")):
        x = tfm(Image.open(path).convert("RGB")).unsqueeze(0)
        label = net(x).argmax(1).item()
        print(path.name, label)
