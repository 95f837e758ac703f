#include "matrix/uuid.h"

#include <fmt/format.h>

#include <cerrno>

#include "matrix/text.h"

namespace vap {

namespace {

constexpr size_t kUuidStringLen = 36;

bool IsHyphenOffset(size_t i) {
  return i == 8 || i == 13 || i == 18 || i == 23;
}

}  // namespace

Result<Uuid> Uuid::Parse(std::string_view text) {
  const auto bad = [] {
    return Status::Error(EINVAL,
                         "not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
  };
  if (text.size() != kUuidStringLen) return bad();
  std::array<uint8_t, 16> bytes{};
  size_t nibble = 0;
  for (size_t i = 0; i < kUuidStringLen; ++i) {
    if (IsHyphenOffset(i)) {
      if (text[i] != '-') return bad();
      continue;
    }
    const int v = text::HexDigitValue(text[i]);
    if (v < 0) return bad();
    bytes[nibble / 2] = static_cast<uint8_t>(bytes[nibble / 2] << 4 | v);
    ++nibble;
  }
  return Uuid(bytes);
}

Result<Uuid> Uuid::ParseCreateInput(std::string_view buf) {
  if (buf.size() < kUuidStringLen || buf.size() > kUuidStringLen + 1) {
    return Status::Error(EINVAL, "create takes a UUID of 36 characters");
  }
  return Parse(buf.substr(0, kUuidStringLen));
}

std::string Uuid::ToString() const {
  const auto& b = bytes_;
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
      b[12], b[13], b[14], b[15]);
}

}  // namespace vap
