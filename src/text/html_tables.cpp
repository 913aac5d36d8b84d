// html_tables.cpp — report.html's run line, summary tiles and inspect tables, HTML-escaped.
#include "embtrain/text/html_tables.h"

#include "embtrain/text/html_text.h"
#include "embtrain/text/report_view.h"

namespace embtrain {
namespace {

using nlohmann::json;

std::string num(double value, const char* format) { return html_number(value, format); }
std::string num(const json& value, const char* format) {
  return value.is_number() ? html_number(value.get<double>(), format) : "-";
}

std::string token_table(const json& tokens) {
  if (tokens.empty()) return "<p class=\"none\">(none)</p>\n";
  std::string html =
      "<table class=\"tokens\"><tr><th>token</th><th>change</th><th>cosine</th><th>count</th>"
      "<th>in batch</th><th>with grad</th><th class=\"why\">why</th></tr>\n";
  for (const auto& t : tokens) {
    html += "<tr><td class=\"token\">" + token_html(t.value("token", std::string())) + "</td><td>" +
            num(t["change_norm"], "%.4f") + "</td><td>" + num(t["cosine"], "%.5f") + "</td><td>" +
            std::to_string(t.value("count", int64_t{0})) + "</td><td>" +
            std::to_string(t.value("batch_steps", int64_t{0})) + "</td><td>" +
            std::to_string(t.value("grad_steps", int64_t{0})) + "</td><td class=\"why\">" +
            html_escape(t.value("why", std::string())) + "</td></tr>\n";
  }
  return html + "</table>\n";
}

std::string reasons_table(const json& unchanged) {
  std::string html = "<h3>Never moved: " + std::to_string(unchanged["count"].get<int64_t>()) +
                     " rows</h3>\n<table class=\"reasons\"><tr><th>reason</th><th>rows</th>"
                     "<th>examples</th></tr>\n";
  for (const char* key : {"never_in_batch", "zero_gradient", "updates_cancelled"}) {
    const json& group = unchanged["by_reason"][key];
    std::string examples;
    for (const auto& token : group["examples"]) {
      examples += (examples.empty() ? "" : ", ") + std::string("<span class=\"token\">") +
                  token_html(token.get<std::string>()) + "</span>";
    }
    if (group["count"].get<size_t>() > group["examples"].size()) examples += ", &#8230;";
    html += "<tr><td>" + html_escape(group["why"].get<std::string>()) + "</td><td>" +
            std::to_string(group["count"].get<int64_t>()) + "</td><td>" + examples + "</td></tr>\n";
  }
  return html + "</table>\n";
}

std::string pairs_table(const json& pairs) {
  if (pairs.empty()) return "";
  std::string html =
      "<h3>Tracked pairs (cosine similarity)</h3>\n<table class=\"pairs\"><tr><th>a</th>"
      "<th>b</th><th>before</th><th>after</th><th>change</th><th></th></tr>\n";
  for (const auto& p : pairs) {
    html += "<tr><td class=\"token\">" + token_html(p.value("a", std::string())) +
            "</td><td class=\"token\">" + token_html(p.value("b", std::string())) + "</td>";
    if (p.contains("missing")) {
      html += "<td colspan=\"4\">not in the vocabulary: " +
              token_html(p["missing"].get<std::string>()) + "</td></tr>\n";
    } else {
      html += "<td>" + num(p["cosine_before"], "%.5f") + "</td><td>" +
              num(p["cosine_after"], "%.5f") + "</td><td>" + num(p["change"], "%+.5f") +
              "</td><td>" + html_escape(p.value("direction", std::string())) + "</td></tr>\n";
    }
  }
  return html + "</table>\n";
}

std::string stat(const std::string& name, const std::string& value) {
  return "<div class=\"stat\"><div class=\"value\">" + value + "</div><div class=\"name\">" + name +
         "</div></div>";
}

std::string count_text(const std::optional<int64_t>& value) {
  return value ? std::to_string(*value) : "-";
}

}  // namespace

std::string tables_html(const json& inspected) {
  // A bounded report keeps the rows that moved most: its "moved least" is of those, as inspect says.
  const bool complete = inspected.value("complete", true);
  const std::string least =
      complete ? "(of the rows that moved)"
               : "(of the " + std::to_string(inspected.value("rows_listed", int64_t{0})) +
                     " kept rows that moved; the report keeps the rows that moved most, so rows "
                     "that moved less are not listed)";
  return "<h3>Moved most</h3>\n" + token_table(inspected["moved_most"]) +
         "<h3>Moved least <small>" + least + "</small></h3>\n" +
         token_table(inspected["moved_least"]) + reasons_table(inspected["unchanged"]) +
         pairs_table(inspected["pairs"]);
}

std::string looked_up_html(const json& looked_up) {
  if (looked_up.empty()) return "";
  auto neighbours = [](const json& list) {
    std::string text;
    for (const auto& n : list) {
      text += (text.empty() ? "" : ", ") + std::string("<span class=\"token\">") +
              token_html(n[0].get<std::string>()) + "</span> " + num(n[1], "%.3f");
    }
    return text.empty() ? std::string("(none)") : text;
  };
  std::string html =
      "<h3>Tokens looked up in the run's tables</h3>\n<p>Any row of model.pt and embeddings.pt, whether or not "
      "report.json kept it (<code>embtrain report RUN --token T</code>).</p>\n<table class=\"looked-up\">"
      "<tr><th>token</th><th>row</th><th>change</th><th>cosine before/after</th><th>nearest before</th>"
      "<th>nearest after</th></tr>\n";
  for (const auto& [token, row] : looked_up.items()) {
    html += "<tr><td class=\"token\">" + token_html(token) + "</td>";
    if (!row.value("found", false)) {
      html += "<td colspan=\"5\">" + html_escape(row.value("reason", std::string("not found"))) + "</td></tr>\n";
      continue;
    }
    html += "<td>" + std::to_string(row["index"].get<int64_t>()) + "</td><td>" + num(row["change_norm"], "%.4f") +
            "</td><td>" + num(row["cosine"], "%.5f") + "</td><td>" + neighbours(row["neighbors"]["before"]) +
            "</td><td>" + neighbours(row["neighbors"]["after"]) + "</td></tr>\n";
  }
  return html + "</table>\n";
}

std::string summary_html(const ReportView& report) {
  const ReportSummary& s = report.summary;
  std::string html = "<div class=\"stats\">";
  html += stat("embedding rows", count_text(s.rows)) + stat("dimensions", count_text(s.dim)) +
          stat("rows changed", count_text(s.rows_changed)) +
          stat("rows unchanged", count_text(s.rows_unchanged)) +
          stat("never in a batch", count_text(s.rows_never_in_batch)) +
          stat("optimizer steps", count_text(s.optimizer_steps));
  if (s.largest_change) {
    html += stat("largest change (" + num(s.largest_change->change_norm, "%.4f") + ")",
                 "<span class=\"token\">" + token_html(s.largest_change->token) + "</span>");
  }
  for (const char* set : {"train", "valid", "test"}) {
    const auto m = report.metrics.find(set);
    if (m == report.metrics.end()) continue;
    html += stat(std::string(set) + " loss / accuracy",
                 num(m->second.loss.value_or(NAN), "%.4f") + " / " +
                     num(m->second.accuracy.value_or(NAN), "%.3f"));
  }
  return html + "</div>\n";
}

std::string run_line_html(const ReportView& report) {
  std::string line;
  auto add = [&](const std::string& name, const std::string& value) {
    if (value.empty()) return;
    line += (line.empty() ? "" : " &middot; ") + name + " <code>" + html_escape(value) + "</code>";
  };
  auto shown = [](const auto& value) { return value ? json(*value).dump() : std::string(); };
  const ReportRunInfo& run = report.run;
  add("data", run.data_train);
  add("pooling", run.pooling);
  add("final ReLU", shown(run.final_relu));
  add("epochs", shown(run.epochs));
  add("lr", shown(run.lr));
  add("batch", shown(run.batch_size));
  add("optimizer", run.optimizer);
  add("seed", shown(run.seed));
  add("device", run.device);
  add("LibTorch", run.libtorch_version);
  // How the run ended, so that a stopped run never reads like a finished one.
  line += std::string("<br><span class=\"state") + (report.state.finished_cleanly() ? "" : " warn") +
          "\">state: " + html_escape(report.state.describe("RUN")) + "</span>";
  return line;
}

}  // namespace embtrain
