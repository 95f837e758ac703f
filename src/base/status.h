// Status is part of the public API: include/vap/status.h.
#ifndef VAP_BASE_STATUS_H_
#define VAP_BASE_STATUS_H_

#include "vap/status.h"

#endif  // VAP_BASE_STATUS_H_
