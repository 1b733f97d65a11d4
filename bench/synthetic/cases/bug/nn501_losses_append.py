"""Keypoint regression: heatmap MSE, logs the loss curve to a PNG."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F


def train_keypoints(model, loader, epochs=30, lr=1e-3, device="cuda"):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for epoch in range(epochs):
        model.train()
        for imgs, heatmaps in loader:
            imgs, heatmaps = imgs.to(device), heatmaps.to(device)
            pred = model(imgs)
            loss = F.mse_loss(pred, heatmaps)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss)  # BUG: NN501
    curve = [float(l) for l in losses]
    plt.plot(curve)
    plt.xlabel("iteration")
    plt.ylabel("mse")
    plt.savefig("loss_curve.png")
    return model
