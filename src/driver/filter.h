// The matrix filter: from an mdev's assignment (matrix) to what its guest
// is given (the shadow APCB, "guest_matrix"), spec/host.md 4.1-4.2 and
// spec/guest.md 2.7. Pure functions on whole 64-bit words: an adapter is
// kept only if every assigned usage domain in the host configuration has
// a passable queue on it, which is one AND-NOT per word instead of a
// lookup per queue.
#ifndef VAP_DRIVER_FILTER_H_
#define VAP_DRIVER_FILTER_H_

#include <array>

#include "ap/qci.h"
#include "matrix/ap_mask.h"
#include "matrix/ap_matrix.h"

namespace vap::driver {

// passable[a]: the APQIs d for which queue (a, d) is bound to vfio_ap,
// linked to an mdev, and its last reset by vfio_ap left response code
// 0x00, 0x03 or 0x04 (spec/host.md 1.7).
using PassableTable = std::array<ApMask, 256>;

// The shadow's maxima, reset from the host's QCI at every filter run
// (spec/host.md 1.4).
ApMatrix EmptyShadow(const ap::QciInfo& info);

struct MatrixFilterResult {
  bool changed = false;  // shadow APM or AQM differs from before
  ApMask filtered;       // APIDs the shadow had before and lost now
};

// filter_matrix: rewrites `shadow`'s maxima, APM and AQM (ADM untouched).
MatrixFilterResult FilterMatrix(const ApMatrix& matrix, const ap::QciInfo& info,
                                const PassableTable& passable,
                                ApMatrix* shadow);

// filter_cdoms: shadow ADM = matrix ADM & host ADM. True if it changed.
bool FilterControlDomains(const ApMatrix& matrix, const ap::QciInfo& info,
                          ApMatrix* shadow);

}  // namespace vap::driver

#endif  // VAP_DRIVER_FILTER_H_
