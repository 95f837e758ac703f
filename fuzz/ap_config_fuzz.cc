// Fuzzes ParseApConfig (an mdev's ap_config store): never crashes; errors
// are EINVAL; an accepted value prints and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/check.h"
#include "matrix/ap_matrix.h"
#include "matrix/mask_format.h"
#include "matrix/mask_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const vap::Result<vap::ApConfigMasks> r = vap::ParseApConfig(input);
  if (!r.ok()) {
    VAP_CHECK(r.status().errno_value() == EINVAL);
    return 0;
  }
  vap::ApMatrix m;
  m.apm() = r->apm;
  m.aqm() = r->aqm;
  m.adm() = r->adm;
  const std::string text = vap::FormatApConfig(m);
  VAP_CHECK(text.size() == 201);
  const vap::Result<vap::ApConfigMasks> back = vap::ParseApConfig(text);
  VAP_CHECK(back.ok() && back->apm == r->apm && back->aqm == r->aqm &&
            back->adm == r->adm);
  (void)vap::FormatMatrix(m);
  (void)vap::FormatControlDomains(m);
  return 0;
}
