// catch.h — Catch2 2.x (Debian 12) or 3.x (Debian 13) behind one set of names.
// Include it after any torch header: c10's logging defines CHECK, and Catch2's must win.
#pragma once

#include <string>

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
using Catch::Approx;
namespace embtrain::test {
inline auto contains(const std::string& text) { return Catch::Matchers::ContainsSubstring(text); }
inline auto starts_with(const std::string& text) { return Catch::Matchers::StartsWith(text); }
}  // namespace embtrain::test
#else
#include <catch2/catch.hpp>
namespace embtrain::test {
inline auto contains(const std::string& text) { return Catch::Matchers::Contains(text); }
inline auto starts_with(const std::string& text) { return Catch::Matchers::StartsWith(text); }
}  // namespace embtrain::test
#endif
