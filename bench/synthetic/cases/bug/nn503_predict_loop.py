"""Write test-set predictions to a CSV for submission."""
import csv

import torch

from model import build_model


def predict(model, loader, out_path="submission.csv"):
    model.eval()
    rows = []
    for ids, images in loader:  # BUG: NN503
        scores = model(images.cuda())
        labels = scores.argmax(1).tolist()
        rows.extend(zip(ids, labels))
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "label"])
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    net = build_model("efficientnet_b0", num_classes=5).cuda()
    net.load_state_dict(torch.load("weights/best.pt"))
    test_loader = torch.load("test_loader.pt")
    print(predict(net, test_loader), "rows written")
