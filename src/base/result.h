// Result is part of the public API: include/vap/result.h.
#ifndef VAP_BASE_RESULT_H_
#define VAP_BASE_RESULT_H_

#include "vap/result.h"

#endif  // VAP_BASE_RESULT_H_
