// token_count.h — a training file read, tokenised and counted on the threads of the pool, with
// the result of one thread reading it in order.
//
// The file is read in rounds of one block per thread (whole lines, ~4 MB each). Each thread
// parses, tokenises and counts its block into a table of its own; the blocks are then merged in
// file order: a block's new tokens join the run's table in the order they first occur in the
// block, which is their order of first occurrence in the file. So first-seen order, counts, ids,
// labels, line numbers and the first bad line's error are those of a serial read, whatever the
// thread count (tests/text/test_token_count.cpp checks this on 1, 2 and 3 threads).
//
// Limits: the text of one round is held (threads × 4 MB); what is kept is each token's 4-byte
// first-seen id, each example's label and line. Thread-safety: one caller at a time (the pool).
#pragma once

#include <cstddef>
#include <string>

#include "embtrain/text/dataset.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/vocab.h"

namespace embtrain {

// The training data's counts, its first-seen encoding (appended to `first_seen`) and each
// example's labels, while the file streams by. An Error as read_dataset gives, naming `what`.
// `block_bytes`: the size of a thread's block (tests make it small to split tiny files).
TokenCounts count_tokens(const std::string& path, DataFormat format, bool skip_bad_lines, const std::string& what,
                         const Tokenizer& tokenizer, Corpus& first_seen, ExampleLabels& labels,
                         size_t block_bytes = size_t{4} << 20);

}  // namespace embtrain
