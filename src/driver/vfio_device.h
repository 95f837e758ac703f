// The VFIO device interface of a vfio_ap mdev (vfio_ap_mdev_ioctl() and
// vfio_ap_mdev_request() in drivers/s390/crypto/vfio_ap_ops.c; the ABI of
// include/uapi/linux/vfio.h): the ioctls' arguments and results, and the
// eventfds QEMU registers for the device-request IRQ (index 0) and the
// config-change IRQ (index 1) (base/event_fd.h).
#ifndef VAP_DRIVER_VFIO_DEVICE_H_
#define VAP_DRIVER_VFIO_DEVICE_H_

#include <cstdint>

namespace vap::driver {

inline constexpr uint32_t kVfioDeviceFlagsReset = 0x01;
inline constexpr uint32_t kVfioDeviceFlagsAp = 0x20;
inline constexpr uint32_t kVfioIrqInfoEventfd = 0x1;
inline constexpr uint32_t kVfioIrqSetDataNone = 0x1;
inline constexpr uint32_t kVfioIrqSetDataBool = 0x2;
inline constexpr uint32_t kVfioIrqSetDataEventfd = 0x4;
inline constexpr uint32_t kVfioIrqSetActionMask = 0x8;
inline constexpr uint32_t kVfioIrqSetActionUnmask = 0x10;
inline constexpr uint32_t kVfioIrqSetActionTrigger = 0x20;
inline constexpr uint32_t kVfioApReqIrqIndex = 0;
inline constexpr uint32_t kVfioApCfgChgIrqIndex = 1;
inline constexpr uint32_t kVfioApNumIrqs = 2;

// struct vfio_device_info as the driver fills it (its first 16 bytes).
struct VfioDeviceInfo {
  uint32_t argsz = 16;
  uint32_t flags = 0;
  uint32_t num_regions = 0;
  uint32_t num_irqs = 0;
};

// struct vfio_irq_info.
struct VfioIrqInfo {
  uint32_t argsz = 16;
  uint32_t flags = 0;
  uint32_t index = 0;
  uint32_t count = 0;
};

// struct vfio_irq_set's header.
struct VfioIrqSet {
  uint32_t argsz = 24;
  uint32_t flags = 0;
  uint32_t index = 0;
  uint32_t start = 0;
  uint32_t count = 0;
};

}  // namespace vap::driver

#endif  // VAP_DRIVER_VFIO_DEVICE_H_
