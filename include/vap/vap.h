// The vap library: a whole s390 host with the AP bus, the vfio_ap driver,
// its /sys tree and KVM guests, in your process, as vapd runs it without
// FUSE and JSON-RPC.
//
//   #include <vap/vap.h>
//
//   auto host = vap::Host::Create(vap::HostOptions{});
//   if (host.ok()) (*host)->Write("bus/ap/apmask", "-5\n");
//
// Build with find_package(vap) and target_link_libraries(... vap::vap).
// The headers:
//   vap/host.h    vap::Host and its options and reports: the manual
//   vap/status.h  vap::Status: an errno and the kernel's reason
//   vap/result.h  vap::Result<T>: a value or the Status saying why not
// Nothing else is public: vap's own layers (docs/architecture.md) may
// change between releases; these headers change only with the version.
#ifndef VAP_VAP_H_
#define VAP_VAP_H_

#include "vap/host.h"
#include "vap/result.h"
#include "vap/status.h"

#endif  // VAP_VAP_H_
