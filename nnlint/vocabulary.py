"""The torch names nnlint knows, as data: one home for the engine, the rules and the runtime half.

Beside torch's own names, the conventions the heuristics read live here too: the words that name an
evaluation or a micro-batch loop, the parameter names that say what a function is given.

Nothing here imports torch or libcst. Names are qualified as users import them (`torch.nn.CrossEntropyLoss`,
`torch.nn.functional.softmax`); the engine normalises `torch.nn.modules.loss.CrossEntropyLoss` to
`torch.nn.CrossEntropyLoss` before it looks a class up here.
"""

from __future__ import annotations

import re

# -- activation kinds ------------------------------------------------------------------------------
# What a tensor is, as far as a loss is concerned. "logits" is known only where a model certainly ends
# in a layer that produces raw scores (a Linear head), never guessed from a name.
SOFTMAX = "softmax"  # probabilities over a dim
LOG_SOFTMAX = "log_softmax"  # log-probabilities
SIGMOID = "sigmoid"  # independent probabilities
LOGITS = "logits"

ACTIVATION_FUNCTIONS = {
    "torch.softmax": SOFTMAX,
    "torch.nn.functional.softmax": SOFTMAX,
    "torch.special.softmax": SOFTMAX,
    "torch.log_softmax": LOG_SOFTMAX,
    "torch.nn.functional.log_softmax": LOG_SOFTMAX,
    "torch.special.log_softmax": LOG_SOFTMAX,
    "torch.sigmoid": SIGMOID,
    "torch.nn.functional.sigmoid": SIGMOID,
    "torch.special.expit": SIGMOID,
}
# Tensor methods: `x.softmax(-1)`.
ACTIVATION_METHODS = {"softmax": SOFTMAX, "log_softmax": LOG_SOFTMAX, "sigmoid": SIGMOID}
ACTIVATION_LAYERS = {
    "torch.nn.Softmax": SOFTMAX,
    "torch.nn.LogSoftmax": LOG_SOFTMAX,
    "torch.nn.Sigmoid": SIGMOID,
}
# `exp(log_softmax(x))` is softmax(x).
EXP_FUNCTIONS = frozenset({"torch.exp"})
# Layers whose output is raw scores: a model that ends with one returns logits.
LOGIT_LAYERS = frozenset({"torch.nn.Linear", "torch.nn.LazyLinear", "torch.nn.Bilinear"})

# Tensor methods and functions that keep what a tensor holds (its activation kind): shape, device,
# dtype and copies (`resize` is the legacy spelling of `view`). Indexing keeps it too.
KIND_KEEPING_METHODS = frozenset(
    {
        "view",
        "view_as",
        "reshape",
        "reshape_as",
        "resize",
        "resize_as",
        "squeeze",
        "unsqueeze",
        "flatten",
        "contiguous",
        "permute",
        "transpose",
        "t",
        "to",
        "cuda",
        "cpu",
        "float",
        "double",
        "half",
        "bfloat16",
        "type",
        "type_as",
        "clone",
        "expand",
        "expand_as",
        "select",
        "narrow",
    }
)
KIND_KEEPING_FUNCTIONS = frozenset(
    {"torch.squeeze", "torch.unsqueeze", "torch.flatten", "torch.reshape", "torch.transpose", "torch.permute"}
)
# Factories of a buffer that a loop then fills (`outputs = torch.zeros(T, B, V)`, `outputs[t] = out`), and
# the legacy wrapper it may come in (`Variable(torch.zeros(...))`).
BUFFER_FACTORIES = frozenset(
    {
        "torch.zeros",
        "torch.empty",
        "torch.ones",
        "torch.full",
        "torch.zeros_like",
        "torch.empty_like",
        "torch.ones_like",
        "torch.full_like",
    }
)
VARIABLE_WRAPPERS = frozenset({"torch.autograd.Variable", "torch.autograd.variable.Variable"})
# Functions that join tensors: the result has the kind all of them share.
JOINING_FUNCTIONS = frozenset({"torch.cat", "torch.concat", "torch.concatenate", "torch.stack"})

# -- losses ----------------------------------------------------------------------------------------
# The torch.nn.functional losses (bare names) whose inputs, targets and options `nnlint run` understands
# (it patches them to record each loss call; its loss-at-init check knows their expected values).
RUNTIME_LOSS_FUNCTIONS = (
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
)
# Those of them symmetric in their first two arguments (a function of input - target alone): written either
# way round, as Lightning's autoencoder example writes `F.mse_loss(x, self(x))`, they compute the same loss.
SYMMETRIC_LOSS_FUNCTIONS = frozenset({"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"})
LOSS_FUNCTIONS = frozenset(
    f"torch.nn.functional.{name}"
    for name in (
        *RUNTIME_LOSS_FUNCTIONS,
        "cosine_embedding_loss",
        "ctc_loss",
        "hinge_embedding_loss",
        "margin_ranking_loss",
        "multi_margin_loss",
        "multilabel_margin_loss",
        "multilabel_soft_margin_loss",
        "poisson_nll_loss",
        "gaussian_nll_loss",
        "soft_margin_loss",
        "triplet_margin_loss",
    )
) | frozenset(
    # The KL divergence between two distributions: the KL term of VAE and world-model losses.
    {"torch.distributions.kl_divergence", "torch.distributions.kl.kl_divergence"}
)
# Losses that care what their input is, with the kind they expect, and how the docs spell them.
LOSS_EXPECTS = {
    "torch.nn.CrossEntropyLoss": LOGITS,
    "torch.nn.functional.cross_entropy": LOGITS,
    "torch.nn.BCEWithLogitsLoss": LOGITS,
    "torch.nn.functional.binary_cross_entropy_with_logits": LOGITS,
    "torch.nn.NLLLoss": LOG_SOFTMAX,
    # Its deprecated spatial twin (same computation; old segmentation code: ESPNet, drn, pytorch-semantic-
    # segmentation, robot-surgery-segmentation, piwise).
    "torch.nn.NLLLoss2d": LOG_SOFTMAX,
    "torch.nn.functional.nll_loss": LOG_SOFTMAX,
}
LOSS_DISPLAY = {
    "torch.nn.CrossEntropyLoss": "CrossEntropyLoss",
    "torch.nn.functional.cross_entropy": "F.cross_entropy",
    "torch.nn.BCEWithLogitsLoss": "BCEWithLogitsLoss",
    "torch.nn.functional.binary_cross_entropy_with_logits": "F.binary_cross_entropy_with_logits",
    "torch.nn.NLLLoss": "NLLLoss",
    "torch.nn.NLLLoss2d": "NLLLoss2d",
    "torch.nn.functional.nll_loss": "F.nll_loss",
}
# For each loss, the input kinds that are mistakes (what the loss applies itself, or cannot take).
LOSS_WRONG_INPUTS = {
    "torch.nn.CrossEntropyLoss": frozenset({SOFTMAX, LOG_SOFTMAX}),
    "torch.nn.functional.cross_entropy": frozenset({SOFTMAX, LOG_SOFTMAX}),
    "torch.nn.BCEWithLogitsLoss": frozenset({SIGMOID}),
    "torch.nn.functional.binary_cross_entropy_with_logits": frozenset({SIGMOID}),
    "torch.nn.NLLLoss": frozenset({SOFTMAX, LOGITS}),
    "torch.nn.NLLLoss2d": frozenset({SOFTMAX, LOGITS}),
    "torch.nn.functional.nll_loss": frozenset({SOFTMAX, LOGITS}),
}

# Estimators that train the module they are given with the criterion class they are given (skorch's
# `NeuralNet(Module, criterion=nn.CrossEntropyLoss)`): the module's output is the criterion's input. Only
# losses that apply their own activation are read this way: skorch's classifier takes the log of the
# output for `NLLLoss` itself.
CRITERION_WIRING_NETS = frozenset(
    {
        "skorch.NeuralNet",
        "skorch.net.NeuralNet",
        "skorch.NeuralNetClassifier",
        "skorch.classifier.NeuralNetClassifier",
        "skorch.NeuralNetBinaryClassifier",
        "skorch.classifier.NeuralNetBinaryClassifier",
        "skorch.NeuralNetRegressor",
        "skorch.regressor.NeuralNetRegressor",
        "ray_skorch.RayTrainNeuralNet",
    }
)
WIRED_LOSSES = frozenset({"torch.nn.CrossEntropyLoss", "torch.nn.BCEWithLogitsLoss"})

# -- models, layers, wrappers ----------------------------------------------------------------------
MODEL_MODULE_BASES = frozenset(
    {
        "torch.nn.Module",
        "torch.nn.modules.module.Module",
        "lightning.LightningModule",
        "lightning.pytorch.LightningModule",
        "pytorch_lightning.LightningModule",
    }
)
# DistributedDataParallel, as it is imported.
DDP_WRAPPERS = frozenset(
    {
        "torch.nn.parallel.DistributedDataParallel",
        "torch.nn.parallel.distributed.DistributedDataParallel",
        "torch.nn.DistributedDataParallel",
    }
)
# Wrappers that return the model they are given.
MODEL_WRAPPERS = DDP_WRAPPERS | frozenset(
    {"torch.compile", "torch.nn.DataParallel", "torch.nn.parallel.DataParallel", "torch.jit.script"}
)
# Library namespaces whose every public callable builds a model, so that picking one by name
# (`models.__dict__[args.arch](pretrained=True)`, `getattr(models, arch)()`) gives a model.
MODEL_NAMESPACES = frozenset({"torchvision.models"})
# Calls that return a copy of the model they are given: another object (its mode and parameters are its
# own), whose forward is the same.
MODEL_COPIES = frozenset({"copy.deepcopy"})
# Methods of nn.Module (and of tensors) that return the object they are called on.
SELF_RETURNING_METHODS = frozenset(
    {
        "to",
        "cuda",
        "cpu",
        "half",
        "float",
        "double",
        "bfloat16",
        "train",
        "eval",
        "requires_grad_",
        "to_empty",
    }
)
# Methods only modules have, besides `train()`/`eval()`: a name that answers them is a module.
MODULE_METHODS = frozenset(
    {"parameters", "named_parameters", "state_dict", "load_state_dict", "modules", "named_modules", "apply"}
)
SEQUENTIAL = "torch.nn.Sequential"
# Wrappers that return the layer they are given, reparametrized.
LAYER_WRAPPERS = frozenset(
    {
        "torch.nn.utils.spectral_norm",
        "torch.nn.utils.weight_norm",
        "torch.nn.utils.parametrizations.spectral_norm",
        "torch.nn.utils.parametrizations.weight_norm",
    }
)
# Functional operations that take part in forward chains like the layers they stand for.
FUNCTIONAL_DROPOUTS = frozenset(
    {
        "torch.nn.functional.dropout",
        "torch.nn.functional.dropout1d",
        "torch.nn.functional.dropout2d",
        "torch.nn.functional.dropout3d",
        "torch.nn.functional.alpha_dropout",
        "torch.nn.functional.feature_alpha_dropout",
    }
)
BATCH_NORMS = frozenset(
    f"torch.nn.{name}"
    for name in (
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "SyncBatchNorm",
        "LazyBatchNorm1d",
        "LazyBatchNorm2d",
        "LazyBatchNorm3d",
    )
)
DROPOUTS = FUNCTIONAL_DROPOUTS | frozenset(
    f"torch.nn.{name}"
    for name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")
)

# -- train/eval mode (NN404) -------------------------------------------------------------------------------
# Layers whose forward differs between train() and eval(): dropout, BatchNorm's batch statistics, RReLU's
# random slope, spectral norm's power iteration. Listed for reference by what NN404 must never call
# mode-free; the decision itself is an allowlist (below), so an unlisted layer is never taken as mode-free.
MODE_DEPENDENT_LAYERS = (
    DROPOUTS
    | BATCH_NORMS
    | frozenset({"torch.nn.RReLU", "torch.nn.functional.rrelu", "torch.nn.functional.batch_norm"})
    | frozenset(name for name in LAYER_WRAPPERS if name.endswith("spectral_norm"))
)
# torch.nn layers that behave the same in both modes whatever their arguments.
MODE_FREE_LAYERS = frozenset(
    f"torch.nn.{name}"
    for name in (
        *(
            "Linear",
            "LazyLinear",
            "Bilinear",
            "Identity",
            "Flatten",
            "Unflatten",
            "Embedding",
            "EmbeddingBag",
        ),
        *(
            f"{kind}{dim}d"
            for kind in ("Conv", "ConvTranspose", "LazyConv", "LazyConvTranspose")
            for dim in "123"
        ),
        *(f"{kind}Pool{dim}d" for kind in ("Max", "Avg", "AdaptiveMax", "AdaptiveAvg") for dim in "123"),
        *("ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Tanh"),
        *(
            "Sigmoid",
            "Hardtanh",
            "Hardswish",
            "Hardsigmoid",
            "Softplus",
            "Softsign",
            "Tanhshrink",
            "Threshold",
        ),
        *("Softmax", "LogSoftmax", "Softmax2d", "LogSigmoid", "GLU"),
        *("LayerNorm", "GroupNorm", "LocalResponseNorm", "RMSNorm"),
        *("PixelShuffle", "PixelUnshuffle", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"),
        *(
            f"{kind}Pad{dim}d"
            for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular")
            for dim in "123"
        ),
        *("RNNCell", "LSTMCell", "GRUCell", "Sequential", "ModuleList", "ModuleDict", "ParameterList"),
    )
)
# Calls in a model's code that make no layer and have no mode: a learned tensor (`nn.Parameter(...)`), an
# old-style autograd wrapper (`Variable(torch.zeros(...))` for an initial hidden state).
# Weight norm recomputes `g * v / ||v||` on every forward alike; spectral norm's power iteration does not.
# Removing weight norm (a vocoder's `remove_weight_norm()` before inference) folds `g * v / ||v||` into one
# weight: the layer computes the same in either mode.
# torchaudio's fixed feature transforms: modules with no parameters and no mode (their window and filter
# banks are buffers), which a speech trainer runs on its audio in training and evaluation alike (WaveGrad's
# `MelSpectrogramFixed` wraps `MelSpectrogram`). The masking augmentations are left out: they are random.
AUDIO_FEATURE_TRANSFORMS = frozenset(
    f"torchaudio.transforms.{name}"
    for name in (
        "Spectrogram",
        "InverseSpectrogram",
        "MelScale",
        "MelSpectrogram",
        "MFCC",
        "LFCC",
        "AmplitudeToDB",
        "Resample",
        "ComputeDeltas",
        "MuLawEncoding",
        "MuLawDecoding",
    )
)
MODE_FREE_CALLS = frozenset(
    {"torch.nn.Parameter", "torch.nn.parameter.Parameter", "torch.autograd.Variable"}
    | {name for name in LAYER_WRAPPERS if name.endswith("weight_norm")}
    | {"torch.nn.utils.remove_weight_norm"}
    | AUDIO_FEATURE_TRANSFORMS
)
# torch.nn layers that are mode-free only with the argument named here absent or literally zero/False, and
# at most this many positional arguments (the argument's own 0-based position: `nn.LSTM(input_size,
# hidden_size, num_layers, bias, batch_first, dropout)`, `nn.RNN` with `nonlinearity` before `bias`). A
# recurrent layer's default `dropout=0` drops nothing: with a value that is not visibly zero it counts.
MODE_FREE_UNLESS = {
    "torch.nn.RNN": ("dropout", 6),
    **{f"torch.nn.{name}": ("dropout", 5) for name in ("LSTM", "GRU")},
    "torch.nn.MultiheadAttention": ("dropout", 2),
    **{f"torch.nn.InstanceNorm{dim}d": ("track_running_stats", 4) for dim in "123"},
}

# -- randomness and seeding (NN301) ----------------------------------------------------------------------
# Which calls draw from a global random generator, and which seed one. A generator is named by the
# library whose global state it is: "torch", "random" (Python's module) or "numpy" (numpy's legacy global).
RNG_GENERATORS = ("torch", "random", "numpy")
RNG_TORCH_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in (
        "rand",
        "rand_like",
        "randn",
        "randn_like",
        "randint",
        "randint_like",
        "randperm",
        "normal",
        "bernoulli",
        "multinomial",
        "poisson",
    )
) | frozenset(
    f"torch.nn.init.{name}"
    for name in (
        "uniform_",
        "normal_",
        "trunc_normal_",
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "orthogonal_",
        "sparse_",
    )
)
# In-place samplers, called on a tensor (`m.weight.data.normal_(0.0, 0.02)`).
RNG_TORCH_METHODS = frozenset(
    {"normal_", "uniform_", "bernoulli_", "random_", "exponential_", "geometric_", "log_normal_", "cauchy_"}
)
# Randomness in the data pipeline: shuffling, splitting, sampling.
RNG_TORCH_DATA = frozenset(
    {
        "torch.utils.data.random_split",
        "torch.utils.data.dataset.random_split",
        "torch.utils.data.RandomSampler",
        "torch.utils.data.SubsetRandomSampler",
        "torch.utils.data.WeightedRandomSampler",
        "torch.utils.data.sampler.RandomSampler",
        "torch.utils.data.sampler.SubsetRandomSampler",
        "torch.utils.data.sampler.WeightedRandomSampler",
    }
)
# Graph libraries' data loaders, subclasses of torch's `DataLoader`: with `shuffle=` on, they draw the order
# of each epoch from torch's global generator as it does (relbench's `NeighborLoader(..., shuffle=split ==
# "train")`, a PyG `DataLoader(train_dataset, shuffle=True)` of graphs).
RNG_SHUFFLING_LOADERS = frozenset(
    {
        "torch_geometric.loader.DataLoader",
        "torch_geometric.loader.DenseDataLoader",
        "torch_geometric.loader.NeighborLoader",
        "torch_geometric.loader.LinkNeighborLoader",
        "torch_geometric.loader.dataloader.DataLoader",
        "torch_geometric.data.DataLoader",
        "torch_geometric.data.DenseDataLoader",
        "dgl.dataloading.GraphDataLoader",
        "dgl.dataloading.DataLoader",
    }
)
# torchvision augmentations that draw without "Random" in their name.
RNG_AUGMENTATIONS = frozenset({"ColorJitter", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"})
# torchvision augmentations whose only draw is a coin flip with probability `p`, and the position `p`
# takes: with `p` literally 0 or 1 the transform is certain (`RandomHorizontalFlip(p=1.)` always flips).
RNG_COIN_FLIP_TRANSFORMS = {
    **{
        name: 0
        for name in (
            "RandomHorizontalFlip",
            "RandomVerticalFlip",
            "RandomGrayscale",
            "RandomInvert",
            "RandomAutocontrast",
            "RandomEqualize",
        )
    },
    **{name: 1 for name in ("RandomPosterize", "RandomSolarize", "RandomAdjustSharpness")},
}
# Layers whose construction draws their initial weights, and dropout: randomness a training run depends on.
RNG_INITIALISED_LAYERS = frozenset(
    {
        "Linear",
        "Bilinear",
        "Conv1d",
        "Conv2d",
        "Conv3d",
        "ConvTranspose1d",
        "ConvTranspose2d",
        "ConvTranspose3d",
        "Embedding",
        "EmbeddingBag",
        "RNN",
        "LSTM",
        "GRU",
        "RNNCell",
        "LSTMCell",
        "GRUCell",
        "MultiheadAttention",
        "Transformer",
        "TransformerEncoderLayer",
        "TransformerDecoderLayer",
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
        "FeatureAlphaDropout",
    }
)
# Libraries whose model classes' `from_config(...)` builds a network with freshly drawn weights
# (`from_pretrained` loads them): `AutoModelForCausalLM.from_config(config)` trains from a random
# initialisation; diffusers' `DDPMScheduler.from_config(...)` is no network and draws nothing.
RNG_FROM_CONFIG_LIBRARIES = ("transformers.", "diffusers.")
# Library calls that add freshly initialised trainable weights to a model: PEFT's LoRA adapters (`lora_A`
# is drawn from the torch generator).
RNG_INITIALISING_CALLS = frozenset({"peft.get_peft_model", "peft.mapping.get_peft_model"})
# Python's `random` functions that draw from its global generator.
RNG_RANDOM_MODULE_FUNCTIONS = frozenset(
    {
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "shuffle",
        "sample",
        "uniform",
        "gauss",
        "normalvariate",
        "triangular",
        "betavariate",
        "expovariate",
        "lognormvariate",
        "vonmisesvariate",
        "paretovariate",
        "weibullvariate",
        "getrandbits",
        "randbytes",
    }
)
# numpy.random names that do not draw from the global generator.
RNG_NUMPY_NOT_GLOBAL = frozenset(
    {
        "seed",
        "get_state",
        "set_state",
        "default_rng",
        "RandomState",
        "Generator",
        "SeedSequence",
        "BitGenerator",
        "PCG64",
        "PCG64DXSM",
        "MT19937",
        "Philox",
        "SFC64",
    }
)
# Functions that choose among data (which samples, in which order, in which split) rather than draw numbers,
# per generator: `np.random.permutation(n)` for a train/test split, `random.sample(buffer, k)` for a batch.
RNG_DATA_CHOICES = {
    "numpy": frozenset({"shuffle", "permutation", "choice"}),
    "random": frozenset({"shuffle", "sample", "choice", "choices"}),
}
# Methods that seed the object they are called on, and nothing else, when that object is one the code holds
# (`generator.manual_seed(0)`, a gym `env.seed(s)`, imgaug's `augmenter.seed_(entropy)` and its older
# `augmenter.reseed(random_state)`); through a module (`torch.manual_seed`) they seed a global generator.
OBJECT_SEED_METHODS = frozenset({"manual_seed", "seed", "seed_", "reseed"})
# Calls that seed one generator (with an argument: `random.seed()` alone seeds from the clock).
SEEDS_ONE = {
    "torch.manual_seed": "torch",
    "torch.random.manual_seed": "torch",
    "torch.cuda.manual_seed": "torch",
    "torch.cuda.manual_seed_all": "torch",
    "random.seed": "random",
    "numpy.random.seed": "numpy",
}
# Calls that seed every generator: seeding helpers of libraries, and launchers that call one themselves
# (colossalai's `launch*` seed torch, random and numpy from their `seed` parameter, 1024 by default).
SEEDS_ALL = frozenset(
    {
        "lightning.seed_everything",
        "lightning.pytorch.seed_everything",
        "lightning.fabric.seed_everything",
        "lightning_fabric.seed_everything",
        "pytorch_lightning.seed_everything",
        "lightning.pytorch.utilities.seed.seed_everything",
        "lightning.fabric.utilities.seed.seed_everything",
        "lightning_fabric.utilities.seed.seed_everything",
        "pytorch_lightning.utilities.seed.seed_everything",
        "transformers.set_seed",
        "transformers.trainer_utils.set_seed",
        "accelerate.utils.set_seed",
        "accelerate.utils.random.set_seed",
        "colossalai.launch",
        "colossalai.launch_from_torch",
        "colossalai.launch_from_slurm",
        "colossalai.launch_from_openmpi",
        "colossalai.initialize.launch",
        "colossalai.initialize.launch_from_torch",
    }
)
# Lightning's CLI seeds every generator unless `seed_everything_default` is False or None (its default,
# True, picks a seed and records it in the saved config). Subclasses inherit that.
SEEDING_CLI_CLASSES = frozenset(
    {
        "lightning.pytorch.cli.LightningCLI",
        "lightning.pytorch.LightningCLI",
        "pytorch_lightning.cli.LightningCLI",
        "pytorch_lightning.utilities.cli.LightningCLI",
    }
)
SEEDING_CLI_SWITCH = "seed_everything_default"
# Trainers that seed every generator from their arguments (transformers' `TrainingArguments.seed`, 42;
# trl's trainers from v0.3.0, Feb 2023, on: `set_seed(config.seed)`, later through transformers' Trainer).
# The installed version is unknown, so the released behaviour is assumed: a false "never seeds" claim on
# current code is the worse error. Earlier trl seeded nothing (its PPOTrainer got `set_seed` in v0.3.0).
SEEDING_TRAINER_PREFIXES = ("transformers.", "trl.")
# Trainers under those prefixes known never to seed: the original trl's `trl.ppo` module (2020-2022).
NOT_SEEDING_TRAINERS = frozenset({"trl.ppo.PPOTrainer"})
# Library functions with "seed" in their name that do not make a run repeatable.
NOT_SEEDING = frozenset(
    {"torch.seed", "torch.initial_seed", "torch.cuda.seed", "torch.cuda.seed_all", "torch.cuda.initial_seed"}
)
# Constructors of private generators: seeding one (`self.rng.seed(seed)`, `gen.manual_seed(0)`) seeds that
# object only, never the global generators a script's other draws use.
PRIVATE_GENERATORS = frozenset(
    {
        "numpy.random.RandomState",
        "numpy.random.default_rng",
        "numpy.random.Generator",
        "random.Random",
        "torch.Generator",
    }
)
# Classes that run a function (`target=`) in another process: it trains there, but what it seeds stays
# there.
PROCESS_CLASSES = frozenset({"multiprocessing.Process", "torch.multiprocessing.Process"})
# Functions that run their first argument in fresh processes, which inherit no seed from their parent.
PROCESS_SPAWNERS = frozenset(
    {
        "torch.multiprocessing.spawn",
        "torch.multiprocessing.start_processes",
        "torch.multiprocessing.spawn.spawn",
    }
)
# The statement that seeds each generator (formatted with the module's local name) and its usual import.
SEED_STATEMENTS = {"torch": "{}.manual_seed(0)", "random": "{}.seed(0)", "numpy": "{}.random.seed(0)"}
SEED_IMPORTS = {
    "torch": ("torch", "import torch"),
    "random": ("random", "import random"),
    "numpy": ("np", "import numpy as np"),
}
# Tensor factories: a script whose only draws are these (and in-place samplers, `nn.init`) fills tensors
# with random values, as a benchmark's dummy batch does, and chooses nothing among data.
RNG_TENSOR_FACTORIES = frozenset(
    f"torch.{name}" for name in ("rand", "rand_like", "randn", "randn_like", "randint", "randint_like")
)
# Calls that time code precisely (device synchronisation, CUDA timing events, benchmark timers): with
# nothing but random tensor inputs and no data loading, what such a script reports is a speed.
BENCHMARK_TIMERS = frozenset(
    {
        "time.perf_counter",
        "time.perf_counter_ns",
        "timeit.timeit",
        "timeit.repeat",
        "timeit.default_timer",
        "torch.cuda.synchronize",
        "torch.cuda.Event",
        "torch.utils.benchmark.Timer",
        "torch.utils.benchmark.Compare",
    }
)
DATA_LOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})

# -- autograd -----------------------------------------------------------------------------------------------
# Model methods that turn gradient recording off themselves (transformers' `generate` is `@torch.no_grad()`).
SELF_NO_GRAD_METHODS = frozenset({"generate"})

# -- training loop (NN2xx) ------------------------------------------------------------------------
# Functions that clip gradients in place.
CLIP_FUNCTIONS = frozenset(
    {
        "torch.nn.utils.clip_grad_norm_",
        "torch.nn.utils.clip_grad_value_",
        "torch.nn.utils.clip_grad.clip_grad_norm_",
        "torch.nn.utils.clip_grad.clip_grad_value_",
        "torch.nn.utils.clip_grad_norm",
    }
)
# Context managers (also used as decorators) that turn gradient recording off.
NO_GRAD_CONTEXTS = frozenset(
    {
        "torch.no_grad",
        "torch.inference_mode",
        "torch.autograd.no_grad",
        "torch.autograd.grad_mode.no_grad",
        "torch.autograd.grad_mode.inference_mode",
    }
)
# What can be read from an optimizer or scheduler without stepping it.
OPTIMIZER_READ_ONLY_MEMBERS = frozenset(
    {"zero_grad", "state_dict", "load_state_dict", "get_last_lr", "get_lr", "param_groups", "last_epoch"}
)
# Methods of a model that run it.
MODEL_RUNNING_METHODS = frozenset({"forward", "generate"})
# Words of the attribute names under which a model holds the networks it is made of: calling one
# (`model.encoder(src)`, `model.decoder(y, state)`, `net.backbone(x)`) runs part of that model, in its mode.
MODEL_PART_WORDS = frozenset({"encoder", "decoder", "backbone", "head", "neck", "classifier"})
# Calls that iterate what their first argument iterates: `enumerate(tqdm(loader))` goes over `loader`.
ITERATION_WRAPPERS = frozenset(
    {"enumerate", "tqdm", "iter", "zip", "tqdm.tqdm", "tqdm.auto.tqdm", "progress_bar"}
)
# PyTorch-Ignite's engine, which calls the process function it is built with once per batch of its run
# (`Engine(update)`, then `trainer.run(loader)`): that function is the body of a batch loop.
IGNITE_ENGINES = frozenset({"ignite.engine.Engine", "ignite.engine.engine.Engine"})
# `range` and its progress-bar spellings: `trange(n)` runs n iterations.
RANGE_FUNCTIONS = frozenset({"range", "trange", "tqdm.trange", "tqdm.auto.trange"})

# -- autograd graph (NN201, NN202, NN501) ----------------------------------------------------------
# Calls whose result no longer references the graph. `.cpu()` is not one: a copy to the host keeps the
# graph (`meter.update(loss.cpu())` keeps every step's), and `.cpu().numpy()` is detached by `.numpy()`.
DETACHING_METHODS = frozenset({"item", "detach", "detach_", "tolist", "numpy"})
DETACHING_BUILTINS = frozenset({"float", "int", "bool", "round"})
# Methods after which nothing can backpropagate into the tensor (`.cpu()` keeps the graph).
GRAPH_DROPPING_METHODS = frozenset({"item", "detach", "tolist", "numpy"})
# Methods (and torch functions) whose result is integer indices, which no gradient flows through: a
# greedy decoder's next token (`logits.argmax(-1)`) is off the graph however it is used afterwards.
INDEX_METHODS = frozenset({"argmax", "argmin"})
# Methods whose result is the same loss in another dtype, device or layout: it keeps the loss's reduction
# and its graph (`loss.float()`, `loss.squeeze()`).
LOSS_PRESERVING_METHODS = frozenset(
    {"float", "double", "half", "to", "cuda", "squeeze", "clone", "contiguous"}
)
# Methods and functions that return the same value for the graph's purposes: the loss is still the loss.
# `loss.div(n)` and `loss.mul(w)` scale it: still the loss (simple-nmt's `loss.div(batch_size).backward()`).
GRAPH_PRESERVING_METHODS = LOSS_PRESERVING_METHODS | frozenset(
    {"mean", "sum", "view", "reshape", "div", "mul", "true_divide"}
)
GRAPH_PRESERVING_FUNCTIONS = frozenset({"torch.mean", "torch.sum"})
# Methods whose result still requires grad when their tensor does, on the way from a forward to `.numpy()`,
# which raises on such a tensor: `model(x).cpu().numpy()` runs only with recording off (NN503).
NUMPY_GUARDING_METHODS = GRAPH_PRESERVING_METHODS | frozenset(
    {"cpu", "unsqueeze", "flatten", "permute", "transpose"}
)
# Builtins that do the same to tensors (`sum(losses)` adds the tensors of a tuple or list).
GRAPH_PRESERVING_BUILTINS = frozenset({"sum"})
# Clamping, as functions and as tensor methods (the in-place `clamp_` forms included).
CLAMP_FUNCTIONS = frozenset({"torch.clamp", "torch.clip", "torch.clamp_min", "torch.clamp_max"})
CLAMP_METHODS = frozenset(
    {"clamp", "clip", "clamp_", "clip_", "clamp_min", "clamp_max", "clamp_min_", "clamp_max_"}
)
# Element-wise minimum/maximum against a bound; `torch.max(x)` and `torch.max(x, dim)` are reductions.
PAIRWISE_MIN_MAX_FUNCTIONS = frozenset(
    {"torch.min", "torch.max", "torch.minimum", "torch.maximum", "torch.fmin", "torch.fmax"}
)
# The ones of those that cap from above (the others floor).
PAIRWISE_MIN_FUNCTIONS = frozenset({"torch.min", "torch.minimum", "torch.fmin"})
# Out-of-place operations that return a new tensor; discarded, they change nothing.
OUT_OF_PLACE_METHODS = frozenset(name for name in CLAMP_METHODS if not name.endswith("_")) | frozenset(
    {"mul", "div", "add", "sub"}
)
OUT_OF_PLACE_FUNCTIONS = CLAMP_FUNCTIONS | frozenset({"torch.mul", "torch.div"})

# -- devices and host syncs (NN702, NN703) ---------------------------------------------------------
# Methods that copy a device tensor to the host and wait for the GPU to finish.
SYNC_METHODS = frozenset({"item", "cpu", "numpy", "tolist"})
# Builtins that convert a one-element tensor to a Python number (through `.item()`).
SYNC_BUILTINS = frozenset({"float", "int", "bool", "print"})
# Methods that move a value to a device.
MOVE_METHODS = frozenset({"to", "cuda"})
# Constructors that copy their (literal) data from the host.
HOST_DATA_CONSTRUCTORS = frozenset(
    {"torch.tensor", "torch.as_tensor", "torch.Tensor", "torch.FloatTensor", "torch.LongTensor"}
)
# Constructors of tensors from host data (a copy to the device follows when they are moved).
TENSOR_CONSTRUCTORS = HOST_DATA_CONSTRUCTORS | frozenset(
    {
        "torch.from_numpy",
        "torch.ones",
        "torch.zeros",
        "torch.full",
        "torch.arange",
        "torch.linspace",
        "torch.eye",
        "torch.randn",
        "torch.rand",
    }
)
# Constructors whose tensor is a new leaf with no graph (unless built with `requires_grad=True`): a value
# computed from one (`torch.tensor(np.sum(losses)) / world_size`) holds no loss graph. Not `torch.as_tensor`,
# which returns a tensor argument itself, graph and all.
GRAPHLESS_CONSTRUCTORS = (TENSOR_CONSTRUCTORS - {"torch.as_tensor"}) | frozenset(
    {"torch.zeros_like", "torch.ones_like"}
)

# -- data loading and distributed training (NN6xx, NN701) ------------------------------------------
# DataLoader(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers, collate_fn, pin_memory, ...)
LOADER_POSITIONS = (
    "dataset",
    "batch_size",
    "shuffle",
    "sampler",
    "batch_sampler",
    "num_workers",
    "collate_fn",
    "pin_memory",
)
# DistributedSampler(dataset, num_replicas, rank, shuffle, seed, drop_last)
SAMPLER_POSITIONS = ("dataset", "num_replicas", "rank", "shuffle", "seed", "drop_last")
PROCESS_GROUP_STARTS = frozenset({"torch.distributed.init_process_group"})
DISTRIBUTED_SAMPLERS = frozenset(
    {"torch.utils.data.distributed.DistributedSampler", "torch.utils.data.DistributedSampler"}
)
ITERABLE_DATASETS = frozenset(
    {"torch.utils.data.IterableDataset", "torch.utils.data.dataset.IterableDataset"}
)
# Module prefixes of frameworks that own sharding and sampler epochs.
SHARDING_FRAMEWORKS = ("accelerate", "lightning", "pytorch_lightning", "deepspeed", "ignite", "composer")
# Those of them that also call `set_epoch` on the samplers of the loaders they run: accelerate's prepared
# loader sets its epoch on every `iter()`, Lightning's loops and Fabric's wrapped loaders too. DeepSpeed
# is not one: its library never calls `set_epoch`, not even on the loader `deepspeed.initialize(
# training_data=...)` builds, so a DistributedSampler in a DeepSpeed script is the user's to advance.
EPOCH_SETTING_FRAMEWORKS = tuple(name for name in SHARDING_FRAMEWORKS if name != "deepspeed")
# Datasets whose items are already tensors in memory: workers would only add start-up and IPC cost.
IN_MEMORY_DATASETS = frozenset({"TensorDataset", "range", "list"})

# -- grad mode and evaluation (NN404, NN502, NN503) ------------------------------------------------
# Contexts and decorators that decide the grad mode (whatever their argument says): the no-grad ones,
# and those that set it from an argument or turn it back on.
GRAD_MODE_SETTERS = NO_GRAD_CONTEXTS | frozenset(
    {
        "torch.set_grad_enabled",
        "torch.autograd.set_grad_enabled",
        "torch.autograd.grad_mode.set_grad_enabled",
        "torch.enable_grad",
        "torch.autograd.enable_grad",
    }
)
# Calls and names that show gradients are wanted: a backward, input gradients, requires_grad toggles.
GRADIENT_CALLS = frozenset(
    {"torch.autograd.grad", "torch.autograd.backward", "torch.func.grad", "torch.func.vjp"}
)
GRADIENT_METHODS = frozenset({"backward", "requires_grad_", "retain_grad", "register_hook"})
GRADIENT_ATTRIBUTES = frozenset({"grad", "requires_grad"})
# Functions named like inference (besides evaluation's own words).
INFERENCE_WORDS = frozenset({"predict", "prediction", "predictions", "inference", "infer"})
# Words that name generation by a trained network (a synthesizer's `sample(n)`, `generate_samples`).
GENERATION_WORDS = frozenset({"sample", "samples", "generate", "generation", "synthesize", "synthesise"})
# Words that name evaluation in functions and data (split from snake_case and camelCase names).
# Words of a method's name that may run a training step (`train_emb`, `optimize_parameters`, `train_step`).
TRAINING_METHOD_WORDS = frozenset({"train", "training", "step", "optimize", "optimise"})
EVAL_FUNCTION_WORDS = frozenset({"eval", "evaluate", "evaluation", "validate", "validation", "val", "valid"})
TEST_WORDS = frozenset({"test", "testing"})
# `va`: k-fold code's validation fold (`for tr, va in kf.split(X)`, `va_idx`, `X_va`).
EVAL_DATA_WORDS = EVAL_FUNCTION_WORDS | TEST_WORDS | frozenset({"dev", "heldout", "holdout", "va"})
# A held-out split named by a string to a batch getter (`get_batch('val')`, `load_split("test")`): the
# split names, and the words of a getter's name.
EVAL_SPLIT_STRINGS = frozenset({"val", "valid", "validation", "test", "eval", "dev", "heldout"})
BATCH_GETTER_WORDS = frozenset({"batch", "batches", "sample", "data", "dataset", "loader", "split", "iter"})
# A helper that hands out a fresh batch on each call, bound in a loop (`X, Y = get_batch(split)`,
# `batch = next_batch()`): a loop over `range(eval_iters)` that draws one is a loop over data. Its name
# says batch and a verb of drawing (not `batch_norm`, `collate_batch`).
BATCH_NOUNS = frozenset({"batch", "batches", "minibatch"})
# Words of a loop's step that name a batch size: `for i in range(0, len(X), batch_size)` (also `bs`,
# `bsz`, `self.eval_batch_size`) goes over the data one slice of a batch at a time.
BATCH_SIZE_WORDS = frozenset({"batch", "batchsize", "bs", "bsz"})
BATCH_DRAW_VERBS = frozenset({"get", "next", "sample", "fetch", "load", "draw", "random"})
# `valloader`, `testset`, `evaldata`: one-word data names.
EVAL_DATA_PREFIXES = ("val", "valid", "test", "eval")
EVAL_DATA_SUFFIXES = ("loader", "set", "data", "dataset", "iter", "batches")
# Words of an iterable's name that say it yields batches of data.
LOADER_WORDS = frozenset({"loader", "dataloader", "dataset", "data", "batches", "iterator"})
# Calls that hand out one batch of an iterable (`next(iter(test_loader))`), and the wrappers around the
# iterable they may be given: an `if` block drawing a held-out batch is an evaluation.
BATCH_DRAW_CALLS = frozenset({"next"})
BATCH_DRAW_WRAPPERS = frozenset({"iter", "enumerate"})

# -- shapes and layouts (NN101, NN102) -------------------------------------------------------------
# Reshaping: `x.view(...)`, `x.reshape(...)`, `torch.reshape(x, ...)`, `torch.flatten(x, ...)`.
VIEW_METHODS = frozenset({"view", "reshape"})
RESHAPE_FUNCTIONS = frozenset({"torch.reshape"})
# Functions that pad a tensor's last dims (`F.pad(x, (1, 0))`).
PAD_FUNCTIONS = frozenset({"torch.nn.functional.pad"})
FLATTEN_FUNCTIONS = frozenset({"torch.flatten"})
# Methods whose result stores the same dims in the same order as their receiver.
LAYOUT_KEEPING_METHODS = frozenset(
    {
        "contiguous",
        "clone",
        "detach",
        "float",
        "double",
        "half",
        "bfloat16",
        "long",
        "int",
        "bool",
        "to",
        "type",
        "type_as",
        "cuda",
        "cpu",
        "requires_grad_",
        "relu",
        "sigmoid",
        "tanh",
        "exp",
        "abs",
        "sqrt",
        "softmax",
        "log_softmax",
        "masked_fill",
        "mul",
        "add",
        "sub",
        "div",
        "clamp",
        "neg",
        "pow",
    }
)
# Reductions along one dim that return one tensor: `x.sum(dim=-1, keepdim=True)` keeps the rank (the reduced
# dim becomes size 1), without `keepdim` the dim is gone. (`max`/`min` with a dim return values and indices.)
DIM_REDUCTION_METHODS = frozenset({"sum", "mean", "prod", "amax", "amin", "logsumexp"})
DIM_REDUCTION_FUNCTIONS = frozenset(f"torch.{name}" for name in DIM_REDUCTION_METHODS)
# Functions whose first argument's layout their result keeps (elementwise, per-position or per-channel).
LAYOUT_KEEPING_FUNCTIONS = frozenset(
    {
        *(
            f"torch.nn.functional.{name}"
            for name in (
                "relu",
                "relu6",
                "gelu",
                "silu",
                "elu",
                "leaky_relu",
                "mish",
                "hardswish",
                "sigmoid",
                "tanh",
                "softmax",
                "log_softmax",
                "dropout",
                "dropout2d",
                "layer_norm",
                "group_norm",
                "batch_norm",
                "instance_norm",
                "normalize",
                "pad",
                "interpolate",
                "max_pool1d",
                "max_pool2d",
                "max_pool3d",
                "avg_pool1d",
                "avg_pool2d",
                "avg_pool3d",
                "adaptive_avg_pool1d",
                "adaptive_avg_pool2d",
                "adaptive_avg_pool3d",
                "conv1d",
                "conv2d",
                "conv3d",
                "linear",
            )
        ),
        "torch.relu",
        "torch.sigmoid",
        "torch.tanh",
        "torch.exp",
        "torch.abs",
        "torch.softmax",
        "torch.clamp",
    }
)
# Layers whose output keeps the rank and dim order of their input (sizes may change).
LAYOUT_KEEPING_LAYERS = (
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Linear",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "LayerNorm",
    "RMSNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "ReLU",
    "ReLU6",
    "GELU",
    "SiLU",
    "ELU",
    "LeakyReLU",
    "Mish",
    "Hardswish",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Identity",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "Upsample",
)
# Layers that act on each element alone: any input shape, the same shape out.
ELEMENTWISE_LAYERS = frozenset(
    {"ReLU", "GELU", "SiLU", "ELU", "LeakyReLU", "Sigmoid", "Tanh", "Dropout", "Identity"}
)
# Functions that act on each element alone, as a model stores them to call later (`self.nonlinearity =
# nonlinearity`, with `nonlinearity=torch.tanh` as the default): no weights, nothing mixed.
ELEMENTWISE_FUNCTIONS = frozenset(
    {f"torch.{name}" for name in ("relu", "sigmoid", "tanh", "exp", "abs")}
    | {
        f"torch.nn.functional.{name}"
        for name in (
            *("relu", "relu6", "gelu", "silu", "elu", "selu", "celu", "leaky_relu", "mish"),
            *("sigmoid", "tanh", "softplus", "softsign", "hardtanh", "hardswish", "hardsigmoid"),
        )
    }
)
# Layers that pass their input's width through (a Sequential's width is that of the layer before them).
WIDTH_KEEPING_LAYERS = ELEMENTWISE_LAYERS | frozenset({"Flatten"})
# Layers that treat each element (or token id) on its own: flattening their input mixes nothing
# (`embed(ids.view(-1))`).
PER_ELEMENT_LAYERS = ELEMENTWISE_LAYERS | frozenset({"Embedding", "EmbeddingBag"})
# Layers whose last width-setting argument is their output width, by position and keyword.
OUTPUT_WIDTH_ARGUMENT = {
    "Linear": (1, "out_features"),
    "Conv1d": (1, "out_channels"),
    "Conv2d": (1, "out_channels"),
    "Conv3d": (1, "out_channels"),
    "LazyLinear": (0, "out_features"),
}
# Splitting a tensor into parts along one dim keeps every part's dims in the same order.
SPLIT_METHODS = frozenset({"chunk", "split", "tensor_split"})
SPLIT_FUNCTIONS = frozenset({"torch.chunk", "torch.split", "torch.tensor_split"})
# Batched matrix products: batch dims shared, rows from the left operand, columns from the right.
MATMUL_FUNCTIONS = frozenset({"torch.matmul", "torch.bmm"})
MATMUL_METHODS = frozenset({"matmul", "bmm"})
# Tensor factories whose sizes (given one by one or as one tuple) are the dims of the tensor they make.
SIZED_FACTORY_FUNCTIONS = frozenset({"torch.zeros", "torch.ones", "torch.empty", "torch.rand", "torch.randn"})
SIZED_FACTORY_METHODS = frozenset({"new_zeros", "new_ones", "new_empty"})
# Functional forms of the layers that mix the last dim.
FUNCTIONAL_LINEAR_LAYERS = frozenset({"torch.nn.functional.linear", "torch.nn.functional.bilinear"})

# -- losses, logging and metrics (NN206, NN501, NN502, NN601) --------------------------------------
# Losses whose target is one class index per position (a token id, in language modelling).
CLASS_INDEX_LOSS_FUNCTIONS = frozenset({"torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss"})
CLASS_INDEX_CRITERIA = frozenset({"torch.nn.CrossEntropyLoss", "torch.nn.NLLLoss"})
# Methods that change a tensor's shape, dtype or device but not which tokens it holds.
TOKEN_KEEPING_METHODS = frozenset(
    {"view", "reshape", "flatten", "contiguous", "long", "to", "cuda", "cpu", "clone", "detach", "pin_memory"}
)
# Methods of a list of losses that work the same on a list of numbers, and return nothing read later.
LIST_FILLING_METHODS = frozenset({"append", "extend", "insert", "clear"})
# Builtins that take a Python number as happily as a one-element tensor, and return no tensor.
NUMBER_SINK_BUILTINS = frozenset(
    {"print", "float", "int", "round", "str", "repr", "format", "len", "sum", "abs", "min", "max", "bool"}
)
# Logging calls that take a number (the value is recorded, never used as a tensor).
LOGGING_METHODS = frozenset(
    {"add_scalar", "info", "debug", "warning", "set_postfix", "set_description", "set_postfix_str"}
)
# Calls that gather a per-batch result into a metric.
GATHERING_METHODS = frozenset({"append", "extend", "update", "add_batch", "add", "add_"})
# Backward calls that divide the loss by the accumulation count themselves: accelerate's
# `accelerator.backward(loss)` (with `gradient_accumulation_steps` set), DeepSpeed's `engine.backward(loss)`
# and Lightning's `manual_backward`. Lightning Fabric's `fabric.backward(loss)` is not one: it backpropagates
# the loss as given, and the caller divides it.
SELF_SCALING_BACKWARD_OWNERS = ("accelerator", "engine", "model_engine", "deepspeed")
# Context managers that own accumulation: accelerate's `accumulate(model)` skips the prepared optimizer's
# step and zero_grad between sync steps. Fabric's `no_backward_sync(...)` and DDP's `no_sync()` are not
# ones: they only skip the gradient all-reduce, and neither divide nor step, so the loop's own guard and
# division still decide the accumulation.
ACCUMULATE_CONTEXTS = frozenset({"accumulate"})
# What reads a gradient: `p.grad`, `torch.autograd.grad(...)`, a list of `grads`.
GRADIENT_READS = frozenset({"grad", "grads"})
# Words in a micro-batch loop's count or variable: `range(gradient_accumulation_steps)`, `micro_step`.
MICRO_BATCH_WORDS = ("accum", "micro")
# Words one of which any spelling of an input-sensitive loss contains.
INPUT_SENSITIVE_LOSS_WORDS = (
    "CrossEntropyLoss",
    "NLLLoss",
    "BCEWithLogitsLoss",
    "cross_entropy",
    "nll_loss",
    "with_logits",
)

# -- roles (what a name holds) ---------------------------------------------------------------------
# Words in an optimizer class's name (`torch.optim.AdamW`, `apex.optimizers.FusedLAMB`).
OPTIMIZER_CLASS_WORDS = (
    "SGD",
    "Adam",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "LBFGS",
    "Lamb",
    "LAMB",
    "Lion",
    "Rprop",
)
# Learning-rate schedulers by module (every class of `torch.optim.lr_scheduler`) and by name outside it:
# `torch.optim.swa_utils.SWALR` is a scheduler over an optimizer's rates (its `.step()` anneals them), not
# an optimizer, though it lives under `torch.optim`.
LR_SCHEDULER_MODULES = ("torch.optim.lr_scheduler.",)
LR_SCHEDULER_CLASSES = frozenset({"torch.optim.swa_utils.SWALR"})
# The words of a step decay's own settings: `steps`, `lr_steps`, `lr_decay_step`, `decay_steps`,
# `step_size`, `milestones`. Such a name says where or how often the rate drops, in "steps" of the schedule
# (MultiStepLR's milestones, StepLR's step size), not whether those steps are epochs or iterations: DCRNN's
# `steps: [20, 30, 40, 50]` and PSENet's `lr_decay_step = [200, 400]` are epochs.
STEP_DECAY_SETTING_WORDS = frozenset(
    {"lr", "learning", "rate", "decay", "step", "steps", "milestone", "milestones", "size", "schedule"}
)
# Weight-averaging wrappers: a module holding a running average of another model's weights, updated by
# `update_parameters(model)` (no gradients, no optimizer step) and run like the model it copies.
WEIGHT_AVERAGING_MODELS = frozenset({"torch.optim.swa_utils.AveragedModel"})
# Words of a module's name that say it computes a loss, not the model's output (`loss_obj_id`, `criterion`).
CRITERION_WORDS = frozenset({"loss", "criterion", "crit"})
# Parameter names that say what a function is given, by role (the values of `roles.Role`).
# Library helpers that return the parameter groups of the model they are given first (timm's
# `param_groups_weight_decay(model, wd)`, its older `add_weight_decay`, `param_groups_layer_decay`).
PARAMETER_GROUP_HELPERS = frozenset(
    {"param_groups_weight_decay", "add_weight_decay", "param_groups_layer_decay"}
)
ROLE_PARAMETER_NAMES = {
    "model": {"model", "net", "network", "module"},
    "optimizer": {"optimizer", "optim", "opt"},
    "scheduler": {"scheduler", "lr_scheduler", "sched"},
    "criterion": {"criterion", "loss_fn", "loss_func", "loss_function"},
    "loader": {
        *("loader", "dataloader", "data_loader", "train_loader", "val_loader", "test_loader", "valid_loader"),
        *("eval_loader", "train_dataloader", "val_dataloader", "test_dataloader", "eval_dataloader"),
    },
    "scaler": {"scaler", "grad_scaler", "loss_scaler", "amp_scaler"},
}

# -- models, layers, wrappers (signatures) ---------------------------------------------------------
# Layers with a `bias` argument (True by default), and its position among the positional arguments.
BIAS_POSITION = {
    "torch.nn.Linear": 2,
    "torch.nn.Conv1d": 7,
    "torch.nn.Conv2d": 7,
    "torch.nn.Conv3d": 7,
    "torch.nn.ConvTranspose1d": 7,
    "torch.nn.ConvTranspose2d": 7,
    "torch.nn.ConvTranspose3d": 7,
    "torch.nn.LazyLinear": 1,
    "torch.nn.LazyConv1d": 6,
    "torch.nn.LazyConv2d": 6,
    "torch.nn.LazyConv3d": 6,
    "torch.nn.LazyConvTranspose1d": 6,
    "torch.nn.LazyConvTranspose2d": 6,
    "torch.nn.LazyConvTranspose3d": 6,
}
# Wrappers whose mode is the wrapped model's: `model.module.eval()` toggles `model` too.
# Attributes under which a wrapper keeps the model it wraps: DDP's `.module`, torch.compile's `._orig_mod`.
WRAPPER_ATTRIBUTES = (".module", "._orig_mod")
# Calls that give back the module a wrapper holds: accelerate's and transformers' `unwrap_model(model)`
# (`accelerator.unwrap_model(model).generate(...)` runs `model`).
UNWRAPPING_CALLS = frozenset({"unwrap_model"})

# -- more torch and library names ------------------------------------------------------------------
# Concatenation along a dim.
CONCAT_FUNCTIONS = frozenset({"torch.cat", "torch.concat", "torch.concatenate"})
# Loss scaling that hands back the loss to backpropagate (GradScaler's `scale`, apex's `scale_loss`).
LOSS_SCALING_CALLS = frozenset({"scale", "scale_loss"})
# Reductions of a tensor to a number-sized tensor that keep the graph.
REDUCTION_METHODS = frozenset({"mean", "sum"})
# Calls that train: a function making one is more than a clearing of gradients.
TRAINING_METHODS = frozenset({"backward", "manual_backward", "step"})
# Qualified-name prefixes of libraries: a call of one is never a project function (no summary to ask).
LIBRARY_PREFIXES = ("torch.", "numpy.", "np.", "math.", "transformers.", "timm.", "os.", "random.")
# Packages of other autograd frameworks: a loop that runs their models and ops records no torch graph (the
# TensorFlow tests and pipeline branches of transformers, in files that also import torch).
OTHER_FRAMEWORK_PACKAGES = ("tensorflow", "tensorflow_probability", "keras", "tf_keras", "jax", "flax")
# Parts of TensorFlow a torch script uses for its own ends (TensorBoard summaries, file access): no model.
OTHER_FRAMEWORK_UTILITIES = frozenset({"summary", "io", "gfile", "compat", "config", "random", "get_logger"})
# Tensor methods only torch has: code calling them on its data is torch code, whatever else it imports.
TORCH_ONLY_TENSOR_METHODS = frozenset({"cuda", "cpu", "detach", "to", "backward", "half"})
# torch and its sibling packages: frames inside them are not the user's code (runtime half).
TORCH_PACKAGES = ("torch", "torchvision", "torchaudio", "functorch")
# Optimizers whose first step moves every weight by about the learning rate (updates normalised by running
# gradient statistics), so a single first step overstates the steps that follow (runtime half).
ADAPTIVE_OPTIMIZERS = frozenset(
    {"Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adadelta", "Adagrad", "RMSprop", "SparseAdam", "Adafactor"}
)
# A step of these runs many updates (LBFGS: up to max_iter iterations with a line search).
MULTI_UPDATE_OPTIMIZERS = frozenset({"LBFGS"})
# Module classes (module path and class name) that only pass their call on to the model they hold, and the
# attribute that holds it: the runtime checks run that model (torch.compile, DDP, DataParallel, Fabric).
RUNTIME_MODEL_WRAPPERS = {
    "torch._dynamo.eval_frame.OptimizedModule": "_orig_mod",
    "torch.nn.parallel.distributed.DistributedDataParallel": "module",
    "torch.nn.parallel.data_parallel.DataParallel": "module",
    "lightning.fabric.wrappers._FabricModule": "_forward_module",
}
# Activations that gate their input by a tanh or sigmoid of it (`x * sigmoid(x)`, GELU's tanh approximation
# `0.5 * x * (1 + tanh(...))`, Mish), matched in the name of the parameter-free module or the function that
# computes one (minGPT's NewGELU, HF's NewGELUActivation, nanoGPT's new_gelu): the inner tanh or sigmoid is
# not a unit of the model, and its saturation blocks no gradient, which flows through the `x` factor.
GATED_ACTIVATION_NAMES = ("gelu", "silu", "swish", "mish")
# Attributes under which a settings object built in user code carries the learning rate a training framework
# builds the optimizer with (HF's `TrainingArguments.learning_rate`, an argparse namespace's `lr`).
LEARNING_RATE_ATTRIBUTES = ("learning_rate", "lr")
# Keyword arguments that carry the targets of a model that computes its own loss (Hugging Face's `labels`).
MODEL_TARGET_KEYWORDS = frozenset(
    {"labels", "label", "targets", "target", "start_positions", "end_positions"}
)

# -- naming conventions the heuristics read ----------------------------------------------------------
# Names that hold the number of epochs of a run (not the current epoch, a start epoch or warmup epochs).
EPOCH_COUNT_NAME = re.compile(r"^(?:n|num|max|total|train|num_train|nb|number_of)?_?epochs?$", re.IGNORECASE)
# The current epoch (not a count of epochs): `epoch`, `cur_epoch`, `epoch_idx`, `ep`.
CURRENT_EPOCH_NAME = re.compile(r"^(?:cur(?:rent)?_|i_)?epoch(?:_idx|_id|_num|_i)?$|^ep$", re.IGNORECASE)
# Names that hold a learning rate.
LR_NAME = re.compile(r"(?:^|_)lr$|^learning_rate$", re.IGNORECASE)
# Names of a step counter (`step_id`, `global_step`, `it`, `iteration`).
STEP_COUNTER_NAME = re.compile(r"step|iter|^it$", re.IGNORECASE)
# Functions named for what does not run a model: `torch.save(model, path)`, `copy_params(model, ema)`.
NOT_RUNNING_NAME = re.compile(
    r"save|load|log|print|copy|summary|count|param|init|freeze|watch|ema|swa|state|size|device|wrap|hook|"
    r"register|prepare|compile|profile|clip|update",
    re.IGNORECASE,
)
# What else `from_pretrained` loads: `AutoTokenizer`, `config_class`, `AutoProcessor`, feature extractors.
NOT_A_MODEL_NAME = re.compile(r"tokeni[sz]er|config|processor|extractor", re.IGNORECASE)
# Attribute names that hold an optimizer (or a container acting as one): `optimizer`, `optim`, `opt`,
# `optimizer_g`, `d_optim`, `opt_d`, `self.optimizers` (torchtitan's container, stepped and cleared as one).
# Words of a name that say it holds a scheduler (`optimizer_scheduler`, `lr_sched`): such a name is not
# taken for an optimizer's by `OPTIMIZER_NAME` alone.
SCHEDULER_NAME_WORDS = frozenset({"scheduler", "schedulers", "sched"})
# Words of a name that say it reads gradients (`p.grad`, `clip_grad_norm_`, `grads`), and the grad-mode
# switches that hold the word without reading any (`torch.no_grad()`, `requires_grad`).
GRADIENT_WORDS = frozenset({"grad", "grads", "gradient", "gradients"})
GRAD_MODE_NAMES = frozenset(
    {"no_grad", "enable_grad", "set_grad_enabled", "requires_grad", "requires_grad_", "is_grad_enabled"}
)
OPTIMIZER_NAME = re.compile(r"^(?:\w+_)?optim(?:izer)?s?(?:_\w+)?$|^(?:\w{1,3}_)?opt(?:_\w{1,3})?$")
# Words of a function name that say training mode during inference is wanted (MC dropout sampling).
DELIBERATE_TRAIN_WORDS = frozenset({"mc", "dropout", "uncertainty", "bayesian", "mcdropout"})
# Names a script calls its model by, and the keywords that pass a loss its targets (NN601).
MODEL_CALL_NAMES = frozenset({"model", "net"})
# Words of an attribute's name that say it may hold a network (`self.model`, `self.text_encoder`,
# `self._net`), as opposed to a method the class inherits (`self.assertEqual`, `self._conv_forward`).
MODEL_ATTRIBUTE_WORDS = MODEL_CALL_NAMES | MODEL_PART_WORDS | frozenset({"network", "module"})
TARGET_KEYWORDS = frozenset({"targets", "target"})
