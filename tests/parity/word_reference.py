#!/usr/bin/env python3
"""skip-gram and CBOW with negative sampling in plain PyTorch: the reference that embtrain's word
objectives (src/torch/word_objective.cpp) must match bit for bit on CPU.

usage: word_reference.py TEXT OUT.pt --objective skipgram|cbow [--dim D] [--window W]
       [--negative N] [--ns-exponent E] [--sample S] [--min-count C] [--order first_seen|frequency]
       [--epochs E] [--batch-size B] [--lr LR] [--schedule constant|linear] [--optimizer sgd|sparse_adam]
       [--shuffle] [--seed S] [--subwords [--minn N] [--maxn N] [--buckets B]]

Writes {"vocab": [...], "before": [V, D], "after": [V, D], "output": [V, D]} with torch.save:
the word vectors (with --subwords, each the mean of the word's row and its character n-grams'
rows, fastText's hashing written out below) and the output vectors.
The order of every draw is word_objective.h's: the model from the global generator
(torch.manual_seed), then per epoch from one torch.Generator seeded with the same seed:
subsampling, windows, the order, and each batch's negatives (inverse transform: rand, then
searchsorted on the cumulative count^exponent).

The scores are bmm(out [P, T, D], hidden [P, D, 1]) computed as ATen's bmm computes them where it
runs its plain loop (D·T < 400): each sum from +0, in index order, one rounding per multiply and
add (PlainScores below, checked against torch.bmm at those sizes). Above that ATen hands bmm to
BLAS, whose order depends on the CPU; embtrain keeps the plain order at every size
(src/torch/word_kernels.h), and so does this reference.
"""
import argparse
import collections
import math

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("text")
p.add_argument("out")
p.add_argument("--objective", default="skipgram")
p.add_argument("--dim", type=int, default=8)
p.add_argument("--window", type=int, default=5)
p.add_argument("--negative", type=int, default=5)
p.add_argument("--ns-exponent", type=float, default=0.75)
p.add_argument("--sample", type=float, default=1e-3)
p.add_argument("--min-count", type=int, default=1)
p.add_argument("--order", default="first_seen")
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--batch-size", type=int, default=16)
p.add_argument("--lr", type=float, default=0.025)
p.add_argument("--schedule", default="linear")
p.add_argument("--optimizer", default="sgd")
p.add_argument("--shuffle", action="store_true")
p.add_argument("--seed", type=int, default=851)
p.add_argument("--subwords", action="store_true")
p.add_argument("--minn", type=int, default=3)
p.add_argument("--maxn", type=int, default=6)
p.add_argument("--buckets", type=int, default=2000000)
a = p.parse_args()


def fasttext_hash(text):
    """fastText's Dictionary::hash: FNV-1a over the UTF-8 bytes, each sign-extended."""
    h = 2166136261
    for byte in text.encode("utf-8"):
        h = ((h ^ ((byte - 256 if byte > 127 else byte) & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
    return h


def subword_rows(word, words):
    """The rows of word's character n-grams (minn..maxn code points of "<word>"), fastText's order."""
    w, out = "<" + word + ">", []
    for i in range(len(w)):
        for n in range(1, a.maxn + 1):
            if i + n > len(w):
                break
            if n >= a.minn and not (n == 1 and (i == 0 or i + n == len(w))):
                out.append(words + fasttext_hash(w[i:i + n]) % a.buckets)
    return out


class PlainScores(torch.autograd.Function):
    """logits[p, t] = sum_d out[p, t, d] * hidden[p, d], and its backward, in bmm's plain-loop order."""

    @staticmethod
    def forward(ctx, out, hidden):
        ctx.save_for_backward(out, hidden)
        logits = torch.zeros(out.shape[0], out.shape[1])
        for d in range(out.shape[2]):
            logits = logits + out[:, :, d] * hidden[:, None, d]
        if out.shape[1] * out.shape[2] < 400:
            assert logits.equal(torch.bmm(out, hidden.unsqueeze(2)).squeeze(2)), "plain scores differ from bmm"
        return logits

    @staticmethod
    def backward(ctx, g):
        out, hidden = ctx.saved_tensors
        grad_out = torch.zeros(out.shape) + g[:, :, None] * hidden[:, None, :]
        grad_hidden = torch.zeros(hidden.shape)
        for t in range(out.shape[1]):
            grad_hidden = grad_hidden + out[:, t, :] * g[:, t, None]
        return grad_out, grad_hidden


torch.set_num_threads(1)

lines = [line.split() for line in open(a.text, encoding="utf-8")]
counts = collections.Counter()
first_seen = []
for line in lines:
    for w in line:
        if w not in counts:
            first_seen.append(w)
        counts[w] += 1
vocab = [w for w in first_seen if counts[w] >= a.min_count]
if a.order == "frequency":
    vocab.sort(key=lambda w: -counts[w])  # stable: ties keep first-seen order
index = {w: i for i, w in enumerate(vocab)}
ids = [[index[w] for w in line if w in index] for line in lines]
count = [counts[w] for w in vocab]
V, D = len(vocab), a.dim
rows = [[i] + (subword_rows(w, V) if a.subwords else []) for i, w in enumerate(vocab)]
bags = a.objective == "cbow" or a.subwords


def word_vectors(table):
    if not a.subwords:
        return table.detach().clone()
    starts = [0]
    for r in rows[:-1]:
        starts.append(starts[-1] + len(r))
    return F.embedding_bag(torch.tensor([i for r in rows for i in r]), table.detach(), torch.tensor(starts),
                           mode="mean")


torch.manual_seed(a.seed)
emb, out = torch.nn.Embedding(V + (a.buckets if a.subwords else 0), D), torch.nn.Embedding(V, D)
with torch.no_grad():
    emb.weight.uniform_(-0.5 / D, 0.5 / D)
    out.weight.zero_()
before = word_vectors(emb.weight)
params = [emb.weight, out.weight]
opt = torch.optim.SGD(params, lr=a.lr) if a.optimizer == "sgd" else torch.optim.SparseAdam(params, lr=a.lr)
g = torch.Generator()
g.manual_seed(a.seed)
total = float(sum(count))
keep = [min(1.0, math.sqrt(a.sample / (c / total)) + a.sample / (c / total)) if a.sample > 0 else 1.0 for c in count]
weights = torch.tensor(count, dtype=torch.int64).to(torch.float64).pow(a.ns_exponent)
cdf = torch.cumsum(weights, 0)
cdf = cdf / cdf[-1]
flat = [w for line in ids for w in line]
cbow = a.objective == "cbow"

for epoch in range(1, a.epochs + 1):
    u = torch.rand(len(flat), generator=g, dtype=torch.float64).tolist() if a.sample > 0 else None
    position, line_of, first_kept, t = [], [], [0], 0
    for l, line in enumerate(ids):
        for _ in line:
            if u is None or u[t] < keep[flat[t]]:
                position.append(t)
                line_of.append(l)
            t += 1
        first_kept.append(len(position))
    K = len(position)
    window = torch.randint(1, a.window + 1, (K,), generator=g).tolist()
    order = torch.randperm(K, generator=g).tolist() if a.shuffle else list(range(K))
    batches = (K + a.batch_size - 1) // a.batch_size
    for i in range(batches):
        inputs, offsets, targets = [], [], []
        for k in order[i * a.batch_size:(i + 1) * a.batch_size]:
            l, b = line_of[k], window[k]
            lo, hi = max(first_kept[l], k - b), min(first_kept[l + 1] - 1, k + b)
            if hi <= lo:
                continue
            centre = flat[position[k]]
            if cbow:
                offsets.append(len(inputs))
            for j in range(lo, hi + 1):
                if j == k:
                    continue
                if cbow:
                    inputs.extend(rows[flat[position[j]]])
                    continue
                if bags:
                    offsets.append(len(inputs))
                    inputs.extend(rows[centre])
                else:
                    inputs.append(centre)
                targets.append(flat[position[j]])
            if cbow:
                targets.append(centre)
        if not targets:
            continue
        u = torch.rand(len(targets) * a.negative, generator=g, dtype=torch.float64)
        negatives = torch.searchsorted(cdf, u, right=True).clamp_max_(V - 1).view(len(targets), a.negative)
        progress = ((epoch - 1) * batches + i) / (a.epochs * batches)
        factor = 1.0 if a.schedule == "constant" else max(1.0 - progress, 1e-4)
        for group in opt.param_groups:
            group["lr"] = a.lr * factor
        opt.zero_grad()
        if bags:
            hidden = F.embedding_bag(torch.tensor(inputs), emb.weight, torch.tensor(offsets), mode="mean", sparse=True)
        else:
            hidden = F.embedding(torch.tensor(inputs), emb.weight, sparse=True)
        words = torch.cat([torch.tensor(targets).unsqueeze(1), negatives], 1)
        logits = PlainScores.apply(F.embedding(words, out.weight, sparse=True), hidden)
        labels = torch.zeros_like(logits)
        labels[:, 0] = 1.0
        F.binary_cross_entropy_with_logits(logits, labels, reduction="sum").backward()
        opt.step()

torch.save({"vocab": vocab, "before": before, "after": word_vectors(emb.weight),
            "output": out.weight.detach().clone()}, a.out)
