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

// "0x" and 8 hex digits: the CRC-32 of `text`.
std::string Crc32Hex(std::string_view text);

// --- The journal's records (docs/state.md "Journal"): one line each,
// "CRC JSON\n", CRC being Crc32Hex of JSON.
struct JournalRecord {
  enum class Kind { kBase, kGlobal, kMdev, kRemove };
  Kind kind = Kind::kGlobal;
  std::string base;    // kBase: Crc32Hex of the snapshot file it follows
  SystemState global;  // kGlobal: everything but `mdevs`
  MdevRecord mdev;     // kMdev: the mdev as it is now; kRemove: its uuid
};
std::string EncodeJournalRecord(const JournalRecord& record);
// EINVAL naming the problem (checksum, JSON, field).
Result<JournalRecord> DecodeJournalRecord(std::string_view line);

}  // namespace vap::state

#endif  // VAP_STATE_STATE_JSON_H_
