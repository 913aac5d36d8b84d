// utf8.cpp — valid_utf8.
#include "embtrain/text/utf8.h"

#include <cstdint>

namespace embtrain {

bool valid_utf8(std::string_view text, size_t* bad_offset) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code = 0;
    if ((c >> 5) == 0x6) {
      length = 2;
      code = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      length = 3;
      code = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      length = 4;
      code = c & 0x07;
    }
    bool ok = length != 0 && i + length <= n;
    for (size_t k = 1; ok && k < length; ++k) {
      ok = (s[i + k] >> 6) == 0x2;
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and code points past U+10FFFF.
    if (ok) {
      ok = !(length == 2 && code < 0x80) && !(length == 3 && code < 0x800) &&
           !(length == 4 && (code < 0x10000 || code > 0x10FFFF)) &&
           !(code >= 0xD800 && code <= 0xDFFF);
    }
    if (!ok) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += length;
  }
  return true;
}

}  // namespace embtrain
