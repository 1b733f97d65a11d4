import torch
import torch.nn.functional as F


class PolicyTrainer:
    """REINFORCE with a baseline for a small discrete-action policy."""

    def __init__(self, policy, value, lr=3e-4, grad_clip=0.5, gamma=0.99):
        self.policy = policy
        self.value = value
        params = list(policy.parameters()) + list(value.parameters())
        self.optim = torch.optim.Adam(params, lr=lr)
        self.params = params
        self.grad_clip = grad_clip
        self.gamma = gamma

    def returns(self, rewards):
        out, g = [], 0.0
        for r in reversed(rewards):
            g = r + self.gamma * g
            out.insert(0, g)
        return torch.tensor(out)

    def update(self, obs, actions, rewards):
        ret = self.returns(rewards)
        logits = self.policy(obs)
        logp = F.log_softmax(logits, dim=-1).gather(1, actions.unsqueeze(1)).squeeze(1)
        v = self.value(obs).squeeze(-1)
        adv = (ret - v).detach()
        loss = -(logp * adv).mean() + 0.5 * F.mse_loss(v, ret)
        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        torch.nn.utils.clip_grad_norm_(self.params, self.grad_clip)  # BUG: NN202
        return loss.item()
