// The matrix filter: from an mdev's assignment (matrix) to what its guest is
// given (the shadow APCB, "guest_matrix"), as the kernel's
// vfio_ap_mdev_filter_matrix() and vfio_ap_mdev_filter_cdoms()
// (drivers/s390/crypto/vfio_ap_ops.c) compute it. Pure functions on whole
// 64-bit words: an adapter is kept only if every assigned usage domain in the
// host configuration has a passable queue on it. With the queues kept per
// domain as a mask of the adapters where they are NOT passable, the adapters
// to drop are the OR of those masks over the assigned domains: a few word
// operations per domain instead of a table lookup per queue.
#ifndef VAP_DRIVER_FILTER_H_
#define VAP_DRIVER_FILTER_H_

#include <array>

#include "ap/qci.h"
#include "matrix/ap_mask.h"
#include "matrix/ap_matrix.h"

namespace vap::driver {

// blocked[d]: the APIDs a for which queue (a, d) is NOT passable, i.e.
// not bound to vfio_ap and linked to an mdev, or its last reset by
// vfio_ap left a response code other than 0x00, 0x03, 0x04 (the
// reset_status of the kernel's struct vfio_ap_queue). With no queue
// passable every mask is all ones.
using BlockedTable = std::array<ApMask, 256>;
// The table with nothing passable.
BlockedTable AllBlocked();

// The shadow's maxima, reset from the host's QCI at every filter run
// (vfio_ap_matrix_init(), as vfio_ap_mdev_filter_matrix() calls it).
ApMatrix EmptyShadow(const ap::QciInfo& info);

struct MatrixFilterResult {
  bool changed = false;  // shadow APM or AQM differs from before
  ApMask filtered;       // APIDs the shadow had before and lost now
};

// filter_matrix: rewrites `shadow`'s maxima, APM and AQM (ADM untouched).
MatrixFilterResult FilterMatrix(const ApMatrix& matrix, const ap::QciInfo& info,
                                const BlockedTable& blocked, ApMatrix* shadow);

// filter_cdoms: shadow ADM = matrix ADM & host ADM. True if it changed.
bool FilterControlDomains(const ApMatrix& matrix, const ap::QciInfo& info,
                          ApMatrix* shadow);

}  // namespace vap::driver

#endif  // VAP_DRIVER_FILTER_H_
