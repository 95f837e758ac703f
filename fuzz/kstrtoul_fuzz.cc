// Fuzzes the kernel's number parsers (ParseKstrtoul, SimpleStrtoul,
// ParseKstrtobool, ScanfInt): never crash; a parsed kstrtoul value prints
// and parses back to itself, as does a parsed "%d" or "%i" int.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/check.h"
#include "matrix/kernel_number.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const vap::Result<bool> b = vap::ParseKstrtobool(input);
  VAP_CHECK(b.ok() || b.status().errno_value() == EINVAL);
  for (unsigned base : {0u, 10u}) {
    const vap::Result<int> i = vap::ScanfInt(input, base);
    if (i.ok()) {
      VAP_CHECK(*vap::ScanfInt(std::to_string(*i), base) == *i);
    } else {
      VAP_CHECK(i.status().errno_value() == EINVAL);
    }
  }
  const vap::Result<uint64_t> r = vap::ParseKstrtoul(input);
  if (!r.ok()) {
    const int e = r.status().errno_value();
    VAP_CHECK(e == EINVAL || e == ERANGE);
    return 0;
  }
  VAP_CHECK(*vap::ParseKstrtoul(std::to_string(*r) + "\n") == *r);
  size_t used = 0;
  (void)vap::SimpleStrtoul(input, &used);
  VAP_CHECK(used <= input.size());
  return 0;
}
