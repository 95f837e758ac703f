// Qemu: the VFIO migration protocol as QEMU drives it for the vfio-ap
// device (hw/vfio/migration.c: vfio_save_setup(), vfio_vmstate_change(),
// vfio_save_complete_precopy(), vfio_save_cleanup(),
// vfio_migration_state_notifier(), vfio_load_setup(), vfio_load_state(),
// vfio_load_cleanup()). The BQL is held across every call into the
// driver, as QEMU holds it around the ioctls (docs/locking.md Q1).
#include <cerrno>
#include <utility>

#include "vm/qemu.h"

namespace vap::vm {

using driver::MigState;

Status Qemu::SetDeviceStateLocked(MigState target, MigState recover) {
  Result<std::unique_ptr<driver::MigrationFile>> r =
      vfio_.SetMigrationState(*device_, target);
  if (r.ok()) return TakeDataFdLocked(std::move(*r));
  if (vfio_.SetMigrationState(*device_, recover).ok()) return r.status();
  // The device is reset, and RUNNING.
  (void)vfio_.ResetDevice(*device_);
  mig_file_.reset();
  return r.status();
}

Status Qemu::TakeDataFdLocked(std::unique_ptr<driver::MigrationFile> file) {
  if (file == nullptr) return Status::Ok();
  if (mig_file_ != nullptr) return Status::Error(EBADF, "data_fd out of sync");
  mig_file_ = std::move(file);
  return Status::Ok();
}

Result<std::string> Qemu::MigrationSaveSetup() {
  MutexLock bql(bql_);
  if (!device_) return Status::Error(ENODEV, "no vfio-ap device");
  if (migrating_) return Status::Error(EBUSY, "a migration is in progress");
  Result<uint32_t> flags = vfio_.MigrationFlags(*device_);
  if (!flags.ok()) {
    return Status::Error(flags.status().errno_value(),
                         "VFIO migration is not supported in kernel");
  }
  if ((*flags & driver::kVfioMigrationStopCopy) == 0) {
    return Status::Error(EOPNOTSUPP, "VFIO migration lacks STOP_COPY");
  }
  VAP_ASSIGN_OR_RETURN(uint64_t size, vfio_.MigrationDataSize(*device_));
  mig_buffer_ = std::min<uint64_t>(size, kVfioMigBufferSize);
  migrating_ = true;
  save_done_ = false;
  save_pending_.clear();
  return StreamSetup();
}

Status Qemu::MigrationVmStop() {
  MutexLock bql(bql_);
  if (!migrating_) return Status::Error(EINVAL, "no migration in progress");
  guest_->StopVcpus();
  return SetDeviceStateLocked(MigState::kStop, MigState::kRunning);
}

Result<std::string> Qemu::MigrationSaveNext(size_t max) {
  MutexLock bql(bql_);
  if (!migrating_) return Status::Error(EINVAL, "no migration in progress");
  if (save_pending_.empty()) {
    VAP_ASSIGN_OR_RETURN(save_pending_, NextRecordLocked());
  }
  const size_t n = std::min(std::max<size_t>(max, 1), save_pending_.size());
  std::string out = save_pending_.substr(0, n);
  save_pending_.erase(0, n);
  return out;
}

Result<std::string> Qemu::NextRecordLocked() {
  if (save_done_) return std::string();
  if (mig_file_ == nullptr) {
    VAP_RETURN_IF_ERROR(
        SetDeviceStateLocked(MigState::kStopCopy, MigState::kStop));
    if (mig_file_ == nullptr) return Status::Error(EIO, "no data fd");
  }
  VAP_ASSIGN_OR_RETURN(std::string bytes,
                       mig_file_->Read(std::max<size_t>(mig_buffer_, 1)));
  if (bytes.empty()) {
    // The iterable part's end, then the non-iterable part QEMU sends
    // after every device's iterable data.
    save_done_ = true;
    return StreamEnd() + StreamConfig();
  }
  return StreamData(bytes);
}

void Qemu::MigrationSaveCleanup(bool succeeded) {
  MutexLock bql(bql_);
  if (!migrating_ || !device_) return;
  if (succeeded) {
    (void)SetDeviceStateLocked(MigState::kStop, MigState::kStop);
    mig_file_.reset();
  } else {
    mig_file_.reset();
    (void)SetDeviceStateLocked(MigState::kRunning, MigState::kRunning);
    if (vcpus_started_) guest_->StartVcpus(options_.vcpus);
  }
  migrating_ = false;
}

Status Qemu::MigrationLoadSetup() {
  MutexLock bql(bql_);
  if (!device_) return Status::Error(ENODEV, "no vfio-ap device");
  if (migrating_) return Status::Error(EBUSY, "a migration is in progress");
  VAP_RETURN_IF_ERROR(
      SetDeviceStateLocked(MigState::kResuming, MigState::kRunning));
  if (mig_file_ == nullptr) return Status::Error(EIO, "no data fd");
  migrating_ = true;
  loader_ = StreamLoader();
  return Status::Ok();
}

Status Qemu::MigrationLoad(std::string_view bytes) {
  MutexLock bql(bql_);
  if (!migrating_ || mig_file_ == nullptr)
    return Status::Error(EINVAL, "no incoming migration");
  driver::MigrationFile* file = mig_file_.get();
  return loader_.Feed(bytes, [file](std::string_view data) -> Status {
    Result<size_t> n = file->Write(data);
    return n.ok() ? Status::Ok() : n.status();
  });
}

Status Qemu::MigrationLoadFinish() {
  MutexLock bql(bql_);
  if (!migrating_) return Status::Error(EINVAL, "no incoming migration");
  const bool ended = loader_.ended();
  mig_file_.reset();
  migrating_ = false;
  if (!ended) return Status::Error(EINVAL, "the device's state did not end");
  VAP_RETURN_IF_ERROR(
      SetDeviceStateLocked(MigState::kRunning, MigState::kError));
  vcpus_started_ = true;
  guest_->StartVcpus(options_.vcpus);
  return Status::Ok();
}

}  // namespace vap::vm
