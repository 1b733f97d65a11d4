import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
xs, ys = torch.randn(2048, 12), torch.randn(2048, 1)
dl = DataLoader(TensorDataset(xs, ys), batch_size=64, shuffle=True)
model = nn.Sequential(nn.Linear(12, 32), nn.SiLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
loss_fn = nn.MSELoss()

for epoch in range(40):
    epoch_loss = 0.0
    for xb, yb in dl:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        epoch_loss += loss * xb.size(0)  # BUG: NN501
    print(epoch, float(epoch_loss) / len(dl.dataset))
