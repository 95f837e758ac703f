// Character helpers shared by the kernel-format parsers, with the C
// library's locale dependence left out (the kernel's ctype is ASCII).
#ifndef VAP_MATRIX_TEXT_H_
#define VAP_MATRIX_TEXT_H_

#include <cstddef>
#include <string_view>

namespace vap::text {

// s[i], or '\0' past the end: reads a string_view as the kernel reads its
// NUL-terminated buffer.
inline char At(std::string_view s, size_t i) {
  return i < s.size() ? s[i] : '\0';
}

// 0..15 for a hex digit of either case, -1 for anything else.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The kernel's isspace(): space, \t, \n, \v, \f, \r.
inline bool IsSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

}  // namespace vap::text

#endif  // VAP_MATRIX_TEXT_H_
