#!/usr/bin/env python3
"""The article's PyTorch trainer, generalised just enough to be checked against embtrain.

With --batch-size 1, pooling flatten and no shuffling this is the article's own loop
(../shared/seed): a 1-D input of max_length ids per step, x.flatten(), BCELoss against a
[1] target, Adam over model.parameters(). Batches, pooling, shuffling, SparseAdam and a
vocabulary file generalise it the way embtrain does. Prints {"vocab", "before", "after"}
as JSON on stdout.
"""
import argparse
import json
import math

import torch
from torch import nn


class TrainEmbedding(nn.Module):
    """The article's model: Embedding -> pooling -> Linear -> ReLU -> Linear -> [ReLU] -> Sigmoid."""

    def __init__(self, embedding_dim, hidden_dim, vocab_size, max_length, pooling, final_relu,
                 sparse, outputs=1):
        super().__init__()
        self.pooling = pooling
        self.final_relu = final_relu
        self.embedding = nn.Embedding(num_embeddings=vocab_size, embedding_dim=embedding_dim,
                                      sparse=sparse)
        in_features = embedding_dim * max_length if pooling == "flatten" else embedding_dim
        self.linear = nn.Linear(in_features=in_features, out_features=hidden_dim)
        self.linear_1 = nn.Linear(in_features=hidden_dim, out_features=outputs)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x, offsets=None):
        if self.pooling == "flatten":
            x = self.embedding(x)
            x = x.flatten(start_dim=x.dim() - 2)  # the article's x.flatten() for one sentence
        else:
            x = nn.functional.embedding_bag(x, self.embedding.weight, offsets, mode=self.pooling,
                                            sparse=self.embedding.sparse)
        x = torch.relu(self.linear(x))
        x = self.linear_1(x)
        if self.final_relu:
            x = torch.relu(x)
        return self.sigmoid(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", required=True)
    p.add_argument("--vocab")
    p.add_argument("--embedding-dim", type=int, default=4)
    p.add_argument("--hidden-dim", type=int, default=8)
    p.add_argument("--max-length", type=int, default=3)
    p.add_argument("--pooling", default="flatten")
    p.add_argument("--final-relu", type=int, default=1)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--optimizer", default="adam")
    p.add_argument("--seed", type=int, default=851)
    p.add_argument("--shuffle", type=int, default=0)
    p.add_argument("--init", default="normal")
    p.add_argument("--lr-schedule", default="constant")
    p.add_argument("--warmup-steps", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(1)

    dataset, label_lists = [], []
    with open(a.train, encoding="utf-8") as f:
        for line in f:
            labels, text = line.rstrip("\n").split("\t", 1)
            dataset.append(text)
            label_lists.append(labels.split(","))
    # 0/1 data: one output (the article). Other labels: one output per label, in first-seen
    # order, with multi-hot targets (BCE one-vs-all).
    binary = all(len(ls) == 1 and ls[0] in ("0", "1") for ls in label_lists)
    label_names = [] if binary else list(dict.fromkeys(l for ls in label_lists for l in ls))
    outputs = 1 if binary else len(label_names)
    if binary:
        target = [float(ls[0]) for ls in label_lists]
    else:
        target = [[1.0 if name in ls else 0.0 for name in label_names] for ls in label_lists]
    if a.vocab:
        with open(a.vocab, encoding="utf-8") as f:
            tokens = [line.rstrip("\n") for line in f]
    else:  # first-seen order (the article used list(set(...)), whose order is arbitrary)
        tokens = list(dict.fromkeys(" ".join(dataset).split()))
    vocab = {token: index for index, token in enumerate(tokens)}
    encoded_sentences = [[vocab[w] for w in s.split() if w in vocab] for s in dataset]

    torch.manual_seed(a.seed)
    model = TrainEmbedding(a.embedding_dim, a.hidden_dim, len(vocab), a.max_length, a.pooling,
                           bool(a.final_relu), a.optimizer == "sparse_adam", outputs)
    if a.init == "uniform":  # fastText's U(-1/D, 1/D)
        nn.init.uniform_(model.embedding.weight, -1.0 / a.embedding_dim, 1.0 / a.embedding_dim)
    elif a.init == "xavier_uniform":
        nn.init.xavier_uniform_(model.embedding.weight)
    loss_fn = nn.BCELoss()
    before = model.embedding.weight.detach().clone()
    if a.optimizer == "sparse_adam":
        optimizers = [torch.optim.SparseAdam([model.embedding.weight], lr=a.lr),
                      torch.optim.Adam([p for n, p in model.named_parameters()
                                        if not n.startswith("embedding")], lr=a.lr)]
    else:
        optimizers = [torch.optim.Adam(model.parameters(), lr=a.lr)]
    steps_per_epoch = -(-len(encoded_sentences) // a.batch_size)
    total, warmup = a.epochs * steps_per_epoch, a.warmup_steps

    def factor(k):  # the lr multiplier of step k, as the README's train.lr_schedule states it
        if k < warmup:
            return (k + 1) / warmup
        if a.lr_schedule == "constant" or total <= warmup:
            return 1.0
        progress = (k - warmup) / (total - warmup)
        if a.lr_schedule == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    schedulers = [torch.optim.lr_scheduler.LambdaLR(o, factor) for o in optimizers]
    generator = torch.Generator()
    generator.manual_seed(a.seed)
    n = len(encoded_sentences)
    article_loop = a.batch_size == 1 and a.pooling == "flatten" and not a.shuffle and binary
    for _ in range(a.epochs):
        order = torch.randperm(n, generator=generator).tolist() if a.shuffle else list(range(n))
        for start in range(0, n, a.batch_size):
            idx = order[start:start + a.batch_size]
            model.train()
            if article_loop:  # the article's step, unchanged
                input_tensor = torch.tensor(encoded_sentences[idx[0]])
                target_tensor = torch.tensor([target[idx[0]]], dtype=torch.float32)
                output = model(input_tensor)
            elif a.pooling == "flatten":
                rows = [(encoded_sentences[i] + [0] * a.max_length)[:a.max_length] for i in idx]
                output = model(torch.tensor(rows)).squeeze(1)
                target_tensor = torch.tensor([target[i] for i in idx], dtype=torch.float32)
            else:
                flat = [t for i in idx for t in encoded_sentences[i]]
                offsets, at = [], 0
                for i in idx:
                    offsets.append(at)
                    at += len(encoded_sentences[i])
                output = model(torch.tensor(flat, dtype=torch.int64),
                               torch.tensor(offsets, dtype=torch.int64)).squeeze(1)
                target_tensor = torch.tensor([target[i] for i in idx], dtype=torch.float32)
            loss = loss_fn(output, target_tensor)
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            for scheduler in schedulers:
                scheduler.step()
    print(json.dumps({"vocab": tokens, "before": before.tolist(),
                      "after": model.embedding.weight.detach().tolist()}))


if __name__ == "__main__":
    main()
