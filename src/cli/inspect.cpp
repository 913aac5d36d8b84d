// inspect.cpp — `embtrain inspect`: what changed in a run and why, as text tables or JSON.
//
// Reads report.json only (no LibTorch): the tables come from inspect_report().
#include "embtrain/text/inspect.h"
#include "embtrain/text/run_state.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "embtrain/backend.h"

namespace embtrain::cli {
namespace {

using nlohmann::json;

struct InspectCliOptions {
  std::string path;
  InspectOptions inspect;
  bool json = false;
};

// Display width of UTF-8 text: one column per code point (continuation bytes skipped).
size_t width(const std::string& text) {
  size_t columns = 0;
  for (const unsigned char c : text) columns += (c & 0xC0) != 0x80;
  return columns;
}

std::string fixed(const json& value, int precision) {
  if (!value.is_number()) return "-";
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(precision);
  out << value.get<double>();
  return out.str();
}

// Columns separated by two spaces; `right[i]` right-aligns column i (numbers).
void print_table(const std::vector<std::string>& header, const std::vector<bool>& right,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c) widths[c] = width(header[c]);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], width(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line = "  ";
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string pad(widths[c] - width(row[c]), ' ');
      const bool last = c + 1 == row.size();
      line += right[c] ? pad + row[c] : (last ? row[c] : row[c] + pad);
      if (!last) line += "  ";
    }
    std::cout << line.substr(0, line.find_last_not_of(' ') + 1) << '\n';
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

void print_tokens(const std::string& title, const json& tokens) {
  std::cout << '\n' << title << '\n';
  if (tokens.empty()) {
    std::cout << "  (none)\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tokens) {
    rows.push_back({display_token(t["token"].get<std::string>()), fixed(t["change_norm"], 4),
                    fixed(t["cosine"], 5), std::to_string(t["count"].get<int64_t>()),
                    std::to_string(t["batch_steps"].get<int64_t>()),
                    std::to_string(t["grad_steps"].get<int64_t>())});
  }
  print_table({"token", "change", "cosine", "count", "in batch", "with grad"},
              {false, true, true, true, true, true}, rows);
}

std::string neighbor_list(const json& neighbors) {
  std::string text;
  for (const auto& n : neighbors) {
    if (!text.empty()) text += ", ";
    text += display_token(n[0].get<std::string>()) + " " + fixed(n[1], 3);
  }
  return text.empty() ? "(none)" : text;
}

void print_text(const json& result, const std::vector<std::string>& requested, const std::string& run_dir) {
  std::cout << "State: " << run_state_from_json(result["state"], "report.json").describe(run_dir) << '\n';
  const json& s = result["summary"];
  std::cout << "Rows " << s.value("rows", 0) << " x " << s.value("dim", 0) << " dims, "
            << s.value("optimizer_steps", 0) << " optimizer steps: " << s.value("rows_changed", 0)
            << " rows changed, " << s.value("rows_unchanged", 0) << " unchanged ("
            << s.value("rows_never_in_batch", 0) << " never in a batch)\n";
  for (const char* set : {"train", "valid", "test"}) {
    if (!result["metrics"].contains(set)) continue;
    // What the run measured: a classifier's loss and accuracy, a word run's loss (per decision)
    // and its pairs file's Spearman.
    const json& m = result["metrics"][set];
    std::cout << "Final " << set << ":";
    const char* separator = " ";
    if (m.contains("loss")) {
      std::cout << separator << "loss " << fixed(m["loss"], 4);
      separator = ", ";
    }
    if (m.contains("accuracy")) std::cout << separator << "accuracy " << fixed(m["accuracy"], 3);
    if (m.contains("spearman")) {
      std::cout << separator << "Spearman " << fixed(m["spearman"], 4);
      if (m.contains("pairs")) std::cout << " (" << m["pairs"].get<int64_t>() << " pairs)";
    }
    std::cout << '\n';
  }
  if (!result["complete"].get<bool>()) {
    std::cout << "This report is bounded: the tables below cover its "
              << result["rows_listed"].get<int64_t>() << " kept rows.\n";
  }

  // A bounded report keeps the rows that moved most (and the pairs' rows): "moved most" ranks
  // every row, the other two tables only the kept ones, and say so.
  const bool complete = result["complete"].get<bool>();
  const std::string kept = std::to_string(result["rows_listed"].get<int64_t>());
  print_tokens("Moved most", result["moved_most"]);
  print_tokens(complete ? "Moved least (of the rows that moved)"
                        : "Moved least (of the " + kept + " kept rows that moved; the report keeps the rows that moved most)",
               result["moved_least"]);

  const json& unchanged = result["unchanged"];
  if (complete) {
    std::cout << "\nNever moved: " << unchanged["count"].get<int64_t>() << " rows\n";
  } else {
    std::cout << "\nNever moved: " << unchanged["count"].get<int64_t>() << " of the " << kept
              << " kept rows (in the whole table: " << s.value("rows_unchanged", 0) << ", of which "
              << s.value("rows_never_in_batch", 0) << " never in a batch)\n";
  }
  for (const char* key : {"never_in_batch", "zero_gradient", "updates_cancelled"}) {
    const json& group = unchanged["by_reason"][key];
    const auto count = group["count"].get<size_t>();
    if (count == 0) continue;
    std::string examples;
    for (const auto& token : group["examples"]) {
      examples += (examples.empty() ? "" : ", ") + display_token(token.get<std::string>());
    }
    if (count > group["examples"].size()) examples += ", ...";
    std::cout << "  " << count << " " << key << ": " << group["why"].get<std::string>() << "\n    "
              << examples << '\n';
  }

  if (!result["pairs"].empty()) {
    std::cout << "\nPairs (cosine)\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : result["pairs"]) {
      const std::string a = display_token(p["a"].get<std::string>());
      const std::string b = display_token(p["b"].get<std::string>());
      if (p.contains("missing")) {
        rows.push_back(
            {a, b, "-", "-", "-", "missing: " + display_token(p["missing"].get<std::string>())});
      } else {
        rows.push_back({a, b, fixed(p["cosine_before"], 5), fixed(p["cosine_after"], 5),
                        fixed(p["change"], 5), p["direction"].get<std::string>()});
      }
    }
    print_table({"a", "b", "before", "after", "change", ""},
                {false, false, true, true, true, false}, rows);
  }

  std::vector<std::string> printed;
  for (const auto& name : requested) {
    if (std::find(printed.begin(), printed.end(), name) != printed.end()) continue;
    printed.push_back(name);
    const json& t = result["tokens"][name];
    std::cout << "\nToken " << display_token(name) << '\n';
    if (!t["found"].get<bool>()) {
      std::cout << "  " << t["reason"].get<std::string>() << '\n';
      continue;
    }
    if (t.value("source", "") == "embeddings.pt") {  // a row the bounded report did not keep
      std::cout << "  index " << t["index"].get<int64_t>() << " (from model.pt and embeddings.pt: report.json keeps "
                << "only the rows that moved most, so no step counts)\n  change " << fixed(t["change_norm"], 4)
                << " (cosine before/after " << fixed(t["cosine"], 5) << ")\n"
                << "  nearest before: " << neighbor_list(t["neighbors"]["before"]) << '\n'
                << "  nearest after:  " << neighbor_list(t["neighbors"]["after"]) << '\n';
      continue;
    }
    std::cout << "  index " << t["index"].get<int64_t>() << ", count " << t["count"].get<int64_t>()
              << ", in " << t["batch_steps"].get<int64_t>() << " batches, a gradient in "
              << t["grad_steps"].get<int64_t>() << "\n  change " << fixed(t["change_norm"], 4)
              << " (cosine before/after " << fixed(t["cosine"], 5)
              << ")\n  why: " << t["why"].get<std::string>() << '\n';
    if (t["neighbors"].is_null()) {
      std::cout << "  neighbours: " << t.value("neighbors_note", std::string()) << '\n';
    } else {
      std::cout << "  nearest before: " << neighbor_list(t["neighbors"]["before"]) << '\n'
                << "  nearest after:  " << neighbor_list(t["neighbors"]["after"]) << '\n';
    }
  }
}

// The run folder of `path`: the folder itself, or the one holding the report.json given.
std::string run_folder_of(const std::string& path) {
  return std::filesystem::is_directory(path) ? path : std::filesystem::path(path).parent_path().string();
}

// Tokens a bounded report.json does not hold are looked up in the run's embeddings.pt (every
// row), through the torch library, loaded only then: their change, cosine and neighbours.
void add_rows_from_embeddings(const std::string& path, const json& report, json& result) {
  std::vector<std::string> missing;
  for (const auto& [name, detail] : result["tokens"].items()) {
    if (!detail["found"].get<bool>() && !result["complete"].get<bool>()) missing.push_back(name);
  }
  const std::filesystem::path dir = run_folder_of(path);
  if (missing.empty() || !std::filesystem::exists(dir / "embeddings.pt")) return;
  const json found = rows_from_embeddings(dir.string(), report, missing);
  for (const auto& name : missing) result["tokens"][name] = found.at(name);
}

void run_inspect(const InspectCliOptions& options) {
  const json report = read_report(options.path);
  json result = inspect_report(report, options.inspect);
  add_rows_from_embeddings(options.path, report, result);
  if (options.json) {
    std::cout << result.dump() << '\n';
  } else {
    print_text(result, options.inspect.tokens, run_folder_of(options.path));
  }
}

}  // namespace

void setup_inspect(CLI::App& app) {
  auto options = std::make_shared<InspectCliOptions>();
  auto run = std::make_shared<RunArgument>();
  CLI::App* command = app.add_subcommand(
      "inspect",
      "What changed in a run and why: the rows that moved most and least, the rows that never "
      "moved (grouped by reason), the tracked pairs, and details of chosen tokens");
  add_run_argument(*command, *run, nullptr, nullptr);
  command->add_option("-n,--top", options->inspect.top, "Tokens listed as moved most / least")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command
      ->add_option(
          "-t,--token", options->inspect.tokens,
          "Detail a token: steps, change, why, nearest neighbours before/after; repeatable")
      ->allow_extra_args(false);
  command->add_flag("--json", options->json, "Print one JSON object on stdout instead of tables");
  command->footer(
      "Examples:\n"
      "  embtrain inspect runs/seed\n"
      "  embtrain inspect runs/seed --top 5 --token happy --token sad\n"
      "  embtrain inspect runs/seed/report.json --json | jq .pairs");
  command->callback([options, run] {
    options->path = resolve_run(*run, "inspect", false);  // a run folder, or its report.json
    run_inspect(*options);
  });
}

}  // namespace embtrain::cli
