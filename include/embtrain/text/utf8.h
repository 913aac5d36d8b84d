// utf8.h — checking UTF-8, which every text input (data, vocabularies, .vec files, config
// strings) must be. Depends on nothing, so that every reader can include it.
#pragma once

#include <cstddef>
#include <string_view>

namespace embtrain {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF); otherwise sets *bad_offset to the first bad byte.
bool valid_utf8(std::string_view text, size_t* bad_offset = nullptr);

}  // namespace embtrain
