// html_text.cpp — HTML escaping and the page's number formats, shared by its plots and tables.
#include "embtrain/text/html_text.h"

#include <cmath>
#include <cstdio>

#include "embtrain/text/inspect.h"

namespace embtrain {

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string token_html(const std::string& token) { return html_escape(display_token(token)); }

std::string html_number(double value, const char* format) {
  if (!std::isfinite(value)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

}  // namespace embtrain
