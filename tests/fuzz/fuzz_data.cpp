// fuzz_data.cpp — libFuzzer harness: TSV / JSONL / fastText readers, then tokenising,
// counting, building a vocabulary and encoding what they accept. The first byte
// picks the format and the tokenizer.
#include <cstdint>
#include <sstream>
#include <string>

#include "embtrain/text/config.h"
#include "embtrain/text/dataset.h"
#include "embtrain/text/error.h"
#include "embtrain/text/tokenizer.h"
#include "embtrain/text/vocab.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const embtrain::DataFormat kinds[] = {embtrain::DataFormat::tsv, embtrain::DataFormat::jsonl,
                                               embtrain::DataFormat::fasttext};
  const embtrain::DataFormat kind = kinds[data[0] % 3];
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    const embtrain::TextDataset text = embtrain::read_dataset(in, "fuzz/data", kind, data[0] & 8);
    embtrain::VocabConfig config;
    config.tokenizer = data[0] & 16 ? embtrain::TokenizerKind::chars : embtrain::TokenizerKind::whitespace;
    config.lowercase = data[0] & 32;
    config.specials = {"<unk>"};
    embtrain::Tokenizer tokenizer(embtrain::TokenizerOptions::from(config));
    embtrain::Corpus first_seen;
    const embtrain::TokenCounts counts = embtrain::count_tokens(text, tokenizer, &first_seen);
    const embtrain::Vocab vocab = embtrain::make_vocab(config, counts);
    const embtrain::Corpus remapped = embtrain::remap(first_seen, counts, vocab);
    const embtrain::Corpus encoded = embtrain::encode(text, tokenizer, vocab);
    if (remapped.ids != encoded.ids || remapped.offsets != encoded.offsets) __builtin_trap();
  } catch (const embtrain::Error&) {
  }
  return 0;
}
