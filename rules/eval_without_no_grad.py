"""NN503 eval-without-no-grad: an evaluation or inference loop that runs the model with autograd on."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.evaluation import words
from nnlint.engine.grad_mode import passes_volatile
from nnlint.engine.loops import Comprehension, EventKind, Loop
from nnlint.engine.modes import EVAL
from nnlint.engine.positions import compute_ranges
from nnlint.engine.project import paths_mentioning
from nnlint.finding import Severity
from nnlint.rule import Evidence, Invalid, Rule

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext


class EvalWithoutNoGrad(Rule):
    """## What it does
    Flags an evaluation or inference loop (in a function named like `evaluate`, `validate`, `test`,
    `predict` or `inference`, or over validation/test data, also through a parameter that every call of its
    function fills with such data: `_inner_loop(dl_val)`) that runs the model with autograd recording
    (a comprehension over data whose element runs the model, `[model(x) for x, _ in val_loader]`, is such
    a loop too):
    no `torch.no_grad()`, `torch.inference_mode()` or `torch.set_grad_enabled(False)` around it, as a
    context, as a decorator of its function, or around any call of that function in the file (or, for a
    method, around a `self.method(...)` call of a project base class, in any module: a training loop of
    the base class that runs the subclass's `validation_summaries` under `no_grad`). Also: a
    loop of an epoch function shared by training and evaluation whose step runs only under
    `if train_model:` (or a string mode, `if mode == "train":`) and that is called with it false (or with
    another mode, `mode="valid"`); a per-batch evaluation step method
    (`validation_step`, `eval_step`) that a fit loop calls, reported at its `def`; and, in a script that
    never backpropagates, a loop that runs a model the code before it switched to `eval()` (a demo or
    inference script looping over image files); and, in a script that never trains (no backward, optimizer,
    step or trainer, and no call of a project helper that trains), a loop at module level or in a
    module-level function such as `main()` that runs a model the script set to a mode or loaded weights
    into (`load_state_dict`, or bound from `from_pretrained`), or runs it through a method the project named
    for inference (`model.inference(label)`, `learner.infer(faces)`), and uses its output: that is
    inference, however the loop and its data are named (a plain list of feature tensors too). Inside a model
    class, a method (not `forward`) whose loop runs the model itself batch after batch and takes every output
    off the graph at once (`.data`, `.detach()`, `.numpy()`, `.item()`: an `encode` or `embed` method) is
    inference too, and so is one that decodes step by step through the model's own parts and keeps nothing
    on the graph (`output = self.decoder(tokens)`, `token = self.fc_out(output).argmax(-1).item()` appended
    to the tokens the next step reads: a `generate` method), unless every call of it in the project's other
    modules turns recording off; so is a function that never trains and decodes
    step by step (a loop whose forward is given
    what the loop made from its output: `y, state = model.decoder(y_prev, state)`; calling a model's part,
    `model.encoder(src)`, runs the model).

    A `no_grad` block around the loss module only (`with torch.no_grad(): loss = focal_loss(pred, y)`
    after the forward) turns nothing off for the model's forward.
    A forward may be a method call: `model.predict(batch)` or `model.infer(x)` runs the model when the
    project's definition of that method runs its object's network (`self.network(x)`, `self.encoder(x)`)
    and trains nothing; so does any method of a project `nn.Module` class that calls the module's own
    submodules, whatever its name (`model.decode(**batch)` of a CRF tagger running its embedder and
    encoder), and so does a module's method that calls one of its own forward passes (`predict_scores`
    running `self.forward_owa(triples)`, abstract in the base class). The forward may sit in a helper the
    loop hands the model to under another name (`self._predict(self.model, batch)` running
    `model.predict_step(inputs)`), or in one of the class's own methods picked into a local name
    (`rank = self._filtered_rank if filtered else self._rank`, then `rank(model=self.model, ...)`) when
    every candidate does the same. An attribute that nothing in the file assigns, switched to a mode and
    called on an input (`task.model` of a task loaded from a snapshot), holds a model. A method that turns
    recording off itself (`@torch.no_grad()`) decided for its callers, and
    so did one whose branch, selected by a literal flag the call passes, does (`model.run_batch(batch,
    training=False)` whose `else:` branch runs the network under `no_grad`); a library object's methods
    stay unknown. An evaluation helper of another module that
    several modules call (`eval_model(model, dev_data)` in train.py and predict.py) is reported at each
    call that runs it with recording on, where that caller chooses the grad mode, with the helper's loop as
    related location; a caller that sets `requires_grad` first (`for p in net.parameters(): p.requires_grad
    = False`, the CRNN trainers' `val`) chose, as the same code in one module does. The helper's own loop
    stays silent while another module may call it under `no_grad` (its text calls it and names a setter),
    unless its importers' calls, read, all resolve to it and run with recording on (GraphXAI's
    graph-classification `test(model, loader)`, called at module level by scripts that use `no_grad`
    for another forward).

    Not flagged: loops that need gradients on purpose (they call `backward()` or `torch.autograd.grad`,
    read `.grad` or set `requires_grad`, also as an argument, `Variable(x, requires_grad=True)`:
    adversarial attacks, saliency maps, test-time training), training epochs that backpropagate through a
    callable their trainer hands them (`backprop(loss)`), and
    code that lets the run decide (`with torch.set_grad_enabled(phase == "train"):`). A helper of the
    loop that turns recording off around all of its own forwards (a sample-saving helper with its own
    `no_grad`) decided for itself only: the loop's other forwards are still judged. A module of the project
    that holds no parameter and no layer, only buffers and settings (melgan's `Audio2Mel`, an STFT), records
    no graph of its own: running it is no forward that needs `no_grad`; nor does a module whose `forward`
    hands its input to `self.model.generate(...)` (transformers' `generate` turns recording off itself),
    when the loop's model is known to be one (an annotation: `model: ChronosModel` in the class's body).

    ## Why is this bad?
    With recording on, every forward keeps its activations alive for a backward pass that never comes:
    evaluation uses several times the memory it needs, so it runs out of memory at the larger batch
    sizes evaluation usually gets, and every output that is kept (`preds.append(out)`) keeps its whole
    graph alive until the end of the loop. It is also slower. `model.eval()` does not turn recording off;
    it only changes dropout and batch-norm behaviour.

    ## Example
    ```python
    def evaluate(model, loader):
        model.eval()
        correct = 0
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
        return correct
    ```

    ## Use instead
    ```python
    @torch.no_grad()
    def evaluate(model, loader):
        model.eval()
        correct = 0
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
        return correct
    ```

    ## References
    - PyTorch docs, "Locally disabling gradient computation" (no_grad, inference_mode, set_grad_enabled).
    - PyTorch Performance Tuning Guide: "disable gradient calculation for validation or inference".
    """

    code = "NN503"
    name = "eval-without-no-grad"
    severity = Severity.WARNING
    message = (
        "This evaluation loop runs the model with autograd on, keeping every activation for a backward "
        "that never comes; wrap it in `torch.no_grad()` (or `torch.inference_mode()`)."
    )
    hint = "`model.eval()` does not stop recording; `@torch.no_grad()` on the function does."

    VALID: ClassVar[list[str]] = [
        # TensorFlow code in a file that imports torch too (transformers' `test_modeling_tf_*.py`, a
        # pipeline's TF branch): its loops run TF models, which record no torch graph. The torch branch of
        # the same function is still judged (it runs under `no_grad` here).
        """
import numpy as np
import torch
import tensorflow as tf

def check_batch_inference(model, input_values, lengths):
    mask = tf.sequence_mask(tf.constant(lengths), dtype=tf.float32)
    batch_outputs = model(input_values * mask, training=False)
    for i in range(input_values.shape[0]):
        output = model(input_values[i : i + 1, : lengths[i]], training=False)
        assert np.allclose(output, batch_outputs[i : i + 1, : output.shape[1]], atol=1e-3)

def sequential_inference(model, framework, input_ids):
    if framework == "pt":
        with torch.no_grad():
            return torch.cat([model(input_ids[i].unsqueeze(0)) for i in range(len(input_ids))])
    else:
        outputs = []
        for i in range(len(input_ids)):
            outputs.append(tf.squeeze(model(np.expand_dims(input_ids[i], axis=0))))
        return tf.concat(outputs, 0)
""",
        # A string-mode epoch function whose validation pass runs under `no_grad` (DeepLabCut's fix), and
        # one whose only calls pass the training mode: nothing evaluates with recording on.
        """
import torch

def run_epoch(model, loader, optimizer, mode):
    for x, y in loader:
        loss = torch.nn.functional.mse_loss(model(x), y)
        if mode == "train":
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

def train(model, train_dl, valid_dl, optimizer, epochs):
    for epoch in range(epochs):
        run_epoch(model, train_dl, optimizer, mode="train")
        with torch.no_grad():
            run_epoch(model, valid_dl, None, mode="valid")
        run_epoch(model, train_dl, optimizer, "train")
""",
        # Ground-truth spectrograms logged once before training: the mel module holds no parameter, so
        # running it over the test clips records no graph (ivanvovk/WaveGrad's train.py).
        """
import torch
import torch.nn as nn
from torchaudio.transforms import MelSpectrogram
class MelFixed(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.backend = MelSpectrogram(**kwargs)
    def forward(self, x):
        return self.backend(x).log10()[..., :-1]
class Vocoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(80, 1, 3), nn.Dropout(0.1))
    def forward(self, mel):
        return self.net(mel)
model = Vocoder()
mel_fn = MelFixed(n_mels=80)
optimizer = torch.optim.Adam(model.parameters())
test_batch = test_set.sample_test_batch(4)
specs = {f"mel_{index}/gt": mel_fn(audio.cuda()).cpu().squeeze() for index, audio in enumerate(test_batch)}
logger.log_specs(0, specs)
for batch in train_loader:
    loss = (model(mel_fn(batch)) - batch).abs().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
""",
        # A decoder trained on its own samples (scheduled sampling): the step that feeds the sampled token
        # back returns the loss its caller backpropagates, so it is training, not decoding
        # (rohithreddy024/Text-Summarizer-Pytorch's `train_batch_MLE`).
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Trainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters())
    def train_batch_mle(self, enc_out, targets):
        x_t = targets[:, 0]
        step_losses = []
        for t in range(targets.size(1)):
            final_dist = self.model.decoder(x_t, enc_out)
            step_losses.append(F.nll_loss(torch.log(final_dist), targets[:, t]))
            x_t = torch.multinomial(final_dist, 1).squeeze()
        return torch.stack(step_losses).mean()
    def train_one_batch(self, batch):
        enc_out = self.model.encoder(batch.src)
        mle_loss = self.train_batch_mle(enc_out, batch.tgt)
        self.optimizer.zero_grad()
        (0.9 * mle_loss).backward()
        self.optimizer.step()
""",
        # An `nn.Module` annotation on a loss (`criterion: nn.Module`) or on a method's parameter (a forecast
        # generator whose caller, in another module, wraps it in `torch.no_grad()`) says no model is run here.
        """
import torch
from torch import nn


def total_loss(criterion: nn.Module, outputs, targets):
    total = 0.0
    for output, target in zip(outputs, targets):
        total += criterion(output, target).item()
    return total


class SampleForecastGenerator:
    def __call__(self, inference_data_loader, prediction_net: nn.Module):
        for batch in inference_data_loader:
            yield prediction_net(*batch).cpu().numpy()
""",
        # A helper loop one of whose calls passes training data: its data parameter is not held-out data.
        """
import torch

class Pipeline:
    def _fit(self, dl_train, opt):
        self.model.train()
        for X, y in dl_train:
            opt.zero_grad()
            self.loss_fn(self.model(X), y).backward()
            opt.step()
        return self._inner_loop(dl_train), self._inner_loop(self.dl_val)

    def _inner_loop(self, dl):
        return sum(self.loss_fn(self.model(X), y).item() for X, y in dl)
""",
        # A torchvision model picked by name, run under `no_grad`.
        """
import torch
import torchvision.models as models
def main(arch, images):
    model = models.__dict__[arch](pretrained=True)
    model.eval()
    with torch.no_grad():
        for image in images:
            print(model(image).argmax())
""",
        # transformers' `generate` turns recording off itself.
        """
def caption(model, processor, loader):
    model.eval()
    for batch in loader:
        outputs = model.generate(**batch)
""",
        # The pipeline's module (declared in its class body) runs its network only through `generate`,
        # which turns recording off itself (chronos-forecasting's `ChronosPipeline.predict`).
        """
import torch
from torch import nn

class Forecaster(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids):
        return self.model.generate(input_ids=ids, max_new_tokens=8)[..., 1:]

class Pipeline:
    model: Forecaster

    def __init__(self, model):
        self.model = model

    def predict(self, batches):
        return torch.cat([self.model(ids) for ids in batches])
""",
        # A loop in the model's own code (streaming over segments) runs in the mode its caller chose.
        """
from fairseq.models import FairseqEncoder

class StreamingEncoder(FairseqEncoder):
    def forward_test(self, segments):
        state = None
        for segment in segments:
            out, state = self.forward_jit(segment, state)
        return out
""",
        # The model is handed to a function this file cannot see into: whether it runs, and how, is unknown.
        """
def validate(model, val_loader, configs):
    for config in configs:
        check_config(model, config)
""",
        # Decorated, and a no_grad block inside.
        """
import torch

@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    for x, y in loader:
        out = model(x)

def validate(model, val_loader):
    model.eval()
    with torch.inference_mode():
        for x, y in val_loader:
            out = model(x)
""",
        # The caller turns recording off.
        """
import torch

def run_test(model, loader):
    for x, y in loader:
        out = model(x)

def main(model, test_loader):
    with torch.no_grad():
        run_test(model, test_loader)
""",
        # Comprehensions: the evaluation decorated, one under `no_grad` in the epoch loop, and one over
        # the training data whose losses are backpropagated.
        """
import torch

@torch.no_grad()
def evaluate(model, val_loader):
    model.eval()
    return [model(x) for x, _ in val_loader]

def fit(model, train_loader, val_loader, opt):
    for epoch in range(3):
        losses = [torch.nn.functional.cross_entropy(model(x), y) for x, y in train_loader]
        opt.zero_grad()
        sum(losses).backward()
        opt.step()
        with torch.no_grad():
            accs = [(model(x).argmax(1) == y).float().mean() for x, y in val_loader]
""",
        # set_grad_enabled decided at run time, the phase idiom.
        """
import torch
for phase in ["train", "val"]:
    for x, y in loaders[phase]:
        with torch.set_grad_enabled(phase == "train"):
            out = model(x)
            loss = criterion(out, y)
            if phase == "train":
                loss.backward()
                optimizer.step()
""",
        # An adversarial attack and a saliency map need input gradients.
        """
import torch

def test_fgsm(model, test_loader, eps):
    for x, y in test_loader:
        x.requires_grad = True
        loss = torch.nn.functional.nll_loss(model(x), y)
        model.zero_grad()
        loss.backward()
        x_adv = x + eps * x.grad.sign()
        pred = model(x_adv)

def predict_saliency(model, loader):
    for x in loader:
        x = x.requires_grad_()
        score = model(x).max()
        grads = torch.autograd.grad(score, x)
""",
        # Each helper of the evaluation loop turns recording off around its own forwards.
        """
import torch

class Trainer:
    def __init__(self, model, loaders):
        self.model = model
        self.loaders = loaders

    def _eval_step(self, batch):
        with torch.no_grad():
            return self.model["generator"](batch).mean().item()

    @torch.no_grad()
    def _save_samples(self, batch):
        save_audio(self.model["generator"](batch))

    def _eval_epoch(self):
        for i, batch in enumerate(self.loaders["dev"]):
            self._eval_step(batch)
            if i == 0:
                self._save_samples(batch)
""",
        # A tokenizer loaded with `from_pretrained` is not a model: only the model's forward counts, and
        # it runs under no_grad.
        """
import torch
from transformers import AutoModel, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")
model = AutoModel.from_pretrained("bert-base-uncased")

def embed(batch):
    with torch.no_grad():
        return model(**batch).last_hidden_state

for texts in eval_dataloader:
    embed(tokenizer(texts, return_tensors="pt"))
""",
        # A whole inference script with recording turned off at the top.
        """
import torch
torch.set_grad_enabled(False)
model = torch.load("model.pt")
for x in test_loader:
    out = model(x)
""",
        # A project decorator that applies inference_mode or no_grad (YOLOv5's smart_inference_mode).
        """
import torch


def smart_inference_mode(torch_1_9=True):
    def decorate(fn):
        return (torch.inference_mode if torch_1_9 else torch.no_grad)()(fn)

    return decorate


@smart_inference_mode()
def run(model, dataloader):
    model.eval()
    for images, labels in dataloader:
        preds = model(images)
        print((preds.argmax(1) == labels).float().mean())
""",
        # A module-level epoch loop that switches recording with plain statements around its two loops.
        """
import torch
from torch import nn

net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
opt = torch.optim.Adam(net.parameters())
loss_func = nn.CrossEntropyLoss()
for epoch in range(10):
    torch.set_grad_enabled(True)
    net.train()
    for x, y in train_loader:
        loss = loss_func(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.set_grad_enabled(False)
    net.eval()
    for x, y in test_loader:
        predict = net(x)
""",
        # A shared epoch function that turns recording on only for training.
        """
import torch

class Runner:
    def epoch(self, loader, train_model):
        self.net.train(mode=train_model)
        torch.set_grad_enabled(train_model)
        for x, y in loader:
            loss = self.criterion(self.net(x), y)
            if train_model:
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()

    def fit(self, train_loader, valid_loader, epochs):
        for epoch in range(epochs):
            self.epoch(train_loader, train_model=True)
            self.epoch(valid_loader, train_model=False)
""",
        # The same shared epoch function, called with the flag false only under no_grad.
        """
import torch

def run_epoch(model, loader, optimizer, train):
    for x, y in loader:
        loss = model(x, y)
        if train:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

for epoch in range(10):
    run_epoch(model, train_loader, optimizer, True)
    with torch.no_grad():
        run_epoch(model, dev_loader, optimizer, False)
""",
        # An evaluation step called per batch, with recording off inside it.
        """
import torch

class Net:
    def validation_step(self, x, y):
        self.module_.eval()
        with torch.no_grad():
            return self.criterion(self.module_(x), y)

    def fit_loop(self, batches):
        for x, y in self.iterator(batches):
            self.validation_step(x, y)
""",
        # eval() before a loop in a file that also trains: not an inference script, the loop is judged
        # by what it iterates (a training loader here) and where it runs.
        """
import torch
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
model.eval()
for images in train_images:
    model(images).sum().backward()
    optimizer.step()
class Net(torch.nn.Module):
    pass
""",
        # A model method that runs its forward in chunks and keeps the outputs attached (a caller may
        # backpropagate through them), and one that samples token by token from what it computes.
        """
import torch

class Encoder(torch.nn.Module):
    def forward(self, x):
        return self.layer(x)

    def forward_chunked(self, x, size):
        return torch.cat([self(chunk) for chunk in x.split(size)])

    def encode_all(self, batches):
        outputs = []
        for batch in batches:
            outputs.append(self(batch))
        return torch.cat(outputs)

    def sample(self, idx, steps):
        for _ in range(steps):
            logits = self(idx)
            idx = torch.cat([idx, torch.multinomial(logits.softmax(-1), 1)], 1)
        return idx
""",
        # Scripts near an inference script: one that trains at module level, one that only preprocesses
        # data, one whose loop runs under no_grad, one under inference_mode, one that turned recording off
        # for the whole run, and one that samples with `generate()` (which turns recording off itself).
        """
import torch
model = Net()
opt = torch.optim.Adam(model.parameters())
for x, y in dataloader:
    loss = torch.nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
class Net(torch.nn.Module):
    pass
""",
        """
import torch
from glob import glob
for path in glob("raw/*.png"):
    image = load_image(path)
    torch.save(resize(image), path + ".pt")
""",
        """
import torch
model = Net()
model.eval()
with torch.no_grad():
    for batch_i, (paths, imgs) in enumerate(dataloader):
        detections = model(imgs)
class Net(torch.nn.Module):
    pass
""",
        """
import torch

@torch.inference_mode()
def main():
    model = Net()
    model.eval()
    while True:
        out = model(read_frame())
        show(out)

class Net(torch.nn.Module):
    pass
""",
        """
import torch
torch.set_grad_enabled(False)
model = Net()
model.eval()
for batch_i, (paths, imgs) in enumerate(dataloader):
    detections = model(imgs)
class Net(torch.nn.Module):
    pass
""",
        # A stress test of a toy module that the script never set to a mode: no loaded model is run.
        """
import torch

class Elementwise(torch.nn.Module):
    def forward(self, x, y):
        return x * y + y

module = Elementwise()
for _ in range(50):
    x, y = torch.randn(10, 20), torch.randn(10, 20)
    torch.testing.assert_close(module(x, y), x * y + y)
""",
        """
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained("gpt2")
for prompt in prompts:
    print(model.generate(**prompt))
""",
        # The evaluation branch wraps the forward and the loss in no_grad: nothing records.
        """
import torch

def train_and_valid(model, optimizer, data_loader, is_train):
    for batch in data_loader:
        if is_train:
            loss = criterion(model(batch.x), batch.y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        else:
            with torch.no_grad():
                loss = criterion(model(batch.x), batch.y)

for epoch in range(10):
    train_and_valid(model, optimizer, train_loader, True)
    train_and_valid(model, optimizer, valid_loader, False)
""",
        # A toy module the script neither loads weights into nor sets to a mode, run over a list.
        """
import torch

class Scale(torch.nn.Module):
    def forward(self, x):
        return 2 * x

module = Scale()
for x in [torch.randn(3), torch.randn(4)]:
    print(module(x))
""",
        # A wrapper's `predict` that turns recording off itself (and switches its network to eval): the
        # loops that call it record nothing.
        """
import torch


class Classifier:
    def __init__(self):
        self.network = torch.nn.Sequential(torch.nn.Linear(8, 2), torch.nn.Dropout(0.1))

    @torch.no_grad()
    def predict(self, batch):
        self.network.eval()
        return self.network(batch).argmax(-1)


def validate(model, val_loader):
    for batch in val_loader:
        model.predict(batch)
""",
        # A library model's `encode` is library code, whatever the project's own `encode` methods do.
        """
import torch
from transformers import AutoModel


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.network = torch.nn.Linear(8, 8)

    def encode(self, batch):
        return self.network(batch)


def embed_corpus(test_loader):
    model = AutoModel.from_pretrained("bert-base-uncased").cuda()
    model.eval()
    return [model.encode(batch) for batch in test_loader]
""",
        # A policy rollout whose next input is the environment's observation, not the model's output: no
        # decoding (its log-probabilities keep their graph for the caller's REINFORCE update).
        """
import torch


def rollout(policy, env, steps):
    obs = env.reset()
    log_probs = []
    for _ in range(steps):
        dist = policy(torch.as_tensor(obs))
        action = dist.sample()
        log_probs.append(dist.log_prob(action))
        obs, reward, done, _ = env.step(action.item())
    return log_probs
""",
        # A loop that runs a model again and again on the same input (a timing benchmark) feeds nothing back:
        # no decoding, and nothing says it evaluates.
        """
import time


def benchmark(model, x, runs):
    start = time.time()
    for _ in range(runs):
        y = model.encoder(x)
    return (time.time() - start) / runs, y
""",
        # A module holding only buffers and settings (melgan's `Audio2Mel`: an STFT and a mel basis) has no
        # parameter: running it over test audio records no graph.
        """
import librosa
import torch
import torch.nn.functional as F
from torch import nn


class Audio2Mel(nn.Module):
    def __init__(self, n_fft=1024, hop_length=256, n_mels=80):
        super().__init__()
        basis = torch.from_numpy(librosa.filters.mel(sr=22050, n_fft=n_fft, n_mels=n_mels)).float()
        self.register_buffer("mel_basis", basis)
        self.register_buffer("window", torch.hann_window(n_fft).float())
        self.n_fft = n_fft
        self.hop_length = hop_length

    def forward(self, audio):
        spec = torch.stft(F.pad(audio, (384, 384)), self.n_fft, self.hop_length, window=self.window)
        return torch.log10(torch.clamp(torch.matmul(self.mel_basis, spec.abs()), min=1e-5))


def main(test_loader):
    fft = Audio2Mel().cuda()
    test_voc = []
    for x in test_loader:
        test_voc.append(fft(x.cuda()).detach())
    return test_voc
""",
        # `torch.set_grad_enabled(False)` as a context inside the loop is `no_grad` spelled as a setter
        # (pytorch-ssd's `eval(net, loader)`, DeepSatModels' `evaluate_split`).
        """
import torch


def evaluate(net, loader, criterion):
    net.eval()
    running_loss = 0.0
    for inputs, labels in loader:
        with torch.set_grad_enabled(False):
            outputs = net(inputs)
            loss = criterion(outputs, labels)
        running_loss += loss.item()
    return running_loss
""",
        # A parameter named for nothing that one caller fills with a model and another with a function:
        # what it holds is unknown.
        """
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


def evaluate(tagger_net, batches):
    correct = 0
    for x, y in batches:
        correct += (tagger_net(x).argmax(1) == y).sum().item()
    return correct


def main(batches):
    evaluate(Tagger(), batches)
    evaluate(len, batches)
""",
        # The evaluation converts each forward's scores straight to numpy (rdz98/bprmf-pytorch data.py,
        # whose main.py calls it under `torch.no_grad()`): with recording on, `.numpy()` raises on them,
        # so this code runs with recording off, chosen by its callers.
        """
import numpy as np
import torch


class Ratings:
    def evaluate(self, model, device):
        aucs = []
        for user, items in self.test_items():
            users = torch.full((len(items),), user, device=device)
            scores = model.forward(users, torch.tensor(items, device=device)).cpu().numpy()
            aucs.append(float((scores[0] > scores[1:]).mean()))
        return np.mean(aucs)
""",
        # A draft module whose imports live elsewhere (skj092/LeafDiseaseClassification engine.py): it
        # never imports `torch`, yet its validation loop runs inside `with torch.no_grad():`, spelled out.
        """
from tqdm import tqdm


def train(model, train_dl, valid_dl):
    for epoch in range(config.epochs):
        model.train()
        for img, label in tqdm(train_dl):
            optimizer.zero_grad()
            criterion(model(img), label).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            valid_loss = 0
            for img, label in valid_dl:
                valid_loss += criterion(model(img), label).item()
        print(valid_loss / len(valid_dl))
""",
        # A local name that picks a training step or an evaluation step by the phase: what the call does
        # depends on the flag (GSAT's `run_one_batch = self.train_one_batch if phase == "train" else ...`).
        """
import torch


class Runner:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    @torch.no_grad()
    def _eval_batch(self, batch):
        return self.model(batch)

    def _train_batch(self, batch):
        loss = self.model(batch).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss

    def run_epoch(self, test_loader, phase):
        run_batch = self._train_batch if phase == "train" else self._eval_batch
        for batch in test_loader:
            run_batch(batch)
""",
        # A task loaded from a snapshot whose model is switched to eval but never run here: `task.predict`
        # is the task's own method, which this file cannot see into.
        """
import torch

from .snapshot import load


def get_logits(snapshot_path, output_path):
    task, config = load(snapshot_path)
    task.model.eval()
    results = []
    for _, tensors in task.data.batches("test"):
        results.append(task.predict(tensors))
    torch.save(results, output_path)
""",
        # A training epoch that backpropagates and steps only through the callable it is handed (a base
        # class binds `self._epoch_impl` to the epoch method the subclass overrides, and calls it with its
        # own `_backprop`): a training loop, no evaluation, whatever else is wrong with it.
        """import torch


class Trainer:
    def __init__(self, model, loader, unsupervised):
        self.model = model
        self.loader = loader
        self.optimizer = torch.optim.Adam(model.parameters())
        if unsupervised:
            self._epoch_impl = self._epoch_unsupervised
        else:
            self._epoch_impl = self._epoch_supervised

    def _backprop(self, loss):
        loss.backward()
        self.optimizer.step()

    def fit(self, epochs):
        for _ in range(epochs):
            self._epoch_impl(self._backprop)

    def _epoch_supervised(self, backprop):
        for x, y in self.loader:
            self.optimizer.zero_grad()
            backprop(torch.nn.functional.mse_loss(self.model(x), y))

    def _epoch_unsupervised(self, backprop):
        for x, _ in self.loader:
            self.optimizer.zero_grad()
            backprop(self.model(x).pow(2).mean())


class Consistency(Trainer):
    def _epoch_unsupervised(self, backprop):
        for x, _ in self.loader:
            loss = (self.model(x) - self.model(x.flip(-1))).pow(2).mean()
            backprop(loss)
""",
        # The inference script of INVALID's pix2pixHD-like wrapper, whose `inference` turns recording off.
        """import torch
from torch import nn


class Pix2Pix(nn.Module):
    def __init__(self, checkpoint):
        super().__init__()
        self.generator = nn.Sequential(nn.Conv2d(3, 8, 3), nn.InstanceNorm2d(8), nn.Conv2d(8, 3, 3))
        self.generator.load_state_dict(torch.load(checkpoint))

    @torch.no_grad()
    def inference(self, label):
        return self.generator(label)


model = Pix2Pix("latest_net_G.pth")
for i, data in enumerate(dataset):
    generated = model.inference(data["label"])
    save_image(generated[0], f"out_{i}.png")
""",
        # meijieru's crnn.pytorch `val` (and its copies, Attention_ocr's): every parameter stops requiring
        # gradients before the validation loop, so nothing records a graph.
        """
import torch


def val(net, dataset, criterion, max_iter=100):
    for p in net.parameters():
        p.requires_grad = False
    net.eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=64)
    n_correct = 0
    for i, (images, labels) in enumerate(loader):
        if i >= max_iter:
            break
        preds = net(images)
        n_correct += (preds.argmax(-1) == labels).sum().item()
    return n_correct
""",
        # EquiBind's inference.py: `torch` comes only from star imports, a library's among them, so what it
        # names is unknown; the loop runs the model inside `with torch.no_grad():`, a choice of grad mode.
        """
from models import *
from torch.optim.lr_scheduler import *


def inference_from_files(model, complexes):
    model.eval()
    predictions = []
    for lig_graph, rec_graph in complexes:
        with torch.no_grad():
            predictions.append(model(lig_graph, rec_graph).cpu())
    return predictions
""",
        # invertible-resnet: inputs made to require gradients (`requires_grad=True`) for an exact trace.
        """
import torch
from torch.autograd import Variable


def analyse_trace_estimation(model, test_loader):
    model.eval()
    for inputs, targets in test_loader:
        inputs = Variable(inputs, requires_grad=True)
        out, trace = model(inputs, exact_trace=True)
        print(trace.detach())
""",
        # The run decides, inside the loop around the forward (`phase` is "train" or "val").
        """
import torch


def run_phase(model, val_loader, phase):
    model.eval()
    outputs = []
    for x in val_loader:
        with torch.set_grad_enabled(phase == "train"):
            outputs.append(model(x).argmax(-1))
    return outputs
""",
        # sr-gan: the base class's training loop calls `self.validation_summaries(step)` under `no_grad`,
        # and the subclass's evaluation runs there (also when the base class lives in another module).
        """
import torch


class Experiment:
    def train(self):
        for step, (x, y) in enumerate(self.loader):
            self.optimizer.zero_grad()
            torch.nn.functional.mse_loss(self.net(x), y).backward()
            self.optimizer.step()
            with torch.no_grad():
                self.validation_summaries(step)


class AgeExperiment(Experiment):
    def validation_summaries(self, step):
        self.evaluation_epoch(self.net, self.valid_loader)

    def evaluation_epoch(self, network, loader):
        errors = [(network(images) - labels).abs().mean().item() for images, labels in loader]
        return sum(errors) / len(errors)
""",
        # A runner's training epoch: it readies the model with `train()` and leaves backward and step to an
        # optimizer hook (Det3D's and CenterPoint's `Trainer.train`); likewise a forward shared by the
        # training loss and a reference pass that sets the mode from a parameter (AgileRL's `_get_logprobs`).
        """
class Trainer:
    def train(self, data_loader, epoch):
        self.model.train()
        self.call_hook("before_train_epoch")
        for i, data_batch in enumerate(data_loader):
            self.outputs = self.model(data_batch, return_loss=True)
            self.call_hook("after_train_iter")

    def logprobs(self, ids, batch_size, eval_mode=False):
        self.actor.train(mode=not eval_mode)
        out = []
        for start in range(0, ids.shape[0], batch_size):
            out.append(self.actor(ids[start : start + batch_size]).logits)
        return out
""",
        # A model's sampler that keeps each step's log-probabilities attached (returned for a REINFORCE
        # loss, self-critical captioning's `sample`): the graph is what its caller backpropagates.
        """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 8)
        self.rnn = nn.GRUCell(8, 8)
        self.out = nn.Linear(8, 10)

    def forward(self, tokens, h):
        h = self.rnn(self.embed(tokens), h)
        return self.out(h), h


class Captioner(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder = Decoder()

    def sample(self, h, max_len=16):
        tokens = torch.zeros(h.size(0), dtype=torch.long)
        seq, logprobs = [], []
        for _ in range(max_len):
            logits, h = self.decoder(tokens, h)
            logp = F.log_softmax(logits, -1)
            tokens = torch.multinomial(logp.exp(), 1).squeeze(1)
            seq.append(tokens)
            logprobs.append(logp.gather(1, tokens.unsqueeze(1)))
        return seq, logprobs
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # The near miss: the switch to training comes after the loop (restoring the mode); the loop itself
        # runs the model batch after batch with recording on, an embedding extraction.
        Invalid(
            """
import torch


def extract_features(model, loader):
    model.eval()
    features = []
    for images, _ in loader:
        features.append(model(images).cpu())
    model.train()
    return torch.cat(features)
""",
            line=8,
        ),
        # The near miss of the CRNN trainers' `val`: the parameters are frozen in `trainBatch`, which runs
        # its own step, not before the validation loop of `val`, which records a graph per batch.
        Invalid(
            """
import torch


def trainBatch(net, batch, optimizer):
    for p in net.parameters():
        p.requires_grad = True
    net.train()
    loss = net(batch[0]).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def val(net, dataset, max_iter=100):
    net.eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=64)
    n_correct = 0
    for i, (images, labels) in enumerate(loader):
        if i >= max_iter:
            break
        preds = net(images)
        n_correct += (preds.argmax(-1) == labels).sum().item()
    return n_correct
""",
            line=19,
        ),
        # The evaluation of a much-copied course template: a comprehension over the validation loader
        # runs the model's evaluation step, with nothing turning recording off.
        Invalid(
            """
import torch
def evaluate(model, val_loader):
    model.eval()
    outputs = [model(x) for x, _ in val_loader]
    return torch.cat(outputs)
""",
            line=5,
        ),
        # A module-level prediction helper whose network is a parameter annotated `torch.nn.Module`, run batch
        # by batch with autograd on (flow-forecast's DA-RNN `predict(encoder: torch.nn.Module, ...)`).
        Invalid(
            """
import numpy as np
import torch


def predict(encoder: torch.nn.Module, data, batch_size):
    y_pred = np.zeros(len(data))
    for start in range(0, len(data), batch_size):
        batch = torch.as_tensor(data[start : start + batch_size])
        y_pred[start : start + batch_size] = encoder(batch).squeeze(1).detach().numpy()
    return y_pred
""",
            line=8,
        ),
        # A constructor picked by name from torchvision's model namespace builds a model, whichever it is:
        # the inference loop runs it with autograd on.
        Invalid(
            """
import torchvision.models as models
def main(arch, images):
    model = models.__dict__[arch](pretrained=True)
    model.eval()
    for image in images:
        print(model(image).argmax())
""",
            line=6,
        ),
        Invalid(
            """
from torchvision import models
def main(arch, images):
    model = getattr(models, arch)(pretrained=True)
    model.eval()
    for image in images:
        print(model(image).argmax())
""",
            line=6,
        ),
        # The model of an inference script comes from a project factory in another module
        # (3DUnetCNN's `build_or_load_model`): a model all the same, run with autograd recording.
        Invalid(
            """
import torch
from unet3d.models.build import build_or_load_model


def main():
    model = build_or_load_model(config["name"], args.model_filename, n_gpus=1)
    model.eval()
    for i, (img, trg) in enumerate(loader):
        pred = model(img.cuda())[0].cpu()
        torch.save(pred, f"{i}.pt")


if __name__ == "__main__":
    main()
""",
            line=9,
        ),
        # `volatile=True` turned recording off before PyTorch 0.4; it has been ignored since.
        """
import torch
from torch.autograd import Variable

def evaluate(model, loader):
    model.eval()
    for x, y in loader:
        out = model(Variable(x, volatile=True))
""",
        # Inline: a test function with eval() but no no_grad.
        """
import torch

def test(model, device, test_loader):
    model.eval()
    correct = 0
    for data, target in test_loader:
        output = model(data.to(device))
        correct += output.argmax(1).eq(target).sum().item()
    return correct
""",
        # Through a helper: the loop over validation data calls a step function without no_grad.
        """
import torch
model = torch.nn.Linear(4, 2)

def val_step(model, batch):
    x, y = batch
    return torch.nn.functional.cross_entropy(model(x), y).item()

losses = []
for batch in val_loader:
    losses.append(val_step(model, batch))
""",
        # A Trainer's eval epoch over a dict of models: its eval step records a graph; the sample-saving
        # helper beside it turns recording off for itself only (ParallelWaveGAN's spelling).
        """
import torch

class Trainer:
    def __init__(self, model, loaders):
        self.model = model
        self.loaders = loaders

    def _eval_step(self, batch):
        fake = self.model["generator"](batch)
        self.total += self.model["discriminator"](fake).mean().item()

    def _save_samples(self, batch):
        with torch.no_grad():
            save_audio(self.model["generator"](batch))

    def _eval_epoch(self):
        for key in self.model:
            self.model[key].eval()
        for i, batch in enumerate(self.loaders["dev"]):
            self._eval_step(batch)
            if i == 0:
                self._save_samples(batch)
""",
        # An inference function whose loop keeps every output (and its graph).
        """
import torch

def predict(net, loader, cfg):
    net.eval()
    outputs = []
    for batch in loader:
        outputs.append(net(batch.to(cfg["device"])))
    return torch.cat(outputs)

def main():
    net = build_net()
    preds = predict(net, test_loader, {"device": "cuda"})
""",
        # One epoch function for training and evaluation: the step runs only under `if train_model:`, and
        # the validation call passes False (DeepRank's spelling): that pass records a graph for nothing.
        Invalid(
            """
import torch

class NeuralNet:
    def __init__(self, net):
        self.net = net
        self.optimizer = torch.optim.Adam(self.net.parameters())

    def _epoch(self, data_loader, train_model):
        running_loss = 0
        for d in data_loader:
            outputs = self.net(d["feature"])
            loss = self.criterion(outputs, d["target"])
            running_loss += loss.item()
            if train_model:
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
        return running_loss

    def train(self, train_loader, valid_loader, nepoch):
        for epoch in range(nepoch):
            self._epoch(train_loader, train_model=True)
            self._epoch(valid_loader, train_model=False)
""",
            line=11,
        ),
        # The same with a string mode (fairseq's emotion-conversion pitch predictor, texar's classifier
        # example): the step runs only under `if mode == "train":`, and the validation pass is
        # `run_epoch(..., mode="valid")`.
        Invalid(
            """
import torch

def run_epoch(model, loader, optimizer, mode):
    for x, y in loader:
        loss = torch.nn.functional.mse_loss(model(x), y)
        if mode == "train":
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

def train(model, train_dl, valid_dl, optimizer, epochs):
    for epoch in range(epochs):
        run_epoch(model, train_dl, optimizer, mode="train")
        run_epoch(model, valid_dl, None, mode="valid")
""",
            line=5,
        ),
        # A loop shared by the validation and test passes, in a helper not named for evaluation: every
        # call fills its data parameter with held-out data (giotto-deep's `_inner_loop(dl_val, ...)`).
        Invalid(
            """
import torch

class Pipeline:
    def __init__(self, model, loss_fn):
        self.model = model
        self.loss_fn = loss_fn

    def _val_loop(self, dl_val):
        self.model.eval()
        return self._inner_loop(dl_val)

    def _test_loop(self, dl_test):
        self.model.eval()
        return self._inner_loop(dl_test)

    def _inner_loop(self, dl):
        loss = 0.0
        for X, y in dl:
            loss += self.loss_fn(self.model(X), y).item()
        return loss
""",
            line=19,
        ),
        # A per-batch validation step method of a fit loop, with no loop of its own (skorch's spelling):
        # reported at its `def`, where the decorator goes.
        Invalid(
            """
import torch

class NeuralNet:
    def __init__(self, module):
        self.module_ = module
        self.optimizer_ = torch.optim.SGD(self.module_.parameters(), lr=0.1)

    def validation_step(self, Xi, yi):
        self.module_.eval()
        y_pred = self.infer(Xi)
        return self.get_loss(y_pred, yi)

    def infer(self, x):
        return self.module_(x)

    def train_step(self, Xi, yi):
        self.module_.train()
        self.optimizer_.zero_grad()
        loss = self.get_loss(self.infer(Xi), yi)
        loss.backward()
        self.optimizer_.step()

    def fit_loop(self, train, valid, epochs):
        for _ in range(epochs):
            for Xi, yi in self.get_iterator(train, training=True):
                self.train_step(Xi, yi)
            for Xi, yi in self.get_iterator(valid, training=False):
                self.validation_step(Xi, yi)
""",
            line=9,
        ),
        # A module-level detection script that never trains: its loop over the data set is inference, whatever
        # the loader is called (YOLOv3's test.py spelling).
        Invalid(
            """
import torch
model = Darknet(opt.cfg)
model.load_state_dict(torch.load(opt.weights))
model.eval()
for batch_i, (imgs, targets) in enumerate(dataloader):
    outputs = model(imgs.to(device))
    metrics.update(outputs, targets)
class Darknet(torch.nn.Module):
    pass
""",
            line=6,
        ),
        # The same script with its model class star-imported from the project (`from models import *`):
        # switched to eval and moved to the GPU, `model` can only be a module.
        Invalid(
            """
import torch
from models import *
model = Darknet(opt.cfg)
model.cuda()
model.eval()
for batch_i, (imgs, targets) in enumerate(dataloader):
    imgs = Variable(imgs.type(Tensor), volatile=True)
    outputs = model(imgs)
    metrics.update(outputs, targets)
""",
            line=7,
        ),
        # A model's own `encode` method: batch after batch through its forward, every output taken off the
        # graph for numpy, autograd on (InferSent's spelling); also when the output is bound to a name first.
        Invalid(
            """
import numpy as np
import torch

class Encoder(torch.nn.Module):
    def forward(self, batch):
        return self.lstm(batch)[0].max(0)[0]

    def encode(self, sentences, bsize=64):
        embeddings = []
        for start in range(0, len(sentences), bsize):
            batch = self.get_batch(sentences[start:start + bsize])
            embeddings.append(self.forward(batch).data.cpu().numpy())
        return np.vstack(embeddings)
""",
            line=11,
        ),
        Invalid(
            """
import torch

class Encoder(torch.nn.Module):
    def embed(self, batches):
        vectors = []
        for batch in batches:
            out = self(batch)
            vectors.extend(out.detach().cpu().tolist())
        return vectors
""",
            line=7,
        ),
        # A module-level function of a module that never trains loads a language model from a pretrained
        # checkpoint and runs it over prompts to keep its hidden states (elk's `extract_hiddens`).
        Invalid(
            """
import torch
from transformers import AutoModel, AutoTokenizer

def extract_hiddens(name, prompts, device="cpu"):
    model = AutoModel.from_pretrained(name).to(device)
    tokenizer = AutoTokenizer.from_pretrained(name)
    for prompt in prompts:
        outputs = model(**tokenizer(prompt, return_tensors="pt"), output_hidden_states=True)
        yield outputs.hidden_states[-1][:, -1].to(torch.int16)
""",
            line=8,
        ),
        # An inference `main()` classifying camera frames in a `while` loop, in a script that never trains.
        Invalid(
            """
import torch

class Classifier(torch.nn.Module):
    pass

def main():
    model = Classifier()
    model.load_state_dict(torch.load("ckpt.pt"))
    model.eval()
    while True:
        label = model.forward(read_frame()).argmax()
        print(label)
""",
            line=11,
        ),
        # A demo script: eval(), then a loop over image files, autograd on (SeqNet's spelling).
        Invalid(
            """
import torch
from glob import glob

class SeqNet(torch.nn.Module):
    pass

def main(args):
    model = SeqNet(args.cfg)
    model.eval()
    for path in sorted(glob("demo/*.jpg")):
        output = model(load_image(path))
        show(path, output)
""",
            line=11,
        ),
        # The shared epoch function's evaluation branch wraps only the loss module in no_grad; the forward
        # before it still records (particleflow's `train_and_valid(..., is_train)`, called with False).
        Invalid(
            """
import torch
import torch.nn as nn

class FocalLoss(nn.Module):
    def __init__(self, gamma):
        super().__init__()
        self.gamma = gamma

def compute_loss(y, pred):
    focal = FocalLoss(gamma=2.0)
    return focal(pred, y)

def train_and_valid(model, optimizer, data_loader, is_train):
    if is_train:
        model.train()
    else:
        model.eval()
    for batch in data_loader:
        pred = model(batch.x)
        if is_train:
            loss = compute_loss(batch.y, pred)
            optimizer.zero_grad()
        else:
            with torch.no_grad():
                loss = compute_loss(batch.y, pred)
        if is_train:
            loss.backward()
            optimizer.step()

for epoch in range(10):
    train_and_valid(model, optimizer, train_loader, True)
    train_and_valid(model, optimizer, valid_loader, False)
""",
            line=19,
        ),
        # An inference script that loads trained weights into its network and runs it over a plain list of
        # feature tensors, recording a graph each time (CLAPE).
        Invalid(
            """
import torch

class Head(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(64, 2, 3, padding=1)

features = [encode(s) for s in read_sequences(path)]
predictor = Head()
predictor.load_state_dict(torch.load("weights/DNA.pth"))
results = []
for f in features:
    results.append(predictor(f).squeeze(0).tolist())
""",
            line=13,
        ),
        # The network runs through a method of the object that holds it (MT-DNN's `model.predict(batch_meta,
        # batch_data)` of a plain wrapper class): the method call is the forward, and it records.
        Invalid(
            """
import torch


class Classifier:
    \"\"\"Holds the network and its optimizer.\"\"\"

    def __init__(self):
        self.network = torch.nn.Sequential(torch.nn.Linear(8, 2), torch.nn.Dropout(0.1))
        self.optimizer = torch.optim.Adam(self.network.parameters())

    def predict(self, batch):
        self.network.eval()
        return self.network(batch).argmax(-1)


def evaluate(model, dev_loader):
    predictions = []
    for batch in dev_loader:
        predictions.extend(model.predict(batch).tolist())
    return predictions
""",
            line=19,
        ),
        # A model's own inference method that runs its layers (SAM-Adapter's `model.infer(inp)`), on a model
        # built by the script.
        Invalid(
            """
import torch


class Segmenter(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Conv2d(3, 8, 3)
        self.head = torch.nn.Conv2d(8, 1, 1)

    def infer(self, image):
        return self.head(self.encoder(image))


def eval_iou(loader, model):
    scores = []
    for batch in loader:
        pred = torch.sigmoid(model.infer(batch["inp"]))
        scores.append(iou(pred, batch["gt"]).item())
    return scores
""",
            line=17,
        ),
        # A model's own greedy decoder (DeepPhonemizer's `generate`): each step runs the model's parts on
        # the tokens so far and keeps only the next token's index, so every step's graph is waste.
        Invalid(
            """
import torch
import torch.nn as nn


class PositionalEncoding(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        return self.dropout(x)


class Transformer(nn.Module):
    def __init__(self, vocab, d_model=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = PositionalEncoding(d_model)
        self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(d_model, 2), 2)
        self.fc_out = nn.Linear(d_model, vocab)

    def generate(self, memory, start, end, max_len=50):
        indices = [start]
        for _ in range(max_len):
            tokens = torch.tensor(indices).unsqueeze(1)
            output = self.pos(self.embed(tokens))
            output = self.decoder(output, memory)
            token = self.fc_out(output).argmax(2)[-1].item()
            indices.append(token)
            if token == end:
                break
        return indices
""",
            line=25,
        ),
        # Greedy decoding through the model's parts, each step fed the last prediction (d2l's
        # `predict_seq2seq`), with autograd recording every step.
        Invalid(
            """
import torch


def predict_seq(model, src, num_steps):
    state = model.encoder(src)
    y, out = src[:, :1], []
    for _ in range(num_steps):
        logits, state = model.decoder(y, state)
        y = logits.argmax(-1)
        out.append(y)
    return out
""",
            line=8,
        ),
        # A parameter named for nothing (`tagger_net`) that every caller fills with a model holds one.
        Invalid(
            """
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


def evaluate(tagger_net, batches):
    correct = 0
    for x, y in batches:
        correct += (tagger_net(x).argmax(1) == y).sum().item()
    return correct


def main(batches):
    evaluate(Tagger(), batches)
""",
            line=16,
        ),
        # An evaluator scores the test triples through a local name that picks one of its own rank methods
        # (pykeen's `compute_rank_fct`), which run the model's `predict_scores`, a method of the module that
        # calls one of its forward passes (`self.forward_owa(...)`, abstract here, overridden elsewhere).
        Invalid(
            """
import torch
from torch import nn


class TripleScorer(nn.Module):
    def forward_owa(self, triples):
        raise NotImplementedError

    def predict_scores(self, triples):
        return self.forward_owa(triples).detach()


class RankEvaluator:
    def __init__(self, model: TripleScorer, filtered=False):
        self.model = model
        self.filtered = filtered

    def _filtered_rank(self, model, triple):
        return self._rank(model, triple)

    def _rank(self, model, triple):
        return (model.predict_scores(triple) > 0).sum()

    def evaluate(self, test_triples):
        self.model.eval()
        rank = self._filtered_rank if self.filtered else self._rank
        ranks = []
        for triple in test_triples:
            ranks.append(rank(model=self.model, triple=triple))
        return ranks
""",
            line=29,
        ),
        # A helper given the model under its own name runs it (ludwig's `self._predict(self.model, batch)`
        # returning `model.predict_step(inputs)`): the loop's forward, with recording on.
        Invalid(
            """
import torch


class Predictor:
    def __init__(self, model):
        self.model = model

    def _predict(self, model, batch):
        return model(batch["inputs"])

    def batch_predict(self, batches):
        self.model.eval()
        predictions = []
        for batch in batches:
            predictions.append(self._predict(self.model, batch))
        return torch.cat(predictions)
""",
            line=15,
        ),
        # A model held by an object from elsewhere (a task loaded from a snapshot, pytext's `get_logits`):
        # `task.model` is switched to eval and run on the test batches, so it is a module, and it records.
        Invalid(
            """
import torch

from .snapshot import load


def get_logits(snapshot_path, output_path):
    task, config = load(snapshot_path)
    task.model.eval()
    results = []
    for _, tensors in task.data.batches("test"):
        inputs = task.model.arrange_model_inputs(tensors)
        results.append(task.model(*inputs))
    torch.save(results, output_path)
""",
            line=11,
        ),
        # A script that never trains runs the project's inference method over a data set (pix2pixHD's test.py:
        # the wrapper loads its own weights, the script sets no mode): that is inference, and it records.
        Invalid(
            """import torch
from torch import nn


class Pix2Pix(nn.Module):
    def __init__(self, checkpoint):
        super().__init__()
        self.generator = nn.Sequential(nn.Conv2d(3, 8, 3), nn.InstanceNorm2d(8), nn.Conv2d(8, 3, 3))
        self.generator.load_state_dict(torch.load(checkpoint))

    def inference(self, label):
        return self.generator(label)


model = Pix2Pix("latest_net_G.pth")
for i, data in enumerate(dataset):
    generated = model.inference(data["label"])
    save_image(generated[0], f"out_{i}.png")
""",
            line=16,
        ),
    ]

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._steps: set[cst.FunctionDef] = set()  # evaluation steps reported (once, whatever calls them)

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    _CALLS_RECORDING = (
        "This call runs an evaluation loop of another module (`{name}`) with autograd on, keeping every "
        "activation for a backward that never comes; wrap the call in `torch.no_grad()` (or decorate "
        "`{name}` with `@torch.no_grad()`)."
    )

    def finish(self) -> None:
        """Calls of an evaluation helper of another project module (`eval_model(model, dev_data)`, with the
        loop in utils.py) that run its recording loop: reported at each call that nobody wrapped, where
        the grad mode of that evaluation is chosen, with the helper's loop as related location (a check of
        the helper's own module reports the loop itself)."""
        from nnlint.engine.summaries import summary_of_call

        wanted = vocab.EVAL_FUNCTION_WORDS | vocab.TEST_WORDS | vocab.INFERENCE_WORDS
        for call in self.ctx.index.nodes(cst.Call):
            # Cheap gates before resolving: a name imported from elsewhere (by name, or maybe by a star
            # import), named for evaluation.
            qualified = self.ctx.callee(call) if call.args else None
            if qualified is None and call.args and self.ctx.imports.star_modules:
                qualified = call.func.value if isinstance(call.func, cst.Name) else None
            if qualified is None or qualified.startswith(vocab.LIBRARY_PREFIXES):
                continue
            if not set(words(qualified.rsplit(".", 1)[-1])) & wanted:
                continue
            summary = summary_of_call(self.ctx, call)
            if summary is None or summary.ctx is self.ctx:
                continue
            found = summary.records_evaluation
            if found is None:
                continue
            loop, run = found
            if not run & set(summary.arguments(call) or {}):
                continue
            if not self._shared(summary.ctx, summary.function) or self.ctx.grad_mode.managed(call):
                continue
            caller = self.ctx.enclosing_function(call)
            if caller is not None and self.ctx.grad_mode.wants_gradients(caller, inputs_only=True):
                continue  # `for p in net.parameters(): p.requires_grad = False` first: nothing records
            self.report(
                call,
                message=self._CALLS_RECORDING.format(name=summary.function.name.value),
                related=(Evidence(loop, "the evaluation loop that records a graph", ctx=summary.ctx),),
            )

    def _shared(self, ctx: FileContext, function: cst.FunctionDef) -> bool:
        """Whether modules other than this one and the helper's own call the helper, by their text (they
        say `name(` and import the helper's module): a helper shared by several callers, each of which
        chooses whether its call records. A helper of one caller is reported at its own loop, by its
        module's check."""
        stem = ctx.real_path.stem if ctx.real_path is not None else None
        if stem is None or stem == "__init__":
            return False
        called = f"{function.name.value}("
        for spelled in (f"{stem} import", f"import {stem}"):
            if any(path != ctx.real_path for path in paths_mentioning(self.ctx, called, spelled) or ()):
                return True
        return False

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._check_comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._check_comprehension(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._check_comprehension(node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._check_comprehension(node)

    def _check_comprehension(self, node: Comprehension) -> None:
        """A comprehension over data that runs the model (`outputs = [model.validation_step(b) for b in
        val_loader]`) is judged like a `for` loop."""
        if any(loop.node is node for loop in self.ctx.loops.comprehension_loops):
            self._check(node)

    _WHEN_FLAG_OFF = (
        "With {choice} (as in the call at line {line}), this loop evaluates the model with autograd "
        "on, keeping every activation for a backward that never comes; turn recording off for that case "
        "(`torch.set_grad_enabled({switch})`)."
    )

    _VOLATILE = (
        "This evaluation loop runs the model with autograd on: `volatile=True` has been ignored since "
        "PyTorch 0.4, so every activation is kept for a backward that never comes; wrap the loop in "
        "`torch.no_grad()` instead."
    )

    _STEP = (
        "This evaluation step runs the model with autograd on, once per batch of the loop at line {line}, "
        "keeping every activation for a backward that never comes; decorate it with `@torch.no_grad()`."
    )

    def _check(self, node: cst.For | cst.While | Comprehension) -> None:
        loop = self.ctx.loops.loop(node)
        if self._check_flagged(loop):
            return
        if not self._evaluates(loop):
            self._check_step(loop)
            return
        if not self.ctx.grad_mode.records_forward(loop):
            return
        outer = self.ctx.loops.enclosing_loop(node)
        while outer is not None and outer.function is loop.function:
            if self._evaluates(outer) and self.ctx.grad_mode.records_forward(outer):
                return  # reported at the outer loop
            outer = self.ctx.loops.enclosing_loop(outer.node)
        self.report(node, message=self._VOLATILE if passes_volatile(node) else None)

    def _check_step(self, loop: Loop) -> None:
        """A loop that is no evaluation by itself but calls, per iteration, a step function named for
        evaluation (`step = self.validation_step(Xi, yi)` in a fit loop): every forward that records runs
        in that step, which is reported at its `def`, where the decorator goes."""
        wanted = vocab.EVAL_FUNCTION_WORDS | vocab.TEST_WORDS
        if not any(
            event.via and _step_named(event.via[0], wanted)
            for event in loop.of_kind(EventKind.FORWARD, own=False)
        ):
            return  # cheap: no forward runs through a step function named for evaluation
        forwards = self.ctx.grad_mode.records_forward(loop)
        steps = {self.ctx.loops.helper_called(event.site) if event.via else None for event in forwards}
        if len(steps) != 1:
            return
        step = steps.pop()
        if step is None or step in self._steps or self._model_method(step):
            return
        if not _step_named(step.name.value, wanted):
            return
        self._steps.add(step)
        line = compute_ranges(self.ctx.module, [loop.node])[id(loop.node)].start.line
        self.report(
            step.name,
            message=self._STEP.format(line=line),
            related=(Evidence(loop.node, "runs the evaluation step once per batch"),),
        )

    def _check_flagged(self, loop: Loop) -> bool:
        """A loop whose training step runs only under `if <flag>:` of its function, evaluating with
        recording on in the calls that pass the flag as False (an epoch function shared by training and
        evaluation). Reported at the loop, with such a call as related location."""
        evaluation = self.ctx.evaluation
        found = evaluation.training_flag(loop) if loop.function is not None else None
        if found is None or self._model_method(loop.function):  # type: ignore[arg-type]
            return False
        guard, bodies = found
        calls = evaluation.calls_evaluating(loop.function, guard)  # type: ignore[arg-type]
        if not calls or not self.ctx.grad_mode.records_forward(loop, skipping=bodies):
            return False
        line = compute_ranges(self.ctx.module, [calls[0]])[id(calls[0])].start.line
        if guard.trains_on is None:
            flag, choice, switch = guard.flag, f"`{guard.flag}` false", guard.flag
        else:
            flag = guard.flag
            choice = f"`{flag}` other than {guard.trains_on!r}"
            switch = f"{flag} == {guard.trains_on!r}"
        summary = self.ctx.summaries.of(loop.function)  # type: ignore[arg-type]
        passed = (summary.arguments(calls[0]) or {}).get(flag) if summary is not None else None
        said = self.ctx.module.code_for_node(passed) if passed is not None else "False"
        self.report(
            loop.node,
            message=self._WHEN_FLAG_OFF.format(choice=choice, line=line, switch=switch),
            related=(Evidence(calls[0], f"called with `{flag}={said}`: an evaluation"),),
        )
        return True

    def _evaluates(self, loop: Loop) -> bool:
        """A loop in an evaluation or inference function, or one over held-out data."""
        function = loop.function
        if function is not None:
            if function.name.value.startswith("forward") or self._model_method(function):
                # A loop inside the model's own code runs in whatever mode its caller chose, unless it
                # encodes batch after batch and takes every output off the graph (InferSent's `encode`).
                return self.ctx.evaluation.is_model_inference(loop)
            if self.ctx.evaluation.is_eval_function(function):
                return True
            if set(words(function.name.value)) & vocab.INFERENCE_WORDS:
                return True
        return (
            self.ctx.evaluation.iterates_held_out(loop)
            or self.ctx.evaluation.is_script_inference(loop)
            or self._infers_after_eval(loop)
        )

    def _infers_after_eval(self, loop: Loop) -> bool:
        """In a file that never backpropagates (an inference script or demo), a loop that runs a model
        the code before it switched to eval mode: `model.eval()`, then `for path in images: model(x)`."""
        if self.ctx.loops.may_train:
            return False
        modes = self.ctx.modes
        return any(
            modes.mode_entering(loop, forward) == EVAL
            for forward in loop.of_kind(EventKind.FORWARD, own=False)
        )

    def _model_method(self, function: cst.FunctionDef) -> bool:
        cls = self.ctx.enclosing_class(function)
        return cls is not None and self.ctx.roles.is_local_model_class(cls.name.value)


def _step_named(name: str, wanted: frozenset[str]) -> bool:
    """`validation_step`, `eval_step`, `test_step`: a per-batch step named for evaluation."""
    named = set(words(name))
    return "step" in named and bool(named & wanted)
