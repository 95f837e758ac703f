// Fuzzes the `uevent` write syntax (ParseSynthUevent): never crash; only
// EINVAL; an accepted write names a kernel action, carries SYNTH_UUID
// first and fits the kernel's 63 keys, and written again from its parts
// parses to the same event.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/check.h"
#include "matrix/synth_uevent.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const vap::Result<vap::SynthUevent> r = vap::ParseSynthUevent(input);
  if (!r.ok()) {
    VAP_CHECK(r.status().errno_value() == EINVAL);
    return 0;
  }
  VAP_CHECK(!r->env.empty() && r->env.size() <= 63);
  VAP_CHECK(r->env[0].starts_with("SYNTH_UUID="));
  std::string again = r->action;
  if (r->env[0] != "SYNTH_UUID=0") {
    again += " " + r->env[0].substr(11);
    for (size_t i = 1; i < r->env.size(); ++i)
      again += " " + r->env[i].substr(10);  // "SYNTH_ARG_" off
  }
  const vap::Result<vap::SynthUevent> back = vap::ParseSynthUevent(again);
  VAP_CHECK(back.ok() && back->action == r->action && back->env == r->env);
  return 0;
}
