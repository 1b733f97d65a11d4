import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(10, 50), nn.ReLU(), nn.Dropout(0.3), nn.Linear(50, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x_train, y_train = torch.randn(800, 10), torch.randn(800, 1)
x_val, y_val = torch.randn(200, 10), torch.randn(200, 1)

for epoch in range(100):
    model.train()
    for i in range(0, 800, 32):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x_train[i:i + 32]), y_train[i:i + 32])
        loss.backward()
        opt.step()
    with torch.no_grad():  # BUG: NN404
        val_loss = nn.functional.mse_loss(model(x_val), y_val).item()
    print(f"{epoch} {loss.item():.4f} {val_loss:.4f}")
