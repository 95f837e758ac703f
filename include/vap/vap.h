// The vap library's public entry point: a whole s390 host with the AP
// bus, the vfio_ap driver, its sysfs tree and KVM guests, in process, as
// vapd runs it without FUSE and JSON-RPC (docs/architecture.md,
// src/system).
//
//   #include <vap/vap.h>
//   auto system = vap::System::Create(vap::SystemOptions{});
//   (*system)->tree().Write("bus/ap/apmask", "-5\n");
//
// Build with find_package(vap) and target_link_libraries(... vap::vap).
// vap::state (state/durable_state.h) keeps a system in a file, as
// vapd --state does.
#ifndef VAP_VAP_H_
#define VAP_VAP_H_

#include "state/durable_state.h"
#include "state/system_state.h"
#include "system/system.h"

#endif  // VAP_VAP_H_
