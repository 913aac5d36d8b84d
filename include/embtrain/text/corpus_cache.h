// corpus_cache.h — the encoded corpus on disk (data.cache), memory-mapped by later runs.
//
// Owns one file per set of inputs: prepare_data's whole result (the vocabulary, the counts, the
// label set, the bucket names, and every split's rows, offsets and labels). Its name is a key:
// a hash of every input that decides that result (each data file's size and content, a vocab.file's
// content, and the data/vocab config keys that prepare_data reads), so a changed input gives a
// new key and a new file; a stale file is never looked up. A file that does not hold its own key,
// is truncated or malformed, or holds a row outside its table, is rebuilt. Written to a temp file
// and renamed: never seen half-written.
//
// Loading maps the file read-only: the training rows [T] are a RowIds view of the mapping, so
// they sit in the page cache (shared by every worker on the machine and by later runs), and a
// worker's reads touch the pages of its own slices. Loading scans the rows once, to check that
// each is inside the table.
//
// Layout: "embtrain-cache-1" (16 bytes), the header's offset and length (uint64 each), then the
// arrays (8-byte aligned, little-endian), then the header: JSON naming each array's offset,
// count and type, and the small parts (vocabulary, label set, bucket names).
//
// The word objectives' corpus (word_corpus.h: the vocabulary, its counts, the kept ids and the
// line offsets) has a file of its own, "words-KEY.bin" with the magic "embtrain-words-1", in the
// same layout; its key leaves out data.valid and data.test (a pairs file, scored apart), so
// skipgram and cbow runs on the same text and vocab keys share it. It is read into memory (the
// word plan indexes it as int64), not mapped for the run's life.
#pragma once

#include <optional>
#include <string>

namespace embtrain {

struct Config;
struct PreparedData;
struct WordCorpus;

// The key of `config`'s inputs (reads every data file once, to hash it). Throws Error as
// reading the data does.
std::string corpus_cache_key(const Config& config);

// The cache file for `key` under data.cache ("corpus-KEY.bin", or "words-KEY.bin" for a word
// objective).
std::string corpus_cache_path(const Config& config, const std::string& key);

// The cached result for `key`, or nothing when there is none or it is unusable (then says why
// at debug level, or as a warning for a damaged file).
std::optional<PreparedData> load_corpus_cache(const std::string& path, const std::string& key);

// Writes `data` as the cache file for `key` (creating data.cache). A failure to write is a
// warning, not an error: the run goes on without a cache.
void save_corpus_cache(const std::string& path, const std::string& key, const PreparedData& data);

// The word objectives' twins of the two above.
std::optional<WordCorpus> load_word_cache(const std::string& path, const std::string& key);
void save_word_cache(const std::string& path, const std::string& key, const WordCorpus& corpus);

}  // namespace embtrain
