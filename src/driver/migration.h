// The VFIO migration interface of a vfio_ap mdev as the 2026 vfio-ap
// live-migration series implements it (vfio_ap_set_state(),
// vfio_ap_get_state(), vfio_ap_get_data_size(), vfio_ap_stop_copy_read()
// and vfio_ap_resuming_write() in its drivers/s390/crypto/
// vfio_ap_migration.c; the protocol of include/uapi/linux/vfio.h):
// STOP_COPY only, and the data fd a transition into STOP_COPY or
// RESUMING hands out, here a MigrationFile. docs/fidelity.md ("Live
// migration") says where vap decides.
#ifndef VAP_DRIVER_MIGRATION_H_
#define VAP_DRIVER_MIGRATION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "matrix/uuid.h"

namespace vap::driver {

class VfioAp;

// enum vfio_device_mig_state.
enum class MigState : uint32_t {
  kError = 0,
  kStop = 1,
  kRunning = 2,
  kStopCopy = 3,
  kResuming = 4,
  kRunningP2p = 5,
  kPreCopy = 6,
  kPreCopyP2p = 7,
};
// VFIO_MIGRATION_STOP_COPY: the one flag vfio_ap reports.
inline constexpr uint32_t kVfioMigrationStopCopy = 1;

// "error", "stop", "running", "stop_copy", "resuming", "running_p2p",
// "pre_copy", "pre_copy_p2p".
std::string_view MigStateName(MigState state);
// The names above, or the number; EINVAL otherwise.
Result<MigState> ParseMigState(std::string_view text);

// An open data fd of a migration session: read-only for STOP_COPY,
// write-only for RESUMING, a stream (no positional I/O). It keeps the
// mdev's registration pinned (vfio_ap_release_mig_file()): removing the
// mdev waits until every file is gone. Thread-safe; its position is
// guarded by the driver's mdevs_lock.
class MigrationFile {
 public:
  ~MigrationFile();
  MigrationFile(const MigrationFile&) = delete;
  MigrationFile& operator=(const MigrationFile&) = delete;

  // read(2) (pread with `positional`): up to `len` bytes of the blob, empty
  // at its end. ESPIPE, EBADF on a resume file, EIO, ENODEV, EINVAL, and
  // the snapshot's ENODEV or EIO, as vfio_ap_stop_copy_read() returns them.
  Result<std::string> Read(size_t len, bool positional = false);
  // write(2): takes all of `data` or fails. ESPIPE, EBADF on a save file,
  // EINVAL, ENODEV, ENXIO, EBUSY, EIO, and on the blob's last byte the
  // validation's and the overlay's errno (vfio_ap_resuming_write()).
  Result<size_t> Write(std::string_view data, bool positional = false);

  bool for_save() const { return save_; }
  const Uuid& uuid() const { return uuid_; }

 private:
  friend class VfioAp;
  MigrationFile(VfioAp& driver, const Uuid& uuid, uint64_t session, bool save)
      : driver_(driver), uuid_(uuid), session_(session), save_(save) {}

  VfioAp& driver_;
  const Uuid uuid_;
  const uint64_t session_;
  const bool save_;
  uint64_t pos_ = 0;  // under the driver's mdevs_lock
};

}  // namespace vap::driver

#endif  // VAP_DRIVER_MIGRATION_H_
