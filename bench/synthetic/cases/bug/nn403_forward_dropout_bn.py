import torch
import torch.nn as nn
import torch.nn.functional as F


class GraphConv(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.lin = nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x, adj):
        return torch.sparse.mm(adj, self.lin(x))


class GCN(nn.Module):
    def __init__(self, n_feat, n_hidden, n_class, dropout=0.5):
        super().__init__()
        self.gc1 = GraphConv(n_feat, n_hidden)
        self.gc2 = GraphConv(n_hidden, n_hidden)
        self.norm = nn.BatchNorm1d(n_hidden)
        self.cls = nn.Linear(n_hidden, n_class)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.relu(self.gc2(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)  # BUG: NN403
        x = self.norm(x)
        return self.cls(x)


def train_gcn(model, features, adj, labels, idx_train, epochs=200):
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for epoch in range(epochs):
        model.train()
        opt.zero_grad()
        out = model(features, adj)
        loss = F.cross_entropy(out[idx_train], labels[idx_train])
        loss.backward()
        opt.step()
    return model
