"""NN404 train-eval-mode: evaluation in training mode, or training that resumes in evaluation mode."""

from __future__ import annotations

from typing import ClassVar

from nnlint.finding import Severity
from nnlint.rule import Evidence, Invalid, Rule


class TrainEvalMode(Rule):
    """## What it does
    Flags evaluation that runs a model still in training mode (a forward pass in an `evaluate`/`validate`/
    `test` function, in any function that runs the model over data and never backpropagates, in a
    `torch.no_grad()` block or a loop over validation data, with no `model.eval()` on the way there), and
    training that resumes after such an evaluation without `model.train()` (reported at the `eval()` that
    is left in force). The evaluation may be a helper called once per epoch, a method of a trainer class
    (`self.model.eval()`), or a block inside the batch loop (a `no_grad` block, or an `if` block that
    draws a test batch with `next(iter(test_loader))` and runs the model, or one epoch function shared by
    training and evaluation, `_epoch(loader, train_model)`, that steps only under `if train_model:` and
    is called with it false, or one per-batch step function shared by them, `batch_step(data,
    validation=False)`, that steps only under `if not validation:` and is called per batch with it true,
    or handed the flag by an epoch function called with it (`_run_epoch(loader, train=False)` calling
    `_run_batch(x, y, train)`), where the step's own unconditional `model.train()` or the mode the
    callers leave is in force); `model.train(False)` is
    `model.eval()`. The `eval()` left in force may be made by an object of another project module built on
    the model (`Evaluator(self.model, loader).get_scores()` whose method calls `self.model.eval()`), also
    when the object is handed to a function (of another module or of this file) that calls that method
    (`evaluate_beam_search(generator, loader)` with `generator = SequenceGenerator(model)`): it is
    reported at that call. Also flags a `model.train()` inside the evaluation loop that undoes the `eval()`
    the same function made for it (unless the function is named for MC dropout or uncertainty sampling). A
    helper of another project module (`val_dice = eval_net(net, val)` with `eval_net` in eval.py) is
    reported in that module, at the evaluation that lacks the `eval()`, with the call as a related
    location; the helper may come from a `from utils import *`, and the model may be handed to it as
    itself or as its wrapper's view of it (`eval_net(net.module if distributed else net, val)`), or as the
    named branch of a conditional whose other branch picks an element or builds something
    (`evaluate(model if single else models[0], val)`: on that path the helper runs `model`), and a switch
    spelled that way (`(model if single else models[0]).eval()`) switches that model; the call may be in
    the body of a module-level function, and hand the model by keyword beside spread arguments
    (`extract_features_(*args, **kwargs, model=model.cuda())`). A loop over items (slides, subjects,
    files) that builds a data loader from each item and runs the model over it is a loop over data.
    A forward may be a method call,
    `model.infer(x)` or a wrapper's `model.predict(batch)`, whose project definition runs the network (and
    switches it to eval first, or not); a method of a project `nn.Module` class that calls the module's
    own submodules runs the model whatever its name (`model.decode(**batch)` running the tagger's
    encoder), and a literal flag the call passes selects the method's branch (`model.run_batch(batch,
    training=False)` runs the `else:` branch that switches the network to eval). A module-level
    evaluation function that runs a model it is given, never sets the mode, and that no module of the
    project calls (tests aside) is reported too: its callers are the library's users, whose model is in
    training mode unless the function sets it; so is one such function hands its model on to
    (`translate(..., model)` calling `predict_seq(model, ...)`). Besides loops over data, a function that
    decodes (a loop whose forward is given what the loop made from its output) and never trains is an
    evaluation, and calling a model's part (`model.encoder(src)`, `model.decoder(y, state)`,
    `model.backbone(x)`) runs the model. A model's own inference method (a public method other than `forward`,
    which no method of its class calls, that runs `self(...)` or `self.forward(...)` with gradients off by its
    own choice and never switches the mode) is reported at its `no_grad` when its class depends on the mode
    (dropout, BatchNorm, reading `self.training`) and the project calls it on an object from modules that
    never switch anything to eval (tests aside).
    In a script that never trains (no backward, optimizer, step or trainer, no call of a project helper
    that trains), a loop at module level or in a module-level function such as `main()` that runs a model
    the same scope set to a mode or loaded weights into (`model.load_state_dict(...)`), whatever it
    iterates (a loader, image paths, a plain list of tensors), and uses its output is an inference, and is
    judged the same way; so is a single prediction in a `torch.no_grad()` block there. A `model.train()`
    that is the last mode switch before it is reported itself, as the line to change (`eval()` was meant).
    A model the script builds itself from a class with dropout or BatchNorm counts as readied too (a new
    module is in training mode), and so does one handed to a loading helper (`load_checkpoint(net=net,
    ...)`); an inference script may get its network from a project factory named for it
    (`build_or_load_model(...)`, `get_model(cfg)`, or the one network-named name of its tuple:
    `net, aug, _, weights = build_segmentation_model(...)`). Lightning's `Model.load_from_checkpoint(path)`
    builds a new module and loads trained weights into it: readied, and in training mode until the script
    calls `model.eval()` or Lightning's `model.freeze()` (openspeech's evaluation script ran its ASR
    model with dropout on).
    In any file, a function that never trains and switches a model with `model.train()` as a statement
    of its own body, then runs that model in a `torch.no_grad()` loop over data (a block, or the
    function's decorator) and keeps its output (precomputing a linear probe's embeddings, measuring a
    training loss), has that `train()` reported: `eval()` was meant. Silent for a `train()` under a
    condition or inside a block, in a function that reads `.training` (it restores the mode) or speaks of
    BatchNorm statistics (recalibration) or is named for MC dropout, a forward repeated per batch
    (`[model(x) for _ in range(passes)]`), a model handed the targets (`model(images, targets)`,
    `model(*batch)`: a torchvision detector returns its losses only in training mode), and a bare
    `model(x)` whose output is dropped.
    A loop that steps over the data by a batch size (`for i in range(0, len(X), batch_size):` taking
    `X[i : i + batch_size]`) is a loop over data, whatever the data is called. A model from
    `from_pretrained(...).to(device)` is in eval mode, and an object of a plain project class that switches
    the network it holds to eval itself (`self.model.eval()` in its `__init__`) is no new module in
    training mode.
    A `no_grad` block in the training loop that draws a batch from held-out data through a helper
    (`x = sample_random_batch(test_dset, 16)`, `get_batch("val")`) is an evaluation too. The mode is per
    network: `model.eval()` says nothing of a `predictor` the same function runs (two parameters its
    callers fill with two different networks). A network an object builds fresh (in `__init__` or a method
    `__init__` calls, `self.setup_model()`, or in the method that trains it, such as a synthesizer's
    `fit`; alone or as a list of networks) and that
    nothing ever switches to eval is in training mode in every method: its evaluation methods (`@no_grad
    def eval(self, obs)` called by another module's evaluation utilities) and its generation methods
    (`sample(self, n)` running the generator over noise batches, when no training method calls it) are
    reported whoever calls them. A wrapper's public method that runs the network it holds as an evaluation
    (`predict(test_loader)` under `@torch.no_grad()`) and that nothing in its file calls runs in the mode
    the class's own training method leaves the network in: when a public method of the class or of a
    project base class (`fit`, through a base class's `_train_model` in another module) trains it and
    may end with it in training mode (its last certain switch is `train()`, and the `eval()` for
    validation sits under `if val_loader is not None:`), predictions made right after `fit(...)` run
    with dropout on. Silent when the class is handed the network (`self.model = model`: its users hold
    it too), when every run of the training method ends in `eval()`, when the class has a method named
    for setting the mode (`def eval(self)`), or when any module switches `.model` of such an object to
    eval itself (`learner.model.eval()` before `learner.infer(...)`).
    An `eval()` still in force when the same model runs a training step (a forward, then a backward and
    the step of an optimizer built over that model's parameters, with no `train()` between) is reported
    wherever it sits, such as at the top of the training epoch. Freezing on purpose stays silent: an
    `eval()` of a submodule, a model whose parts are switched back (`model.eval(); model.head.train()`),
    or a network the stepped optimizer does not own (a frozen backbone, a GAN's discriminator).
    The optimizer may be built over any parameter list derived from the model: groups of
    `[p for n, p in model.named_parameters() if ...]`, `a + b` of such lists, names bound to them, or what a
    project helper that reads the model's parameters or modules returns (`split_bn_params(backbone)`,
    `add_weight_decay(model, wd)`, timm's `param_groups_weight_decay(model)`).
    A loop over held-out data may iterate a parameter that every call of its function fills with
    held-out data (`fit_one_epoch(net, ..., gen, gen_val)` looping over `genval`), and a model may be a
    parameter of any name that the function switches to a mode and runs (`model_train.train()`,
    `model_train(images)`), or one it runs that every caller, in its module or another, fills with a model
    (`output_batch(self, ner_model, ...)` called with a constructed tagger). A template method of a base
    class (`apply_model` returning None) called as `self.apply_model(...)` runs its subclasses' overrides
    in the same module when they all do the same.
    An evaluation helper may be picked into a local name by a setting (`validation = app_a.validation` under
    `if`/`elif`, the `else` raising): each project function the name may hold is called there, and one that
    evaluates in training mode is reported in its own module. A model trained by a project function of
    another module that it is handed to with its optimizer (`train_step(net, optimizer, x, y)`, whose
    backward and step run on every call) is trained there, as by a training step in the loop itself.
    A model run or switched through `accelerator.unwrap_model(model)` (`.generate(...)`, `.eval()`) is that
    model (step-level validation called from the batch loop that generates through it and leaves it in
    eval mode). A model of a plain project `nn.Module` class (project classes over `torch.nn.Module` alone,
    known by an annotation: `def __init__(self, model: ECD)` keeping it in `self.model`) is in training
    mode at every evaluation when no module of the project (tests aside) switches anything to eval, sets
    `.training`, or calls a model's `train(flag)`: nothing can have switched it. So is a project
    LightningModule held that way (darts's SHAP explainer, `_build_func_wrapper(self, model:
    PLForecastingModule)`), when the project never calls `freeze()` and the file defines no Lightning hook
    (`on_validation_end(self, trainer, pl_module: Task)` runs in the trainer's eval mode): Lightning's
    trainer leaves `fit` in training mode and gives each module back its mode after `validate`, `test`
    and `predict`.
    The finding lands where `model.eval()` belongs: before the `no_grad` block around the evaluation, or,
    when the block is opened once per batch inside the evaluation's loop, at the evaluation loop (with the
    block as a related location) or the forward run in training mode.
    An evaluation is not flagged when the model's class (in the file or a project module) is visibly built
    only from layers that ignore the mode (convolutions, linear layers, activations, RNN cells, recurrent
    layers whose `dropout` is absent or zero, no dropout or BatchNorm) and never reads `self.training`: the
    mode changes nothing there, nor when it holds no layer at all (only buffers and settings: melgan's
    `Audio2Mel`, an STFT). Blocks run from `zip(self.blocks, self.shortcuts)` are the class's own, and an
    override `eval(self, inference=False)` that calls `super().eval()` and sets no state (no attribute, no
    `requires_grad`) is the ordinary switch. Layers a class is handed (`nn.Sequential(*layers)` of a
    parameter) are unknown. A model is in eval mode when a project loader gives it back after an unconditional
    `model.eval()` (`model = load_model(path)`, `get_model(args, train=False)`), when the method that runs
    it switches its own object first (`model.generate(mel)` whose `generate` calls `self.eval()`; the class
    may come from the parameter's annotation, `def gen_testset(model: WaveRNN, ...)`), and when an
    evaluation helper it is handed to switches it, even one that builds a default model for callers that
    pass none (`if model is None: model = CRAFT()`).
    A `train()` made inside an evaluation function for the training it then runs (NASLib's `evaluate()`
    retraining the best architecture, then validating every epoch over `valid_queue`) is the mode that
    training leaves, not a deliberate choice for the evaluation: the validation loop is reported. Two
    attributes of an object that each hold a new module or a deep copy (`self.model`,
    `self.global_model = copy.deepcopy(args.model)`) are two networks: an `eval()` of one says nothing of
    the other, and a network the object's public training method leaves in training mode is in training
    mode in its other public methods. A network run as `model = self.dp.to(device)` is `self.dp`, and so
    is one bound to it on every branch alike (`if fp16: net = model.half() else: net = model.float()`); a
    name bound on one branch to an EMA copy and on the other to `model_train.eval()` holds no new module
    (bubbliiiing's YOLO fit loops): its mode is unknown; an object of a project class built with the
    model, which keeps it and switches it to eval itself (huanghoujing's `ExtractFeature(model_w, TVT)`)
    or is switched by the caller (`evaluator = MultiEvalModule(model, nclass); evaluator.eval()`), runs
    it later in that mode, not at its construction; a
    method named `eval` called with arguments (`dp.eval(coords, cells, atom_types)`, an inference API)
    switches no mode. A subclass runs the model its project base class keeps (`BaseModel.__init__`
    storing `self.model = model`), and a script that never trains but builds a project model class
    (`model = Tacotron(...).to(device)`) holds a new module in training mode.

    ## Why is this bad?
    Dropout and BatchNorm behave differently in the two modes. Evaluating in training mode drops units at
    random and normalizes with the batch's own statistics (updating the running averages with validation
    data), so the validation numbers are noisy and wrong. Training in evaluation mode turns dropout off and
    freezes BatchNorm statistics, so the model silently trains differently after the first evaluation.
    `torch.no_grad()` does not change the mode; only `model.eval()` and `model.train()` do. "You forgot to
    toggle train/eval mode for the net" is on Karpathy's list of the most common neural-net mistakes.

    ## Example
    ```python
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer)   # calls model.train()
        with torch.no_grad():
            for x, y in val_loader:
                val_loss += criterion(model(x), y).item()
    ```

    ## Use instead
    ```python
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer)
        model.eval()
        with torch.no_grad():
            for x, y in val_loader:
                val_loss += criterion(model(x), y).item()
        model.train()
    ```

    ## References
    - A. Karpathy, "most common neural net mistakes" (2018); "A Recipe for Training Neural Networks" (2019).
    - PyTorch docs, `torch.nn.Module.eval` and "Autograd mechanics: locally disabling gradient computation".
    """

    code = "NN404"
    cross_file = True
    name = "train-eval-mode"
    severity = Severity.WARNING
    message = "The model is evaluated here in training mode; call `model.eval()` before evaluating."
    hint = "`torch.no_grad()` does not switch dropout and BatchNorm to inference: `model.eval()` does."

    VALID: ClassVar[list[str]] = [
        # The near miss of marugoto's per-slide extraction: an epoch loop that builds its loader from
        # nothing it binds, handing the outputs to an update nobody can see into, is no loop over data.
        """
from torch.utils.data import DataLoader


def fit(model, dataset, epochs, update):
    for epoch in range(epochs):
        loader = DataLoader(dataset, batch_size=64, shuffle=True)
        for batch in loader:
            update(model(batch))
""",
        # A scorer wrapper whose only network its constructor loads and switches to eval: a new instance
        # runs in eval mode (DiffSynth-Studio's PickScore reward model, inference-time scaling notebook).
        """
import torch
from transformers import AutoModel, AutoProcessor

class PickScore(torch.nn.Module):
    def __init__(self, device="cuda"):
        super().__init__()
        self.processor = AutoProcessor.from_pretrained("laion/CLIP-ViT-H-14")
        self.model = AutoModel.from_pretrained("yuvalkirstain/PickScore_v1").eval().to(device)

    def forward(self, image, prompt):
        inputs = self.processor(images=image, text=prompt, return_tensors="pt")
        with torch.inference_mode():
            return self.model(**inputs).logits_per_image.item()

reward_model = PickScore()

def evaluate_noise(noise, pipe, reward_model, prompt):
    image = pipe(prompt=prompt, num_inference_steps=4, initial_noise=noise)
    score = reward_model(image, prompt)
    return score

print(evaluate_noise(noise, pipe, reward_model, "sketch, a cat"))
""",
        # A factory that gives the teacher back in eval mode on every path: `eval()` in one branch,
        # `from_pretrained` (eval mode) in the other (LMOps' minillm `get_teacher_model`).
        """
import torch
from transformers import AutoConfig, AutoModelForCausalLM

def get_teacher_model(args, device):
    if args.model_parallel:
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(args.teacher_path))
        load_parallel(model, args.teacher_path)
        model.eval()
    else:
        model = AutoModelForCausalLM.from_pretrained(args.teacher_path).to(device)
    return model

def evaluate(model, teacher_model, loader):
    model.eval()
    gaps = []
    with torch.no_grad():
        for batch in loader:
            gaps.append((model(**batch).logits - teacher_model(**batch).logits).abs().mean())
    return gaps

def main(args, model, loader, device):
    teacher_model = get_teacher_model(args, device)
    return evaluate(model, teacher_model, loader)
""",
        # The evaluation runs a mel-spectrogram module that is never switched to eval: a wrapper around
        # torchaudio's MelSpectrogram holds buffers only and has no mode (ivanvovk/WaveGrad's train.py).
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
for epoch in range(10):
    model.train()
    for batch in train_loader:
        loss = (model(mel_fn(batch)) - batch).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        for batch in test_loader:
            test_loss = (model(mel_fn(batch)) - batch).abs().mean()
""",
        # The model switched to eval through the conditional it is then handed over as (news-recommendation's
        # training loop after its fix: `(model if model_name != "Exp1" else models[0]).eval()`).
        """
import torch
from torch import nn
from evaluate import evaluate

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))

def main(loader, val_loader, epochs, single):
    model = Net()
    models = [Net(), Net()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        (model if single else models[0]).eval()
        with torch.no_grad():
            print(evaluate(model if single else models[0], val_loader))
        (model if single else models[0]).train()
""",
        # A call that hands the model over with settings only (`"greedy"`) is given no data: it configures
        # the model, it does not run it before the `eval()` (attention-learn-to-route's `rollout`).
        """
import torch
from nets.attention_model import set_decode_type

def rollout(model, dataset):
    set_decode_type(model, "greedy")
    model.eval()
    with torch.no_grad():
        return torch.cat([model(batch)[0] for batch in dataset])

def validate(model, dataset):
    return rollout(model, dataset).mean()

def train_epoch(model, optimizer, loader, val_dataset):
    model.train()
    set_decode_type(model, "sampling")
    for batch in loader:
        loss = model(batch)[1].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return validate(model, val_dataset)
""",
        # `from_pretrained` gives the model back in eval mode, also when moved to a device on the way
        # (elk's hidden-state extraction, which NN503 flags for its missing `no_grad`).
        """
from transformers import AutoModel

def extract_hiddens(name, prompts, device="cpu"):
    model = AutoModel.from_pretrained(name).to(device)
    for prompt in prompts:
        outputs = model(prompt, output_hidden_states=True)
        yield outputs.hidden_states[-1]
""",
        # A head warm-up (FACIL): each epoch switches the last head back to train and steps an optimizer
        # over that head only; the rest of the model stays in the eval() of the epoch's evaluation.
        """
import torch
from torch import nn


class Approach:
    def __init__(self, model, epochs, device):
        self.model, self.epochs, self.device = model, epochs, device

    def warm_up(self, t, loader):
        self.optimizer = torch.optim.SGD(self.model.heads[-1].parameters(), lr=0.1)
        for e in range(self.epochs):
            self.model.heads[-1].train()
            for images, targets in loader:
                outputs = self.model(images.to(self.device))
                loss = nn.functional.cross_entropy(outputs[t], targets)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            with torch.no_grad():
                self.model.eval()
                for images, targets in loader:
                    outputs = self.model(images.to(self.device))
                    print(nn.functional.cross_entropy(outputs[t], targets).item())
""",
        # A module-level prediction helper whose network is annotated `nn.Module` (so it holds the model)
        # switches it to eval itself; `init_weights(m: nn.Module)` runs nothing on data.
        """
import torch
from torch import nn


def predict(decoder: nn.Module, batches):
    decoder.eval()
    preds = []
    with torch.no_grad():
        for x in batches:
            preds.append(decoder(x))
    return torch.cat(preds)


def init_weights(m: nn.Module):
    for child in m.children():
        nn.init.zeros_(child.weight)
""",
        # The retraining switches to eval before each epoch's validation and back to train() before training.
        """
import torch
from torch import nn


class Trainer:
    def __init__(self, train_queue, valid_queue, epochs):
        self.train_queue = train_queue
        self.valid_queue = valid_queue
        self.epochs = epochs

    def evaluate(self, best_arch):
        optim = torch.optim.SGD(best_arch.parameters(), lr=0.025)
        loss = nn.CrossEntropyLoss()
        for epoch in range(self.epochs):
            best_arch.train()
            for x, y in self.train_queue:
                optim.zero_grad()
                loss(best_arch(x), y).backward()
                optim.step()
            best_arch.eval()
            for x, y in self.valid_queue:
                with torch.no_grad():
                    logits = best_arch(x)
                print((logits.argmax(1) == y).float().mean())
""",
        # MC dropout: `train()` chosen for the evaluation itself, with no training after it.
        """
import torch


def evaluate(model, valid_loader, passes):
    model.train()
    for x, y in valid_loader:
        with torch.no_grad():
            samples = torch.stack([model(x) for _ in range(passes)])
        print(samples.mean(0).argmax(1).eq(y).float().mean())
""",
        # A loss module the trainer builds next to its model (simple-HRNet's `JointsMSELoss().to(device)`):
        # two attributes holding new modules, but a loss has no mode that matters to set.
        """
import kornia
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x))


class WeightedMSELoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.mse = nn.MSELoss()

    def forward(self, output, target, weight):
        return self.mse(output * weight, target * weight) + kornia.losses.total_variation(output).mean()


class Trainer:
    def __init__(self, train_loader, val_loader, device):
        self.model = Net().to(device)
        self.loss_fn = WeightedMSELoss().to(device)
        self.optim = torch.optim.Adam(self.model.parameters())
        self.train_loader = train_loader
        self.val_loader = val_loader

    def _train(self):
        self.model.train()
        for x, y, w in self.train_loader:
            self.optim.zero_grad()
            self.loss_fn(self.model(x), y, w).backward()
            self.optim.step()

    def _val(self):
        self.model.eval()
        total = 0.0
        with torch.no_grad():
            for x, y, w in self.val_loader:
                total += self.loss_fn(self.model(x), y, w).item()
        return total
""",
        # The partner is the same module as the model (an alias, not a copy): its `eval()` covers both; and a
        # partner that is a single linear layer has no mode to be wrong in.
        """
import copy

import torch
from torch import nn


class Client:
    def __init__(self, model, loader, lr):
        self.model = copy.deepcopy(model)
        self.partner = self.model
        self.projection = nn.Linear(8, 8)
        self.loader = loader
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    def train(self):
        self.model.train()
        for x, y in self.loader:
            loss = self.criterion(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def train_metrics(self):
        self.model.eval()
        total = 0.0
        with torch.no_grad():
            for x, y in self.loader:
                rep = self.projection(self.partner.backbone(x))
                total += self.criterion(self.partner.head(rep), y).item()
        return total
""",
        # The evaluation switches the part of the ranker that holds its whole network (BLINK's
        # `reranker.model.eval()`): whether that covers every layer is unknown, so nothing is reported.
        """
import torch
from torch import nn


class Ranker(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))

    def forward(self, x):
        return self.model(x)


def evaluate(reranker, eval_dataloader):
    reranker.model.eval()
    for x in eval_dataloader:
        with torch.no_grad():
            scores = reranker(x)


def main(loader, eval_loader):
    reranker = Ranker()
    optimizer = torch.optim.Adam(reranker.parameters())
    for epoch in range(3):
        reranker.train()
        for x in loader:
            loss = reranker(x).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        evaluate(reranker, eval_loader)
""",
        # The train/validation loop is a closure a factory returns; called for validation, it switches
        # the captured model to eval (pytorch-original-transformer's `get_train_val_loop`).
        """
import torch
def get_loop(model, optimizer):
    def run(is_train, loader):
        if is_train:
            model.train()
        else:
            model.eval()
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            if is_train:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return run

def main(net, opt, train_loader, val_loader, epochs):
    run_loop = get_loop(net, opt)
    for epoch in range(epochs):
        run_loop(True, train_loader)
        with torch.no_grad():
            run_loop(False, val_loader)
            print(net(val_batch).argmax(-1))
""",
        # The estimator's `fit` ends every epoch with a validation in eval mode: `predict` after `fit`
        # runs in eval mode. (With the validation under `if val_loader is not None:`, it would not.)
        """
import torch
from torch import nn


class Imputer:
    def __init__(self, n_features):
        self.model = nn.Sequential(nn.Linear(n_features, 64), nn.Dropout(0.1), nn.Linear(64, n_features))
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def fit(self, train_loader, val_loader):
        for epoch in range(10):
            self.model.train()
            for x in train_loader:
                self.optimizer.zero_grad()
                ((self.model(x) - x) ** 2).mean().backward()
                self.optimizer.step()
            self.model.eval()
            with torch.no_grad():
                val_loss = sum(((self.model(x) - x) ** 2).mean().item() for x in val_loader)

    @torch.no_grad()
    def predict(self, test_loader):
        imputed = []
        for x in test_loader:
            imputed.append(self.model(x))
        return torch.cat(imputed)
""",
        # The estimator is handed its network: the users hold it too, and may switch it to eval under
        # their own name (`net.eval()`) before `predict`.
        """
import torch


class Estimator:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def fit(self, train_loader):
        self.model.train()
        for x, y in train_loader:
            self.optimizer.zero_grad()
            torch.nn.functional.mse_loss(self.model(x), y).backward()
            self.optimizer.step()

    @torch.no_grad()
    def predict(self, test_loader):
        outputs = []
        for x in test_loader:
            outputs.append(self.model(x))
        return torch.cat(outputs)
""",
        # Rainbow's agent: `train()`/`eval()` methods set the network's mode for the agent's users (noisy
        # exploration runs in training mode on purpose), so `act` is judged by nobody here.
        """
import torch
from torch import nn


class Agent:
    def __init__(self):
        self.online_net = nn.Sequential(nn.Linear(4, 64), nn.Dropout(0.1), nn.Linear(64, 2))
        self.optimiser = torch.optim.Adam(self.online_net.parameters())

    def learn(self, batch):
        self.online_net.train()
        states, targets = batch
        loss = ((self.online_net(states) - targets) ** 2).mean()
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()

    @torch.no_grad()
    def evaluate_q(self, memory):
        total = 0
        for states in memory:
            total += self.online_net(states).max(1)[0].sum().item()
        return total

    def train(self):
        self.online_net.train()

    def eval(self):
        self.online_net.eval()
""",
        # k-fold scored on its validation fold after `model.eval()`.
        """
import torch
import torch.nn as nn
from sklearn.model_selection import KFold

X, Y = torch.randn(1000, 30), torch.randint(0, 2, (1000,))
for fold, (tr, va) in enumerate(KFold(n_splits=5).split(X)):
    model = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 2))
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(10):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X[tr]), Y[tr]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(X[va]).argmax(1) == Y[va]).float().mean().item()
""",
        # Linear probing (MoCo's and SimSiam's `main_lincls.py`): every parameter but the classifier's is
        # frozen with `requires_grad = False`, the optimizer takes what still requires gradients, and
        # `model.eval()` at the top of each epoch keeps the frozen BatchNorm statistics fixed on purpose.
        """
import torch
import torchvision


def train(loader, model, criterion, optimizer):
    model.eval()
    for images, target in loader:
        loss = criterion(model(images), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main(loader, epochs):
    model = torchvision.models.resnet50()
    for name, param in model.named_parameters():
        if name not in ["fc.weight", "fc.bias"]:
            param.requires_grad = False
    parameters = list(filter(lambda p: p.requires_grad, model.parameters()))
    optimizer = torch.optim.SGD(parameters, 0.1)
    criterion = torch.nn.CrossEntropyLoss()
    for epoch in range(epochs):
        train(loader, model, criterion, optimizer)
""",
        # The epoch function's second loop runs over a parameter one of its calls fills with training data:
        # whether that loop evaluates is unknown, so nothing is reported.
        """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


def fit_one_epoch(net, optimizer, gen, genval):
    net.train()
    for iteration, batch in enumerate(gen):
        imgs, labels = batch
        loss = nn.functional.mse_loss(net(imgs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    val_loss = 0
    for iteration, batch in enumerate(genval):
        imgs, labels = batch
        with torch.no_grad():
            val_loss += nn.functional.mse_loss(net(imgs), labels).item()
    return val_loss


if __name__ == "__main__":
    model = Net()
    optimizer = torch.optim.Adam(model.parameters())
    gen, gen_val = make_loaders()
    for epoch in range(10):
        fit_one_epoch(model, optimizer, gen, gen_val)
        fit_one_epoch(model, optimizer, gen, gen)
""",
        # Linear probing: the backbone is frozen in eval mode on purpose and the optimizer is built from
        # groups a helper splits out of the head alone (`split_decay(model.fc)`): the stepped optimizer
        # does not own the whole model, nor anything a helper that reads no parameters builds.
        """
import torch
from torch import nn


def split_decay(module):
    decay = [p for n, p in module.named_parameters() if not n.endswith("bias")]
    no_decay = [p for n, p in module.named_parameters() if n.endswith("bias")]
    return [{"params": decay, "weight_decay": 1e-4}, {"params": no_decay, "weight_decay": 0.0}]


def make_groups(cfg):
    return cfg.groups


class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten())
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(self.backbone(x))


def main(loader, cfg):
    model = Probe()
    optimizer = torch.optim.SGD(split_decay(model.fc), lr=0.1)
    other = torch.optim.SGD(make_groups(cfg), lr=0.1)
    model.eval()
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        other.zero_grad()
        loss.backward()
        optimizer.step()
        other.step()
""",
        # Mode switched through pure helpers over a list of models (`set_eval([net])`, `set_train([net])`,
        # through the DDP wrapper) and through a helper that takes the mode as a string (clevr-iep's
        # `set_mode("eval", models)`): the evaluation runs in eval mode and training resumes in train mode.
        """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 2))

    def forward(self, x):
        return self.body(x)


def set_train(nets):
    for n in nets:
        n.module.train()


def set_eval(nets):
    for n in nets:
        n.module.eval()


def set_mode(mode, models):
    for m in models:
        if m is None:
            continue
        if mode == "train":
            m.train()
        if mode == "eval":
            m.eval()


def validate(net, head, loader):
    set_eval([net])
    set_mode("eval", [head, None])
    with torch.no_grad():
        hits = sum((head(net(x)).argmax(1) == y).sum().item() for x, y in loader)
    set_train([net])
    set_mode("train", [head, None])
    return hits


def main(train_loader, val_loader):
    net = nn.parallel.DistributedDataParallel(Net())
    head = Net()
    opt = torch.optim.SGD(list(net.parameters()) + list(head.parameters()), lr=0.1)
    for epoch in range(10):
        set_train([net])
        for x, y in train_loader:
            loss = nn.functional.cross_entropy(head(net(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        validate(net, head, val_loader)
""",
        # Unknown models: a model factory's tuple with two names that say network (names alone cannot tell
        # which is the network), and a tuple from a factory whose name does not say it builds a model.
        """
import torch
from utils.models import build_distill_model, build_loaders

if __name__ == "__main__":
    student_net, teacher_net = build_distill_model(configs)
    net, loader = build_loaders(configs)
    with torch.no_grad():
        for images in loader:
            save(student_net(images), teacher_net(images), net(images))
""",
        # A benchmark builds a throwaway module whose layers it cannot see (handed to `nn.Sequential`): no
        # weights, no dropout or BatchNorm in sight: its mode is unknown (fairseq's Demucs streaming check).
        """
import torch
from torch import nn


class Denoiser(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


def test():
    model = Denoiser(make_layers())
    with torch.no_grad():
        for x in clips:
            out = model(x)
            print(out.norm())
""",
        # The helper that builds the network is not run by `__init__`: when it runs is not visible. (With
        # `self.model.train()` in `fit`, the class's training method would leave it in training mode for
        # `score` whenever it was built: reported.)
        """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 1)

    def forward(self, x):
        return self.fc(nn.functional.dropout(x, p=0.5, training=self.training))


class Trainer:
    def __init__(self, args):
        self.args = args

    def setup_model(self):
        self.model = Net()

    def fit(self):
        optimizer = torch.optim.Adam(self.model.parameters())
        for x, y in self.batches:
            optimizer.zero_grad()
            nn.functional.mse_loss(self.model(x), y).backward()
            optimizer.step()

    def score(self):
        self.scores = []
        for x, y in self.testing_pairs:
            prediction = self.model(x)
            self.scores.append(nn.functional.mse_loss(prediction, y).item())
""",
        # An inference script whose network is built only from layers that ignore the mode: nothing to switch.
        """
import torch
from torch import nn


class Smoother(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.conv(x))


if __name__ == "__main__":
    net = Smoother()
    net = net.to("cuda")
    with torch.no_grad():
        for images in loader:
            save(net(images.cuda()))
""",
        # BatchNorm frozen on purpose: the model goes to eval and its head back to training mode.
        """
import torch

model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    model.eval()
    model.head.train()
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
""",
        # A frozen backbone in eval mode under a head that its own optimizer trains.
        """
import torch

backbone = Backbone()
head = Head()
optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
for epoch in range(10):
    backbone.eval()
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(head(backbone(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
""",
        # The discriminator in eval mode while the generator's optimizer steps, then back to training.
        """
import torch

netG = Gen()
netD = Disc()
optG = torch.optim.Adam(netG.parameters())
for epoch in range(10):
    for x in loader:
        netD.eval()
        loss = -netD(netG(noise())).mean()
        optG.zero_grad()
        loss.backward()
        optG.step()
        netD.train()
""",
        # A loop over data that computes statistics in train mode on purpose, with train() set inside.
        """
import torch
def update_bn(model, loader):
    model.train()
    with torch.no_grad():
        for x in loader:
            model(x)

for epoch in range(10):
    for x in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    update_bn(model, train_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # An inline test loop after eval(), and train() at the top of every epoch.
        """
import torch
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    model.eval()
    for x, y in test_loader:
        out = model(x)
class Net(torch.nn.Module):
    pass
""",
        """
import torch
def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            model(x)

def train(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()

for epoch in range(10):
    train(model, train_loader, optimizer)
    evaluate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # The toggles live in the loop, around the call.
        """
import torch
def validate(model, loader):
    with torch.no_grad():
        return sum(model(x).sum().item() for x in loader)

for epoch in range(10):
    model.train()
    for x in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    model.eval()
    validate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # Lightning toggles the mode around its hooks.
        """
import lightning as L
import torch
class Net(L.LightningModule):
    def validation_step(self, batch, batch_idx):
        x, y = batch
        with torch.no_grad():
            return self.model(x)
""",
        # A no_grad block that is not evaluation: an EMA update and a target network.
        """
import torch
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for ema_p, p in zip(ema.parameters(), model.parameters()):
            ema_p.mul_(0.999).add_(p, alpha=0.001)
        target = target_net(x)
criterion = torch.nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters())
""",
        # Evaluation in the epoch loop sets eval and the next epoch's training helper sets train.
        """
import torch
def train_epoch(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    return [model(x) for x, _ in loader]

for epoch in range(5):
    train_epoch(model, train_loader, optimizer)
    evaluate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # The caller switches its `net` (the function's `model`) to eval before calling.
        """
import torch
def evaluate(model, loader):
    with torch.no_grad():
        return [model(x) for x in loader]

def fit(model, loader, optimizer):
    for x in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()

for epoch in range(3):
    net.train()
    fit(net, train_loader, optimizer)
    net.eval()
    evaluate(net, val_loader)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
""",
        # A model loaded whole keeps the mode it was saved in.
        """
import torch
model = torch.load("model.pt")
with torch.no_grad():
    for x, y in test_loader:
        model(x)
""",
        # A pretrained Hugging Face model comes back in eval mode.
        """
import torch
from transformers import AutoModelForSequenceClassification
model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
with torch.no_grad():
    for batch in eval_dataloader:
        model(**batch)
""",
        # An evaluation function nobody in this file calls: the caller may well set the mode.
        """
import torch
def evaluate(model, loader):
    with torch.no_grad():
        return [model(x) for x in loader]
model = torch.nn.Linear(2, 2)
""",
        # A model of conv, ReLU and pixel shuffle only: train and eval mode compute the same thing.
        """
import torch
import torch.nn as nn
import torch.nn.functional as F

class Upscaler(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, factor**2, 3, padding=1)
        self.shuffle = nn.PixelShuffle(factor)

    def forward(self, x):
        return self.shuffle(self.conv2(F.relu(self.conv1(x))))

model = Upscaler(3).to("cuda")
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()
    with torch.no_grad():
        for x, y in test_loader:
            out = model(x)
""",
        # LSTM cells and a linear head, built in a base class of the file: no mode-dependent layer.
        """
import torch
import torch.nn as nn

class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(1, 16)
        self.rnn = nn.LSTM(16, 16, dropout=0.0)

class Sequence(Base):
    def __init__(self):
        super().__init__()
        self.head = nn.Sequential(nn.Linear(16, 1), nn.Tanh())

    def forward(self, x):
        h, c = self.cell(x)
        return self.head(h)

seq = Sequence()
optimizer = torch.optim.LBFGS(seq.parameters())
for step in range(15):
    optimizer.zero_grad()
    seq(data).sum().backward()
    optimizer.step()
    with torch.no_grad():
        pred = seq(test_data)
""",
        # An inline test on one held-out batch, between eval() and train() toggles.
        """
import torch
import torch.nn.functional as F
net = Classifier()
optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
for i, (x, y) in enumerate(train_loader):
    net.train()
    optimizer.zero_grad()
    F.nll_loss(net(x), y).backward()
    optimizer.step()
    if i % 10 == 0:
        net.eval()
        xt, yt = next(iter(test_loader))
        pred = net(xt)
class Classifier(torch.nn.Module):
    pass
""",
        # A block that draws a batch from the training data is not an evaluation.
        """
import torch
import torch.nn.functional as F
net = Classifier()
optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
for i, (x, y) in enumerate(train_loader):
    optimizer.zero_grad()
    F.nll_loss(net(x), y).backward()
    optimizer.step()
    if i % 10 == 0:
        xs, ys = next(iter(train_loader))
        print(net(xs).argmax(1))
class Classifier(torch.nn.Module):
    pass
""",
        # The train() in the no_grad block comes after the evaluation loop: it restores the mode.
        """
import torch
def train(model, train_loader, valid_loader, optimizer, epochs):
    for epoch in range(epochs):
        for x, y in train_loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for x, y in valid_loader:
                out = model(x)
            model.train()
""",
        # MC dropout sampling after eval(): a function named for it switches dropout back on on purpose.
        """
import torch
def mc_dropout_predict(model, test_loader, samples=20):
    model.eval()
    with torch.no_grad():
        for x in test_loader:
            model.train()
            yield torch.stack([model(x) for _ in range(samples)]).mean(0)
""",
        # MC dropout: `model.train()` inside the evaluation is deliberate.
        """
import torch
def evaluate_mc_dropout(model, loader, samples=20):
    model.train()
    with torch.no_grad():
        return [torch.stack([model(x) for _ in range(samples)]).mean(0) for x in loader]

for epoch in range(10):
    for x in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    evaluate_mc_dropout(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # One epoch function for training and evaluation that sets the mode from its flag.
        """
import torch

class Runner:
    def __init__(self, net):
        self.net = net
        self.optimizer = torch.optim.Adam(self.net.parameters())

    def epoch(self, loader, train_model):
        self.net.train(mode=train_model)
        for x, y in loader:
            loss = self.criterion(self.net(x), y)
            if train_model:
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()

    def fit(self, train_loader, valid_loader, epochs):
        for epoch in range(epochs):
            self.epoch(train_loader, train_model=True)
            with torch.no_grad():
                self.epoch(valid_loader, train_model=False)
""",
        # A per-batch step shared by training and validation that sets the mode from its flag
        # (`train(not validation)`, or `eval()` under the flag): the validation calls run in eval mode.
        """
import torch

class Trainer:
    def __init__(self, model, dl_train, dl_val):
        self.model = model
        self.dl_train, self.dl_val = dl_train, dl_val
        self.optim = torch.optim.Adam(self.model.parameters())

    def batch_step(self, data, validation=False):
        self.model.train(not validation)
        out = self.model(data)
        loss = self.loss(out, data)
        if not validation:
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()

    def batch_step_switched(self, data, validation=False):
        if validation:
            self.model.eval()
        else:
            self.model.train()
        loss = self.loss(self.model(data), data)
        if not validation:
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()

    def epoch_step(self):
        for batch in self.dl_train:
            self.batch_step(batch, validation=False)
            self.batch_step_switched(batch, validation=False)
        for batch in self.dl_val:
            self.batch_step(batch, validation=True)
            self.batch_step_switched(batch, validation=True)
""",
        # The same shared step with the flag handed on, after the trainer switched the model to eval.
        """
import torch

class Trainer:
    def __init__(self, model, optimizer, train_loader, test_loader):
        self.model, self.optimizer = model, optimizer
        self.train_loader, self.test_loader = train_loader, test_loader

    def _run_batch(self, source, targets, train=True):
        _, loss = self.model(source, targets)
        if train:
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def _run_epoch(self, loader, train=True):
        for source, targets in loader:
            self._run_batch(source, targets, train)

    def train(self, epochs):
        for epoch in range(epochs):
            self.model.train()
            self._run_epoch(self.train_loader, train=True)
            self.model.eval()
            with torch.no_grad():
                self._run_epoch(self.test_loader, train=False)
""",
        # A phase loop: each phase sets its own mode (an `if`/`else` switch, or a conditional expression).
        """
import torch
def train_model(model, criterion, optimizer, dataloaders, num_epochs):
    for epoch in range(num_epochs):
        for phase in ['train', 'val']:
            if phase == 'train':
                model.train(True)
            else:
                model.train(False)
            for inputs, labels in dataloaders[phase]:
                optimizer.zero_grad()
                if phase == 'val':
                    with torch.no_grad():
                        outputs = model(inputs)
                else:
                    outputs = model(inputs)
                loss = criterion(outputs, labels)
                if phase == 'train':
                    loss.backward()
                    optimizer.step()
""",
        """
import torch
def train_model(model, criterion, optimizer, dataloaders, num_epochs):
    for epoch in range(num_epochs):
        for phase in ['train', 'val']:
            model.train() if phase == 'train' else model.eval()
            for inputs, labels in dataloaders[phase]:
                optimizer.zero_grad()
                if phase == 'val':
                    with torch.no_grad():
                        outputs = model(inputs)
                else:
                    outputs = model(inputs)
                loss = criterion(outputs, labels)
                if phase == 'train':
                    loss.backward()
                    optimizer.step()
""",
        """
import torch
def train_model(model, criterion, optimizer, dataloaders, num_epochs):
    for epoch in range(num_epochs):
        for phase in ['train', 'val']:
            model.train(phase == 'train')
            for inputs, labels in dataloaders[phase]:
                optimizer.zero_grad()
                if phase == 'val':
                    with torch.no_grad():
                        outputs = model(inputs)
                else:
                    outputs = model(inputs)
                loss = criterion(outputs, labels)
                if phase == 'train':
                    loss.backward()
                    optimizer.step()
""",
        # Near-misses of the trainer above: a `load` method switches it to eval.
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

class Trainer:
    def __init__(self, config, model=None):
        self.model = Net()
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def load(self, path):
        self.model.load_state_dict(torch.load(path))
        self.model.eval()

    @torch.no_grad()
    def predict(self):
        for images in self.test_loader:
            preds = self.model(images)
            save(preds.argmax(1))
""",
        # Near-misses of the trainer above: the model is the caller's (its mode is theirs).
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

class Trainer:
    def __init__(self, config, model=None):
        self.model = model
        self.optimizer = torch.optim.Adam(self.model.parameters())

    @torch.no_grad()
    def predict(self):
        for images in self.test_loader:
            preds = self.model(images)
            save(preds.argmax(1))
""",
        # Near-misses of the trainer above: it is loaded whole (its mode is the saved one).
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

class Trainer:
    def __init__(self, config, model=None):
        self.model = torch.load(config.path)
        self.optimizer = torch.optim.Adam(self.model.parameters())

    @torch.no_grad()
    def predict(self):
        for images in self.test_loader:
            preds = self.model(images)
            save(preds.argmax(1))
""",
        # ... and one whose caller switches the trainer's model to eval before predicting.
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

class Trainer:
    def __init__(self):
        self.model = Net()
        self.optimizer = torch.optim.Adam(self.model.parameters())

    @torch.no_grad()
    def predict(self):
        for images in self.test_loader:
            preds = self.model(images)
            save(preds.argmax(1))

trainer = Trainer()
trainer.model.eval()
trainer.predict()
""",
        # Each round builds a new model (through a helper that assigns `self.model`) before training it:
        # the last round's `eval()` is on a module that is gone.
        """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x))


class Trainer:
    def _setup_model(self):
        self.model = Net()

    def fit_a_single_model(self):
        self._setup_model()
        optimizer = torch.optim.Adam(self.model.parameters())
        for _ in range(10):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(self.model(self.x), self.y)
            loss.backward()
            optimizer.step()

    def score_a_single_model(self):
        self.model.eval()
        return self.model(self.x).argmax(1)

    def fit(self):
        for _ in range(self.budget):
            self.fit_a_single_model()
            predictions = self.score_a_single_model()
            self.update_labels(predictions)
""",
        # d2l's evaluate_accuracy: eval, forward, train per batch for a module; the `else` branch's forward
        # (a plain function) never runs after that train().
        """
import torch
from torch import nn


def evaluate_accuracy(data_iter, net):
    acc_sum, n = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            if isinstance(net, nn.Module):
                net.eval()
                acc_sum += (net(X).argmax(dim=1) == y).float().sum().item()
                net.train()
            else:
                acc_sum += (net(X).argmax(dim=1) == y).float().sum().item()
            n += y.shape[0]
    return acc_sum / n
""",
        # A loop over evaluation callbacks (`eval_cbs`) is no loop over held-out data: each callback sets
        # the mode it evaluates in.
        """
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for batch_index, (x, y) in enumerate(train_loader):
    loss = nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    for eval_cb in eval_cbs:
        if eval_cb is not None:
            eval_cb(model, batch_index)
""",
        # A generator made of weight-normed convolutions, reflection padding and tanh (a hop length from
        # numpy): the same in both modes, so sampling it in training mode changes nothing.
        """
import numpy as np
import torch
from torch import nn
from torch.nn.utils import weight_norm


def WNConv1d(*args, **kwargs):
    return weight_norm(nn.Conv1d(*args, **kwargs))


class Generator(nn.Module):
    def __init__(self, channels):
        super().__init__()
        ratios = [8, 8, 2, 2]
        self.hop_length = np.prod(ratios)
        self.model = nn.Sequential(nn.ReflectionPad1d(3), WNConv1d(channels, 1, 7), nn.Tanh())

    def forward(self, x):
        return self.model(x)


def main():
    netG = Generator(80)
    optG = torch.optim.Adam(netG.parameters())
    for step, (mel, audio) in enumerate(train_loader):
        loss = (netG(mel) - audio).abs().mean()
        optG.zero_grad()
        loss.backward()
        optG.step()
        if step % 100 == 0:
            with torch.no_grad():
                for voc in test_mels:
                    save_sample(netG(voc))
""",
        # A vocoder whose mode changes nothing (seungwonpark/melgan): a residual stack running blocks
        # unpacked from `zip(self.blocks, self.shortcuts)`, a layer-free `Identity` with an old-style
        # `super(Identity, self)`, and an `eval(self, inference=False)` override that makes the base's switch
        # and may remove weight norm. The `eval()` the validation leaves in force is harmless.
        """
import torch
from torch import nn


class Identity(nn.Module):
    def __init__(self):
        super(Identity, self).__init__()

    def forward(self, x):
        return x


class ResStack(nn.Module):
    def __init__(self, ch):
        super(ResStack, self).__init__()
        self.blocks = nn.ModuleList([nn.Sequential(nn.LeakyReLU(0.2), nn.Conv1d(ch, ch, 3, padding=1))])
        self.shortcuts = nn.ModuleList([nn.utils.weight_norm(nn.Conv1d(ch, ch, 1))])

    def forward(self, x):
        for block, shortcut in zip(self.blocks, self.shortcuts):
            x = shortcut(x) + block(x)
        return x


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.net = nn.Sequential(ResStack(8), Identity(), nn.Tanh())

    def forward(self, mel):
        return self.net(mel)

    def eval(self, inference=False):
        super(Generator, self).eval()
        if inference:
            for layer in self.net:
                nn.utils.remove_weight_norm(layer)


def validate(model, loader):
    model.eval()
    with torch.no_grad():
        return sum((model(x) - y).abs().mean().item() for x, y in loader)


def train(loader, val_loader, epochs):
    model = Generator()
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(epochs):
        for x, y in loader:
            loss = (model(x) - y).abs().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        validate(model, val_loader)
""",
        # A shape smoke test named like a test: outputs read only for their shapes (or fed to the next
        # module of the check); the mode changes none of what it looks at.
        """
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv3d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm3d(channels)

    def forward(self, x):
        return self.bn(self.conv(x)), x


def test_all_modules():
    a = torch.rand(1, 16, 8, 8, 8)
    encoder = Block(16)
    y, skip = encoder(a)
    assert y.shape == a.shape, print(y.shape)
    decoder = Block(16)
    z, _ = decoder(y)
    print("decoder ok", z.size(), len(skip))
""",
        # The same wrapper, switched back with `train_start()` after the validation, or at every step.
        """
import torch
from evaluation import encode_data

class VSE(object):
    def __init__(self, opt):
        self.img_enc = ImageEncoder(opt)
        self.txt_enc = TextEncoder(opt)
        self.optimizer = torch.optim.Adam(self.txt_enc.parameters())

    def train_start(self):
        "Switch to train mode."
        self.img_enc.train()
        self.txt_enc.train()

    def val_start(self):
        self.img_enc.eval()
        self.txt_enc.eval()

    def train_emb(self, images, captions):
        self.optimizer.zero_grad()
        loss = self.criterion(self.img_enc(images), self.txt_enc(captions))
        loss.backward()
        self.optimizer.step()

def validate(model, val_loader):
    model.val_start()
    return encode_data(model, val_loader)

def train(opt, train_loader, model, val_loader):
    model.train_start()
    for i, (images, captions) in enumerate(train_loader):
        model.train_emb(images, captions)
        if i % opt.val_step == 0:
            validate(model, val_loader)
            model.train_start()
""",
        """
import torch
from evaluation import encode_data

class VSE(object):
    def __init__(self, opt):
        self.img_enc = ImageEncoder(opt)
        self.txt_enc = TextEncoder(opt)
        self.optimizer = torch.optim.Adam(self.txt_enc.parameters())

    def train_start(self):
        "Switch to train mode."
        self.img_enc.train()
        self.txt_enc.train()

    def val_start(self):
        self.img_enc.eval()
        self.txt_enc.eval()

    def train_emb(self, images, captions):
        self.optimizer.zero_grad()
        loss = self.criterion(self.img_enc(images), self.txt_enc(captions))
        loss.backward()
        self.optimizer.step()

def validate(model, val_loader):
    model.val_start()
    return encode_data(model, val_loader)

def train(opt, train_loader, model, val_loader):
    model.train_start()
    for i, (images, captions) in enumerate(train_loader):
        model.train_start()
        model.train_emb(images, captions)
        if i % opt.val_step == 0:
            validate(model, val_loader)
""",
        # An inference script that switches to train() for a calibration pass, then back to eval() before
        # classifying frames.
        """
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = torch.nn.Dropout(0.5)

def main():
    model = Net()
    model.train()
    calibrate_bn(model, frames)
    model.eval()
    while True:
        with torch.no_grad():
            out = model(read_frame())
        show(out)
""",
        # An inference script that sets eval() first; one that recalibrates BatchNorm statistics in training
        # mode on purpose (the outputs are discarded); one that trains at module level.
        """
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = torch.nn.Dropout(0.5)

def main():
    model = Net()
    model.eval()
    while True:
        with torch.no_grad():
            out = model.forward(read_frame())
        show(out)
""",
        """
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = torch.nn.BatchNorm1d(4)

model = Net()
model.train()
with torch.no_grad():
    for x in calibration_loader:
        model(x)
torch.save(model.state_dict(), "recalibrated.pt")
""",
        """
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = torch.nn.Dropout(0.5)

model = Net()
model.train()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    out = model(x)
    optimizer.zero_grad()
    torch.nn.functional.mse_loss(out, y).backward()
    optimizer.step()
""",
        # Training mode chosen on purpose for a pass that only runs the model, in a file that trains:
        # BatchNorm recalibration (its running statistics reset), a switch behind a debug flag, a
        # function that restores the mode it found, MC dropout sampling named for it.
        """
import torch

def update_bn(model, loader):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
    model.train()
    with torch.no_grad():
        for x, _ in loader:
            out = model(x)
    return out

def predict(model, loader, force_train=False):
    if force_train:
        model.train()
    outs = []
    with torch.no_grad():
        for x, _ in loader:
            outs.append(model(x))
    return outs

def embed(model, loader):
    was_training = model.training
    model.train()
    feats = []
    with torch.no_grad():
        for x in loader:
            feats.append(model(x))
    model.train(was_training)
    return feats

def mc_dropout_predict(model, loader):
    model.train()
    with torch.no_grad():
        for x in loader:
            yield model(x)

def fit(model, optimizer, loader):
    for x, y in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
""",
        # The same predict script, with eval() after loading the weights.
        """
import torch
import torch.nn as nn

class Completion(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 3, 3, padding=1)
        self.norm = nn.BatchNorm2d(3)

def main(args):
    model = Completion()
    model.load_state_dict(torch.load(args.model, map_location="cpu"))
    model.eval()
    with torch.no_grad():
        output = model(load_image(args.input))
        save_image(output, args.output)
""",
        # A loaded network of convolutions and ReLUs only, run once under no_grad: the mode changes nothing.
        """
import torch
import torch.nn as nn

class Upscaler(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        return self.shuffle(torch.relu(self.conv(x)))

model = Upscaler()
model.load_state_dict(torch.load("upscaler.pt"))
with torch.no_grad():
    out = model(load_image("in.png"))
""",
        # No_grad blocks in the step loop that draw their batch from the training set, or only name a
        # folder "test": no evaluation.
        """
import os
import torch

optimizer = torch.optim.Adadelta(model.parameters())
for step, x in enumerate(train_loader):
    completion_loss(model(x), x).backward()
    optimizer.step()
    optimizer.zero_grad()
    if step % 1000 == 0:
        with torch.no_grad():
            x = sample_random_batch(train_dset, batch_size=16)
            save_images(model(x), step)
        with torch.no_grad():
            folder = os.path.join(out_dir, "test")
            save_images(model(x), folder)
""",
        # Both networks switched to eval; and an eval() of a model says nothing against running its own
        # submodule (`model.encoder`) or a network the caller hands in twice.
        """
import torch

@torch.no_grad()
def test(model, predictor, data, edges):
    model.eval()
    predictor.eval()
    h = model.encoder(data.x)
    return [predictor(h[e[0]], h[e[1]]) for e in edges]

@torch.no_grad()
def score(model, head, data):
    model.eval()
    return head(model(data))

for epoch in range(100):
    model.train()
    for x in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    test(model, predictor, data, edges)
    score(model, model.head, data)
optimizer = torch.optim.Adam(model.parameters())
""",
        # A synthesizer that switches its generator to eval before sampling; an agent whose action sampling
        # is part of its training rollout; a generator of linear layers and ReLUs only.
        """
import torch
import torch.nn as nn

class Generator(nn.Module):
    def __init__(self, noise_dim, data_dim):
        super().__init__()
        self.seq = nn.Sequential(nn.Linear(noise_dim, 128), nn.BatchNorm1d(128), nn.Linear(128, data_dim))

    def forward(self, z):
        return self.seq(z)

class PlainGenerator(nn.Module):
    def __init__(self, noise_dim, data_dim):
        super().__init__()
        self.seq = nn.Sequential(nn.Linear(noise_dim, 128), nn.ReLU(), nn.Linear(128, data_dim))

    def forward(self, z):
        return self.seq(z)

class GANSynthesizer:
    def fit(self, data):
        self.generator = Generator(64, data.shape[1])
        self.plain = PlainGenerator(64, data.shape[1])
        optimizer = torch.optim.Adam([*self.generator.parameters(), *self.plain.parameters()])
        for batch in make_batches(data):
            optimizer.zero_grad()
            adversarial_loss(self.generator(torch.randn(len(batch), 64)), batch).backward()
            optimizer.step()

    def sample(self, n):
        self.generator.eval()
        return self.generator(torch.randn(n, 64)).detach()

    def sample_plain(self, n):
        return self.plain(torch.randn(n, 64)).detach()

class Agent:
    def __init__(self):
        self.actor = Generator(8, 2)
        self.optimizer = torch.optim.Adam(self.actor.parameters())

    def sample_action(self, obs):
        return self.actor(obs).argmax()

    def train(self, env, steps):
        for step in range(steps):
            action = self.sample_action(env.observation())
            self.optimizer.zero_grad()
            policy_loss(self.actor, env.step(action)).backward()
            self.optimizer.step()
""",
        # A PixelCNN whose forward runs the gated conv blocks of its own ModuleList in a loop: no dropout or
        # BatchNorm anywhere, so its validation without eval() is not wrong.
        """
import torch
import torch.nn as nn

class Gated(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv = nn.Conv2d(dim, 2 * dim, 3, padding=1)

    def forward(self, x):
        a, b = self.conv(x).chunk(2, dim=1)
        return torch.tanh(a) * torch.sigmoid(b)

class PixelCNN(nn.Module):
    def __init__(self, dim, n_layers):
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(n_layers):
            self.layers.append(Gated(dim))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

def validate(model, loader):
    with torch.no_grad():
        return sum(model(x).mean().item() for x in loader)

model = PixelCNN(64, 15)
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(10):
    for x in train_loader:
        optimizer.zero_grad()
        model(x).mean().backward()
        optimizer.step()
    validate(model, val_loader)
""",
        # A from-scratch transformer encoder (HuangHaoyu1997/DeepSymbolic test.py): its blocks run modules
        # built in place (`nn.Softmax(dim=-1)(scores)`, `nn.ReLU()(h)`), its layer is made of two project
        # blocks only, and none holds dropout or BatchNorm; the test helper called every 100 steps switches
        # it to eval and training goes on without train(), which changes nothing in this model.
        """
import torch
import torch.nn as nn

class Attention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        weights = nn.Softmax(dim=-1)(q @ k.transpose(1, 2))
        return self.norm(x + weights @ v)

class FeedForward(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.up = nn.Linear(dim, 4 * dim)
        self.down = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return x + self.down(nn.ReLU()(self.up(x)))

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.attention = Attention(dim)
        self.feed_forward = FeedForward(dim)

    def forward(self, x):
        return self.feed_forward(self.attention(x))

class Encoder(nn.Module):
    def __init__(self, dim, n_classes, depth):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x.mean(dim=1))

def test(model, samples):
    model.eval()
    errors = 0
    with torch.no_grad():
        for x, y in samples:
            errors += int(model(x).argmax() != y)
    print(errors / len(samples))

encoder = Encoder(32, 2, 4)
optimizer = torch.optim.Adam(encoder.parameters())
for step, (x, y) in enumerate(train_samples):
    optimizer.zero_grad()
    nn.functional.cross_entropy(encoder(x), y).backward()
    optimizer.step()
    if step % 100 == 0:
        test(encoder, test_samples)
""",
        # A tutorial's MLP: Linear and ReLU layers appended to a list in a loop, unpacked into a Sequential,
        # evaluated under no_grad without eval(): it has no dropout or BatchNorm, so no mode to be wrong in.
        """
import torch
import torch.nn as nn

layers = [nn.Flatten()]
size = 784
for hidden in [32, 16]:
    layer = nn.Linear(size, hidden)
    layers.append(layer)
    layers.append(nn.ReLU())
    size = hidden
layers.append(nn.Linear(size, 10))
model = nn.Sequential(*layers)
optimizer = torch.optim.Adam(model.parameters())
for x, y in train_loader:
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
with torch.no_grad():
    print((model(x_test).argmax(1) == y_test).float().mean())
""",
        # A replay buffer's `sample(batch_size)` draws indices into its own storage and passes the batch
        # through an augmentation it holds (DrQ): a training batch handed out, not generation.
        """
import numpy as np
import torch
import torch.nn as nn

class ReplayBuffer:
    def __init__(self, obs_shape, capacity, pad):
        self.augment = nn.Sequential(nn.ReplicationPad2d(pad), nn.Dropout(0.1))
        self.obses = np.empty((capacity, *obs_shape), dtype=np.uint8)
        self.size = 0

    def sample(self, batch_size):
        idxs = np.random.randint(0, self.size, size=batch_size)
        obses = torch.as_tensor(self.obses[idxs]).float()
        return self.augment(obses)
""",
        # The LSTM tutorial's network: a stacked LSTM with the default `dropout=0` (its arguments given by
        # position), an initial state built by `torch.zeros(...).to(device)`, and a linear head.
        """
import torch
import torch.nn as nn

class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(RNN, self).__init__()
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        out, _ = self.lstm(x, (h0, c0))
        return self.fc(out[:, -1, :])

model = RNN(28, 128, 2, 10)
optimizer = torch.optim.Adam(model.parameters())
for images, labels in train_loader:
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(images), labels).backward()
    optimizer.step()
with torch.no_grad():
    for images, labels in test_loader:
        outputs = model(images)
""",
        # The model's own inference method switches it to eval mode before its forward.
        """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))

    def infer(self, x):
        self.eval()
        return self.forward(x).argmax(-1)


def evaluate(model, loader):
    with torch.no_grad():
        for x, y in loader:
            pred = model.infer(x)


def main():
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        model.train()
        for x, y in train_loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        evaluate(model, val_loader)
""",
        # An agent's action selection, shared by training and testing, switches to eval only under
        # `if self.is_test:` (rainbow-is-all-you-need's spelling): the flag, set by `test()`, decides.
        """
import torch


class QNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.1), torch.nn.Linear(8, 2))

    def forward(self, x):
        return self.layers(x)

    def log_dist(self, x):
        return torch.log_softmax(self.layers(x), dim=-1)


class Agent:
    def __init__(self, env):
        self.env = env
        self.dqn = QNet()
        self.optimizer = torch.optim.Adam(self.dqn.parameters())
        self.is_test = False

    def select_action(self, state):
        if self.is_test:
            self.dqn.eval()
        return self.dqn(state).argmax()

    def train(self, frames):
        state = self.env.reset()
        for frame in range(frames):
            action = self.select_action(state)
            state = self.env.step(action)
            with torch.no_grad():
                target = self.dqn(state).argmax(1)
            loss = -self.dqn.log_dist(state)[:, target].mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def test(self):
        self.is_test = True
        state, done = self.env.reset(), False
        while not done:
            state, done = self.env.step(self.select_action(state))
""",
        # The evaluation runs a loss module the caller built from a project class (`criterion =
        # Tacotron2Loss()`): a loss has no mode to set, so `model.eval()` covers the evaluation.
        """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))


class PairLoss(nn.Module):
    def forward(self, pred, target):
        return nn.MSELoss()(pred, target)


def validate(model, criterion, loader):
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            loss = criterion(model(x), y)
            print(loss.item())
    model.train()


def main():
    model = Net()
    criterion = PairLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        validate(model, criterion, val_loader)
""",
        # The unpickled module switched to eval; and a `torch.load` result that is never switched (a state
        # dict, or anything else) is no model.
        """
import torch

model = torch.load("model.pt", map_location="cpu")
model.eval()
with torch.no_grad():
    for x, y in test_loader:
        out = model(x)
        print((out.argmax(1) == y).float().mean())
""",
        """
import torch

state = torch.load("model.pt", map_location="cpu")
with torch.no_grad():
    for x, y in test_loader:
        out = state(x)
        print(out)
""",
        # The same evaluation with the mode switched around it.
        """
import torch
from torch import nn


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(8, 8)

    def forward(self, x, y):
        logits = self.head(self.drop(x))
        return logits, nn.functional.mse_loss(logits, y)


model = GPT()
optimizer = torch.optim.AdamW(model.parameters())


@torch.no_grad()
def estimate_loss():
    out = {}
    model.eval()
    for split in ["train", "val"]:
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(split)
            logits, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean()
    model.train()
    return out


for it in range(max_iters):
    if it % eval_interval == 0:
        print(estimate_loss())
    X, Y = get_batch("train")
    logits, loss = model(X, Y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
""",
        # A model's inference method whose caller switches the model to eval first: the caller decides.
        """
import torch
from torch import nn


class Recommender(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.emb = nn.Embedding(n, dim)
        self.drop = nn.Dropout(0.2)

    def forward(self, ids):
        return self.drop(self.emb(ids)).sum(-1)

    def predict(self, ids):
        with torch.no_grad():
            return self.forward(ids)


def score(model, batches):
    model.eval()
    return [model.predict(ids) for ids in batches]
""",
        # An inference method its own class calls (from `forward` or a training step) runs in its caller's
        # mode, and one of a class whose layers ignore the mode changes nothing.
        """
import torch
from torch import nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x)) + self.prior(x)

    def prior(self, x):
        with torch.no_grad():
            return self.forward(x.detach()).mean()


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)

    def predict(self, x):
        with torch.no_grad():
            return self(x).argmax(-1)


def run(model, rows):
    return [model.predict(x) for x in rows]
""",
        # A greedy decoding helper the training loop calls after switching the model to eval.
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


def train(model, loader, optimizer, epochs):
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            model(x, y).backward()
            optimizer.step()
        model.eval()
        print(predict_seq(model, x, 10))
""",
        # The model's own `generate` switches it to eval first (RTVC/WaveRNN vocoders; the parameter's
        # annotation names the class): calling it is an evaluation in eval mode.
        """
import torch
from torch import nn


class Vocoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 8, batch_first=True)
        self.drop = nn.Dropout(0.1)
        self.out = nn.Linear(8, 1)

    def forward(self, mel):
        return self.out(self.drop(self.rnn(mel)[0]))

    def generate(self, mel):
        self.eval()
        with torch.no_grad():
            return self.out(self.rnn(mel)[0])


def gen_testset(model: Vocoder, test_set):
    for mel in test_set:
        wav = model.generate(mel)
        print(wav.shape)


def train(model, loader, test_set, optimizer):
    for step, (mel, wav) in enumerate(loader):
        model.train()
        loss = (model(mel) - wav).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 1000 == 0:
            gen_testset(model, test_set)
""",
        # An inference script whose model is switched by the chain that builds it (`Net().to(device).eval()`,
        # `model.cuda().train(False)`): the chain gives back the module it switched.
        """
import sys
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Linear(8, 2))

    def forward(self, x):
        return self.body(x)


model = Net().to("cpu").eval()
model.load_state_dict(torch.load(sys.argv[1]))
with torch.no_grad():
    for x in torch.load(sys.argv[2]):
        print(model(x).argmax(1))

encoder = Net()
encoder.load_state_dict(torch.load(sys.argv[1]))
encoder = encoder.cuda().train(False)
with torch.no_grad():
    for x in torch.load(sys.argv[2]):
        print(encoder(x.cuda()).argmax(1))
""",
        # Step-level validation through `accelerator.unwrap_model(...)` that switches back to train() itself.
        """
import torch


class Trainer:
    def __init__(self, model, optimizer, accelerator, eval_steps):
        self.model = model
        self.optimizer = optimizer
        self.accelerator = accelerator
        self.eval_steps = eval_steps

    @torch.no_grad()
    def _validate(self, valid_loader):
        self.model.eval()
        for batch in valid_loader:
            self.accelerator.unwrap_model(self.model).generate(batch["input_ids"])
        self.model.train()

    def _train_epoch(self, train_loader, valid_loader):
        self.model.train()
        for step, batch in enumerate(train_loader):
            loss = self.model(**batch).loss
            self.optimizer.zero_grad()
            self.accelerator.backward(loss)
            self.optimizer.step()
            if step % self.eval_steps == 0:
                self._validate(valid_loader)
""",
        # yl4579/StyleTTS2 train_finetune.py: the networks live in a dict built elsewhere; every epoch
        # switches all its entries to eval by a computed key, puts some back in training, trains, and
        # switches all entries to eval again before validating. Which entry `model[key]` is cannot be
        # named, so the training switch of `model.text_encoder` is no longer known to be in force.
        """
import torch

from models import build_model


def main(train_loader, val_loader):
    model = build_model()
    optimizer = torch.optim.Adam(model.text_encoder.parameters())
    for epoch in range(10):
        _ = [model[key].eval() for key in model]
        model.text_encoder.train()
        for batch in train_loader:
            loss = model.text_encoder(batch).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        _ = [model[key].eval() for key in model]
        with torch.no_grad():
            for batch in val_loader:
                out = model.text_encoder(batch)
""",
        # yl4579/StyleTTS2 train_first.py: the validation loss is a project loss module
        # (`MultiResolutionSTFTLoss().to(device)`) that nothing switches; its mode is not the evaluation's
        # concern, only the network's, which is in eval.
        """
import torch
from torch import nn


class BandLoss(nn.Module):
    def __init__(self, sizes=(512, 1024)):
        super().__init__()
        self.bands = nn.ModuleList()
        for size in sizes:
            self.bands += [nn.Conv1d(1, 1, size)]

    def forward(self, x, y):
        return sum((band(x) - band(y)).abs().mean() for band in self.bands)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(self.drop(x))


def main(loader, val_loader, epochs):
    net = Net().cuda()
    band_loss = BandLoss().cuda()
    opt = torch.optim.Adam(net.parameters())
    for epoch in range(epochs):
        net.train()
        for x, y in loader:
            loss = band_loss(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            total = 0.0
            for x, y in val_loader:
                total += band_loss(net(x), y).item()
        print(total)
""",
        # A script's batch-by-batch scoring (`range(0, len(texts), batch_size)`) with a classifier from
        # `from_pretrained(...).to(device)`: `from_pretrained` hands the model back in eval mode, and the
        # `.to` after it changes nothing (EasyEdit's safety evaluation).
        """
import torch
from transformers import RobertaForSequenceClassification


def predict(sequences, model, tokenizer, batch_size=100):
    labels = []
    for i in range(0, len(sequences), batch_size):
        inputs = tokenizer(sequences[i : i + batch_size], return_tensors="pt")
        with torch.no_grad():
            labels += model(**inputs).logits.argmax(-1).tolist()
    return labels


if __name__ == "__main__":
    classifier = RobertaForSequenceClassification.from_pretrained("roberta").to("cuda")
    print(predict(["a", "b"], classifier, tokenizer))
""",
        # A retriever holds an encoder object of a plain project class whose `__init__` switches the network
        # it loads to eval (verl's dense retriever): the object is no new module left in training mode.
        """
import torch
from transformers import AutoModel


def load_model(path):
    model = AutoModel.from_pretrained(path)
    model.eval()
    return model


class Encoder:
    def __init__(self, path):
        self.model = load_model(path)
        self.model.eval()

    @torch.no_grad()
    def encode(self, texts):
        return self.model(**tokenize(texts)).pooler_output


class Retriever:
    def __init__(self, path, batch_size):
        self.encoder = Encoder(path)
        self.batch_size = batch_size

    def _batch_search(self, queries):
        found = []
        for start in range(0, len(queries), self.batch_size):
            found.append(self.encoder.encode(queries[start : start + self.batch_size]))
        return found

    def batch_search(self, queries):
        return self._batch_search(queries)
""",
        # The layer the class runs is a plain `nn.Linear`, which the mode changes nothing in; a subclass
        # keeps another object's layer under the same attribute name (`self.linear = base.linear`), which
        # says nothing of this class's own (NVIDIA/NVFlare research/fed-bpt LMForwardAPI.py).
        """
import torch

from models import PromptedLM


class PromptAPI:
    def __init__(self, name, dim, size):
        self.model = PromptedLM.from_pretrained(name)
        self.model.eval()
        self.linear = torch.nn.Linear(dim, size, bias=False)
        for p in self.linear.parameters():
            torch.nn.init.normal_(p, 0.0, 0.02)

    def eval(self, prompt_embedding, dev_data):
        pe_list = []
        for pe in prompt_embedding:
            z = torch.tensor(pe).float()
            z = self.linear(z)
            pe_list.append(z.repeat(len(dev_data), 1, 1))
        self.model.set_prompt_embedding(torch.cat(pe_list))
        with torch.no_grad():
            logits = self.model(input_ids=dev_data["input_ids"])["logits"]
        return logits.argmax(-1)


class ClientPromptAPI(PromptAPI):
    def __init__(self, base):
        self.model = base.model
        self.linear = base.linear
""",
        # bubbliiiing's YOLO `fit_one_epoch`: validation runs the EMA copy (built in eval mode by its
        # class) or the trained model switched by `model_train.eval()`; either way no new module.
        """
import torch


def fit_one_epoch(model_train, ema, yolo_loss, optimizer, gen, gen_val):
    model_train.train()
    for images, targets in gen:
        optimizer.zero_grad()
        loss = yolo_loss(model_train(images), targets)
        loss.backward()
        optimizer.step()
        if ema:
            ema.update(model_train)

    if ema:
        model_train_eval = ema.ema
    else:
        model_train_eval = model_train.eval()

    for images, targets in gen_val:
        with torch.no_grad():
            outputs = model_train_eval(images)
            loss = yolo_loss(outputs, targets)
""",
        # huanghoujing's reid `validate()`: the feature extractor object keeps the model, and its
        # `__call__`-like method switches it to eval itself; building it runs nothing.
        """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))


class Evaluator:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader

    def run(self):
        self.model.eval()
        with torch.no_grad():
            return [self.model(x) for x in self.loader]


def train(loader, val_loader):
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        model.train()
        for x, y in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        print(validate(model, val_loader))


def validate(model, val_loader):
    evaluator = Evaluator(model, val_loader)
    return evaluator.run()
""",
        # A Lightning callback's hook runs the module inside the trainer's validation loop, which switched it
        # to eval: a project LightningModule handed to a hook is in eval mode though no project code says so.
        """
import pytorch_lightning as pl
import torch
from torch import nn


class Forecaster(pl.LightningModule):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, 64), nn.Dropout(0.1), nn.Linear(64, n_out))

    def forward(self, x):
        return self.net(x)


class PlotPredictions(pl.Callback):
    def __init__(self, batch_size=32):
        self.batch_size = batch_size

    def on_validation_epoch_end(self, trainer, pl_module: Forecaster):
        x = trainer.datamodule.val_inputs
        with torch.no_grad():
            for i in range(0, len(x), self.batch_size):
                pl_module(x[i : i + self.batch_size])
""",
        # Lightning's `freeze()` switches a module loaded from a checkpoint to eval (it calls `self.eval()`).
        """
import torch

from models import SpeechModel


def main(checkpoint, test_loader):
    model = SpeechModel.load_from_checkpoint(checkpoint).to("cuda")
    model.freeze()
    with torch.no_grad():
        for inputs, targets in test_loader:
            outputs = model(inputs.to("cuda"))
            print((outputs.argmax(-1) == targets).float().mean())
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # marugoto's feature extraction: a loader built over each slide's tiles and the model it is handed
        # run over it, a loop over data; the caller hands it a ResNet it built and loaded, in training mode.
        Invalid(
            """
import torch
import torchvision
from torch.utils.data import DataLoader

from data import SlideTiles


def extract_features(model, slide_dirs, outdir):
    for slide_dir in slide_dirs:
        tiles = SlideTiles(slide_dir)
        loader = DataLoader(tiles, batch_size=64, shuffle=False)
        feats = []
        for batch in loader:
            feats.append(model(batch).cpu().detach())
        torch.save(torch.cat(feats), outdir / f"{slide_dir.name}.pt")


def main(checkpoint, slide_dirs, outdir):
    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(checkpoint))
    extract_features(model, slide_dirs, outdir)
""",
            line=15,
        ),
        # news-recommendation's periodic validation: on the path where the conditional hands over `model`,
        # the evaluation runs it in the training mode the epoch left.
        Invalid(
            """
import torch
from torch import nn
from evaluate import evaluate

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))

def main(loader, val_loader, epochs, single):
    model = Net()
    models = [Net(), Net()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        with torch.no_grad():
            print(evaluate(model if single else models[0], val_loader))
""",
            line=25,
        ),
        # The near miss of huanghoujing's feature extractor: the object's method never switches the model,
        # and nobody else does: the evaluation runs in the training mode the epoch left.
        Invalid(
            """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))


class Evaluator:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader

    def run(self):

        with torch.no_grad():
            return [self.model(x) for x in self.loader]


def train(loader, val_loader):
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        model.train()
        for x, y in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        print(validate(model, val_loader))


def validate(model, val_loader):
    evaluator = Evaluator(model, val_loader)
    return evaluator.run()
""",
            line=40,
        ),
        # The near miss of bubbliiiing's fit loop: both branches hand back the trained model itself
        # (`half()`, `float()`), still in the training mode its loop left: the validation runs in it.
        Invalid(
            """
import torch


def fit_one_epoch(model_train, loss_fn, optimizer, gen, gen_val, fp16):
    model_train.train()
    for images, targets in gen:
        optimizer.zero_grad()
        loss = loss_fn(model_train(images), targets)
        loss.backward()
        optimizer.step()

    if fp16:
        model_eval = model_train.half()
    else:
        model_eval = model_train.float()

    for images, targets in gen_val:
        with torch.no_grad():
            outputs = model_eval(images)
            loss = loss_fn(outputs, targets)
""",
            line=18,
        ),
        # emmental's learner: the optimizer is built over the model's parameters in a helper that keeps it
        # on the learner, and the logging helper called after every step switches to eval for good.
        Invalid(
            """
import torch.nn.functional as F
import torch.optim as optim


class Learner:
    def _set_optimizer(self, model, name):
        parameters = filter(lambda p: p.requires_grad, model.parameters())
        if name == "sgd":
            optimizer = optim.SGD(parameters, lr=0.1)
        else:
            optimizer = optim.Adam(parameters, lr=0.001)
        self.optimizer = optimizer

    def _logging(self, model, dataloaders):
        model.eval()
        if self.due():
            return model.score(dataloaders)

    def learn(self, model, loader, dataloaders):
        self._set_optimizer(model, "adam")
        model.train()
        for epoch in range(10):
            for x, y in loader:
                self.optimizer.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                self.optimizer.step()
                self._logging(model, dataloaders)
""",
            line=16,
        ),
        # NASLib's `Trainer.evaluate()` retrains the best architecture: `train()` once for training, then
        # every epoch validates over `valid_queue` with dropout and BatchNorm still in training mode.
        Invalid(
            """
import torch
from torch import nn


class Trainer:
    def __init__(self, train_queue, valid_queue, epochs):
        self.train_queue = train_queue
        self.valid_queue = valid_queue
        self.epochs = epochs

    def evaluate(self, best_arch):
        best_arch.train()
        optim = torch.optim.SGD(best_arch.parameters(), lr=0.025)
        loss = nn.CrossEntropyLoss()
        for epoch in range(self.epochs):
            for x, y in self.train_queue:
                optim.zero_grad()
                loss(best_arch(x), y).backward()
                optim.step()
            for x, y in self.valid_queue:
                with torch.no_grad():
                    logits = best_arch(x)
                print((logits.argmax(1) == y).float().mean())
""",
            line=21,
        ),
        # flow-forecast's DA-RNN `predict(encoder: torch.nn.Module, ...)`: a module-level helper runs the
        # network its annotation names over batches; the script loads a freshly built one (dropout inside)
        # and hands it over with the other arguments in `**kwargs`, never switching it to eval.
        Invalid(
            """
import numpy as np
import torch
from torch import nn


class Decoder(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dropout = nn.Dropout(0.01)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc(self.dropout(x))


def predict(decoder: nn.Module, data, batch_size):
    y_pred = np.zeros(len(data))
    with torch.no_grad():
        for start in range(0, len(data), batch_size):
            batch = torch.as_tensor(data[start : start + batch_size])
            y_pred[start : start + batch_size] = decoder(batch).squeeze(1).numpy()
    return y_pred


dec = Decoder(16)
dec.load_state_dict(torch.load("decoder.torch"))
kwargs = dict(batch_size=4)
final = predict(dec, np.zeros((8, 16), dtype=np.float32), **kwargs)
""",
            line=19,
        ),
        # PFLlib's clientKD: the client's model and its distillation partner are two deep copies; the
        # metrics switch only the first to eval and run the partner's backbone and head in training mode.
        Invalid(
            """
import copy

import torch
from torch import nn


class Client:
    def __init__(self, model, loader, lr):
        self.model = copy.deepcopy(model)
        self.partner = copy.deepcopy(model)
        self.loader = loader
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.partner_optimizer = torch.optim.SGD(self.partner.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    def train(self):
        self.model.train()
        self.partner.train()
        for x, y in self.loader:
            loss = self.criterion(self.model(x), y) + self.criterion(self.partner(x), y)
            self.optimizer.zero_grad()
            self.partner_optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.partner_optimizer.step()

    def train_metrics(self):
        self.model.eval()
        total = 0.0
        with torch.no_grad():
            for x, y in self.loader:
                rep = self.partner.backbone(x)
                total += (self.criterion(self.model(x), y) + self.criterion(self.partner.head(rep), y)).item()
        return total
""",
            line=31,
        ),
        # PyPOTS: the estimator's `fit` trains its network and switches it to eval only for an optional
        # validation set; `predict` runs it under no_grad with no switch of its own, so after
        # `fit(train_loader)` the predictions are made with dropout on (reported at the forward).
        Invalid(
            """
import torch
from torch import nn


class Imputer:
    def __init__(self, n_features):
        self.model = nn.Sequential(nn.Linear(n_features, 64), nn.Dropout(0.1), nn.Linear(64, n_features))
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def fit(self, train_loader, val_loader=None):
        for epoch in range(10):
            self.model.train()
            for x in train_loader:
                self.optimizer.zero_grad()
                ((self.model(x) - x) ** 2).mean().backward()
                self.optimizer.step()
            if val_loader is not None:
                self.model.eval()
                with torch.no_grad():
                    val_loss = sum(((self.model(x) - x) ** 2).mean().item() for x in val_loader)

    @torch.no_grad()
    def predict(self, test_loader):
        imputed = []
        for x in test_loader:
            imputed.append(self.model(x))
        return torch.cat(imputed)
""",
            line=27,
        ),
        # k-fold: each fold trains a fresh model, then scores it under `no_grad` on the rows its
        # validation indices pick (`X[val_idx]`), still in training mode (dropout on).
        Invalid(
            """
import torch
import torch.nn as nn
from sklearn.model_selection import KFold

X, Y = torch.randn(1000, 30), torch.randint(0, 2, (1000,))
for fold, (trn_idx, val_idx) in enumerate(KFold(n_splits=5).split(X)):
    model = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 2))
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(10):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X[trn_idx]), Y[trn_idx]).backward()
        opt.step()
    with torch.no_grad():
        acc = (model(X[val_idx]).argmax(1) == Y[val_idx]).float().mean().item()
""",
            line=14,
        ),
        # The detection/segmentation template (bubbliiiing's `fit_one_epoch(net, ..., gen, genval)`): the
        # epoch function trains, then loops over a parameter that every call fills with the validation
        # loader, opening `no_grad` per batch and never calling `eval()`. Reported at the loop, where
        # `net.eval()` goes (the per-batch block is a related location).
        Invalid(
            """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


def fit_one_epoch(net, optimizer, gen, genval):
    net.train()
    for iteration, batch in enumerate(gen):
        imgs, labels = batch
        loss = nn.functional.mse_loss(net(imgs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    val_loss = 0
    for iteration, batch in enumerate(genval):
        imgs, labels = batch
        with torch.no_grad():
            val_loss += nn.functional.mse_loss(net(imgs), labels).item()
    return val_loss


if __name__ == "__main__":
    model = Net()
    optimizer = torch.optim.Adam(model.parameters())
    gen, gen_val = make_loaders()
    for epoch in range(10):
        fit_one_epoch(model, optimizer, gen, gen_val)
""",
            line=24,
        ),
        # The 2022 template's epoch function of another module takes the wrapped model under a name no
        # convention gives (`model_train`): switched to training and run on the batches, it is a model.
        Invalid(
            """
import torch
from torch import nn


def fit_one_epoch(model_train, model, optimizer, gen, gen_val):
    model_train.train()
    for images, targets in gen:
        loss = nn.CrossEntropyLoss()(model_train(images), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    val_loss = 0
    for images, targets in gen_val:
        with torch.no_grad():
            val_loss += nn.CrossEntropyLoss()(model_train(images), targets).item()
    torch.save(model.state_dict(), "last.pth")
""",
            line=14,
        ),
        # The optimizer is built from parameter groups a project helper splits out of the backbone (no
        # weight decay for BatchNorm, face.evoLVe's `separate_irse_bn_paras(BACKBONE)`); an `eval()` left
        # at the top of each epoch then spoils training. Only the step of an optimizer that owns the
        # backbone shows it is trained (a frozen backbone in eval mode is deliberate).
        Invalid(
            """
import torch
from torch import nn


def split_bn_params(module):
    only_bn, without_bn = [], []
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm2d):
            only_bn.extend(layer.parameters(recurse=False))
        else:
            without_bn.extend(layer.parameters(recurse=False))
    return only_bn, without_bn


if __name__ == "__main__":
    backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten())
    only_bn, without_bn = split_bn_params(backbone)
    optimizer = torch.optim.SGD([{"params": without_bn, "weight_decay": 5e-4}, {"params": only_bn}], lr=0.1)
    for epoch in range(10):
        backbone.eval()
        for images, labels in train_loader:
            loss = backbone(images).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
""",
            line=21,
        ),
        # clevr-iep's `check_accuracy`, run every few steps of training, switches the models through
        # `set_mode(mode, models)` and ends with "eval" where "train" was meant: the rest of training
        # runs with dropout off (reported at that call).
        Invalid(
            """
import torch
from torch import nn


def set_mode(mode, models):
    for m in models:
        if mode == "train":
            m.train()
        if mode == "eval":
            m.eval()


def check_accuracy(model, baseline, loader):
    set_mode("eval", [model, baseline])
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    set_mode("eval", [model, baseline])
    return correct


def train_loop(train_loader, val_loader):
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    baseline = None
    optimizer = torch.optim.Adam(model.parameters())
    set_mode("train", [model, baseline])
    for t, (x, y) in enumerate(train_loader):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if t % 100 == 0:
            print(check_accuracy(model, baseline, val_loader))
""",
            line=20,
        ),
        # The trainer builds its network in a helper its `__init__` calls (SimGNN's `setup_model`), and
        # nothing ever switches it to eval: its scoring method runs it with dropout on.
        Invalid(
            """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 1)

    def forward(self, x):
        return self.fc(nn.functional.dropout(x, p=0.5, training=self.training))


class Trainer:
    def __init__(self, args):
        self.args = args
        self.setup_model()

    def setup_model(self):
        self.model = Net()

    def fit(self):
        optimizer = torch.optim.Adam(self.model.parameters())
        self.model.train()
        for x, y in self.batches:
            optimizer.zero_grad()
            nn.functional.mse_loss(self.model(x), y).backward()
            optimizer.step()

    def score(self):
        self.scores = []
        for x, y in self.testing_pairs:
            prediction = self.model(x)
            self.scores.append(nn.functional.mse_loss(prediction, y).item())
""",
            line=34,
        ),
        # An inference script that builds a BatchNorm network and never switches it to eval: it runs in
        # training mode (no weights loaded, no mode set anywhere).
        Invalid(
            """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))


if __name__ == "__main__":
    net = Net()
    net = net.to("cuda")
    with torch.no_grad():
        for images in loader:
            save(net(images.cuda()))
""",
            line=19,
        ),
        # The network comes from a project factory, the weights from a loading helper given the network
        # (pytorch-auto-drive's visualisation scripts); `optimizer=None` says nothing is trained.
        Invalid(
            """
import torch
from utils.models import build_lane_detection_model
from utils.checkpoints import load_checkpoint

if __name__ == "__main__":
    net = build_lane_detection_model(args, num_classes)
    net = net.to(device)
    load_checkpoint(net=net, optimizer=None, lr_scheduler=None, filename=args.continue_from)
    loader = torch.utils.data.DataLoader(dataset, batch_size=8)
    with torch.no_grad():
        for images, filenames in loader:
            labels = net(images.to(device))["out"]
            save_images(labels, filenames)
""",
            line=11,
        ),
        # The factory returns a tuple; the unpacked name that says network is the model (the sibling
        # segmentation script of pytorch-auto-drive).
        Invalid(
            """
import torch
from utils.models import build_segmentation_model

if __name__ == "__main__":
    net, city_aug, _, weights = build_segmentation_model(configs, args, num_classes)
    net = net.to(device)
    load_checkpoint(net=net, optimizer=None, lr_scheduler=None, filename=args.continue_from)
    with torch.no_grad():
        for images, filenames in loader:
            save_images(net(images.to(device))["out"], filenames)
""",
            line=9,
        ),
        # `eval()` at the top of the training epoch, right before the batch loop that steps the model
        # (awesome-semantic-segmentation-pytorch's trainer): the model trains in eval mode.
        Invalid(
            """
import torch


class Trainer:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def train(self, epochs):
        for epoch in range(epochs):
            self.model.eval()
            for images, targets in self.loader:
                loss = torch.nn.functional.cross_entropy(self.model(images), targets)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
""",
            line=13,
        ),
        # A phase loop whose other branch does not set training mode: the next train phase runs in eval.
        Invalid(
            """
import torch
def train_model(model, criterion, optimizer, scheduler, dataloaders, num_epochs):
    for epoch in range(num_epochs):
        for phase in ['train', 'val']:
            if phase == 'train':
                scheduler.step()
            else:
                model.train(False)
            for inputs, labels in dataloaders[phase]:
                optimizer.zero_grad()
                if phase == 'val':
                    with torch.no_grad():
                        outputs = model(inputs)
                else:
                    outputs = model(inputs)
                loss = criterion(outputs, labels)
                if phase == 'train':
                    loss.backward()
                    optimizer.step()
""",
            line=9,
        ),
        # An inference `main()` of a script that never trains: it loads a checkpoint, calls `train()` (!)
        # and classifies camera frames under no_grad with dropout still on (pytorch-video-recognition's
        # spelling): the `train()` is the line to change.
        Invalid(
            """
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = torch.nn.Dropout(0.5)

def main():
    model = Net()
    model.load_state_dict(torch.load("ckpt.pt"))
    model.train()
    while True:
        frame = read_frame()
        with torch.no_grad():
            out = model.forward(frame)
        show(out)
""",
            line=12,
        ),
        # A file that trains: a function that embeds a data set switches the backbone to `train()` itself
        # before its `no_grad` loop and never trains it (eai-vc's linear probe; the fix was `eval()`).
        Invalid(
            """
import torch

def precompute_embeddings(model, dataset):
    model = torch.nn.DataParallel(model)
    model = model.train()
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=False)
    embeddings = []
    with torch.no_grad():
        for x, y in loader:
            embeddings.append(model(x).cpu())
    return embeddings

def fit_probe(backbone, probe, optimizer, dataset):
    features = precompute_embeddings(backbone, dataset)
    for z in features:
        optimizer.zero_grad()
        probe(z).sum().backward()
        optimizer.step()
""",
            line=6,
        ),
        # Evaluation by behaviour: `predict` runs the model over a loader and never backpropagates.
        Invalid(
            """
import torch
def predict(model, dataloader):
    outputs = []
    with torch.no_grad():
        for batch in dataloader:
            outputs.append(model.generate(batch))
    return outputs

def train(model, optimizer, loader, epochs):
    model.train()
    for epoch in range(epochs):
        for batch in loader:
            optimizer.zero_grad()
            model(batch).loss.backward()
            optimizer.step()
        predict(model, val_loader)
""",
            line=5,
        ),
        # An inline loop over the test loader, after the training loop, without eval() or no_grad.
        Invalid(
            """
import torch
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    for x, y in test_loader:
        out = model(x)
class Net(torch.nn.Module):
    pass
criterion = torch.nn.CrossEntropyLoss()
""",
            line=10,
        ),
        # A periodic evaluation inside the batch loop switches to eval and never back; the model is run
        # through a loss helper of another module (ncsn's spelling).
        Invalid(
            """
import torch
from losses import dsm_loss
model.train()
for step, x in enumerate(loader):
    loss = dsm_loss(model, x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        model.eval()
        with torch.no_grad():
            test_loss = dsm_loss(model, next(test_iter))
optimizer = torch.optim.Adam(model.parameters())
""",
            line=11,
        ),
        # A Trainer whose validate() method leaves `self.model` in eval mode (`train(False)`) mid-epoch.
        Invalid(
            """
import torch
class Trainer:
    def __init__(self, model, optimizer, train_loader, val_loader):
        self.model = model.cuda()
        self.optim = optimizer
        self.train_loader, self.val_loader = train_loader, val_loader

    def validate(self):
        self.model.train(False)
        for x, y in self.val_loader:
            self.model(x)

    def train_epoch(self):
        for i, (x, y) in enumerate(self.train_loader):
            if i % 1000 == 0:
                self.validate()
            self.optim.zero_grad()
            self.model(x).sum().backward()
            self.optim.step()
""",
            line=10,
        ),
        # The evaluation function never calls model.eval(); the loop trained just before.
        Invalid(
            """
import torch
def evaluate(model, loader):
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += torch.nn.functional.cross_entropy(model(x), y).item()
    return total

for epoch in range(10):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    evaluate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
            line=5,
        ),
        # An inline no_grad block over the validation loader, after training.
        Invalid(
            """
import torch
model = Net()
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(3):
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        for x, y in val_loader:
            val = torch.nn.functional.mse_loss(model(x), y)
class Net(torch.nn.Module):
    pass
""",
            line=11,
        ),
        # The caller's `gcn` is the function's `model`; it was just trained.
        Invalid(
            """
import torch
def test(model, features, labels):
    with torch.no_grad():
        return (model(features).argmax(1) == labels).float().mean().item()

gcn = GCN()
optimizer = torch.optim.Adam(gcn.parameters())
for epoch in range(200):
    gcn.train()
    optimizer.zero_grad()
    torch.nn.functional.nll_loss(gcn(features), labels).backward()
    optimizer.step()
print(test(gcn, features, labels))
class GCN(torch.nn.Module):
    pass
""",
            line=4,
        ),
        # An inference script: a freshly built model is in training mode until `eval()`.
        Invalid(
            """
import torch
import torchvision
model = torchvision.models.resnet50()
model.load_state_dict(torch.load("resnet50.pt"))
with torch.no_grad():
    for images, _ in test_loader:
        preds = model(images).argmax(1)
""",
            line=6,
        ),
        # evaluate() switches to eval mode and the training loop never switches back.
        Invalid(
            """
import torch
@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    return sum(model(x).sum().item() for x in loader)

model.train()
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    evaluate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
            line=5,
        ),
        # The same script shape as a conv-only model, but this model has dropout.
        Invalid(
            """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(torch.relu(self.conv(x)))

model = Net()
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    with torch.no_grad():
        for x, y in test_loader:
            out = model(x)
""",
            line=21,
        ),
        # No dropout layer, but a stacked LSTM drops between its layers.
        Invalid(
            """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 8, num_layers=2, dropout=0.2)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0])

model = Net()
optimizer = torch.optim.Adam(model.parameters())
for x, y in train_loader:
    optimizer.zero_grad()
    model(x).sum().backward()
    optimizer.step()
with torch.no_grad():
    out = model(test_x)
""",
            line=20,
        ),
        # Only mode-free layers, but the forward itself reads `self.training`.
        Invalid(
            """
import torch
import torch.nn as nn

class Noisy(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        return self.head(x + torch.randn_like(x) if self.training else x)

model = Noisy()
optimizer = torch.optim.Adam(model.parameters())
for x, y in train_loader:
    optimizer.zero_grad()
    model(x).sum().backward()
    optimizer.step()
with torch.no_grad():
    out = model(test_x)
""",
            line=19,
        ),
        # A trainer whose model is built in its base class's `__init__` and that nothing ever switches to
        # eval: its `predict` method runs it in training mode, whoever calls it (zh320's segmentation
        # trainer; the base class may live in another module).
        Invalid(
            """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

class BaseTrainer:
    def __init__(self, config):
        self.model = Net().to(config.device)
        self.optimizer = torch.optim.Adam(self.model.parameters())

class SegTrainer(BaseTrainer):
    def train_one_epoch(self, loader):
        self.model.train()
        for x, y in loader:
            self.optimizer.zero_grad()
            torch.nn.functional.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()

    @torch.no_grad()
    def predict(self):
        for images in self.test_loader:
            preds = self.model(images)
            save(preds.argmax(1))
""",
            line=26,
        ),
        # A wrapper that is no module switches its encoders with its own methods (`train_start()`,
        # `val_start()`) and trains them in `train_emb()`: the periodic validation's `val_start()` is still
        # in force when the batch loop's next training step runs (vsepp's spelling).
        Invalid(
            """
import torch
from evaluation import encode_data

class VSE(object):
    def __init__(self, opt):
        self.img_enc = ImageEncoder(opt)
        self.txt_enc = TextEncoder(opt)
        self.optimizer = torch.optim.Adam(self.txt_enc.parameters())

    def train_start(self):
        "Switch to train mode."
        self.img_enc.train()
        self.txt_enc.train()

    def val_start(self):
        self.img_enc.eval()
        self.txt_enc.eval()

    def train_emb(self, images, captions):
        self.optimizer.zero_grad()
        loss = self.criterion(self.img_enc(images), self.txt_enc(captions))
        loss.backward()
        self.optimizer.step()

def validate(model, val_loader):
    model.val_start()
    return encode_data(model, val_loader)

def train(opt, train_loader, model, val_loader):
    model.train_start()
    for i, (images, captions) in enumerate(train_loader):
        model.train_emb(images, captions)
        if i % opt.val_step == 0:
            validate(model, val_loader)
""",
            line=27,
        ),
        # Periodic evaluation inside the batch loop, nanoGPT style, without switching back.
        Invalid(
            """
import torch
for step, (x, y) in enumerate(train_loader):
    if step % 100 == 0:
        model.eval()
        with torch.no_grad():
            val_loss = sum(model(xv).sum().item() for xv in val_loader)
    optimizer.zero_grad()
    model(x).sum().backward()
    optimizer.step()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
            line=5,
        ),
        # Every few steps, an inline test on one batch drawn from the test loader, with no eval() anywhere
        # (pointnet's spelling): the block runs the model and never trains it.
        Invalid(
            """
import torch
import torch.nn.functional as F
net = Classifier()
optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
for epoch in range(5):
    for i, (x, y) in enumerate(train_loader):
        optimizer.zero_grad()
        loss = F.nll_loss(net(x), y)
        loss.backward()
        optimizer.step()
        if i % 10 == 0:
            _, (xt, yt) = next(enumerate(test_loader, 0))
            pred = net(xt)
            print(F.nll_loss(pred, yt).item())
class Classifier(torch.nn.Module):
    pass
""",
            line=14,
        ),
        # The validation loop switches back to train() before every forward, undoing the eval() just made
        # for it (MultiBench's spelling).
        Invalid(
            """
import torch
def train(model, train_loader, valid_loader, optimizer, epochs):
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for x, y in valid_loader:
                model.train()
                out = model(x)
""",
            line=13,
        ),
        # One epoch function for training and evaluation that never sets the mode (DeepRank's spelling):
        # the validation pass, called with the flag false right after training, runs in training mode.
        Invalid(
            """
import torch

class NeuralNet:
    def __init__(self, net):
        self.net = net
        self.optimizer = torch.optim.Adam(self.net.parameters())

    def _epoch(self, data_loader, train_model):
        for d in data_loader:
            loss = self.criterion(self.net(d["feature"]), d["target"])
            if train_model:
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()

    def fit(self, train_loader, valid_loader, nepoch):
        for epoch in range(nepoch):
            self._epoch(train_loader, train_model=True)
            with torch.no_grad():
                self._epoch(valid_loader, train_model=False)
""",
            line=10,
        ),
        # A per-batch step shared by training and validation (nequip's `batch_step`): `train()` at its
        # top whatever the flag, the step only under `if not validation:`, and the validation loop calls
        # it with the flag true, so every validation forward runs in training mode.
        Invalid(
            """
import torch

class Trainer:
    def __init__(self, model, dl_train, dl_val):
        self.model = model
        self.dl_train, self.dl_val = dl_train, dl_val
        self.optim = torch.optim.Adam(self.model.parameters())

    def batch_step(self, data, validation=False):
        self.model.train()
        out = self.model(data)
        loss = self.loss(out, data)
        if not validation:
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()
        return loss.item()

    def epoch_step(self):
        for batch in self.dl_train:
            self.batch_step(batch, validation=False)
        for batch in self.dl_val:
            self.batch_step(batch, validation=True)
""",
            line=12,
        ),
        # The flag handed on by the epoch function (minGPT-ddp's trainer in pytorch/examples): the step
        # runs the model and steps only `if train:`; the test epoch passes `train=False` through, and
        # nothing switches the GPT (dropout) to eval.
        Invalid(
            """
import torch

class Trainer:
    def __init__(self, model, optimizer, train_loader, test_loader):
        self.model, self.optimizer = model, optimizer
        self.train_loader, self.test_loader = train_loader, test_loader

    def _run_batch(self, source, targets, train=True):
        with torch.set_grad_enabled(train):
            _, loss = self.model(source, targets)
        if train:
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return loss.item()

    def _run_epoch(self, loader, train=True):
        for source, targets in loader:
            self._run_batch(source, targets, train)

    def train(self, epochs):
        for epoch in range(epochs):
            self._run_epoch(self.train_loader, train=True)
            self._run_epoch(self.test_loader, train=False)
""",
            line=11,
        ),
        # A predict script that loads trained weights into a fresh BatchNorm network and makes one
        # prediction under no_grad, never calling eval() (GLCIC's predict.py).
        Invalid(
            """
import torch
import torch.nn as nn

class Completion(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 3, 3, padding=1)
        self.norm = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.norm(self.conv(x))

def main(args):
    model = Completion()
    model.load_state_dict(torch.load(args.model, map_location="cpu"))
    x = load_image(args.input)
    with torch.no_grad():
        output = model(x)
        save_image(output, args.output)
""",
            line=18,
        ),
        # An inference script at module level: a loaded BatchNorm network run over a plain list of
        # precomputed feature tensors (CLAPE's predictor).
        Invalid(
            """
import torch
import torch.nn as nn

class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(64, 2, 3, padding=1)
        self.norm = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.norm(self.conv(x))

features = [encode(s) for s in read_sequences(path)]
predictor = Head()
if ligand == "DNA":
    predictor.load_state_dict(torch.load("weights/DNA.pth"))
results = []
for f in features:
    out = predictor(f).detach().numpy()
    results.append(out)
""",
            line=19,
        ),
        # A periodic test inside the step loop whose batch a project helper draws from the test set
        # (GLCIC's train.py: `sample_random_batch(test_dset, ...)`), under no_grad, with no eval().
        Invalid(
            """
import torch
from utils import sample_random_batch

optimizer = torch.optim.Adadelta(model.parameters())
for step, x in enumerate(train_loader):
    loss = completion_loss(model(x), x)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    if step % 1000 == 0:
        with torch.no_grad():
            x = sample_random_batch(test_dset, batch_size=16).to(device)
            output = model(x)
            save_images(output, step)
""",
            line=12,
        ),
        # The mode is per network: `test()` switches the GNN to eval but runs the dropout link predictor
        # it is also given in training mode (OGB's link-prediction examples).
        Invalid(
            """
import torch
import torch.nn.functional as F

def train(model, predictor, data, optimizer):
    model.train()
    predictor.train()
    for perm in loader:
        optimizer.zero_grad()
        h = model(data.x, data.adj_t)
        loss = -torch.log(predictor(h[perm[0]], h[perm[1]]) + 1e-15).mean()
        loss.backward()
        optimizer.step()

@torch.no_grad()
def test(model, predictor, data, edges):
    model.eval()
    h = model(data.x, data.adj_t)
    preds = []
    for e in edges:
        preds += [predictor(h[e[0]], h[e[1]]).cpu()]
    return torch.cat(preds)

class LinkPredictor(torch.nn.Module):
    def __init__(self, channels, dropout):
        super().__init__()
        self.lin = torch.nn.Linear(channels, 1)
        self.dropout = dropout

    def forward(self, x_i, x_j):
        x = F.dropout(x_i * x_j, p=self.dropout, training=self.training)
        return torch.sigmoid(self.lin(x))

model = GNN(128)
predictor = LinkPredictor(128, dropout=0.5)
optimizer = torch.optim.Adam([*model.parameters(), *predictor.parameters()])
for epoch in range(100):
    train(model, predictor, data, optimizer)
    result = test(model, predictor, data, edges)
""",
            line=21,
        ),
        # A synthesizer whose `fit()` builds and trains a BatchNorm generator, and whose `sample()` runs it
        # over noise batches: nothing ever switches it to eval, so it generates in training mode whoever
        # calls `sample()` (SDGym's CTGAN, TableGAN and MedGAN; the caller is a base class's `fit_sample`).
        Invalid(
            """
import numpy as np
import torch
import torch.nn as nn

class Generator(nn.Module):
    def __init__(self, noise_dim, data_dim):
        super().__init__()
        self.seq = nn.Sequential(nn.Linear(noise_dim, 128), nn.BatchNorm1d(128), nn.ReLU(),
                                 nn.Linear(128, data_dim))

    def forward(self, z):
        return self.seq(z)

class GANSynthesizer:
    def __init__(self, noise_dim=64, batch_size=500):
        self.noise_dim, self.batch_size = noise_dim, batch_size

    def fit(self, data):
        self.generator = Generator(self.noise_dim, data.shape[1])
        optimizer = torch.optim.Adam(self.generator.parameters())
        for batch in make_batches(data, self.batch_size):
            optimizer.zero_grad()
            fake = self.generator(torch.randn(len(batch), self.noise_dim))
            adversarial_loss(fake, batch).backward()
            optimizer.step()

    def sample(self, n):
        data = []
        for _ in range(n // self.batch_size + 1):
            fake = self.generator(torch.randn(self.batch_size, self.noise_dim))
            data.append(fake.detach().numpy())
        return np.concatenate(data)[:n]
""",
            line=31,
        ),
        # An agent's `@no_grad` evaluation method, called by evaluation utilities of another module, runs
        # one of the dropout Q-networks it builds in `__init__` (a list of them) and never switches to
        # eval (MORL-Baselines' GPI-PD).
        Invalid(
            """
import torch
import torch.nn as nn

class QNet(nn.Module):
    def __init__(self, obs_dim, n_actions):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, 64), nn.Dropout(0.01), nn.Linear(64, n_actions))

    def forward(self, obs):
        return self.net(obs)

class Agent:
    def __init__(self, obs_dim, n_actions, num_nets=2):
        self.q_nets = [QNet(obs_dim, n_actions) for _ in range(num_nets)]
        self.optimizer = torch.optim.Adam(self.q_nets[0].parameters())

    def update(self, obs, target):
        self.optimizer.zero_grad()
        torch.nn.functional.mse_loss(self.q_nets[0](obs), target).backward()
        self.optimizer.step()

    @torch.no_grad()
    def eval(self, obs):
        return self.q_nets[0](torch.as_tensor(obs)).argmax().item()
""",
            line=25,
        ),
        # A no_grad block opened per batch inside the evaluation function's loop is no place for `eval()`:
        # the forward run in training mode is reported (hyperspectral classification's `val`).
        Invalid(
            """
import torch

def val(net, data_loader, device="cpu"):
    accuracy, total = 0.0, 0.0
    for data, target in data_loader:
        with torch.no_grad():
            output = net(data.to(device))
            accuracy += (output.argmax(1) == target).sum().item()
            total += len(target)
    return accuracy / total

def train(net, optimizer, data_loader, val_loader, epochs):
    net.train()
    for e in range(epochs):
        for data, target in data_loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(data), target).backward()
            optimizer.step()
        val_acc = val(net, val_loader)
""",
            line=8,
        ),
        # The evaluation runs the model through a method of its class (`model.infer(x)` runs `self.forward`):
        # that call is the forward, in the training mode the epoch left.
        Invalid(
            """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))

    def infer(self, x):
        return self.forward(x).argmax(-1)


def evaluate(model, loader):
    with torch.no_grad():
        for x, y in loader:
            pred = model.infer(x)


def main():
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        model.train()
        for x, y in train_loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        evaluate(model, val_loader)
""",
            line=20,
        ),
        # A whole module unpickled with `torch.load` (the old way of saving one) and switched to training
        # mode right before a script's inference: a name only ever bound from `torch.load` whose mode is
        # switched holds a module.
        Invalid(
            """
import torch

model = torch.load("model.pt", map_location="cpu")
model.train()
with torch.no_grad():
    for x, y in test_loader:
        out = model(x)
        print((out.argmax(1) == y).float().mean())
""",
            line=5,
        ),
        # nanoGPT's spelling: a loop over `range(eval_iters)` that draws each batch from a batch getter
        # (`get_batch(split)`), inside a loop over the split names, is an evaluation by behaviour.
        Invalid(
            """
import torch
from torch import nn


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(8, 8)

    def forward(self, x, y):
        logits = self.head(self.drop(x))
        return logits, nn.functional.mse_loss(logits, y)


model = GPT()
optimizer = torch.optim.AdamW(model.parameters())


@torch.no_grad()
def estimate_loss():
    out = {}
    for split in ["train", "val"]:
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(split)
            logits, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean()
    return out


for it in range(max_iters):
    if it % eval_interval == 0:
        print(estimate_loss())
    X, Y = get_batch("train")
    logits, loss = model(X, Y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
""",
            line=28,
        ),
        # A model's own inference method (beta-recsys's LightGCN.predict): it runs `self.forward` under
        # no_grad and never switches the model to eval; the code that calls it on data never does either, so
        # the dropout the model reads from `self.training` stays on. Reported at its no_grad block.
        Invalid(
            """
import torch
from torch import nn


class GraphRecommender(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.emb = nn.Embedding(n, dim)

    def forward(self, adj):
        if self.training:
            adj = edge_dropout(adj, 0.9)
        return torch.sparse.mm(adj, self.emb.weight)

    def predict(self, users, items):
        with torch.no_grad():
            emb = self.forward(self.adj)
            return (emb[users] * emb[items]).sum(-1)


def evaluate_scores(model, batches):
    return [model.predict(users, items) for users, items in batches]
""",
            line=17,
        ),
        # Greedy decoding through the model's parts (`model.encoder(src)`, then `model.decoder(y, state)` fed
        # its own output), called after each training epoch with the model still in training mode (d2l's
        # `predict_seq2seq`): the parts run with the dropout of training.
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


def train(model, loader, optimizer, epochs):
    model.train()
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            model(x, y).backward()
            optimizer.step()
        print(predict_seq(model, x, 10))
""",
            line=6,
        ),
        # Step-level validation called from inside the batch loop (TextBox): it switches the model to eval and
        # generates through `accelerator.unwrap_model(self.model)`, and nothing switches it back, so the
        # rest of the epoch trains in eval mode.
        Invalid(
            """
import torch


class Trainer:
    def __init__(self, model, optimizer, accelerator, eval_steps):
        self.model = model
        self.optimizer = optimizer
        self.accelerator = accelerator
        self.eval_steps = eval_steps

    @torch.no_grad()
    def _validate(self, valid_loader):
        self.model.eval()
        for batch in valid_loader:
            self.accelerator.unwrap_model(self.model).generate(batch["input_ids"])

    def _train_epoch(self, train_loader, valid_loader):
        self.model.train()
        for step, batch in enumerate(train_loader):
            loss = self.model(**batch).loss
            self.optimizer.zero_grad()
            self.accelerator.backward(loss)
            self.optimizer.step()
            if step % self.eval_steps == 0:
                self._validate(valid_loader)
""",
            line=14,
        ),
        # A predictor holds a model of a plain project module class (the annotation says which) and nothing in
        # the project ever switches a module to eval (ludwig right after its port to PyTorch): the model is
        # evaluated in the training mode every new module has.
        Invalid(
            """
import torch
from torch import nn


class TabularNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.drop(x))

    def evaluation_step(self, x, y):
        return (self(x).argmax(1) == y).float().mean()


class Predictor:
    def __init__(self, model: TabularNet, device="cpu"):
        self.model = model.to(device)

    def batch_evaluation(self, batches):
        scores = []
        with torch.no_grad():
            for x, y in batches:
                scores.append(self.model.evaluation_step(x, y))
        return scores
""",
            line=25,
        ),
        # Prediction one batch-sized slice at a time (`for i in range(0, len(X), batch_size)`: a loop over
        # the data whatever it is called), run after each training epoch with the model left in training mode.
        Invalid(
            """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))


def predict(model, features, batch_size=64):
    preds = []
    with torch.no_grad():
        for i in range(0, len(features), batch_size):
            preds.append(model(features[i : i + batch_size]).argmax(1))
    return torch.cat(preds)


def train(model, loader, features_val, epochs):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        print(predict(model, features_val))
""",
            line=18,
        ),
        # An explainer handed a project LightningModule (darts's SHAP explainer running the trained
        # `PLForecastingModule` under `inference_mode`): no project code switches it, and Lightning's trainer
        # leaves `fit` in training mode and gives each module back its mode after `validate` and `predict`,
        # so the dropout of training is on while it is explained.
        Invalid(
            """
from abc import ABC

import pytorch_lightning as pl
import torch
from torch import nn


class Forecaster(pl.LightningModule, ABC):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, 64), nn.Dropout(0.1), nn.Linear(64, n_out))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.mse_loss(self(x), y)


class Explainer:
    def __init__(self, module: Forecaster, batch_size=32):
        self.network = module
        self.batch_size = batch_size

    @torch.inference_mode()
    def predict(self, x):
        outputs = []
        for i in range(0, len(x), self.batch_size):
            outputs.append(self.network(x[i : i + self.batch_size]))
        return torch.cat(outputs)
""",
            line=31,
        ),
        # An evaluation script that loads a Lightning checkpoint (`load_from_checkpoint` builds a new module,
        # in training mode) and decodes the test set without `eval()` (openspeech's hydra_eval.py).
        Invalid(
            """
import torch

from models import SpeechModel


def main(checkpoint, test_loader):
    model = SpeechModel.load_from_checkpoint(checkpoint)
    model.to("cuda")
    for inputs, targets in test_loader:
        with torch.no_grad():
            outputs = model(inputs.to("cuda"))
        print((outputs.argmax(-1) == targets).float().mean())
""",
            line=12,
        ),
        # An `eval()` override that also freezes the parameters (NeuralForceField's SpookyNet sets
        # `requires_grad = False` in it): the class is no longer mode-free whatever its layers, and the
        # training that follows the validation runs frozen, in eval mode.
        Invalid(
            """
import torch
from torch import nn


class Identity(nn.Module):
    def __init__(self):
        super(Identity, self).__init__()

    def forward(self, x):
        return x


class ResStack(nn.Module):
    def __init__(self, ch):
        super(ResStack, self).__init__()
        self.blocks = nn.ModuleList([nn.Sequential(nn.LeakyReLU(0.2), nn.Conv1d(ch, ch, 3, padding=1))])
        self.shortcuts = nn.ModuleList([nn.utils.weight_norm(nn.Conv1d(ch, ch, 1))])

    def forward(self, x):
        for block, shortcut in zip(self.blocks, self.shortcuts):
            x = shortcut(x) + block(x)
        return x


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.net = nn.Sequential(ResStack(8), Identity(), nn.Tanh())

    def forward(self, mel):
        return self.net(mel)

    def eval(self, inference=False):
        super(Generator, self).eval()
        for param in self.parameters():
            param.requires_grad = False


def validate(model, loader):
    model.eval()
    with torch.no_grad():
        return sum((model(x) - y).abs().mean().item() for x, y in loader)


def train(loader, val_loader, epochs):
    model = Generator()
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(epochs):
        for x, y in loader:
            loss = (model(x) - y).abs().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        validate(model, val_loader)
""",
            line=41,
        ),
    ]

    _RESUMES = (
        "Training resumes after this evaluation with the model still in eval mode; call `model.train()` "
        "before the next training step."
    )

    _TRAINS_IN_EVAL = (
        "This `eval()` is in force when the model is trained: its training step runs with dropout off and"
        " BatchNorm statistics frozen; call `model.train()` before training (or move the `eval()` to the"
        " evaluation)."
    )
    _UNDOES_EVAL = (
        "This `train()` undoes the `eval()` made for this evaluation, so the model is evaluated in training "
        "mode; remove it, or move it after the evaluation."
    )
    _TRAIN_FOR_INFERENCE = (
        "`train()` switches the model to training mode right before this script uses it for inference, so"
        " dropout and BatchNorm run as in training; call `model.eval()` instead."
    )
    _TRAIN_FOR_EXTRACTION = (
        "`train()` switches the model to training mode for a pass over the data that only runs it (no"
        " gradients, no training step): its outputs come with dropout on and BatchNorm using each batch's"
        " statistics (and overwriting its running ones); call `model.eval()` instead."
    )
    _PER_NETWORK = (
        "`{0}` is evaluated here in training mode: this evaluation switches `{1}` to eval, but the mode is"
        " per network; call `{0}.eval()` too."
    )
    _INFERENCE_METHOD = (
        "This inference method runs the model in the mode its callers leave it, and none of them switches it"
        " to eval: it predicts with dropout and batch statistics of training; call `self.eval()` here."
    )
    _IN_HELPER = (
        "This evaluation runs a model that its caller left in training mode (it never calls `model.eval()`);"
        " call `model.eval()` here before evaluating."
    )

    _PER_BATCH_BLOCK = "`torch.no_grad()` opened per batch: it turns gradients off, not training mode"

    def finish(self) -> None:
        modes = self.ctx.modes  # the simulation lives in the engine (nnlint.engine.modes)
        for node in modes.evaluations_in_training_mode():
            other = modes.switched_instead(node)
            if modes.in_inference_method(node):
                self.report(node, message=self._INFERENCE_METHOD)
            else:
                block = modes.per_batch_block(node)
                related = (Evidence(block, self._PER_BATCH_BLOCK),)
                self.report(
                    node,
                    message=self._PER_NETWORK.format(*other) if other else None,
                    related=related if block is not None else (),
                )
        for toggle, start in modes.trains_for_inference():
            self.report(
                toggle,
                message=self._TRAIN_FOR_INFERENCE,
                related=(Evidence(start, "the inference that runs in training mode"),),
            )
        for toggle, forward in modes.trains_before_extraction():
            self.report(
                toggle,
                message=self._TRAIN_FOR_EXTRACTION,
                related=(Evidence(forward, "runs the model over the data in training mode"),),
            )
        for node in modes.trains_inside_evaluation():
            self.report(node, message=self._UNDOES_EVAL)
        for node in modes.resumes_in_eval_mode():
            trained = modes.trains_in_eval_mode(node)
            self.report(node, message=self._TRAINS_IN_EVAL if trained else self._RESUMES)
        for ctx, node, call in modes.helpers_evaluating_in_training_mode():
            # The helper of another module is the line to change; the call here is why.
            self.report(
                node,
                message=self._IN_HELPER,
                related=(Evidence(call, "called here with the model still in training mode"),),
                ctx=ctx,
            )
