// word_objective.h — skip-gram and CBOW with negative sampling (model.objective skipgram | cbow).
//
// The model is word2vec's: input vectors `embedding.weight` [V, D] (uniform in ±0.5/D) and
// output vectors `output.weight` [V, D] (zeros). An epoch, in this order, every draw from one
// CPU generator seeded with train.seed (the model's draws come from the global generator first):
//   1. subsampling: u = rand(T, float64); token t is kept when u[t] < min(1, √(s/f) + s/f),
//      f = count/total, s = vocab.sample (no draw when s = 0);
//   2. windows: b = randint(1, window + 1, [K]) for the K kept tokens;
//   3. order: the kept tokens in text order (train.shuffle: randperm(K));
//   4. per batch of train.batch_size centres, the pairs: each centre with every kept token of
//      its line within b of it, nearer lines never crossed, in position order; skip-gram: one
//      example per (centre, context), CBOW: one per centre (the mean of its contexts' input
//      vectors), centres without a context give none;
//   5. negatives: u = rand(examples × negative, float64), each the first row whose cumulative
//      share of count^ns_exponent (float64) exceeds u (searchsorted, right);
//   6. loss: BCE with logits, summed over the batch's examples: the true word (label 1) and its
//      negatives (label 0) scored by bmm with the input side (in its plain loop's order at every D:
//      word_kernels.h); backward through
//      sparse lookups; torch.optim.SGD (or SparseAdam) at lr × factor, where linear decay is
//      factor = max(1 − ((e − 1)·n + i)/(E·n), 1e-4) at batch i of n in epoch e of E.
// tests/parity/word_reference.py does the same in Python; the weights agree bit for bit.
// The scores and their gradients are word_kernels.h's (split over examples on train.threads
// threads); ATen runs every other op on one thread. train.threads does not change a bit.
//
// A signal stops a run at a step boundary and writes checkpoint.pt (word_checkpoint.h), as
// train.checkpoint_every does at epoch ends; options.resume continues from it, to the bit.
//
// Thread-safety: one run per process, from the calling thread.
#pragma once

#include "embtrain/run.h"
#include "embtrain/text/config.h"
#include "embtrain/text/word_corpus.h"

namespace embtrain {

// Trains (or, with options.resume, goes on training) and writes the run folder (config.json,
// vocab.txt, model.pt, embeddings.pt, metrics.jsonl, report.json, report.html, state.json, and
// checkpoint.pt while it is unfinished). Returns the exit code: 0, or 128 + the signal that
// stopped it.
int run_word_training(const Config& config, const RunOptions& options, const WordCorpus& corpus);

}  // namespace embtrain
