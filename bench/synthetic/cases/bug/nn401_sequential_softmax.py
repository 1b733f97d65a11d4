import numpy as np
import torch
from torch import nn

np.random.seed(0)
torch.manual_seed(0)

X = np.load("iris_x.npy").astype(np.float32)
Y = np.load("iris_y.npy").astype(np.int64)
x_t, y_t = torch.from_numpy(X), torch.from_numpy(Y)

model = nn.Sequential(
    nn.Linear(4, 32),
    nn.Tanh(),
    nn.Linear(32, 3),
    nn.Softmax(dim=1),  # BUG: NN401
)
loss_fn = nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.1)

for it in range(500):
    opt.zero_grad()
    out = model(x_t)
    loss = loss_fn(out, y_t)
    loss.backward()
    opt.step()
    if it % 50 == 0:
        acc = (out.argmax(1) == y_t).float().mean().item()
        print(f"iter {it} loss {loss.item():.4f} acc {acc:.3f}")
