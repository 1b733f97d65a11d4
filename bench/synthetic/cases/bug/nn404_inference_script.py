"""Classify every image in a folder with a trained checkpoint."""
import argparse
import os

import torch
import torchvision.transforms as T
from PIL import Image
from torchvision.models import resnet34

CLASSES = ["cat", "dog", "horse", "sheep", "cow"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--ckpt", default="best.pth")
    args = ap.parse_args()

    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    model = resnet34(num_classes=len(CLASSES))
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))  # BUG: NN404
    with torch.no_grad():
        for name in sorted(os.listdir(args.folder)):
            if not name.lower().endswith((".jpg", ".png")):
                continue
            img = tf(Image.open(os.path.join(args.folder, name)).convert("RGB")).unsqueeze(0)
            probs = torch.softmax(model(img), dim=1)[0]
            k = int(probs.argmax())
            print(f"{name}: {CLASSES[k]} ({probs[k]:.2%})")


if __name__ == "__main__":
    main()
