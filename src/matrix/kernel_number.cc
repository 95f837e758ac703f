#include "matrix/kernel_number.h"

#include <cerrno>
#include <limits>

#include "matrix/text.h"

namespace vap {

namespace {

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

// _parse_integer_fixup_radix with base 0: picks the base and returns how
// many prefix characters ("0x") to skip.
unsigned FixupRadix(std::string_view s, size_t* prefix) {
  *prefix = 0;
  if (text::At(s, 0) != '0') return 10;
  if (ToLower(text::At(s, 1)) == 'x' &&
      text::HexDigitValue(text::At(s, 2)) >= 0) {
    *prefix = 2;
    return 16;
  }
  return 8;
}

struct Parsed {
  uint64_t value = 0;  // wrapped modulo 2^64
  size_t digits = 0;
  bool overflow = false;
};

// _parse_integer: digits of `base` from the start of `s`.
Parsed ParseDigits(std::string_view s, unsigned base) {
  Parsed p;
  for (char c : s) {
    unsigned v;
    const char lc = ToLower(c);
    if (c >= '0' && c <= '9') {
      v = static_cast<unsigned>(c - '0');
    } else if (lc >= 'a' && lc <= 'f') {
      v = static_cast<unsigned>(lc - 'a' + 10);
    } else {
      break;
    }
    if (v >= base) break;
    if (p.value > (std::numeric_limits<uint64_t>::max() - v) / base) {
      p.overflow = true;
    }
    p.value = p.value * base + v;
    ++p.digits;
  }
  return p;
}

}  // namespace

std::string_view AsCString(std::string_view buf) {
  const size_t nul = buf.find('\0');
  return nul == std::string_view::npos ? buf : buf.substr(0, nul);
}

Result<uint64_t> ParseKstrtoul(std::string_view buf) {
  std::string_view s = AsCString(buf);
  if (text::At(s, 0) == '+') s.remove_prefix(1);
  size_t prefix;
  const unsigned base = FixupRadix(s, &prefix);
  s.remove_prefix(prefix);
  const Parsed p = ParseDigits(s, base);
  if (p.overflow)
    return Status::Error(ERANGE, "number does not fit in 64 bits");
  if (p.digits == 0) return Status::Error(EINVAL, "not a number");
  s.remove_prefix(p.digits);
  if (text::At(s, 0) == '\n') s.remove_prefix(1);
  if (!s.empty())
    return Status::Error(EINVAL, "trailing characters after number");
  return p.value;
}

uint64_t SimpleStrtoul(std::string_view s, size_t* consumed) {
  size_t prefix;
  const unsigned base = FixupRadix(s, &prefix);
  const Parsed p = ParseDigits(s.substr(prefix), base);
  *consumed = p.digits == 0 ? 0 : prefix + p.digits;
  return p.value;
}

Result<bool> ParseKstrtobool(std::string_view buf) {
  const std::string_view s = AsCString(buf);
  switch (text::At(s, 0)) {
    case 'y':
    case 'Y':
    case 't':
    case 'T':
    case '1':
      return true;
    case 'n':
    case 'N':
    case 'f':
    case 'F':
    case '0':
      return false;
    case 'o':
    case 'O':
      switch (text::At(s, 1)) {
        case 'n':
        case 'N':
          return true;
        case 'f':
        case 'F':
          return false;
        default:
          break;
      }
      break;
    default:
      break;
  }
  return Status::Error(EINVAL, "not a boolean");
}

Result<int> ScanfInt(std::string_view buf, unsigned base) {
  std::string_view s = AsCString(buf);
  while (!s.empty() && text::IsSpace(s.front())) s.remove_prefix(1);
  const bool negative = text::At(s, 0) == '-';
  if (negative) s.remove_prefix(1);
  const char first = text::At(s, 0);
  if (first < '0' || first > '9') return Status::Error(EINVAL, "no number");
  size_t prefix = 0;
  if (base == 0) base = FixupRadix(s, &prefix);
  const Parsed p = ParseDigits(s.substr(prefix), base);
  const uint64_t v = negative ? 0 - p.value : p.value;
  // The int store keeps the low 32 bits, as a two's complement value.
  return static_cast<int>(static_cast<int32_t>(static_cast<uint32_t>(v)));
}

}  // namespace vap
