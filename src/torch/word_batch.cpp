// word_batch.cpp — an epoch's centres, a batch's examples and their negatives (word_batch.h).
#include "embtrain/torch/word_batch.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "embtrain/text/error.h"
#include "embtrain/text/ngrams.h"
#include "embtrain/text/threads.h"

namespace embtrain {

std::vector<double> keep_probabilities(const WordCorpus& corpus, double sample) {
  std::vector<double> keep(static_cast<size_t>(corpus.vocab.size()), 1.0);
  if (sample <= 0) return keep;
  double sum = 0;
  for (const int64_t c : corpus.counts) sum += static_cast<double>(c);
  for (size_t w = 0; w < keep.size(); ++w) {
    const double f = static_cast<double>(corpus.counts[w]) / sum;
    keep[w] = f > 0 ? std::min(1.0, std::sqrt(sample / f) + sample / f) : 1.0;
  }
  return keep;
}

namespace {

// What subsampling keeps on average, Σ keep[w] · count[w], with room for the draw to exceed it
// (ten standard deviations, and 4096): the plan reserves it once, where reserving every token
// had cost 8 bytes a dropped one and a copy to shrink.
int64_t expected_kept(const WordCorpus& corpus, const std::vector<double>& keep, double sample) {
  if (sample <= 0) return corpus.tokens();
  double mean = 0, variance = 0;
  for (size_t w = 0; w < keep.size(); ++w) {
    const auto count = static_cast<double>(corpus.counts[w]);
    mean += count * keep[w];
    variance += count * keep[w] * (1 - keep[w]);
  }
  return std::min(corpus.tokens(), static_cast<int64_t>(mean + 10 * std::sqrt(variance)) + 4096);
}

}  // namespace

void plan_epoch(const WordCorpus& corpus, const Config& config, const std::vector<double>& keep,
                torch::Generator& generator, EpochPlan& plan) {
  const int64_t total = corpus.tokens();
  const double sample = config.vocab.sample;
  // The subsampling draws, rand(T) as one call gives them: the CPU generator fills a float64
  // tensor one random64 at a time, so chunks of it in order are the same numbers (checked in
  // tests/torch/test_word_kernels.cpp), and the plan holds 2 MB of them rather than 8 bytes a token.
  constexpr int64_t kChunk = int64_t{1} << 18;
  int64_t chunk_end = 0;
  const double* draw = nullptr;
  plan.word.clear();
  plan.word.reserve(static_cast<size_t>(expected_kept(corpus, keep, sample)));
  plan.first_kept.clear();
  plan.first_kept.reserve(static_cast<size_t>(corpus.lines()) + 1);
  plan.first_kept.push_back(0);
  for (int64_t l = 0; l < corpus.lines(); ++l) {
    for (int64_t t = corpus.line_offsets[static_cast<size_t>(l)]; t < corpus.line_offsets[static_cast<size_t>(l + 1)]; ++t) {
      if (sample > 0) {
        if (t == chunk_end) {
          at::rand_out(plan.draws, {std::min(kChunk, total - t)}, generator);  // rand(n, float64)'s numbers
          draw = plan.draws.data_ptr<double>() - t;  // indexed by token
          chunk_end = t + plan.draws.size(0);
        }
        if (!(draw[t] < keep[static_cast<size_t>(corpus.ids[static_cast<size_t>(t)])])) continue;
      }
      plan.word.push_back(corpus.ids[static_cast<size_t>(t)]);
    }
    plan.first_kept.push_back(plan.kept());
  }
  const int64_t kept = plan.kept();
  // randint(1, window + 1, {K}) in chunks, as rand above: one random() per element, in order.
  plan.window.resize(static_cast<size_t>(kept));
  for (int64_t k = 0; k < kept; k += kChunk) {
    at::randint_out(plan.window_draws, 1, config.model.window + 1, {std::min(kChunk, kept - k)}, generator);
    std::copy_n(plan.window_draws.data_ptr<int64_t>(), plan.window_draws.numel(), plan.window.begin() + k);  // <= 1000
  }
  if (config.train.shuffle) {
    if (!plan.order.defined()) plan.order = torch::empty({0}, torch::kInt64);
    at::randperm_out(plan.order, kept, generator);
  } else {
    plan.order = torch::Tensor();
  }
}

WordRows word_rows(const WordCorpus& corpus, const VocabConfig& vocab) {
  WordRows out;
  const int64_t words = corpus.vocab.size();
  out.subwords = vocab.subwords;
  out.table_rows = vocab.subwords ? words + vocab.buckets : words;
  const Ngrams ngrams(vocab, words);
  std::vector<int32_t> buckets;
  out.offsets.reserve(static_cast<size_t>(words) + 1);
  out.offsets.push_back(0);
  for (int64_t w = 0; w < words; ++w) {
    out.rows.push_back(w);
    if (vocab.subwords) {
      buckets.clear();
      ngrams.add_subwords(corpus.vocab.token(w), buckets);
      out.rows.insert(out.rows.end(), buckets.begin(), buckets.end());
    }
    out.offsets.push_back(static_cast<int64_t>(out.rows.size()));
  }
  return out;
}

WordBatch make_word_batch(const WordCorpus& corpus, const WordRows& rows, const EpochPlan& plan, int64_t begin,
                          int64_t end, bool cbow) {
  WordBatch batch;
  batch.centres = end - begin;
  const bool bags = cbow || rows.subwords;
  for (int64_t i = begin; i < end; ++i) {
    const int64_t k = plan.order_at(i);
    const int64_t line = plan.line_of(k), b = plan.window_at(k);
    const int64_t first = std::max(plan.first_kept[static_cast<size_t>(line)], k - b);
    const int64_t last = std::min(plan.first_kept[static_cast<size_t>(line + 1)] - 1, k + b);
    const int64_t centre = plan.word_at(k);
    if (last <= first) continue;  // alone on its line
    if (cbow) batch.bag_offsets.push_back(static_cast<int64_t>(batch.inputs.size()));
    for (int64_t j = first; j <= last; ++j) {
      if (j == k) continue;
      const int64_t context = plan.word_at(j);
      if (cbow) {
        rows.append(context, batch.inputs);
        continue;
      }
      if (bags) batch.bag_offsets.push_back(static_cast<int64_t>(batch.inputs.size()));
      if (bags) {
        rows.append(centre, batch.inputs);
      } else {
        batch.inputs.push_back(centre);
      }
      batch.targets.push_back(context);
    }
    if (cbow) batch.targets.push_back(centre);
  }
  return batch;
}

WordBatch slice_word_batch(const WordBatch& batch, int64_t begin, int64_t end) {
  WordBatch out;
  out.targets.assign(batch.targets.begin() + begin, batch.targets.begin() + end);
  if (batch.bag_offsets.empty()) {
    out.inputs.assign(batch.inputs.begin() + begin, batch.inputs.begin() + end);
    return out;
  }
  const auto examples = static_cast<int64_t>(batch.bag_offsets.size());
  const auto all = static_cast<int64_t>(batch.inputs.size());
  const int64_t first = begin < examples ? batch.bag_offsets[static_cast<size_t>(begin)] : all;
  const int64_t last = end < examples ? batch.bag_offsets[static_cast<size_t>(end)] : all;
  out.inputs.assign(batch.inputs.begin() + first, batch.inputs.begin() + last);
  for (int64_t e = begin; e < end; ++e) out.bag_offsets.push_back(batch.bag_offsets[static_cast<size_t>(e)] - first);
  return out;
}

namespace {
constexpr int kBucketBits = 16;
constexpr int64_t kBuckets = int64_t{1} << kBucketBits;
// u · 2^16 with u in [0, 1) is exact, and a multiply where std::ldexp is a libc call.
size_t bucket_of(double u) { return static_cast<size_t>(u * static_cast<double>(kBuckets)); }
}  // namespace

NegativeSampler::NegativeSampler(const WordCorpus& corpus, double exponent) {
  // count^exponent, its running sum and the share, each as torch computes them in float64.
  const torch::Tensor weights =
      torch::pow(torch::tensor(at::ArrayRef<int64_t>(corpus.counts), torch::kInt64).to(torch::kFloat64), exponent);
  const torch::Tensor cumulative = torch::cumsum(weights, 0);
  const torch::Tensor cdf = (cumulative / cumulative[-1]).contiguous();
  cdf_.assign(cdf.data_ptr<double>(), cdf.data_ptr<double>() + cdf.numel());
  if (cdf.numel() > std::numeric_limits<int32_t>::max()) {
    throw Error::usage(fmt::format("a vocabulary of {} words is more than negative sampling's table holds (2^31 - 1); "
                                   "raise vocab.min_count", cdf.numel()));
  }
  bucket_.resize(static_cast<size_t>(kBuckets + 1));
  for (int64_t b = 0; b <= kBuckets; ++b) {
    const double u = std::ldexp(static_cast<double>(b), -kBucketBits);  // exact
    bucket_[static_cast<size_t>(b)] = static_cast<int32_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }
}

// u in [b, b + 1) / 2^16. Rows below bucket_[b] have shares <= b / 2^16
// <= u, and row bucket_[b + 1] (when there is one) has a share > (b + 1) / 2^16 > u: the answer
// lies in [bucket_[b], bucket_[b + 1]]. Where the two are equal it is that row, and the cdf is
// not read at all (most draws: the frequent words' shares span many buckets); otherwise a binary
// search of the few rows between. The last row at most (searchsorted's clamp).
int64_t NegativeSampler::search(double u) const {
  const size_t b = bucket_of(u);
  const auto last = static_cast<int64_t>(cdf_.size()) - 1;
  const int64_t lo = bucket_[b], hi = bucket_[b + 1];
  if (lo == hi) return std::min(lo, last);
  const auto end = cdf_.begin() + std::min(hi + 1, last + 1);
  return std::min<int64_t>(std::upper_bound(cdf_.begin() + lo, end, u) - cdf_.begin(), last);
}

torch::Tensor NegativeSampler::draw(int64_t n, torch::Generator& generator) const {
  const torch::Tensor u = torch::rand({n}, generator, torch::kFloat64);  // [n] in [0, 1)
  torch::Tensor words = torch::empty({n}, torch::kInt64);
  const double* draw = u.data_ptr<double>();
  int64_t* out = words.data_ptr<int64_t>();
  // The draws come from the generator in order (above); each search is independent of the
  // others, so they split over the pool without changing a word. The bucket table (256 KB) is
  // read at random: its entry for the draw kPrefetch ahead is fetched while this one is searched.
  constexpr int64_t kPrefetch = 16;
  const auto searches = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      if (i + kPrefetch < i1) __builtin_prefetch(&bucket_[bucket_of(draw[i + kPrefetch])]);
      out[i] = search(draw[i]);
    }
  };
  ThreadPool& pool = shared_pool();
  constexpr int64_t kSearchWork = 20;  // about 20 ns a search: a cache miss in the bucket table
  if (pool.worth_splitting(kSearchWork * n)) {
    pool.run(n, pool.grain_for(kSearchWork), searches);
  } else {
    searches(0, n);
  }
  return words;
}

}  // namespace embtrain
