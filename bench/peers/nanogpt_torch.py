"""nanoGPT's CPU recipe in PyTorch, the framework nanoGPT is written in: the text benches' peer.

nanoGPT (the best-known character-level GPT codebase, PyTorch) documents a recipe for
training a character model on a laptop's CPU: the ``shakespeare_char`` configuration shrunk
to ``--device=cpu --compile=False --eval_iters=20 --log_interval=1 --block_size=64
--batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000
--dropout=0.0``. This file trains that model the way nanoGPT's ``train.py`` does, from the
published architecture and settings; the code is this project's own (the project commits
no other project's code), written to the same arithmetic:

- the model: token and learned position embeddings; pre-LayerNorm blocks (LayerNorm ->
  causal self-attention through ``scaled_dot_product_attention`` -> residual; LayerNorm ->
  MLP 4x wide, exact GELU -> residual); a final LayerNorm; the output head tied to the token
  embedding. No biases anywhere (nanoGPT's default ``bias=False``), no dropout. Weights
  normal(0, 0.02), the two residual output projections of each block normal(0, 0.02 /
  sqrt(2 * layers));
- training: batches of 12 windows at uniformly random offsets of the training part, every
  position a target; AdamW (beta 0.9/0.99, weight decay 0.1 on the parameters of 2 or more
  dimensions only), gradients clipped to norm 1.0; learning rate 1e-3 after a linear
  warm-up over 100 steps, cosine down to 1e-4 at step 2,000 (``lr_decay_iters``) and 1e-4
  after it, as nanoGPT's ``get_lr``;
- evaluation as ``train.py``'s: at step 0 and every 250 steps, the mean loss of 20 random
  batches of the training part and of the validation part; the weights of the best
  validation estimate are kept (``always_save_checkpoint = False``).

The one change is when it stops: nanoGPT stops at ``max_iters`` steps; here the budget is
wall time, as for every side of the bench, so it stops after the step in which the budget
runs out (past step 2,000 at the floor learning rate), estimates once more and keeps the
best weights. The clock starts before the first step.

The text, its split and the scoring of the test part are the bench's own
(``gpt_recipe.load_text`` and ``gpt_recipe.score_windows``), identical for every side.

    bench/.venv-torch/bin/python bench/peers/nanogpt_torch.py --data TEXT --budget 300
        [--seed 1337] [--lowercase] [--json OUT] [--layers 4] [--decay-over-budget]

(``bench_text_peers.py`` builds ``bench/.venv-torch`` on first use: PyTorch 2.13 CPU and NumPy
from the package index.)
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gpt_recipe import (  # noqa: E402
    TrainResult,
    load_text,
    report,
    score_windows,
    steps_rate,
)
from gpt_recipe import lr_at as recipe_lr  # noqa: E402


@dataclass(frozen=True)
class NanoConfig:
    """nanoGPT's CPU recipe (nanoGPT's own names)."""

    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    batch_size: int = 12
    learning_rate: float = 1e-3
    min_lr: float = 1e-4
    warmup_iters: int = 100
    lr_decay_iters: int = 2000
    beta1: float = 0.9
    beta2: float = 0.99
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_interval: int = 250
    eval_iters: int = 20
    seed: int = 1337

    # gpt_recipe's flops_per_char and lr_at read the recipe under these names
    @property
    def lr(self) -> float:
        return self.learning_rate

    @property
    def warmup(self) -> int:
        return self.warmup_iters

    @property
    def layers(self) -> int:
        return self.n_layer

    @property
    def embed(self) -> int:
        return self.n_embd

    @property
    def context(self) -> int:
        return self.block_size


def lr_at(step: int, cfg: NanoConfig) -> float:
    """The learning rate of ``step``: linear warm-up, cosine to ``min_lr`` at
    ``lr_decay_iters``, then ``min_lr``."""
    if step < cfg.warmup_iters:
        return cfg.learning_rate * (step + 1) / (cfg.warmup_iters + 1)
    if step > cfg.lr_decay_iters:
        return cfg.min_lr
    ratio = (step - cfg.warmup_iters) / (cfg.lr_decay_iters - cfg.warmup_iters)
    return cfg.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (cfg.learning_rate
                                                                   - cfg.min_lr)


def lr_by_time(step: int, elapsed: float, warmup_end: float | None, budget: float,
               cfg: NanoConfig) -> float:
    """``--decay-over-budget``: the same warm-up, then the cosine follows the share of the
    budget's time left after warm-up, reaching ``min_lr`` when the budget ends (the Keras
    rebuild's schedule)."""
    return recipe_lr(step, elapsed, warmup_end, budget, cfg)


def build_model(vocab_size: int, cfg: NanoConfig):
    """The GPT as a ``torch.nn.Module``: ids ``(b, t)`` -> logits ``(b, t, vocab_size)``."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    C, H = cfg.n_embd, cfg.n_head

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(C, 3 * C, bias=False)
            self.out = nn.Linear(C, C, bias=False)

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = (z.view(b, t, H, C // H).transpose(1, 2)
                       for z in self.qkv(x).split(C, dim=2))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (b, H, t, C/H)
            return self.out(y.transpose(1, 2).reshape(b, t, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1 = nn.LayerNorm(C, bias=False)
            self.attn = Attention()
            self.norm2 = nn.LayerNorm(C, bias=False)
            self.up = nn.Linear(C, 4 * C, bias=False)
            self.down = nn.Linear(4 * C, C, bias=False)

        def forward(self, x):
            x = x + self.attn(self.norm1(x))
            return x + self.down(F.gelu(self.up(self.norm2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(vocab_size, C)
            self.positions = nn.Embedding(cfg.block_size, C)
            self.blocks = nn.ModuleList(Block() for _ in range(cfg.n_layer))
            self.norm = nn.LayerNorm(C, bias=False)
            for name, p in self.named_parameters():
                if p.dim() >= 2:
                    deep = name.endswith(("attn.out.weight", "down.weight"))
                    std = 0.02 / math.sqrt(2 * cfg.n_layer) if deep else 0.02
                    nn.init.normal_(p, 0.0, std)

        def forward(self, ids):
            t = ids.shape[1]
            x = self.tokens(ids) + self.positions(torch.arange(t, device=ids.device))
            for block in self.blocks:
                x = block(x)
            return self.norm(x) @ self.tokens.weight.T  # the head tied to the embedding

    torch.manual_seed(cfg.seed)
    return GPT()


def train_for(model, ids: np.ndarray, n_train: int, n_val_end: int, budget: float,
              cfg: NanoConfig, log=None, by_time: bool = False) -> TrainResult:
    """Train until ``budget`` seconds have passed; leave the best estimate's weights.
    ``by_time``: the decay follows the budget (:func:`lr_by_time`), not the step count."""
    import torch
    from torch.nn import functional as F

    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": rest, "weight_decay": 0.0}],
                            lr=cfg.learning_rate, betas=(cfg.beta1, cfg.beta2))
    data = torch.from_numpy(ids.astype(np.int64))
    T, B = cfg.block_size, cfg.batch_size
    gen = torch.Generator().manual_seed(cfg.seed)

    def batch(lo: int, hi: int):
        starts = torch.randint(lo, hi - T, (B,), generator=gen)
        w = torch.stack([data[s:s + T + 1] for s in starts.tolist()])
        return w[:, :-1], w[:, 1:]

    def loss_of(x, y):
        logits = model(x)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))

    @torch.no_grad()
    def estimate(lo: int, hi: int) -> float:
        model.eval()
        out = float(np.mean([loss_of(*batch(lo, hi)).item() for _ in range(cfg.eval_iters)]))
        model.train()
        return out

    best_val, best_step, best_state = math.inf, 0, None
    step, first_step, step_seconds, warmup_end = 0, 0.0, 0.0, None
    model.train()
    t0 = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - t0
        if step % cfg.eval_interval == 0 or elapsed >= budget:
            train_loss, val = estimate(0, n_train), estimate(n_train, n_val_end)
            if val < best_val:
                best_val, best_step = val, step
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if log:
                log(f"step {step}: train {train_loss:.4f} val {val:.4f} ({elapsed:.1f} s)")
            if elapsed >= budget:
                break
        for group in opt.param_groups:
            group["lr"] = lr_by_time(step, elapsed, warmup_end, budget, cfg) if by_time \
                else lr_at(step, cfg)
        x, y = batch(0, n_train)
        t_step = time.perf_counter()
        loss = loss_of(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        took = time.perf_counter() - t_step
        first_step, step_seconds = (took, step_seconds) if step == 0 else \
            (first_step, step_seconds + took)
        step += 1
        if step == cfg.warmup_iters:
            warmup_end = time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    if best_state is not None:
        model.load_state_dict(best_state)
    params = sum(p.numel() for p in model.parameters())  # the tied matrix counted once
    return TrainResult(step, seconds, step * B * T, steps_rate(step, B * T, step_seconds,
                                                               seconds),
                       first_step, best_val, best_step, params)


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=300.0, help="training seconds")
    parser.add_argument("--seed", type=int, default=NanoConfig.seed)
    parser.add_argument("--lowercase", action="store_true")
    parser.add_argument("--layers", type=int, default=NanoConfig.n_layer,
                        help="transformer blocks (the recipe's 4; fewer for a smoke test)")
    parser.add_argument("--decay-over-budget", action="store_true",
                        help="decay over the time budget instead of 2,000 steps (a variant "
                             "of the recipe, not nanoGPT's own)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--verbose", action="store_true", help="the evaluations on stderr")
    args = parser.parse_args()

    cfg = NanoConfig(seed=args.seed, n_layer=args.layers)
    text = load_text(args.data, args.lowercase)
    model = build_model(len(text.chars), cfg)
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    result = train_for(model, text.ids, text.n_train, text.n_val_end, args.budget, cfg, log,
                       args.decay_over_budget)

    model.eval()

    @torch.no_grad()
    def nll(x, y):
        logits = model(torch.from_numpy(x.astype(np.int64)))
        return torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), torch.from_numpy(y.astype(np.int64)),
            reduction="none").numpy()

    t0 = time.perf_counter()
    test = score_windows(nll, text.ids, text.n_val_end, text.n, cfg.block_size)
    report(result, test, time.perf_counter() - t0, cfg, text, args.json,
           threads=torch.get_num_threads(), torch=torch.__version__,
           decay_over_budget=args.decay_over_budget)


if __name__ == "__main__":
    main()
