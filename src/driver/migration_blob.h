// The migration data of a vfio_ap mdev, as the 2026 vfio-ap live-migration
// series (vfio_ap_get_config(), vfio_ap_resuming_write() and
// queue_hardware_info_is_compatible() in its
// drivers/s390/crypto/vfio_ap_migration.c) lays it out and compares it.
// Pure functions; the driver's protocol is vfio_ap_migration.cc and the
// decisions are in docs/fidelity.md ("Live migration").
//
// Layout ("version 1"), big-endian as the s390 kernel writes its memory:
//   0  u32 magic 0x76666170 ("vfap")    4  u32 version 1
//   8  u32 number of queues N           12 u32 reserved
//   16 32 bytes: the control-domain mask, in the architecture's bit order
//   48 N records of 16 bytes: u64 TAPQ GR2 of the queue on the source,
//      u16 APQN (APID << 8 | APQI), 6 reserved bytes
// Records run by APID, then APQI, ascending (shadow APM x AQM).
#ifndef VAP_DRIVER_MIGRATION_BLOB_H_
#define VAP_DRIVER_MIGRATION_BLOB_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "matrix/ap_mask.h"
#include "matrix/apqn.h"

namespace vap::driver {

inline constexpr uint32_t kMigMagic = 0x76666170;
inline constexpr uint32_t kMigVersion = 1;
inline constexpr size_t kMigHeaderSize = 48;
inline constexpr size_t kMigRecordSize = 16;
// The part of the header the resume side gathers before it can size the
// blob: magic, version, number of queues.
inline constexpr size_t kMigHeaderPrefix = 12;
inline constexpr uint32_t kMigMaxQueues = 65536;
// QINFO_DATA_MASK: facilities, modes, APXA, SLCF, classification, BS
// (GR2 bits 0-17) and the AP type (bits 32-39).
inline constexpr uint64_t kQinfoDataMask = 0xffffc000ff000000ull;

constexpr size_t MigBlobSize(size_t queues) {
  return kMigHeaderSize + kMigRecordSize * queues;
}

struct MigRecord {
  uint64_t hwinfo = 0;  // TAPQ GR2
  Apqn apqn;
  friend bool operator==(const MigRecord&, const MigRecord&) = default;
};

struct MigBlob {
  ApMask adm;
  std::vector<MigRecord> records;
  friend bool operator==(const MigBlob&, const MigBlob&) = default;
};

struct MigHeaderPrefix {
  uint32_t magic = 0;
  uint32_t version = 0;
  uint32_t queues = 0;
};

std::string EncodeMigBlob(const MigBlob& blob);
// The first kMigHeaderPrefix bytes (at least that many must be given).
MigHeaderPrefix DecodeMigHeaderPrefix(std::string_view bytes);
// EINVAL for a wrong magic or version or more than 65,536 queues, with
// the reason; nothing else is checked (the series reads no other field).
Status CheckMigHeaderPrefix(const MigHeaderPrefix& h);
// A whole blob: its header checked as above, and EIO unless its size is
// exactly 48 + 16 N. Reserved bytes are not looked at.
Result<MigBlob> DecodeMigBlob(std::string_view bytes);

// The TAPQ GR2 fields the comparison reads (struct ap_tapq_hwinfo; bit 0
// is the most significant).
struct HwInfoFields {
  bool apsc, mex4k, crt4k, cca, accel, ep11, apxa, slcf;
  bool native;     // classification: full native card function
  unsigned bs;     // bind/associate state, 0 = usable
  unsigned type;   // AP type
};
HwInfoFields DecodeHwInfo(uint64_t gr2);

// The series' compatibility rule: every facility and mode equal, the
// target's AP type the same or newer, no loss of full native function,
// and both queues' bind state 0. Returns the lines the series logs for
// an incompatible pair, after the mdev's device prefix, in its order;
// empty when compatible.
std::vector<std::string> IncompatibilityLines(uint64_t source, uint64_t target,
                                              Apqn apqn);

}  // namespace vap::driver

#endif  // VAP_DRIVER_MIGRATION_BLOB_H_
