// Fuzzes the state file decoder twice per input: as a whole file (almost
// always refused: not JSON, not a state file, bad checksum) and as the
// `state` object of a file with a matching checksum, which reaches every
// field check. Anything decoded must encode and decode to itself. Then the
// journal: the input as records after a valid header (replayed: applied
// or refused with EINVAL), and as one record's JSON with a matching
// checksum.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/check.h"
#include "state/journal.h"
#include "state/state_json.h"

namespace {

void Check(std::string_view text) {
  const vap::Result<vap::state::SystemState> s = vap::state::DecodeState(text);
  if (!s.ok()) {
    VAP_CHECK(s.status().errno_value() == EINVAL);
    VAP_CHECK(!s.status().message().empty());
    return;
  }
  const vap::Result<vap::state::SystemState> again =
      vap::state::DecodeState(vap::state::EncodeState(*s));
  VAP_CHECK(again.ok());
  VAP_CHECK(*again == *s);
}

void CheckJournal(std::string_view input) {
  vap::state::JournalRecord header;
  header.kind = vap::state::JournalRecord::Kind::kBase;
  header.base = "0x00000001";
  const std::string journal =
      vap::state::EncodeJournalRecord(header) + std::string(input);
  vap::state::SystemState st;
  const vap::Status replayed =
      vap::state::ReplayJournal(journal, "0x00000001", &st);
  VAP_CHECK(replayed.ok() || replayed.errno_value() == EINVAL);
  // The input as one record's JSON, with its checksum right.
  const std::string line =
      vap::state::Crc32Hex(input) + " " + std::string(input);
  const vap::Result<vap::state::JournalRecord> r =
      vap::state::DecodeJournalRecord(line);
  if (!r.ok()) {
    VAP_CHECK(r.status().errno_value() == EINVAL);
    return;
  }
  const vap::Result<vap::state::JournalRecord> again =
      vap::state::DecodeJournalRecord(vap::state::EncodeJournalRecord(*r));
  VAP_CHECK(again.ok());
  VAP_CHECK(again->kind == r->kind);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Check(input);
  CheckJournal(input);
  const nlohmann::json body = nlohmann::json::parse(input, nullptr, false);
  if (body.is_discarded()) return 0;
  const std::string dumped = body.dump();
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(dumped.data()),
              static_cast<uInt>(dumped.size()));
  char hex[16];
  snprintf(hex, sizeof hex, "0x%08lx", crc);
  const nlohmann::json file = {{"format", "vap-state"},
                               {"version", vap::state::kStateVersion},
                               {"crc32", hex},
                               {"state", body}};
  Check(file.dump());
  return 0;
}
