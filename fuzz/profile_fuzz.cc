// Fuzzes ParseHostProfile: any input gives a profile or EINVAL with a
// message, never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ap/profile.h"
#include "base/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const vap::Result<vap::ap::HostProfile> p = vap::ap::ParseHostProfile(input);
  if (!p.ok()) {
    VAP_CHECK(p.status().errno_value() == EINVAL);
    VAP_CHECK(!p.status().message().empty());
    return 0;
  }
  for (const vap::ap::CardSpec& card : p->cards) VAP_CHECK(card.apid <= p->na);
  VAP_CHECK(p->usage_domains.LimitedTo(p->nd) == p->usage_domains);
  return 0;
}
