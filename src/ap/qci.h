// QciInfo: the host's AP configuration as PQAP(QCI) reports it (the
// kernel's struct ap_config_info in arch/s390/include/asm/ap.h).
#ifndef VAP_AP_QCI_H_
#define VAP_AP_QCI_H_

#include <cstdint>

#include "matrix/ap_mask.h"

namespace vap::ap {

struct QciInfo {
  // Facility flags.
  bool apsc = false;
  bool apxa = false;  // AP extended addressing: 8-bit APIDs and APQIs
  bool qact = false;
  bool rc8a = false;
  bool apsb = false;
  uint8_t na = 0;  // maximum APID
  uint8_t nd = 0;  // maximum domain number
  ApMask apm;      // configured adapters
  ApMask aqm;      // usage domains
  ApMask adm;      // control domains

  // The AP bus's maxima (ap_max_adapter_id / ap_max_domain_id): 63 and 15,
  // replaced by na and nd when apxa is set and they are non-zero.
  uint8_t BusMaxAdapterId() const { return apxa && na != 0 ? na : 63; }
  uint8_t BusMaxDomainId() const { return apxa && nd != 0 ? nd : 15; }

  // Field-wise, which is the kernel's byte compare of the block.
  friend bool operator==(const QciInfo&, const QciInfo&) = default;
};

}  // namespace vap::ap

#endif  // VAP_AP_QCI_H_
