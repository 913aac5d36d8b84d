#!/usr/bin/env python3
"""The spam benchmark's Python PyTorch peer: the model embtrain trains, written as a PyTorch
user would. EmbeddingBag(mean) -> Linear(D, H) -> ReLU -> Linear(H, 1), BCE-with-logits, Adam,
batches, shuffled each epoch, then test accuracy.

usage: bench_torch.py TRAIN.txt TEST.txt --optimizer sparse_adam|adam [--dim 64 --hidden 16
       --epochs 10 --batch 32 --lr 1e-3 --threads 2]
Prints one JSON line: {"accuracy", "seconds"}.
"""
import argparse
import json
import time

import torch
from torch import nn


def read(path, vocab, grow):
    ids, offsets, labels = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            labels.append(float(words[0] == "__label__1"))
            offsets.append(len(ids))
            for w in words[1:]:
                if grow and w not in vocab:
                    vocab[w] = len(vocab)
                i = vocab.get(w)
                if i is not None:
                    ids.append(i)
    return torch.tensor(ids), torch.tensor(offsets + [len(ids)]), torch.tensor(labels)


class Model(nn.Module):
    def __init__(self, vocab_size, dim, hidden, sparse):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, dim, mode="mean", sparse=sparse)
        self.linear = nn.Linear(dim, hidden)
        self.linear_1 = nn.Linear(hidden, 1)

    def forward(self, ids, offsets):
        return self.linear_1(torch.relu(self.linear(self.embedding(ids, offsets)))).squeeze(1)


def batch(ids, offsets, labels, index):
    starts, ends = offsets[index], offsets[index + 1]
    pieces = [ids[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    lengths = torch.tensor([len(p) for p in pieces])
    bag_offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)[:-1]])
    return torch.cat(pieces), bag_offsets, labels[index]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("train")
    p.add_argument("test")
    p.add_argument("--optimizer", default="sparse_adam")
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    started = time.time()
    torch.set_num_threads(a.threads)
    torch.manual_seed(851)
    vocab = {}
    train = read(a.train, vocab, True)
    test = read(a.test, vocab, False)
    sparse = a.optimizer == "sparse_adam"
    model = Model(len(vocab), a.dim, a.hidden, sparse)
    if sparse:
        optimizers = [torch.optim.SparseAdam(list(model.embedding.parameters()), lr=a.lr),
                      torch.optim.Adam(list(model.linear.parameters()) +
                                       list(model.linear_1.parameters()), lr=a.lr)]
    else:
        optimizers = [torch.optim.Adam(model.parameters(), lr=a.lr)]
    loss_fn = nn.BCEWithLogitsLoss()
    n = len(train[2])
    for _ in range(a.epochs):
        order = torch.randperm(n)
        for start in range(0, n, a.batch):
            ids, offsets, labels = batch(*train, order[start:start + a.batch])
            loss = loss_fn(model(ids, offsets), labels)
            for o in optimizers:
                o.zero_grad()
            loss.backward()
            for o in optimizers:
                o.step()
    with torch.no_grad():
        ids, offsets, labels = batch(*test, torch.arange(len(test[2])))
        accuracy = ((model(ids, offsets) > 0).float() == labels).float().mean().item()
    print(json.dumps({"accuracy": accuracy, "seconds": time.time() - started}))


if __name__ == "__main__":
    main()
