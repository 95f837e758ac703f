#include "kvm/cpu_model.h"

#include <fmt/format.h>

#include <cerrno>

namespace vap::kvm {

namespace {

bool* Feature(CpuModel& m, std::string_view name) {
  if (name == "ap") return &m.ap;
  if (name == "apqci") return &m.apqci;
  if (name == "apft") return &m.apft;
  if (name == "apqi") return &m.apqi;
  return nullptr;
}

}  // namespace

Result<CpuModel> ParseCpuModel(std::string_view text) {
  CpuModel m;
  if (text.empty()) return m;
  size_t i = 0;
  for (;;) {
    const size_t comma = text.find(',', i);
    const std::string_view item =
        text.substr(i, comma == std::string_view::npos ? std::string_view::npos
                                                       : comma - i);
    const size_t eq = item.find('=');
    bool* feature = eq == std::string_view::npos ? nullptr
                                                 : Feature(m, item.substr(0, eq));
    const std::string_view value =
        eq == std::string_view::npos ? "" : item.substr(eq + 1);
    if (feature == nullptr || (value != "on" && value != "off")) {
      return Status::Error(
          EINVAL, fmt::format("bad CPU model item '{}': want ap, apqci, apft "
                              "or apqi =on or =off",
                              item));
    }
    *feature = value == "on";
    if (comma == std::string_view::npos) return m;
    i = comma + 1;
  }
}

std::string FormatCpuModel(const CpuModel& m) {
  const auto on = [](bool b) { return b ? "on" : "off"; };
  return fmt::format("ap={},apqci={},apft={},apqi={}", on(m.ap), on(m.apqci),
                     on(m.apft), on(m.apqi));
}

void ApplyCpuModel(const CpuModel& m, GuestOptions* o) {
  o->apie = m.ap;
  o->facility12 = m.apqci;
  o->facility15 = m.apft;
  o->facility65 = m.apqi;
}

}  // namespace vap::kvm
