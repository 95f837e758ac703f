#include "matrix/mask_format.h"

#include <fmt/format.h>

#include <iterator>

namespace vap {

std::string FormatMaskHex(const ApMask& mask) {
  const ApMask::Words& w = mask.words();
  return fmt::format("0x{:016x}{:016x}{:016x}{:016x}", w[0], w[1], w[2], w[3]);
}

std::string FormatApBusMask(const ApMask& mask) {
  return FormatMaskHex(mask) + "\n";
}

std::string FormatMatrix(const ApMatrix& matrix) {
  const ApMask apm = matrix.apm().LimitedTo(matrix.apm_max());
  const ApMask aqm = matrix.aqm().LimitedTo(matrix.aqm_max());
  std::string out;
  auto out_it = std::back_inserter(out);
  if (apm.Any() && aqm.Any()) {
    // At most 256 x 256 lines; stop once the page is full.
    apm.ForEach([&](unsigned apid) {
      if (out.size() >= kSysfsShowMax) return;
      aqm.ForEach([&](unsigned apqi) {
        if (out.size() < kSysfsShowMax) {
          fmt::format_to(out_it, "{:02x}.{:04x}\n", apid, apqi);
        }
      });
    });
  } else if (apm.Any()) {
    apm.ForEach(
        [&](unsigned apid) { fmt::format_to(out_it, "{:02x}.\n", apid); });
  } else if (aqm.Any()) {
    aqm.ForEach(
        [&](unsigned apqi) { fmt::format_to(out_it, ".{:04x}\n", apqi); });
  }
  if (out.size() > kSysfsShowMax) out.resize(kSysfsShowMax);
  return out;
}

std::string FormatControlDomains(const ApMatrix& matrix) {
  std::string out;
  matrix.adm().ForEach(
      [&](unsigned id) {
        fmt::format_to(std::back_inserter(out), "{:04x}\n", id);
      },
      matrix.adm_max());
  return out;
}

std::string FormatApConfig(const ApMatrix& matrix) {
  return FormatMaskHex(matrix.apm()) + "," + FormatMaskHex(matrix.aqm()) + "," +
         FormatMaskHex(matrix.adm()) + "\n";
}

}  // namespace vap
