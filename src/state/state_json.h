// The state file's format (docs/state.md): JSON with a header naming the
// format and version and a CRC-32 of the state, so that a truncated or
// corrupted file is refused rather than half believed.
#ifndef VAP_STATE_STATE_JSON_H_
#define VAP_STATE_STATE_JSON_H_

#include <string>
#include <string_view>

#include "base/result.h"
#include "state/system_state.h"

namespace vap::state {

inline constexpr int kStateVersion = 1;

// The whole file, ending in a newline.
std::string EncodeState(const SystemState& state);

// EINVAL with a message naming the problem: not JSON (with the byte
// offset: a truncated file ends early), not a vap state file, another
// version, a checksum that does not match, or the field that is wrong
// ("state.mdevs[1].apm: ...").
Result<SystemState> DecodeState(std::string_view text);

}  // namespace vap::state

#endif  // VAP_STATE_STATE_JSON_H_
