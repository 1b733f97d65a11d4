import torch
import torch.nn.functional as F
from torch.nn.utils import clip_grad_value_

torch.manual_seed(0)
W1 = torch.randn(20, 64, requires_grad=True)
W2 = torch.randn(64, 3, requires_grad=True)
params = [W1, W2]
opt = torch.optim.SGD(params, lr=0.05)
X = torch.randn(2000, 20)
Y = torch.randint(0, 3, (2000,))

for epoch in range(30):
    for i in range(0, len(X), 100):
        xb, yb = X[i:i + 100], Y[i:i + 100]
        logits = F.relu(xb @ W1) @ W2
        loss = F.cross_entropy(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        clip_grad_value_(params, 0.5)  # BUG: NN202
