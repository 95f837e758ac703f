#include "kvm/pqap.h"

namespace vap::kvm {

const char* PqapOutcomeName(PqapOutcome outcome) {
  switch (outcome) {
    case PqapOutcome::kCompleted:
      return "completed";
    case PqapOutcome::kOperation:
      return "operation exception";
    case PqapOutcome::kPrivilegedOperation:
      return "privileged-operation exception";
    case PqapOutcome::kSpecification:
      return "specification exception";
  }
  return "?";
}

PqapRegs MakePqapRegs(PqapCall call, Apqn apqn, uint8_t isc, uint64_t nib) {
  PqapRegs r;
  switch (call) {
    case PqapCall::kTapq:
      r.gr0 = apqn.qid();
      break;
    case PqapCall::kZapq:
      r.gr0 = uint64_t{kPqapZapq} << 24 | apqn.qid();
      break;
    case PqapCall::kAqicEnable:
      r.gr0 = uint64_t{kPqapAqic} << 24 | apqn.qid();
      r.gr1 = kAqicIrBit | isc;
      r.gr2 = nib;
      break;
    case PqapCall::kAqicDisable:
      r.gr0 = uint64_t{kPqapAqic} << 24 | apqn.qid();
      break;
  }
  return r;
}

}  // namespace vap::kvm
