"""The training loop: fixed seeds, batches of similar length, a linear warm-up and decay, and a
checkpoint every few minutes so a stopped run resumes where it was (`groundqa train` again)."""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from .network import CrossEncoderNet, collate, losses

CHECKPOINT = "checkpoint.safetensors"


@dataclass(frozen=True)
class Hyperparameters:
    seed: int = 13
    batch_size: int = 32
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_share: float = 0.06
    epochs: int = 2
    checkpoint_minutes: float = 4.0
    freeze_word_embeddings: bool = True  # the vocabulary's vectors stay the bundled ones (faster steps)
    null_span: bool = False  # non-answers' spans point at [CLS] (reader 8; README "Train")


def batches(rows: list[dict], size: int, seed: int, epochs: int) -> list[list[int]]:
    """Indices of every batch of every epoch: shuffled, then grouped by length so padding is small."""
    rng = random.Random(seed)
    plan = []
    for _ in range(epochs):
        order = list(range(len(rows)))
        rng.shuffle(order)
        for start in range(0, len(order), size * 50):  # sort within pools of 50 batches
            pool = sorted(order[start:start + size * 50], key=lambda i: len(rows[i]["ids"]))
            chunk = [pool[i:i + size] for i in range(0, len(pool), size)]
            rng.shuffle(chunk)
            plan += chunk
    return plan


def train(net: CrossEncoderNet, rows: list[dict], work: Path, settings: Hyperparameters,
          max_minutes: float | None = None, log=print) -> dict:
    """Train `net` on `rows`, resuming from `work/checkpoint.pt` when present; returns run facts."""
    torch.manual_seed(settings.seed)
    if settings.freeze_word_embeddings:
        net.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    heads = [p for name, p in net.named_parameters() if not name.startswith("encoder.") and p.requires_grad]
    body = [p for name, p in net.named_parameters() if name.startswith("encoder.") and p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": body, "lr": settings.learning_rate},
                                   {"params": heads, "lr": settings.head_learning_rate}],
                                  weight_decay=settings.weight_decay)
    plan = batches(rows, settings.batch_size, settings.seed, settings.epochs)
    warmup = max(1, int(len(plan) * settings.warmup_share))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / (len(plan) - warmup))))
    step, seconds = 0, 0.0
    checkpoint = work / CHECKPOINT
    if checkpoint.exists():
        step, seconds = _load(checkpoint, net, optimizer, scheduler)
        log(f"resumed at step {step} of {len(plan)} ({seconds / 60:.1f} min already trained)")
    net.train()
    started, saved, recent = time.perf_counter(), time.perf_counter(), []
    while step < len(plan):
        if max_minutes is not None and seconds + time.perf_counter() - started > max_minutes * 60:
            log(f"stopping at the {max_minutes:g}-minute budget, step {step} of {len(plan)}")
            break
        loss = losses(net, collate([rows[i] for i in plan[step]]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        step += 1
        recent.append(float(loss.detach()))
        if step % 50 == 0 or step == len(plan):
            elapsed = seconds + time.perf_counter() - started
            log(f"step {step}/{len(plan)}  loss {np.mean(recent):.4f}  {elapsed / 60:.1f} min")
            recent = []
        if time.perf_counter() - saved > settings.checkpoint_minutes * 60 or step == len(plan):
            _save(checkpoint, net, optimizer, scheduler, step, seconds + time.perf_counter() - started)
            saved = time.perf_counter()
    seconds += time.perf_counter() - started
    facts = {"steps": step, "planned_steps": len(plan), "examples_seen": sum(len(b) for b in plan[:step]),
             "train_minutes": round(seconds / 60, 1), "hyperparameters": asdict(settings),
             "torch_threads": torch.get_num_threads()}
    (work / "train.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
    return facts


def _save(path: Path, net, optimizer, scheduler, step: int, seconds: float) -> None:
    """Weights, optimizer moments and the random state as safetensors, the rest as JSON (no code
    object serialisation, so loading a checkpoint can never run code). Written aside, then renamed."""
    from safetensors.torch import save_file

    tensors = {f"net.{k}": v.contiguous() for k, v in net.state_dict().items()}
    optimizer_state = optimizer.state_dict()
    for index, moments in optimizer_state["state"].items():
        for name, value in moments.items():
            tensors[f"optimizer.{index}.{name}"] = torch.as_tensor(value).contiguous()
    tensors["torch_rng"] = torch.get_rng_state()
    meta = {"step": step, "seconds": seconds, "scheduler": scheduler.state_dict(),
            "param_groups": optimizer_state["param_groups"]}
    partial = path.with_suffix(".partial")
    save_file(tensors, str(partial), metadata={"state": json.dumps(meta)})
    partial.replace(path)


def _load(path: Path, net, optimizer, scheduler) -> tuple[int, float]:
    from safetensors import safe_open
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    with safe_open(str(path), framework="pt") as handle:
        meta = json.loads(handle.metadata()["state"])
    net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
    state: dict = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    scheduler.load_state_dict(meta["scheduler"])
    torch.set_rng_state(tensors["torch_rng"])
    return meta["step"], meta["seconds"]


@torch.no_grad()
def predict(net: CrossEncoderNet, rows: list[dict], batch_size: int = 64) -> dict[str, list]:
    """Raw outputs for `rows` (evaluation mode): answer and support logits, best span tokens."""
    net.eval()
    answer, support, spans = [], [], []
    for start in range(0, len(rows), batch_size):
        batch = collate(rows[start:start + batch_size])
        a, s, e, j = net(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
        answer += a.tolist()
        support += j.tolist()
        scores = s[:, :, None] + e[:, None, :]
        allowed = torch.triu(torch.ones(scores.shape[1], scores.shape[1], dtype=torch.bool))
        allowed &= ~torch.triu(torch.ones_like(allowed), diagonal=12)
        best = scores.masked_fill(~allowed, -1e9).flatten(1).argmax(1)
        spans += [(int(b) // scores.shape[1], int(b) % scores.shape[1]) for b in best]
    net.train()
    return {"answer": answer, "support": support, "span": spans}
