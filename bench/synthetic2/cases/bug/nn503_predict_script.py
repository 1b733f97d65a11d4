import sys

import torch
from PIL import Image
from torchvision import models, transforms

tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])


def main(paths):
    model = models.resnet18(num_classes=5)
    model.load_state_dict(torch.load("best.pt", map_location="cpu"))
    model.eval()
    preds = []
    for p in paths:  # BUG: NN503
        logits = model(tf(Image.open(p).convert("RGB")).unsqueeze(0))
        preds.append(logits.argmax(1).item())
    return preds


if __name__ == "__main__":
    print(main(sys.argv[1:]))
