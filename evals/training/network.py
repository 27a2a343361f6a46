"""The cross-encoder network (torch, training only): the bundled all-MiniLM-L6-v2 encoder with an
answer head and a support head on [CLS] and a start/end head over the second text's tokens. With
`null_span`, the span of a candidate that does not answer points at [CLS] (the "null span" of SQuAD
2.0 readers), and the margin of the best real span over it says how sure the span head is."""

from __future__ import annotations

import torch

from groundqa.cross_encoder import MAX_LENGTH

from .examples import Example

OUTPUTS = ("answer", "start", "end", "support")
SPAN_WEIGHT = 0.25  # the short answer matters less than whether the sentence answers at all
NULL_POSITION = 0  # [CLS]: the null span


class CrossEncoderNet(torch.nn.Module):
    def __init__(self, model_path: str, null_span: bool = False):
        super().__init__()
        self.null_span = null_span
        from transformers import AutoModel

        self.encoder = AutoModel.from_pretrained(model_path)
        hidden = self.encoder.config.hidden_size
        self.dropout = torch.nn.Dropout(0.1)
        self.answer = torch.nn.Linear(hidden, 1)
        self.support = torch.nn.Linear(hidden, 1)
        self.span = torch.nn.Linear(hidden, 2)

    def forward(self, input_ids, attention_mask, token_type_ids):
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        first = self.dropout(states[:, 0])
        start, end = self.span(self.dropout(states)).unbind(-1)
        outside = (token_type_ids == 0) | (attention_mask == 0)  # spans lie inside the second text
        if self.null_span:
            outside[:, NULL_POSITION] = False  # or are the null span
        start = start.masked_fill(outside, -1e4)
        end = end.masked_fill(outside, -1e4)
        return self.answer(first).squeeze(-1), start, end, self.support(first).squeeze(-1)


def tokenizer(model_path: str):
    from tokenizers import Tokenizer

    tokens = Tokenizer.from_file(f"{model_path}/tokenizer.json")
    tokens.enable_truncation(MAX_LENGTH, strategy="longest_first")
    tokens.no_padding()
    return tokens


def encode(tokens, examples: list[Example], null_span: bool = False) -> list[dict]:
    """Token ids of every example, with its span as token positions (-1 when none or truncated away;
    with `null_span`, a reader candidate that does not answer has the null span)."""
    encoded = []
    for example, encoding in zip(examples, tokens.encode_batch([(e.first, e.second) for e in examples]),
                                 strict=True):
        start = end = NULL_POSITION if null_span and example.task == "read" and not example.label else -1
        if example.span:
            first = encoding.char_to_token(example.span[0], 1)
            last = encoding.char_to_token(example.span[1] - 1, 1)
            if first is not None and last is not None:
                start, end = first, last
        encoded.append({"ids": encoding.ids, "types": encoding.type_ids, "start": start, "end": end,
                        "label": example.label, "judge": example.task == "judge"})
    return encoded


def collate(rows: list[dict]) -> dict[str, torch.Tensor]:
    width = max(len(r["ids"]) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for i, row in enumerate(rows):
        n = len(row["ids"])
        ids[i, :n] = torch.tensor(row["ids"])
        types[i, :n] = torch.tensor(row["types"])
        mask[i, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
            "label": torch.tensor([r["label"] for r in rows], dtype=torch.float),
            "judge": torch.tensor([r["judge"] for r in rows], dtype=torch.bool),
            "start": torch.tensor([r["start"] for r in rows], dtype=torch.long),
            "end": torch.tensor([r["end"] for r in rows], dtype=torch.long)}


def losses(net: CrossEncoderNet, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    answer, start, end, support = net(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    judge, label = batch["judge"], batch["label"]
    total = torch.zeros(())
    if (~judge).any():
        total = total + bce(answer[~judge], label[~judge])
    if judge.any():
        total = total + bce(support[judge], label[judge])
    spans = batch["start"] >= 0
    if spans.any():
        cross = torch.nn.functional.cross_entropy
        span_loss = cross(start[spans], batch["start"][spans]) + cross(end[spans], batch["end"][spans])
        total = total + SPAN_WEIGHT * span_loss
    return total
