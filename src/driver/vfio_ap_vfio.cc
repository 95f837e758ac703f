// VfioAp: the VFIO ioctls of an mdev (vfio_ap_mdev_ioctl() in
// drivers/s390/crypto/vfio_ap_ops.c), all under mdevs_lock.
#include <cerrno>

#include "driver/vfio_ap.h"

namespace vap::driver {

namespace {

constexpr uint32_t kMinArgsz = 16;
constexpr uint32_t kIrqSetHeaderSize = 20;

Status Invalid(const char* why) { return Status::Error(EINVAL, why); }

// vfio_set_irqs_validate_and_prepare, in its order.
Status ValidateIrqSet(const VfioIrqSet& h) {
  if (h.argsz < kIrqSetHeaderSize) return Invalid("argsz below the header");
  if (h.index >= kVfioApNumIrqs) return Invalid("no such IRQ index");
  if (h.count >= 0xffffffffu - h.start) return Invalid("count overflows");
  if ((h.flags & ~0x3fu) != 0) return Invalid("unknown flags");
  if (h.start >= 1 || h.start + h.count > 1)
    return Invalid("one IRQ per index");
  const uint32_t type = h.flags & 0x7;
  uint32_t size;
  if (type == kVfioIrqSetDataNone) {
    size = 0;
  } else if (type == kVfioIrqSetDataBool) {
    size = 1;
  } else if (type == kVfioIrqSetDataEventfd) {
    size = 4;
  } else {
    return Invalid("exactly one data type");
  }
  if (size != 0 && h.argsz - kIrqSetHeaderSize < h.count * size) {
    return Invalid("argsz too small for the data");
  }
  return Status::Ok();
}

}  // namespace

Result<VfioDeviceInfo> VfioAp::GetDeviceInfo(const Uuid& uuid,
                                             uint32_t argsz) const {
  MutexLock lock(mdevs_mu_);
  if (FindMdevLocked(uuid) == nullptr) return NoMdev();
  if (argsz < kMinArgsz) return Invalid("argsz below 16");
  VfioDeviceInfo info;
  info.argsz = argsz;
  info.flags = kVfioDeviceFlagsAp | kVfioDeviceFlagsReset;
  info.num_regions = 0;
  info.num_irqs = kVfioApNumIrqs;
  return info;
}

Result<VfioIrqInfo> VfioAp::GetIrqInfo(const Uuid& uuid,
                                       const VfioIrqInfo& in) const {
  MutexLock lock(mdevs_mu_);
  if (FindMdevLocked(uuid) == nullptr) return NoMdev();
  if (in.argsz < kMinArgsz || in.index >= kVfioApNumIrqs)
    return Invalid("bad IRQ info");
  VfioIrqInfo out = in;
  out.count = 1;
  out.flags = kVfioIrqInfoEventfd;
  return out;
}

Status VfioAp::SetIrqs(const Uuid& uuid, const VfioIrqSet& hdr, int32_t fd,
                       std::shared_ptr<EventFd> eventfd) {
  MutexLock lock(mdevs_mu_);
  MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return NoMdev();
  VAP_RETURN_IF_ERROR(ValidateIrqSet(hdr));
  if ((hdr.flags & kVfioIrqSetActionTrigger) == 0)
    return Invalid("only ACTION_TRIGGER");
  if ((hdr.flags & 0x7) != kVfioIrqSetDataEventfd)
    return Invalid("only DATA_EVENTFD");
  std::shared_ptr<EventFd>& trigger =
      hdr.index == kVfioApReqIrqIndex ? m->req_trigger : m->cfg_chg_trigger;
  // The fd after the header is read even with count 0 (the kernel's quirk).
  if (fd == -1) {
    trigger.reset();
    return Status::Ok();
  }
  if (fd < -1) return Invalid("negative fd");
  if (eventfd == nullptr) return Status::Error(EBADF, "not an eventfd");
  trigger = std::move(eventfd);
  return Status::Ok();
}

Status VfioAp::ResetDevice(const Uuid& uuid) {
  MutexLock lock(mdevs_mu_);
  MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return NoMdev();
  VAP_RETURN_IF_ERROR(ResetQueuesLocked(LinkedQueuesLocked(*m)));
  // Only a reset that succeeded ends the migration sessions (the series'
  // vfio_ap_mdev_reset_migration_state()).
  ResetMigrationLocked(*m);
  return Status::Ok();
}

}  // namespace vap::driver
