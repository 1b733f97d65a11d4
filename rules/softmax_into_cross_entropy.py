"""NN401 activation-loss-mismatch: a loss given the wrong kind of input (probabilities for logits, ...)."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.engine.activations import Activation, Loss
from nnlint.engine.context import FileContext
from nnlint.finding import Severity
from nnlint.rule import Evidence, Invalid, Rule, RuleFix
from nnlint.vocabulary import LOG_SOFTMAX, LOGITS, LOSS_DISPLAY, LOSS_WRONG_INPUTS, SIGMOID

# Expressions that cannot stand as a call argument without their parentheses.
_NEEDS_PARENTHESES = (cst.Tuple, cst.Yield, cst.NamedExpr, cst.GeneratorExp)


class SoftmaxIntoCrossEntropy(Rule):
    """## What it does
    Flags a loss given the wrong kind of input, one family of mistakes: a softmax or log_softmax output
    into `nn.CrossEntropyLoss` / `F.cross_entropy`, a sigmoid output into `nn.BCEWithLogitsLoss` /
    `F.binary_cross_entropy_with_logits`, probabilities (softmax, not log_softmax) into `nn.NLLLoss` /
    `F.nll_loss` (also the deprecated `nn.NLLLoss2d`), and raw logits (a model that ends with a Linear
    layer) into `NLLLoss`. The activation is
    found wherever it is applied: in the loss call, through local names, `.view()`/`.squeeze()`/`.to()`/
    indexing and iteration, `exp(log_softmax(x))`, a helper or method that returns it, the last layer
    of a model (`forward` in another module of the project, a Sequential ending in `nn.Softmax`, also one
    grown with `add_module`), a model built by a factory function, `self(x)` in a module, a submodule of
    a model the loop calls (`transformer.decoder(...)` where the model's class sets `self.decoder =
    Decoder(...)`, also a `decoder` its constructor is given by a caller in another module), a buffer
    the model fills step by step and returns (`outputs = torch.zeros(...)`, `outputs[t] = out`),
    tensors joined with `torch.cat`/`torch.stack` that all have the kind (also grown in a loop, `preds =
    torch.cat((preds, p))`), a list every element appended to which has the kind (`outputs.append(
    self.softmax(fc(h)))` per head, returned and indexed, or joined: `torch.cat(probs, 0)`), a
    helper's parameter that every caller in the file passes the same kind (a
    method a subclass overrides also gets what the base class's methods pass it, read on the subclass:
    their `self.forward(...)` runs the subclass's), a wrapper module
    or function that returns what calling the layer it is given gives (`self.wrap(x, nn.Sequential(fc,
    nn.Softmax(1)))`), a module class handed to skorch with a criterion class (`NeuralNet(MyModule,
    criterion=nn.CrossEntropyLoss)`), one element of a returned tuple (`logits, probs = model(x)`), or the
    model or criterion passed as an argument (also by callers in the project's other modules, a model
    handed to a wrapper's constructor included: `Trainer(encoder, ...)` in a script, even one importing
    the class through its package's `__init__`, with `self.encoder = encoder` and its aliases `self.model =
    self.encoder`; every construction in the project must pass models of one kind) or as a
    constructor-parameter default (`nn.CrossEntropyLoss().cuda()` included), a criterion handed to a
    wrapper's constructor by every construction in the project's other modules (`Trainer(model, optimizer,
    criterion)` in main.py, kept as `self.criterion = criterion`; a project criterion class too), a
    criterion returned by a
    project function or method (`self.criterion = self.configure_criterion()`, also one element of the
    tuple it returns: `optimizer, criterion = init_optimizer_criterion(model)`; returns that give
    different losses leave it unknown), or a criterion attribute
    set on one branch of a test that `__init__` fixes (`if self.action_type == "discrete":`) and used
    under the same test. The loss may be a project
    loss or helper that hands its input straight to one of these (`WeightedFocalLoss` whose `forward`
    calls `F.binary_cross_entropy_with_logits(inputs, ...)`, a method calling `self.loss_func(input=...)`
    where `self.loss_func = F.binary_cross_entropy_with_logits`). The finding is reported on the line that
    applies the activation (in the file where it is, with the loss call as a related location); raw
    logits into NLLLoss are reported at the loss call. A softmax used as the *target* (distillation),
    log_softmax into `NLLLoss` and sigmoid into `BCELoss` are correct and are not flagged; a model the
    code might pick that ends otherwise silences the rule, unless every model it might pick is wrong for
    the loss (a softmax MLP or a log_softmax CNN into cross-entropy: each is reported). A model passed
    from the checked file to a function or method of another module that scores its output
    (`LocalUpdate(...).train(net=copy.deepcopy(net))`) is judged at that call.

    ## Why is this bad?
    `CrossEntropyLoss` expects raw logits and applies `log_softmax` itself; `BCEWithLogitsLoss` applies the
    sigmoid itself; `NLLLoss` expects log-probabilities and applies nothing (given probabilities or
    logits, it optimises the wrong quantity and never complains). Given probabilities, a logits loss
    applies softmax twice: the "logits" are squeezed into [0, 1], so the predicted distribution can never
    be confident, the loss cannot approach zero and its gradients shrink; the model still trains, only
    worse, and nothing crashes. (log_softmax into CrossEntropyLoss happens to give the same value,
    because log_softmax is idempotent, but it is redundant work and reads as a misunderstanding of the
    loss.) Karpathy lists "softmax into a loss that expects raw logits" among the most common
    neural-network mistakes.

    ## Example
    ```python
    logits = model(x)
    loss = criterion(F.softmax(logits, dim=1), y)  # criterion = nn.CrossEntropyLoss()
    ```

    ## Use instead
    ```python
    logits = model(x)
    loss = criterion(logits, y)  # or F.nll_loss(F.log_softmax(logits, dim=1), y)
    ```

    ## Fix safety
    When the activation is written inside the loss call, the fix removes it, passing its input to the loss.
    The fix is safe: it is what the loss expects.

    ## References
    - A. Karpathy, "most common neural net mistakes" (2018): "you used softmax ... into a loss that expects
      raw logits".
    - PyTorch docs, `torch.nn.CrossEntropyLoss` ("The input is expected to contain the unnormalized logits
      for each class"), `torch.nn.BCEWithLogitsLoss` and `torch.nn.NLLLoss` ("The input given through a
      forward call is expected to contain log-probabilities of each class").
    """

    code = "NN401"
    name = "softmax-into-cross-entropy"
    # A warning, not an error: log_softmax into CrossEntropyLoss is redundant rather than wrong.
    severity = Severity.WARNING
    cross_file = True
    message = "The loss applies its own softmax/sigmoid to this input; pass the raw logits instead."
    hint = (
        "CrossEntropyLoss and BCEWithLogitsLoss take raw logits (drop the softmax / sigmoid in front of "
        "them); NLLLoss takes log_softmax outputs."
    )

    VALID: ClassVar[list[str]] = [
        # The heads' list holds a softmax for one head and raw logits for the other: its elements
        # disagree, so what `outputs[a]` holds is unknown.
        """
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(16, 4)
        self.b = nn.Linear(16, 4)
        self.softmax = nn.Softmax(dim=1)
    def forward(self, x):
        outputs = []
        outputs.append(self.softmax(self.a(x)))
        outputs.append(self.b(x))
        return outputs
net = Net()
criterion = nn.CrossEntropyLoss()
for x, labels in loader:
    outputs = net(x)
    loss = criterion(outputs[1], labels)
""",
        # The list is handed to a helper before it is read, which may add anything to it: unknown.
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)
    def forward(self, x):
        outputs = []
        outputs.append(F.softmax(self.fc(x), dim=1))
        add_logits(outputs, x)
        return torch.stack(outputs)
net = Net()
criterion = nn.CrossEntropyLoss()
for x, y in loader:
    loss = criterion(net(x)[-1], y)
""",
        # The criterion method returns BCEWithLogitsLoss for one dataset and CrossEntropyLoss otherwise:
        # which one scores the sigmoid is unknown (and a sigmoid is not the named mistake for the other).
        """
import torch.nn as nn
class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)
    def forward(self, x):
        return nn.Sigmoid()(self.fc(x))

class Lit:
    def __init__(self, dataset):
        self.dataset = dataset
        self.model = Tagger()
        self.criterion = self.configure_criterion()
    def configure_criterion(self):
        if self.dataset == "tags":
            criterion = nn.BCEWithLogitsLoss()
        else:
            criterion = nn.CrossEntropyLoss()
        return criterion
    def training_step(self, batch):
        x, y = batch
        return self.criterion(self.model(x), y)
""",
        # The forward replaced by assignment only scales the logits: no activation in front of the loss.
        """
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
    def forward(self, x):
        return self.fc(x)
def create_model():
    model = Net()
    model.original_forward = model.forward
    softmax = nn.Softmax(dim=1)
    model.forward = lambda inp: model.original_forward(inp) * 2.0
    return model
def main(loader):
    model = create_model()
    criterion = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
""",
        # The resume helper may give back another network (it rebinds the name to a fresh logits layer):
        # which model the loop trains is unknown.
        """
import torch
import torch.nn as nn
def build():
    return nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
def load_checkpoint(model, path):
    model = nn.Linear(4, 3)
    return model, 0
def main(resume, loader):
    model = build()
    if resume:
        model, start = load_checkpoint(model, resume)
    criterion = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        opt.zero_grad()
        criterion(model(x), y).backward()
        opt.step()
""",
        # On the subclass, the base's training step scores the subclass's own forward (logits); the
        # base's softmax forward goes to the base's own loss, which wants probabilities.
        """
import torch.nn as nn
import torch.nn.functional as F
class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 4)
    def forward(self, x):
        return F.softmax(self.head(x), dim=1)
    def score(self, preds, targets):
        return nn.MSELoss()(preds, targets)
    def train_step(self, x, targets):
        loss = self.score(self.forward(x), targets)
        loss.backward()
class Logits(Base):
    def forward(self, x):
        return self.head(x)
    def score(self, preds, targets):
        return nn.CrossEntropyLoss()(preds, targets)
""",
        # One of the models the script may pick gives logits: the softmax one is not known to be used.
        """
import copy
import torch.nn as nn
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
    def forward(self, x):
        return nn.Softmax(dim=1)(self.fc(x))
class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
    def forward(self, x):
        return self.fc(x)
def train(net, loader):
    criterion = nn.CrossEntropyLoss()
    for x, y in loader:
        criterion(net(x), y).backward()
if args.model == "mlp":
    net_glob = MLP()
else:
    net_glob = Plain()
train(copy.deepcopy(net_glob).cuda(), loader)
""",
        # The criterion is cross-entropy only when `self.discrete` holds, and the softmax feeds it only
        # when it does not; a test on a setting changed after `__init__` pairs nothing.
        """
import torch
import torch.nn.functional as F
class Inverse(torch.nn.Module):
    def __init__(self, discrete, mode):
        super().__init__()
        self.discrete = discrete
        self.mode = mode
        self.fc = torch.nn.Linear(8, 4)
        if self.discrete:
            self.loss = torch.nn.CrossEntropyLoss()
        else:
            self.loss = torch.nn.MSELoss()
        if self.mode == "ce":
            self.aux = torch.nn.CrossEntropyLoss()
        else:
            self.aux = torch.nn.KLDivLoss()

    def set_mode(self, mode):
        self.mode = mode

    def forward(self, x, a):
        if self.discrete:
            out = self.loss(self.fc(x), a)
        else:
            out = self.loss(F.softmax(self.fc(x), dim=1), a)
        if self.mode == "ce":
            out = out + self.aux(F.softmax(self.fc(x), dim=1), a)
        return out
""",
        # A buffer filled with logits; softmaxes joined with logits; a helper whose callers disagree.
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
def head_loss(scores, target):
    return F.cross_entropy(scores, target)
class Decoder(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.out = nn.Linear(n, n)
    def forward(self, x):
        return self.out(x)
class Seq2Seq(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.decoder = Decoder(n)
    def forward(self, src, steps):
        outputs = torch.zeros(steps, src.size(0), 10)
        for t in range(steps):
            outputs[t] = self.decoder(src)
        return outputs
model = Seq2Seq(10)
for src, trg in loader:
    loss = F.cross_entropy(model(src, 5).view(-1, 10), trg.view(-1))
    mixed = torch.cat((F.softmax(src, dim=-1), src), dim=-1)
    loss = F.cross_entropy(mixed, trg)
    head_loss(F.softmax(src, dim=-1).detach() * 0 + src, trg)
    head_loss(src, trg)
""",
        # Submodules of a model: a plain layer gives logits; one the class sets to two different kinds
        # (softmax or not, by a flag) is unknown; a wrapper's attribute is not the wrapped model's.
        """
import torch.nn as nn
class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.softmax = nn.Softmax(dim=-1)
    def forward(self, x):
        return self.softmax(x)
class Seq2Seq(nn.Module):
    def __init__(self, probs):
        super().__init__()
        self.head = nn.Linear(8, 10)
        if probs:
            self.decoder = Decoder()
        else:
            self.decoder = nn.Linear(8, 10)
def train(model, wrapped, criterion, loader):
    for x, y in loader:
        criterion(model.head(x), y).backward()
        criterion(model.decoder(x), y).backward()
        criterion(wrapped.decoder(x), y).backward()
model = Seq2Seq(True).to("cuda")
train(model, nn.DataParallel(model), nn.CrossEntropyLoss(), loader)
""",
        # A forward returning (logits, probabilities): the logits element goes to the loss.
        """
import torch.nn as nn
import torch.nn.functional as F
class SegNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
    def forward(self, x):
        x = self.conv(x)
        return x, F.softmax(x, dim=1)
model = SegNet()
criterion = nn.CrossEntropyLoss()
logits, probs = model(images)
loss = criterion(logits, labels)
""",
        # A project loss that expects probabilities (plain BCE inside) given a sigmoid output.
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
class FocalLoss(nn.Module):
    def forward(self, probs, targets):
        bce = F.binary_cross_entropy(probs, targets, reduction="none")
        return ((1 - torch.exp(-bce)) ** 2 * bce).mean()
criterion = FocalLoss()
loss = criterion(torch.sigmoid(net(x)), y)
""",
        # The project loss takes the log of its input before NLL: it expects probabilities (the input is
        # rebound through a computation, not only reshaped).
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
class CrossEntropy2d(nn.Module):
    def forward(self, predict, target):
        predict = torch.log(predict.clamp(min=1e-8)).flatten(1)
        return F.nll_loss(predict, target)
criterion = CrossEntropy2d()
loss = criterion(F.softmax(net(x), dim=1), y)
""",
        # skorch's classifier takes the log of the probabilities itself for NLLLoss (its default).
        """
from torch import nn
from skorch import NeuralNetClassifier
class MyModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.output = nn.Linear(20, 2)
        self.softmax = nn.Softmax(dim=-1)
    def forward(self, X):
        return self.softmax(self.output(X))
net = NeuralNetClassifier(MyModule, criterion=nn.NLLLoss, max_epochs=10)
""",
        # A wrapper module that runs the layer it is given: here the layer ends in logits.
        """
import torch.nn as nn
import torch.nn.functional as F
class Wrap(nn.Module):
    def forward(self, x, layer):
        return layer(x * 0.5)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)
        self.softmax = nn.Softmax(dim=1)
        self.wrap = Wrap()
    def forward(self, x):
        return self.wrap(x, nn.Sequential(self.fc))
model = Net()
for x, y in loader:
    loss = F.cross_entropy(model(x), y)
""",
        # log_softmax into the deprecated `NLLLoss2d` is correct (sacmehta/ESPNet's criterion).
        """
import torch.nn as nn
import torch.nn.functional as F
class Seg(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 21, 1)
    def forward(self, x):
        return F.log_softmax(self.conv(x), dim=1)
criterion = nn.NLLLoss2d(ignore_index=255)
model = Seg()
for x, y in loader:
    loss = criterion(model(x), y)
""",
        # log_softmax (also via exp's inverse, log) into NLLLoss is correct.
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def forward(self, x):
        return F.log_softmax(self.fc(x), dim=1)
criterion = nn.NLLLoss().cuda()
model = Net().to("cuda")
for x, y in loader:
    loss = criterion(model(x).view(-1, 10), y)
""",
        # The models the code may pick disagree (one ends in softmax, one in a Linear): silent.
        """
import torch.nn as nn
import torch.nn.functional as F
class A(nn.Module):
    def forward(self, x):
        return F.softmax(self.fc(x), 1)
class B(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
    def forward(self, x):
        return self.fc(x)
model = A() if use_a else B()
if big:
    model = A()
else:
    model = B()
loss = nn.CrossEntropyLoss()(model(x), y)
""",
        # The helper is called with logits: its parameter holds whatever the call sites pass.
        """
import torch.nn as nn
import torch.nn.functional as F
def step(model, criterion, x, y):
    return criterion(model(x), y)
head = nn.Linear(4, 2)
step(head, nn.CrossEntropyLoss(), x, y)
probs = F.softmax(head(x), dim=1)
""",
        # log_softmax into NLLLoss is the other correct spelling.
        """
import torch.nn as nn
import torch.nn.functional as F
criterion = nn.NLLLoss()
loss = criterion(F.log_softmax(logits, dim=1), y)
loss2 = F.nll_loss(F.log_softmax(logits, dim=1), y)
""",
        # Distillation: the softmax is the target, the input is the raw student logits.
        """
import torch.nn.functional as F
loss = F.cross_entropy(student_logits, F.softmax(teacher_logits / T, dim=-1))
""",
        # Sigmoid into BCELoss expects probabilities.
        """
import torch
criterion = torch.nn.BCELoss()
loss = criterion(torch.sigmoid(out), target)
""",
        # The MNIST example: the model ends with log_softmax, and the loss is NLL.
        """
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def forward(self, x):
        return F.log_softmax(self.fc(x), dim=1)
model = Net().to(device)
for data, target in loader:
    output = model(data)
    loss = F.nll_loss(output, target)
""",
        # Probabilities computed for logging, next to a loss on the logits.
        """
import torch.nn as nn
criterion = nn.CrossEntropyLoss()
logits = model(x)
probs = logits.softmax(dim=-1)
loss = criterion(logits, y)
""",
        # A model that returns softmax only at inference (two different returns): not certain.
        """
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def forward(self, x):
        x = self.fc(x)
        if self.training:
            return x
        return F.softmax(x, dim=1)
net = Net()
loss = nn.CrossEntropyLoss()(net(x), y)
""",
        # The name is rebound between the softmax and the loss.
        """
import torch.nn.functional as F
out = F.softmax(logits, dim=1)
out = head(features)
loss = F.cross_entropy(out, y)
""",
        # The model returns (logits, probabilities): the loss takes the logits, the probabilities are logged.
        """
import torch
import torch.nn as nn
class Net(nn.Module):
    def forward(self, x):
        logits = self.fc(x)
        return logits, torch.softmax(logits, dim=-1)
net = Net()
logits, probs = net(x)
loss = nn.CrossEntropyLoss()(logits, y)
print(probs.max())
""",
        # Layers added in a loop, then a softmax added only under a flag: the last layer is not certain.
        """
import torch.nn as nn
model = nn.Sequential()
for i in range(3):
    model.add_module(f"fc{i}", nn.Linear(8, 8))
if use_probs:
    model.add_module("softmax", nn.Softmax(dim=1))
loss = nn.CrossEntropyLoss()(model(x), y)
""",
        # The legacy `resize` of the logits; the softmax only feeds the prediction.
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(10, n)
        self.n = n
    def forward(self, x):
        return self.fc(x).resize(1, self.n)
model = Net(5)
criterion = nn.CrossEntropyLoss()
for x, y in loader:
    scores = model(x)
    loss = criterion(scores, y)
    pred = F.softmax(scores, dim=1).resize(5).argmax()
    loss.backward()
    optimizer.step()
""",
        # A submodule named `softmax` that is a LogSoftmax layer (the char-RNN and BERT spellings): its
        # output is log-probabilities, right for NLLLoss, whatever the attribute is called.
        """
import torch.nn as nn
class Head(nn.Module):
    def __init__(self, hidden, vocab):
        super().__init__()
        self.linear = nn.Linear(hidden, vocab)
        self.softmax = nn.LogSoftmax(dim=-1)
    def forward(self, x):
        return self.softmax(self.linear(x))
model = Head(8, 10)
criterion = nn.NLLLoss(ignore_index=0)
for x, y in loader:
    criterion(model(x), y).backward()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # A multi-task model appends each head's softmax to a list it returns; the loop indexes it per task
        # into cross-entropy (thunlp/TopJudge's CNN baseline). Reported at the appended softmax.
        Invalid(
            """
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleList([nn.Linear(16, 4), nn.Linear(16, 7)])
        self.softmax = nn.Softmax(dim=1)
    def forward(self, x):
        outputs = []
        for fc in self.heads:
            outputs.append(self.softmax(fc(x)))
        return outputs
net = Net()
criterion = nn.CrossEntropyLoss()
for x, labels in loader:
    outputs = net.forward(x)
    loss = 0
    for a in range(2):
        loss = loss + criterion(outputs[a], labels[a])
    loss.backward()
""",
            line=12,
        ),
        # A decoder collects each step's softmax, joins the list with `torch.cat` and returns it; the
        # criterion comes from a helper that returns it with the optimizer (memray/seq2seq-keyphrase).
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(8, 8)
        self.out = nn.Linear(8, 50)
    def forward(self, x, state):
        probs = []
        for t in range(x.size(0)):
            state = self.cell(x[t], state)
            prob = F.softmax(self.out(state[0]), dim=-1)
            probs.append(prob)
        probs = torch.cat(probs, 0).view(x.size(0), -1, 50)
        return probs, state
def init_optimizer_criterion(model):
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters())
    return optimizer, criterion
def train(model, optimizer, criterion, loader):
    for x, y in loader:
        probs, _ = model(x, None)
        loss = criterion(probs.view(-1, 50), y.view(-1))
        loss.backward()
def main():
    model = Decoder()
    optimizer, criterion = init_optimizer_criterion(model)
    train(model, optimizer, criterion, loader)
""",
            line=14,
        ),
        # `NLLLoss2d`, the deprecated spatial spelling of `NLLLoss` (old segmentation code), given
        # probabilities by a project criterion that wraps it (piwise's `CrossEntropyLoss2d`).
        Invalid(
            """
import torch.nn as nn
import torch.nn.functional as F
class Seg(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 21, 1)
    def forward(self, x):
        return F.softmax(self.conv(x), dim=1)
class CrossEntropyLoss2d(nn.Module):
    def __init__(self):
        super().__init__()
        self.loss = nn.NLLLoss2d()
    def forward(self, x, y):
        return self.loss(x, y)
model = Seg()
criterion = CrossEntropyLoss2d()
for x, y in loader:
    loss = criterion(model(x), y)
""",
            line=9,
        ),
        # The factory replaces the model's forward by a lambda that appends a softmax (for export), and
        # the loop feeds `model(x)` to cross-entropy: reported at the softmax the lambda applies.
        Invalid(
            """
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
    def forward(self, x):
        return self.fc(x)
def create_model():
    model = Net()
    model.original_forward = model.forward
    softmax = nn.Softmax(dim=1)
    model.forward = lambda inp: softmax(model.original_forward(inp))
    return model
def main(loader):
    model = create_model()
    criterion = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
""",
            line=13,
        ),
        # `load_checkpoint` gives back the very model it was passed (in a tuple, under `if resume:`): the
        # model is still the factory's Sequential ending in a softmax.
        Invalid(
            """
import torch
import torch.nn as nn
def build():
    return nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
def load_checkpoint(model, path):
    model.load_state_dict(torch.load(path))
    return model, 0
def main(resume, loader):
    model = build()
    if resume:
        model, start = load_checkpoint(model, resume)
    criterion = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        opt.zero_grad()
        criterion(model(x), y).backward()
        opt.step()
""",
            line=5,
        ),
        # The base class's training step calls `self.forward` and `self.state_loss`; on the subclass both
        # run its overrides: a forward that stacks one softmax per head, and a cross-entropy.
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 4)
    def forward(self, x):
        return self.head(x), x
    def state_loss(self, preds, targets):
        return nn.MSELoss()(preds, targets)
    def train_step(self, x, targets):
        preds, _ = self.forward(x)
        loss = self.state_loss(preds, targets)
        loss.backward()
class OneHot(Base):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleList([nn.Linear(8, 2) for _ in range(3)])
    def forward(self, x):
        preds = torch.tensor([])
        for head in self.heads:
            pred = F.softmax(head(x), dim=1)
            preds = torch.cat((preds, pred.unsqueeze(-1)), dim=-1)
        return preds, x
    def state_loss(self, preds, targets):
        preds = preds.permute(0, 2, 1)
        return nn.CrossEntropyLoss()(preds.reshape(-1, 2), targets.reshape(-1))
""",
            line=24,
        ),
        # Every model the script may pick is wrong for cross-entropy (one ends in a softmax, the other in a
        # log_softmax): each is reported; the model reaches the loop as a copy.
        Invalid(
            """
import copy
import torch.nn as nn
import torch.nn.functional as F
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
    def forward(self, x):
        return nn.Softmax(dim=1)(self.fc(x))
class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
    def forward(self, x):
        return F.log_softmax(self.fc(x), dim=1)
def train(net, loader):
    criterion = nn.CrossEntropyLoss()
    for x, y in loader:
        criterion(net(x), y).backward()
if args.model == "mlp":
    net_glob = MLP()
else:
    net_glob = CNN()
train(copy.deepcopy(net_glob).cuda(), loader)
""",
            line=10,
        ),
        # The criterion attribute is cross-entropy on one branch of a test fixed in `__init__`, and the
        # forward feeds it a softmax under the same test.
        Invalid(
            """
import torch
import torch.nn.functional as F
class Inverse(torch.nn.Module):
    def __init__(self, action_type):
        super().__init__()
        self.action_type = action_type
        self.fc = torch.nn.Linear(8, 4)
        if self.action_type == "discrete":
            self.loss = torch.nn.CrossEntropyLoss()
        else:
            self.loss = torch.nn.MSELoss()

    def forward(self, x, a):
        if self.action_type == "discrete":
            x = F.softmax(self.fc(x), dim=1)
            return self.loss(x, a.view(-1).long())
        return self.loss(self.fc(x), a)
""",
            line=16,
        ),
        # The legacy `resize` keeps a softmax output what it is, like `view`.
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(10, n)
        self.n = n
    def forward(self, x):
        return F.softmax(self.fc(x), dim=1).resize(1, self.n)
model = Net(5)
criterion = nn.CrossEntropyLoss()
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
""",
            line=11,
        ),
        # A decoder's step outputs stored into a fresh buffer that the model returns (seq2seq).
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Decoder(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.out = nn.Linear(n, n)
    def forward(self, x, h):
        return F.log_softmax(self.out(x), dim=1), h
class Seq2Seq(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.decoder = Decoder(n)
    def forward(self, src, steps):
        outputs = torch.zeros(steps, src.size(0), 10).cuda()
        out, h = src, None
        for t in range(steps):
            out, h = self.decoder(out, h)
            outputs[t] = out
        return outputs
model = Seq2Seq(10)
for src, trg in loader:
    loss = F.cross_entropy(model(src, 5).view(-1, 10), trg.view(-1))
""",
            line=24,
        ),
        # Per-head softmaxes joined with torch.cat (onto what was joined so far), handed to a loss helper.
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F
def head_loss(scores, target):
    return F.cross_entropy(scores.reshape(-1, 2), target.reshape(-1))
class Heads(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.heads = nn.ModuleList([nn.Linear(n, 2) for _ in range(3)])
    def forward(self, x):
        joined = torch.tensor([])
        for head in self.heads:
            joined = torch.cat((joined, F.softmax(head(x), dim=-1)), dim=-1)
            head_loss(joined, x)
        return joined
""",
            line=14,
        ),
        # The loop runs a submodule of the model (`model.decoder`), whose class ends in a softmax.
        Invalid(
            """
import torch.nn as nn
class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.out = nn.Linear(8, 10)
        self.softmax = nn.Softmax(dim=-1)
    def forward(self, x):
        return self.softmax(self.out(x))
class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(8, 8)
        self.decoder = Decoder()
def train(model, criterion, loader):
    for x, y in loader:
        out = model.decoder(model.encoder(x))
        loss = criterion(out[:, :-1].permute(0, 2, 1), y)
        loss.backward()
model = Seq2Seq().to("cuda")
train(model, nn.CrossEntropyLoss(), loader)
""",
            line=9,
        ),
        # A forward returning (logits, probabilities), unpacked; the probabilities go to the loss.
        Invalid(
            """
import torch.nn as nn
import torch.nn.functional as F
class SegNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
    def forward(self, x):
        x = self.conv(x)
        return x, F.softmax(x, dim=1)
model = SegNet()
criterion = nn.CrossEntropyLoss()
predicted, softmaxed = model(images)
loss = criterion(softmaxed, labels)
""",
            line=10,
        ),
        # A project focal loss whose forward hands its input to BCE-with-logits, given a sigmoid output.
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F
class WeightedFocalLoss(nn.Module):
    def forward(self, inputs, targets):
        bce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
        return ((1 - torch.exp(-bce)) ** 2 * bce).mean()
criterion = WeightedFocalLoss().cuda()
loss = criterion(torch.sigmoid(net(x)), y)
""",
            line=10,
        ),
        # A segmentation loss that flattens its scores (rebinding its input through transposes, a mask and
        # a view) before `F.cross_entropy`, given softmax scores.
        Invalid(
            """
import torch.nn as nn
import torch.nn.functional as F
class CrossEntropy2d(nn.Module):
    def forward(self, predict, target):
        n, c, h, w = predict.size()
        predict = predict.transpose(1, 2).transpose(2, 3).contiguous()
        predict = predict[target.unsqueeze(-1) >= 0].view(-1, c)
        return F.cross_entropy(predict, target[target >= 0])
criterion = CrossEntropy2d()
loss = criterion(F.softmax(net(x), dim=1), y)
""",
            line=11,
        ),
        # A method wrapping a functional loss held as an attribute (Lightning's fine-tuning example).
        Invalid(
            """
import torch
import torch.nn.functional as F
class Lit:
    def __init__(self):
        self.loss_func = F.binary_cross_entropy_with_logits
    def forward(self, x):
        return torch.sigmoid(self.fc(x))
    def loss(self, logits, labels):
        return self.loss_func(input=logits, target=labels)
    def training_step(self, batch):
        x, y = batch
        return self.loss(self.forward(x), y)
""",
            line=8,
        ),
        # skorch feeds the module's softmax output to the criterion class it is given.
        Invalid(
            """
from torch import nn
from skorch import NeuralNetClassifier
class MyModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.output = nn.Linear(20, 2)
        self.softmax = nn.Softmax(dim=-1)
    def forward(self, X):
        return self.softmax(self.output(X))
net = NeuralNetClassifier(MyModule, criterion=nn.CrossEntropyLoss, max_epochs=10)
""",
            line=10,
        ),
        # A wrapper module that runs the layer it is given, a Sequential ending in Softmax.
        Invalid(
            """
import torch.nn as nn
import torch.nn.functional as F
class Wrap(nn.Module):
    def forward(self, x, layer):
        return layer(x * 0.5)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)
        self.softmax = nn.Softmax(dim=1)
        self.wrap = Wrap()
    def forward(self, x):
        return self.wrap(x, nn.Sequential(self.fc, self.softmax))
model = Net()
for x, y in loader:
    loss = F.cross_entropy(model(x), y)
""",
            line=11,
        ),
        # The model returns (probabilities, hidden state); the loop unpacks them.
        Invalid(
            """
import torch
import torch.nn as nn
class CharRNN(nn.Module):
    def forward(self, x, state=None):
        h, state = self.rnn(self.embed(x), state)
        return torch.softmax(self.out(h), dim=-1), state
model = CharRNN()
probs, _ = model(x)
loss = nn.CrossEntropyLoss()(probs.view(-1, 80), y.view(-1))
""",
            line=7,
        ),
        # Hidden layers added in a loop; the unconditional last module added after it is a softmax.
        Invalid(
            """
import torch.nn as nn
model = nn.Sequential()
for i in range(3):
    model.add_module(f"fc{i}", nn.Linear(8, 8))
model.add_module("softmax", nn.Softmax(dim=1))
loss = nn.CrossEntropyLoss()(model(x), y)
""",
            line=6,
        ),
        # Probabilities into NLLLoss, after a reshape.
        Invalid(
            """
import torch.nn.functional as F
probs = F.softmax(scores, dim=-1)
loss = F.nll_loss(probs.view(-1, 10), y)
""",
            line=3,
        ),
        # Raw logits into NLLLoss: reported at the loss, the Linear head as a related location.
        Invalid(
            """
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 3)
    def forward(self, x):
        return self.fc(x)
net = Net().to("cuda")
loss = nn.NLLLoss()(net(x), y)
""",
            line=10,
        ),
        # exp(log_softmax) is a softmax; the criterion is moved to the GPU.
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F
criterion = nn.CrossEntropyLoss().cuda()
probs = torch.exp(F.log_softmax(logits, dim=-1))
loss = criterion(probs[:, 0], y)
""",
            line=6,
        ),
        # A loss module with the criterion as a constructor default, iterating over softmax outputs.
        Invalid(
            """
import torch
import torch.nn as nn
class PairLoss(nn.Module):
    def __init__(self, loss=nn.CrossEntropyLoss(reduction="sum")):
        super().__init__()
        self.loss = loss
    def forward(self, scores, target):
        outputs = torch.softmax(scores, -1)
        total = 0
        for out in outputs:
            total = total + self.loss(out, target)
        return total
""",
            line=9,
        ),
        # A factory growing a Sequential with add_module; model and criterion passed to a helper.
        Invalid(
            """
import torch
def build_model(d, k):
    model = torch.nn.Sequential()
    model.add_module("linear", torch.nn.Linear(d, k))
    model.add_module("softmax", torch.nn.Softmax(dim=1))
    return model
def train(model, loss, x, y):
    return loss.forward(model.forward(x), y)
def main():
    model = build_model(784, 10)
    loss = torch.nn.CrossEntropyLoss()
    train(model, loss, xs, ys)
""",
            line=6,
        ),
        Invalid(
            """
import torch.nn as nn
import torch.nn.functional as F
criterion = nn.CrossEntropyLoss()
for x, y in loader:
    loss = criterion(F.softmax(model(x), dim=1), y)
""",
            line=6,
            fixed="""
import torch.nn as nn
import torch.nn.functional as F
criterion = nn.CrossEntropyLoss()
for x, y in loader:
    loss = criterion(model(x), y)
""",
        ),
        Invalid(
            """
import torch
loss = torch.nn.functional.cross_entropy(input=logits.log_softmax(-1), target=y)
""",
            line=3,
            fixed="""
import torch
loss = torch.nn.functional.cross_entropy(input=logits, target=y)
""",
        ),
        Invalid(
            """
import torch
from torch import nn
bce = nn.BCEWithLogitsLoss()
probs = torch.sigmoid(head(x))
loss = bce(probs, labels.float())
""",
            line=5,
        ),
        # A model whose last layer is nn.Softmax, trained through a helper with the criterion as a parameter.
        Invalid(
            """
import torch.nn as nn
model = nn.Sequential(nn.Linear(784, 10), nn.Softmax(dim=1))
loss_fn = nn.CrossEntropyLoss()

def train(model, loss_fn, loader):
    for X, y in loader:
        pred = model(X)
        loss = loss_fn(pred, y)
""",
            line=3,
        ),
        # A model class whose forward returns softmax, moved to a device.
        Invalid(
            """
import torch.nn as nn
import torch.nn.functional as F
class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)
    def forward(self, x):
        x = self.fc(x)
        return F.softmax(x, dim=-1)

class Lit:
    def __init__(self):
        self.net = Classifier().cuda()
        self.criterion = nn.CrossEntropyLoss()
    def training_step(self, batch):
        x, y = batch
        return self.criterion(self.net(x), y)
""",
            line=10,
        ),
        # The criterion is what a method returns (`self.configure_criterion()`), the model an alias.
        Invalid(
            """
import torch.nn as nn
class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)
        self.sigmoid = nn.Sigmoid()
    def forward(self, x):
        return self.sigmoid(self.fc(x))

class Lit:
    def __init__(self):
        self.encoder = Tagger()
        self.model = self.encoder
        self.criterion = self.configure_criterion()
    def configure_criterion(self):
        criterion = nn.BCEWithLogitsLoss()
        return criterion
    def training_step(self, batch):
        x, y = batch
        return self.criterion(self.model(x), y)
""",
            line=9,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        wired = self.ctx.activations.wired_loss(node)
        if wired is not None:
            loss, found = wired
            if found.kind in LOSS_WRONG_INPUTS[loss.kind]:
                self._report(node, loss, found, None, "through `criterion=`")
            return
        loss = self.ctx.activations.loss_called(node)
        if loss is None:
            for loss, loss_call, where, paths in self.ctx.activations.passed_model_losses(node):
                # A helper of another module runs the model this call passes and scores its output.
                self._check_paths(loss_call, loss, paths, None, where, passed_at=node)
            return
        argument = _input_argument(node)
        if argument is None:
            return
        paths = self.ctx.activations.paths_of(argument.value)
        if paths is not None:
            self._check_paths(node, loss, paths, argument.value, self.ctx)

    def _check_paths(
        self,
        node: cst.Call,
        loss: Loss,
        paths: tuple[Activation, ...],
        argument: cst.BaseExpression | None,
        where: FileContext,
        passed_at: cst.Call | None = None,
    ) -> None:
        """Report the loss call `node` (in `where`) when every model its input may come from gives it the
        wrong kind; `passed_at` is the call of the checked file that passes the model, when the loss is
        computed in another module."""
        if any(found.kind not in LOSS_WRONG_INPUTS[loss.kind] for found in paths):
            return
        if len(paths) == 1:
            self._report(node, loss, paths[0], argument, "here", where=where, passed_at=passed_at)
            return
        if any(found.kind == LOGITS for found in paths):
            return  # raw logits are wrong only for NLLLoss, whose fix (the loss) the softmax paths refute
        for found in paths:
            # Every model the code may pick gives this loss the wrong kind: each is a line to change.
            self._report(
                node, loss, found, argument, "here", every_path=True, where=where, passed_at=passed_at
            )

    def _report(
        self,
        node: cst.Call,
        loss: Loss,
        found: Activation,
        argument: cst.BaseExpression | None,
        how: str,
        every_path: bool = False,
        where: FileContext | None = None,
        passed_at: cst.Call | None = None,
    ) -> None:
        """Report a wrong loss input: at the activation, or at the loss when the model's output is right
        for another loss. `argument` is the loss call's input expression (None for a wired criterion);
        `every_path` when `found` is one of several models of different kinds, each wrong for the loss
        (reported at each model, since no other loss suits them all). `where` is the file of `node`
        when it is not the checked one, `passed_at` then the checked file's call that leads there."""
        where = where or self.ctx
        name = LOSS_DISPLAY[loss.kind]
        in_call = argument is not None and found.node is argument and found.ctx is where
        at_loss = found.kind in (LOGITS, LOG_SOFTMAX) and not in_call and not every_path
        message = _message(found.kind, name, at_loss)
        if every_path:
            message += " (This holds for each of the models the code may pick, of different kinds.)"
        if found.some_paths:
            message += (
                " (This holds for one of the models the code may pick; nnlint does not know the others.)"
            )
        if at_loss and loss.ctx is not None and loss.ctx is not where:
            if found.kind != LOG_SOFTMAX or found.ctx is not where:
                return  # a project loss in another file, right for its own callers: nothing here to change
            # A log_softmax written in the calling file (`pred = nn.LogSoftmax()(pred); CrossEntropy2d()(pred,
            # y)`): the project loss is right for its other callers, the log_softmax is the line to change.
            at_loss = False
            message = _message(found.kind, name)
        passed = (Evidence(passed_at, "the model is passed here"),) if passed_at is not None else ()
        if at_loss:
            # The model's output is right for another loss: the loss is the line to change (a criterion
            # built elsewhere is reported where it is built).
            what = "raw logits" if found.kind == LOGITS else "log-probabilities"
            evidence = [Evidence(found.node, f"the model's output is {what} from here", found.ctx)]
            if loss.node is not node:
                evidence.append(Evidence(node, f"`{name}` is called on it here", where))
            self.report(
                loss.node,
                message=message,
                related=(*evidence, *passed),
                ctx=where if where is not self.ctx else None,
            )
            return
        related: tuple[Evidence, ...] = passed
        if not in_call:
            related = (Evidence(node, f"its output reaches `{name}` {how}", where), *passed)
        self.report(
            found.node,
            message=message,
            fix=self._fix(argument) if in_call and argument is not None else None,
            related=related,
            ctx=found.ctx,
        )

    def _fix(self, value: cst.BaseExpression) -> RuleFix | None:
        """Replace an activation written inside the loss call by its input: `F.softmax(out, 1)` -> `out`."""
        direct = self.ctx.activations.activation_call(value) if isinstance(value, cst.Call) else None
        if direct is None or isinstance(direct[1], _NEEDS_PARENTHESES):
            return None
        return RuleFix(message="Pass the logits to the loss", replacements=((value, direct[1]),))


def _input_argument(call: cst.Call) -> cst.Arg | None:
    """The loss's prediction argument: the first positional one, or `input=`."""
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None or arg.keyword.value == "input":
            return arg
    return None


def _message(kind: str, loss: str, at_loss: bool = False) -> str:
    if loss.endswith(("NLLLoss", "NLLLoss2d", "nll_loss")):
        if kind == LOGITS:
            return (
                f"`{loss}` expects log-probabilities, but this input is raw logits; apply `log_softmax` "
                "first, or use `CrossEntropyLoss`, which does both."
            )
        return (
            f"This softmax output reaches `{loss}`, which expects log-probabilities (log_softmax), not "
            "probabilities; use `log_softmax` here, or `CrossEntropyLoss` on the raw logits."
        )
    if kind == LOG_SOFTMAX and at_loss:
        return (
            f"This `{loss}` is given the model's log_softmax output and applies log_softmax again "
            "(redundant, same value); use `NLLLoss` for log-probabilities, or let the model return logits."
        )
    if kind == LOG_SOFTMAX:
        return (
            f"`{loss}` applies log_softmax itself, so this log_softmax runs twice (redundant, same value); "
            "pass the raw logits, or use `NLLLoss` on log-probabilities."
        )
    applies = "sigmoid" if kind == SIGMOID else "log_softmax"
    return (
        f"This {kind} output reaches `{loss}`, which applies {applies} itself and expects raw logits; "
        "pass the logits, or the loss is computed on squashed values with vanishing gradients."
    )
