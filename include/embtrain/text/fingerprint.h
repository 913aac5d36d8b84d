// fingerprint.h — what a checkpoint belongs to, so that --resume refuses a changed run.
//
// A Fingerprint is a set of named parts: each data split (its encoded corpus: examples, tokens
// and a hash of ids, offsets and labels, so a changed file with the same vocabulary size is
// caught), the vocabulary (size and a hash of its tokens), the model's shape, and every config
// key that a resume may not change. The keys a resume may change are train.epochs (to extend a
// run), train.threads, train.device, train.checkpoint_every and the report.* keys, and the data
// paths themselves (the data's content is what counts).
#pragma once

#include <map>
#include <string>

namespace embtrain {

struct Config;
struct PreparedData;
struct WordCorpus;

struct Fingerprint {
  std::map<std::string, std::string> parts;  // name -> value, e.g. "train.lr" -> "0.0001"
};

Fingerprint run_fingerprint(const Config& config, const PreparedData& data);
// A word run's: its text (the kept tokens, lines and counts), vocabulary and config keys.
Fingerprint word_fingerprint(const Config& config, const WordCorpus& corpus);

// "data.test, data.train, ..., report.*": the keys a resume may change, for messages.
std::string keys_a_resume_may_change();

// As stored in a checkpoint (a JSON object), and back; a malformed text gives an empty one.
std::string to_text(const Fingerprint& fingerprint);
Fingerprint fingerprint_from_text(const std::string& text);

// FNV-1a 64 of `text` as 16 hex digits: the hash every fingerprint part uses (and the
// encoded-corpus cache's key, corpus_cache.h).
std::string fnv1a64_hex(const std::string& text);

// What differs between a checkpoint's fingerprint and the run's now, for an error message
// ("train.lr: 0.0001 in the checkpoint, 0.01 now; data.train: ..."); "" when they agree.
// `saved_where`/`now_where` name the two sides (e.g. "on rank 0", "on rank 1").
std::string fingerprint_differences(const Fingerprint& saved, const Fingerprint& now,
                                    const std::string& saved_where = "in the checkpoint",
                                    const std::string& now_where = "now");

}  // namespace embtrain
