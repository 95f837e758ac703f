// The vfio device's part of QEMU's migration stream (hw/vfio/migration.c:
// vfio_save_setup(), vfio_save_complete_precopy(), vfio_save_state(),
// vfio_load_state()): a setup section, then the device's data in records
// of a length and bytes, then an end-of-state marker, then the device's
// config section (vfio-ap has no config: the flag and an end-of-state
// marker), each flag a big-endian u64.
// `StreamLoader` takes such a stream in any split, as the destination
// reads it from the socket, and hands each record's bytes on.
#ifndef VAP_VM_MIGRATION_STREAM_H_
#define VAP_VM_MIGRATION_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vap::vm {

inline constexpr uint64_t kVfioMigFlagEndOfState = 0xffffffffef100001ull;
inline constexpr uint64_t kVfioMigFlagDevConfigState = 0xffffffffef100002ull;
inline constexpr uint64_t kVfioMigFlagDevSetupState = 0xffffffffef100003ull;
inline constexpr uint64_t kVfioMigFlagDevDataState = 0xffffffffef100004ull;
// QEMU's migration buffer: no record is longer.
inline constexpr size_t kVfioMigBufferSize = size_t{1} << 20;

std::string StreamSetup();
std::string StreamData(std::string_view bytes);
std::string StreamEnd();
// The non-iterable part, vfio_save_state() of a device without
// vfio_save_config.
std::string StreamConfig();

class StreamLoader {
 public:
  using DataSink = std::function<Status(std::string_view)>;
  // Takes the next bytes of the stream; `sink` gets each data record's
  // bytes whole. EINVAL for a flag out of place or a record above the
  // buffer size; the sink's error as it is. After an error every call
  // fails.
  Status Feed(std::string_view bytes, const DataSink& sink);
  // The data's end-of-state marker and the config section have been read.
  bool ended() const { return phase_ == Phase::kEnded; }

 private:
  enum class Phase {
    kSetup, kSetupEnd, kData, kConfig, kConfigEnd, kEnded, kFailed
  };
  Status Step(const DataSink& sink, bool* progress);

  Phase phase_ = Phase::kSetup;
  std::string pending_;  // bounded: one record and its header
};

}  // namespace vap::vm

#endif  // VAP_VM_MIGRATION_STREAM_H_
