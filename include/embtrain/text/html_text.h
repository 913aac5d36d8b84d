// html_text.h — the text pieces report.html is written with: escaping and number formats.
#pragma once

#include <string>

namespace embtrain {

// `text` safe inside HTML text and attribute values (& < > " ' escaped).
std::string html_escape(const std::string& text);

// A token as the page shows it: display_token (visible even when it is a space), escaped.
std::string token_html(const std::string& token);

// `value` by printf `format`; "-" when it is not finite (NaN: a null in report.json).
std::string html_number(double value, const char* format = "%.1f");

}  // namespace embtrain
