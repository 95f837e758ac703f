#include "ap/card_info.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <string>

namespace vap::ap {

namespace {

// A deterministic 64-bit pattern for (apid, which): splitmix64.
uint64_t Pattern(uint8_t apid, uint64_t which) {
  uint64_t z = (uint64_t{apid} << 8 | which) + 0x9e3779b97f4a7c15u;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

std::string Hex64(uint8_t apid, uint64_t which) {
  return fmt::format("{:016x}", Pattern(apid, which));
}

}  // namespace

const std::vector<std::string_view>& Ep11OpModeNames() {
  static const std::vector<std::string_view> names = {
      "FIPS2009", "BSI2009", "FIPS2011",  "BSI2011", "SIGG-IMPORT",
      "SIGG",     "BSICC2017", "FIPS2021", "FIPS2024"};
  return names;
}

CardInfo CardInfo::ForCca(uint8_t apid) {
  CardInfo info;
  info.aes_mkvp = Hex64(apid, 1);
  info.apka_mkvp = Hex64(apid, 2);
  info.asym_mkvp = Hex64(apid, 3) + Hex64(apid, 4);
  return info;
}

CardInfo CardInfo::ForEp11(uint8_t apid) {
  CardInfo info;
  info.api_ordinal = 6;
  info.fw_version = 0x0717;  // 7.23
  info.wkvp = Hex64(apid, 5) + Hex64(apid, 6) + Hex64(apid, 7) + Hex64(apid, 8);
  return info;
}

Result<uint16_t> ParseFwVersion(std::string_view text) {
  const size_t dot = text.find('.');
  const auto part = [](std::string_view p) -> int {
    if (p.empty() || p.size() > 3) return -1;
    int v = 0;
    for (char c : p) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
      v = v * 10 + (c - '0');
    }
    return v <= 255 ? v : -1;
  };
  const int major = dot == std::string_view::npos ? -1 : part(text.substr(0, dot));
  const int minor = dot == std::string_view::npos ? -1 : part(text.substr(dot + 1));
  if (major < 0 || minor < 0)
    return Status::Error(EINVAL, "must be MAJOR.MINOR, each 0 to 255");
  return static_cast<uint16_t>(major << 8 | minor);
}

Result<uint32_t> Ep11OpModeBit(std::string_view name) {
  const std::vector<std::string_view>& names = Ep11OpModeNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return uint32_t{1} << i;
  }
  std::string known;
  for (std::string_view n : names) known += (known.empty() ? "" : ", ") + std::string(n);
  return Status::Error(EINVAL,
                       fmt::format("unknown operation mode '{}' ({})", name, known));
}

bool IsHexPattern(std::string_view hex, size_t digits) {
  if (hex.size() != digits) return false;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace vap::ap
