// A straightforward matrix filter, one queue lookup per APQN in a hash
// table, the way the kernel walks an mdev's queue table. It is the
// reference the randomized tests compare the word-wise FilterMatrix with,
// and the baseline of BM_Filter_Reference.
#ifndef VAP_DRIVER_FILTER_REFERENCE_H_
#define VAP_DRIVER_FILTER_REFERENCE_H_

#include <cstdint>
#include <unordered_map>

#include "ap/qci.h"
#include "matrix/ap_mask.h"
#include "matrix/ap_matrix.h"

namespace vap::driver {

// The mdev's queue table: linked queues by queue id, with the response
// code of their last reset.
using ReferenceQueueTable = std::unordered_map<uint16_t, uint8_t>;

// vfio_ap_mdev_filter_matrix() step by step, one APQN at a time as the
// kernel loops; returns the new shadow APM and AQM (and the maxima) in
// `shadow`, and the APIDs filtered out of the previous one.
ApMask ReferenceFilterMatrix(const ApMatrix& matrix, const ap::QciInfo& info,
                             const ReferenceQueueTable& qtable,
                             ApMatrix* shadow);

}  // namespace vap::driver

#endif  // VAP_DRIVER_FILTER_REFERENCE_H_
