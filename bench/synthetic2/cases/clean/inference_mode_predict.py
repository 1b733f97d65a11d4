import sys

import torch
from torchvision import models

from PIL import Image
from torchvision import transforms

preprocess = transforms.Compose([transforms.Resize(224), transforms.ToTensor()])


@torch.inference_mode()
def predict(model, paths):
    model.eval()
    out = []
    for p in paths:
        x = preprocess(Image.open(p).convert("RGB")).unsqueeze(0)
        out.append(model(x).softmax(-1).argmax(-1).item())
    return out


if __name__ == "__main__":
    net = models.resnet18(num_classes=3)
    net.load_state_dict(torch.load(sys.argv[1], map_location="cpu"))
    print(predict(net, sys.argv[2:]))
