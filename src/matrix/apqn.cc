#include "matrix/apqn.h"

#include <fmt/format.h>

#include <cerrno>

#include "matrix/text.h"

namespace vap {

namespace {

// Value of `digits` as hex, or -1 if any is not a hex digit.
int HexField(std::string_view digits) {
  int value = 0;
  for (char c : digits) {
    const int v = text::HexDigitValue(c);
    if (v < 0) return -1;
    value = value * 16 + v;
  }
  return value;
}

}  // namespace

std::string Apqn::ToString() const {
  return fmt::format("{:02x}.{:04x}", apid, apqi);
}

Result<Apqn> Apqn::Parse(std::string_view text) {
  const auto bad = [&] {
    return Status::Error(
        EINVAL, fmt::format("'{}' is not an APQN (AA.DDDD in hex)", text));
  };
  if (text.size() != 7 || text[2] != '.') return bad();
  const int apid = HexField(text.substr(0, 2));
  const int apqi = HexField(text.substr(3, 4));
  if (apid < 0 || apqi < 0 || apqi > 0xff) return bad();
  return Apqn(static_cast<uint8_t>(apid), static_cast<uint8_t>(apqi));
}

std::string CardName(uint8_t apid) { return fmt::format("card{:02x}", apid); }

}  // namespace vap
