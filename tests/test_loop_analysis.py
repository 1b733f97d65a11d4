"""The loop analysis the optimization-loop rules (NN202-NN212) stand on: iteration order, helpers and
closures, which zero_grad serves which optimizer, how often a call runs, and how long a run is."""

from __future__ import annotations

import textwrap

import libcst as cst

from nnlint.engine.context import FileContext
from nnlint.engine.loops import EventKind, Loop
from nnlint.engine.roles import Role


def context(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("t.py", source, cst.parse_module(source))


def loop_at(ctx: FileContext, first_line: str) -> Loop:
    """The loop whose header is the given line of code."""
    for loop in ctx.loops.loops:
        header = ctx.module.code_for_node(loop.node).splitlines()[0].strip()
        if header == first_line:
            return loop
    raise AssertionError(f"no loop {first_line!r}")


def kinds(events: list) -> list[EventKind]:
    return [event.kind for event in events]


def test_accumulation_loop_trains_and_iteration_wraps_around() -> None:
    ctx = context(
        """
        import torch
        optimizer = torch.optim.AdamW(model.parameters())
        while True:
            for micro in range(4):
                model(next(batches)).mean().backward()
            optimizer.step()
            optimizer.zero_grad()
        """
    )
    outer = loop_at(ctx, "while True:")
    inner = loop_at(ctx, "for micro in range(4):")
    assert outer.trains and outer.kind == "batch"
    assert not inner.trains
    step = outer.of_kind(EventKind.STEP)[0]
    assert kinds(outer.before(step)) == [EventKind.BACKWARD, EventKind.FORWARD]
    assert kinds(outer.after(step)) == [EventKind.ZERO_GRAD]
    # The next iteration starts after the zero_grad.
    assert kinds(outer.after(step, wrap=True)) == [EventKind.ZERO_GRAD, EventKind.FORWARD, EventKind.BACKWARD]


def test_closure_events_run_before_the_step_and_guards_are_recorded() -> None:
    ctx = context(
        """
        import torch
        optimizer = torch.optim.LBFGS(model.parameters())
        for x, y in loader:
            def closure():
                optimizer.zero_grad()
                loss = criterion(model(x), y)
                loss.backward()
                return loss
            if skip(x):
                for p in model.parameters():
                    p.grad.zero_()
                continue
            optimizer.step(closure)
        """
    )
    loop = loop_at(ctx, "for x, y in loader:")
    assert kinds(loop.events) == [
        EventKind.ZERO_GRAD,
        EventKind.ZERO_GRAD,
        EventKind.FORWARD,
        EventKind.BACKWARD,
        EventKind.STEP,
    ]
    guarded = loop.events[0]
    assert guarded.target is None and guarded.conditional and isinstance(guarded.guard, cst.IndentedBlock)
    assert loop.events[1].guard is None and loop.trains


def test_self_calls_resolve_to_methods_of_the_same_class_only() -> None:
    ctx = context(
        """
        import torch
        def train(model, loader, optimizer):
            for x in loader:
                optimizer.zero_grad()
                model(x).sum().backward()
                optimizer.step()

        class Net(torch.nn.Module):
            def fit(self, loader):
                for epoch in range(3):
                    self.train()

        class Trainer:
            def __init__(self, model):
                self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

            def train(self):
                self.optimizer.step()

            def run(self):
                for epoch in range(3):
                    self.train()
        """
    )
    module_call = loop_at(ctx, "for epoch in range(3):")  # Net.fit: nn.Module.train, not the function
    assert [(event.kind, event.target, event.via) for event in module_call.events] == [
        (EventKind.TRAIN, "self", ())
    ]
    run = next(loop for loop in ctx.loops.loops if loop.function is ctx.functions["run"][0])
    assert [(event.kind, event.via) for event in run.events] == [(EventKind.STEP, ("train",))]
    assert ctx.loops.helper_called(run.node.body.body[0].body[0].value) is ctx.functions["train"][1]


def test_zero_grad_serves_the_optimizer_of_its_model() -> None:
    ctx = context(
        """
        import torch
        opt_d = torch.optim.Adam(net_d.parameters())
        opt_g = torch.optim.Adam([p for n, p in net_g.named_parameters()])
        for real in loader:
            net_d.zero_grad()
            d_loss(real).backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss(real).backward()
            opt_g.step()
            model.zero_grad()
        """
    )
    assert ctx.roles.models_of("opt_d") == {"net_d"} and ctx.roles.models_of("opt_g") == {"net_g"}
    loop = loop_at(ctx, "for real in loader:")
    zero_d, zero_g, zero_unknown = loop.of_kind(EventKind.ZERO_GRAD)
    step_d, step_g = loop.of_kind(EventKind.STEP)
    clears = ctx.loops.clears
    assert clears(loop, zero_d, step_d) and not clears(loop, zero_d, step_g)
    assert clears(loop, zero_g, step_g) and not clears(loop, zero_g, step_d)
    assert clears(loop, zero_unknown, step_d) and clears(loop, zero_unknown, step_g)  # unknown: assume yes


def test_factory_functions_give_roles() -> None:
    ctx = context(
        """
        optimizer = model.configure_optimizers(0.1, 6e-4, (0.9, 0.95), "cuda")
        opt = timm.optim.create_optimizer_v2(model, "adamw")
        sched = build_lr_scheduler(cfg, opt)
        optimizer_state = get_optimizer_state(opt)
        """
    )
    assert ctx.roles.has("optimizer", Role.OPTIMIZER) and ctx.roles.has("opt", Role.OPTIMIZER)
    assert ctx.roles.has("sched", Role.SCHEDULER)
    assert not ctx.roles.of("optimizer_state")


def test_step_frequency() -> None:
    ctx = context(
        """
        import torch
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        a = torch.optim.lr_scheduler.StepLR(optimizer, 1)

        def train_epoch(loader):
            for x, y in loader:
                optimizer.zero_grad()
                criterion(model(x), y).backward()
                optimizer.step()
                a.step()
                if args.sched_per_batch is not None:
                    a.step()
                if (i + 1) % args.accum_steps == 0:
                    a.step()
                if i == len(loader) - 1:
                    a.step()
            a.step()

        def tick():
            a.step()

        for epoch in range(10):
            train_epoch(train_loader)
            a.step()
            tick()
        """
    )
    calls = ctx.loops.scheduler_steps("a")
    frequencies = [ctx.loops.step_frequency(call) for call in calls]
    assert frequencies == ["batch", "batch", "batch", None, "epoch", "epoch", "epoch"]


def test_run_length_reads_literal_epoch_counts() -> None:
    ctx = context(
        """
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--start-epoch", type=int, default=0)
        parser.add_argument("--num-epochs", "-e", type=int, default=120)
        args = parser.parse_args()
        config = {"epochs": 30}
        trainer = Trainer(max_epochs=12)
        warmup_epochs = 5
        epoch = 0
        for epoch in range(args.start_epoch, args.num_epochs):
            pass
        for epoch in range(1, config["epochs"] + 1):
            pass
        for step in range(int(os.environ["STEPS"])):
            pass
        """
    )
    run_length = ctx.loops.run_length
    assert run_length.stated_epochs == {120, 30, 12}
    first, second, third = ctx.loops.loops
    assert run_length.iterations(first) == {120}
    assert run_length.iterations(second) == {30}
    assert run_length.iterations(third) == frozenset()


def test_run_length_reads_literal_numbers_and_knows_when_one_is_unknown() -> None:
    ctx = context(
        """
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--gamma", type=float, default=0.95)
        args = parser.parse_args()
        decay = 0.5
        if fine_tune:
            decay = load_decay(config)
        scheduler = ExponentialLR(optimizer, gamma=args.gamma)
        """
    )
    run_length = ctx.loops.run_length
    call = next(n for n in ctx.module.body[-1].body[0].value.args if n.keyword).value
    assert run_length.numbers(call) == {0.95}
    assert run_length.numbers(cst.parse_expression("0.9")) == {0.9}
    # `decay` is a literal on one path and a call's result on the other: unknown, so no numbers.
    assert run_length.numbers(cst.Name("decay")) == frozenset()
    assert run_length.numbers(cst.parse_expression("h.lr_decay")) == frozenset()


def test_accumulation_facts_under_accelerate_and_without_a_guard() -> None:
    """accelerate's accumulate() skips only the prepared optimizer's zero_grad: a model's zero_grad inside
    it is the one that clears every micro-batch; a loss divided by the accumulation count with an
    unguarded step accumulates nothing."""
    ctx = context(
        """
        import torch
        optimizer = torch.optim.AdamW(model.parameters())
        for batch in loader:
            with accelerator.accumulate(model):
                accelerator.backward(model(batch).loss)
                optimizer.step()
                optimizer.zero_grad()
                model.zero_grad()
        for batch in loader:
            with accelerator.accumulate(model):
                accelerator.backward(model(batch).loss)
                optimizer.step()
                if accelerator.sync_gradients:
                    model.zero_grad()
        for batch in loader:
            loss = model(batch).loss
            loss = loss / args.gradient_accumulation_steps
            loss.backward()
            optimizer.step()
        for batch in loader:
            loss = model(batch).loss / batch.num_tokens
            loss.backward()
            optimizer.step()
        """
    )
    first, second, third, fourth = ctx.loops.loops
    accumulation = ctx.accumulation
    cleared = accumulation.clears_model_under_accumulate(first)
    assert cleared is not None and cleared.target == "model"
    assert accumulation.clears_model_under_accumulate(second) is None
    assert accumulation.clears_model_under_accumulate(third) is None  # no accumulate() context
    step = accumulation.steps_every_divided_micro_batch(third)
    assert step is not None and step.target == "optimizer"
    assert accumulation.steps_every_divided_micro_batch(fourth) is None  # a token count, not k
    assert accumulation.steps_every_divided_micro_batch(first) is None  # accelerate accumulates


def test_accelerator_built_for_one_micro_batch_accumulates_nothing() -> None:
    ctx = context(
        """
        import torch
        from accelerate import Accelerator
        accelerator = Accelerator(gradient_accumulation_steps=1)
        optimizer = torch.optim.AdamW(model.parameters())
        for batch in loader:
            with accelerator.accumulate(model):
                accelerator.backward(model(batch).loss)
                optimizer.step()
                model.zero_grad()
        """
    )
    assert ctx.accumulation.clears_model_under_accumulate(ctx.loops.loops[0]) is None


def test_fabric_backward_and_sync_skipping_contexts_leave_accumulation_to_the_loop() -> None:
    """Lightning Fabric's `fabric.backward(loss)` backpropagates the loss as given, and Fabric's
    `no_backward_sync(...)` and DDP's `no_sync()` only skip the all-reduce: the loop's own guard decides
    the step and its own division the scale. accelerate's `accumulate()` still owns accumulation."""
    ctx = context(
        """
        import torch
        import torch.nn.functional as F
        for i, (x, y) in enumerate(loader):
            with fabric.no_backward_sync(model, enabled=(i + 1) % k != 0):
                fabric.backward(F.cross_entropy(model(x), y))
            if (i + 1) % k == 0:
                optimizer.step()
                optimizer.zero_grad()
        for j, (x, y) in enumerate(loader):
            with model.no_sync():
                loss = F.cross_entropy(model(x), y) / k
                loss.backward()
            if j % k != 0:
                optimizer.step()
        for n, (x, y) in enumerate(loader):
            with accelerator.accumulate(model):
                accelerator.backward(F.cross_entropy(model(x), y))
                if (n + 1) % k == 0:
                    optimizer.step()
        """
    )
    fabric_loop, ddp_loop, accelerate_loop = ctx.loops.loops
    accumulation = ctx.accumulation.of_loop(fabric_loop)
    assert accumulation is not None and not accumulation.inverted
    (backward,) = fabric_loop.of_kind(EventKind.BACKWARD, own=False)
    assert ctx.accumulation.loss_divided(backward) is False
    inverted = ctx.accumulation.of_loop(ddp_loop)
    assert inverted is not None and inverted.inverted
    (divided,) = ddp_loop.of_kind(EventKind.BACKWARD, own=False)
    assert ctx.accumulation.loss_divided(divided) is True
    assert ctx.accumulation.of_loop(accelerate_loop) is None


def test_optimizers_of_a_dict_are_told_apart_by_their_keys() -> None:
    ctx = context(
        """
        import torch
        opts = {"G": torch.optim.Adam(g.parameters()), "D": torch.optim.Adam(d.parameters())}
        for step in range(100):
            for opt in opts.values():
                opt.zero_grad()
            opts["D"].zero_grad()
            d(x).mean().backward()
            opts["D"].step()
            alias = opts["G"]
            alias.zero_grad()
            g(x).mean().backward()
            opts["G"].step()
        """
    )
    loop = loop_at(ctx, "for step in range(100):")
    steps = {event.target: event for event in loop.of_kind(EventKind.STEP)}
    assert set(steps) == {'opts["D"]', 'opts["G"]'}
    clears = loop.of_kind(EventKind.ZERO_GRAD)
    by_target = {event.target: event for event in clears}
    # The dict's clear serves each key; a key's clear serves only that key; an alias is not followed.
    assert ctx.loops.clears(loop, by_target["opts"], steps['opts["G"]'])
    assert ctx.loops.clears(loop, by_target['opts["D"]'], steps['opts["D"]'])
    assert not ctx.loops.clears(loop, by_target['opts["D"]'], steps['opts["G"]'])
    assert ctx.loops.clears(loop, by_target["alias"], steps['opts["G"]'])


def test_a_closure_of_the_file_is_read_and_one_it_does_not_hold_may_clear() -> None:
    ctx = context(
        """
        import functools
        import torch

        def closure():
            loss = model(x).sum()
            loss.backward()
            return loss

        opt = torch.optim.LBFGS(model.parameters())
        for it in range(10):
            opt.step(closure)
        for it in range(10):
            opt.step(functools.partial(objective, opt))
        """
    )
    read = loop_at(ctx, "for it in range(10):")
    (step,) = read.of_kind(EventKind.STEP)
    assert ctx.loops.runs_closure(step) and not ctx.loops.clears_in_unread_closure(step)
    assert EventKind.BACKWARD in kinds(read.own_events)  # the closure's, read with the step
    unread = [loop for loop in ctx.loops.loops if loop is not read][0]
    (other,) = unread.of_kind(EventKind.STEP)
    assert ctx.loops.clears_in_unread_closure(other)


def test_a_closure_a_factory_returns_runs_with_the_names_the_factory_was_given() -> None:
    """pytorch-original-transformer's `train_val_loop = get_train_val_loop(model, ...)`: calling the closure
    runs its body, whose captured `model` is the caller's `net`."""
    ctx = context(
        """
        def get_loop(model, optimizer):
            def run(is_train, loader):
                if is_train:
                    model.train()
                else:
                    model.eval()
                for x in loader:
                    loss = model(x).sum()
                    if is_train:
                        optimizer.zero_grad()
                        loss.backward()
                        optimizer.step()
            return run

        def main(net, opt, train_loader, val_loader, epochs):
            run_loop = get_loop(net, opt)
            for epoch in range(epochs):
                run_loop(True, train_loader)
                run_loop(False, val_loader)
        """
    )
    events = loop_at(ctx, "for epoch in range(epochs):").events
    targets = {(event.kind, event.target) for event in events}
    assert (EventKind.EVAL, "net") in targets and (EventKind.STEP, "opt") in targets
    assert not {target for _, target in targets} & {"model", "optimizer"}


def test_a_clearing_in_a_micro_batch_loop_that_its_method_steps_after() -> None:
    """ai-toolkit's `hook_train_loop`: every micro-batch is cleared before a method of the class
    backpropagates it, and the step follows the loop; reading `.grad` in the loop, or clearing only
    before it, is no such clearing."""
    ctx = context(
        """
        import torch

        class Trainer:
            def train_single_accumulation(self, batch):
                loss = self.model(batch).mean()
                loss.backward()

            def hook_train_loop(self, batch_list):
                for batch in batch_list:
                    self.optimizer.zero_grad()
                    self.train_single_accumulation(batch)
                self.optimizer.step()

            def per_sample(self, micro_batches):
                grads = []
                for batch in micro_batches:
                    self.optimizer.zero_grad()
                    self.train_single_accumulation(batch)
                    grads.append([p.grad.clone() for p in self.model.parameters()])
                self.optimizer.step()

            def cleared_once(self, batch_list):
                self.optimizer.zero_grad()
                for batch in batch_list:
                    self.train_single_accumulation(batch)
                self.optimizer.step()
        """
    )
    first, second, third = ctx.loops.loops
    cleared = ctx.accumulation.clears_before_step_after(first)
    assert cleared is not None and cleared.target == "self.optimizer"
    assert ctx.accumulation.clears_before_step_after(second) is None
    assert ctx.accumulation.clears_before_step_after(third) is None


def test_a_guard_that_skips_the_rest_of_the_iteration_gates_the_step_after_it() -> None:
    """`if is_accumulating: continue` before the step (fish-speech's trainer) steps every k micro-batches
    as `if not is_accumulating: optimizer.step()` does; `if i % k == 0: continue` is inverted, a
    `continue` of an inner loop skips nothing of the outer one, and `n % k > 0` holds off the multiples."""
    ctx = context(
        """
        import torch.nn.functional as F

        def train(model, optimizer, loader, k, parts):
            steps = 0
            for x, y in loader:
                is_accumulating = steps % k != 0
                steps += 1
                F.cross_entropy(model(x), y).backward()
                if is_accumulating:
                    continue
                optimizer.step()
                optimizer.zero_grad()
            for i, (x, y) in enumerate(loader):
                F.cross_entropy(model(x), y).backward()
                if i % k == 0:
                    continue
                optimizer.step()
                optimizer.zero_grad()
            for j, (x, y) in enumerate(loader):
                F.cross_entropy(model(x), y).backward()
                for part in parts:
                    if j % k != 0:
                        continue
                    log(part)
                optimizer.step()
                optimizer.zero_grad()
            for n, (x, y) in enumerate(loader):
                (F.cross_entropy(model(x), y) / k).backward()
                if n % k > 0:
                    continue
                optimizer.step()
                optimizer.zero_grad()
        """
    )
    flag_loop, inverted_loop, inner_loop = ctx.loops.loops[0], ctx.loops.loops[1], ctx.loops.loops[2]
    accumulation = ctx.accumulation.of_loop(flag_loop)
    assert accumulation is not None and not accumulation.inverted and accumulation.guard is not None
    (backward,) = flag_loop.of_kind(EventKind.BACKWARD, own=False)
    assert ctx.accumulation.loss_divided(backward) is False
    inverted = ctx.accumulation.of_loop(inverted_loop)
    assert inverted is not None and inverted.inverted
    assert ctx.accumulation.of_loop(inner_loop) is None
    remainder_loop = ctx.loops.loops[4]  # after the inner `for part in parts` loop
    remainder = ctx.accumulation.of_loop(remainder_loop)
    assert remainder is not None and not remainder.inverted  # `n % k > 0`: s3prl's runners
    (divided,) = remainder_loop.of_kind(EventKind.BACKWARD, own=False)
    assert ctx.accumulation.loss_divided(divided) is True


def test_an_optimizer_kept_on_self_from_a_local_serves_the_model_the_local_was_built_over() -> None:
    """`self.optimizer = optimizer` after the same function built `optimizer` over `model.parameters()`
    (emmental's `_set_optimizer`, OpenHGNN's DiffMG trainer) serves `model`; an optimizer handed in as a
    parameter is not the one a function elsewhere in the file builds under the same name (GSAT)."""
    ctx = context(
        """
        import torch
        import torch.optim as optim

        class Learner:
            def _set_optimizer(self, model, name):
                parameters = filter(lambda p: p.requires_grad, model.parameters())
                if name == "sgd":
                    optimizer = optim.SGD(parameters, lr=0.1)
                else:
                    optimizer = optim.Adam(parameters, lr=0.001)
                self.optimizer = optimizer

        class Trainer:
            def __init__(self, clf, optimizer):
                self.clf = clf
                self.opt = optimizer

        def main(model, extractor):
            optimizer = torch.optim.Adam(list(extractor.parameters()) + list(model.parameters()))
            return Trainer(model, optimizer)
        """
    )
    assert ctx.roles.models_of("self.optimizer") == {"model"}
    assert ctx.roles.models_of("self.opt") == set()
