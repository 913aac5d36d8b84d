// run_compare.h — `embtrain compare` without tensors: two runs' rows as matrices, compared.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "embtrain/text/matrix.h"
#include "embtrain/text/vocab.h"

namespace embtrain {

// One token both runs have: how its trained vectors compare.
struct TokenComparison {
  std::string token;
  float cosine_after, cosine_change;  // between the runs' after rows, and their changes
  double change_a, change_b;          // how far it moved in each run (L2)
};

// Every token of run A that run B has too, in A's order. Before/after of A: [Va, D] each; of
// B: [Vb, D]; the same D.
std::vector<TokenComparison> compare_tokens(const Vocab& a_vocab, const Vocab& b_vocab, const Matrix& before_a,
                                            const Matrix& after_a, const Matrix& before_b, const Matrix& after_b);
// Moved differently: among tokens that moved in either run, the lowest cosine between the two
// changes, then the largest gap in how far they moved; the first `top`, as JSON.
nlohmann::json moved_differently(const std::vector<TokenComparison>& rows, int64_t top);
// split -> key -> {a, b, b_minus_a} for the float metrics both reports have.
nlohmann::json metric_differences(const nlohmann::json& report_a, const nlohmann::json& report_b);
// compare's text output (stdout) of its JSON summary.
void print_comparison(const nlohmann::json& out);

}  // namespace embtrain
