// Fuzzes what another host sends a destination: the input as the resume
// stream of an open mdev, written in the pieces it describes (each piece
// a length byte, then that many bytes), and as QEMU's incoming stream fed
// to a StreamLoader in the same pieces. Nothing may crash or grow without
// bound, and the destination mdev may change only when a write completed
// a blob that was validated and applied: each refused input leaves its
// matrix, its shadow APCB and the guest's CRYCB as they were.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ap/profile.h"
#include "base/check.h"
#include "driver/host_drivers.h"
#include "driver/migration.h"
#include "driver/migration_blob.h"
#include "kvm/guest.h"
#include "vm/migration_stream.h"

namespace {

using namespace vap;

const Uuid kMdev = *Uuid::Parse("62177883-f1bb-47f0-914d-32a22e3a8804");

// Adapters 5 and 6 with domains 4 and 0x47 for vfio_ap; an empty mdev that
// a guest holds open. Made once.
struct Destination {
  Destination()
      : clock(/*auto_advance=*/true),
        host(clock, *ap::ParseHostProfile(R"({
          "adapters": [{"id": 5, "type": "CEX8C"}, {"id": 6, "type": "CEX8C"}],
          "usage_domains": [4, 71], "control_domains": [4, 71]})")),
        guest({"fuzz"}) {
    host.bus().Scan();
    VAP_CHECK(host.bus().WriteApmask("-5,-6").ok());
    VAP_CHECK(host.bus().WriteAqmask("-4,-0x47").ok());
    clock.Advance(ap::Firmware::kResetDuration);
    VAP_CHECK(host.vfio().CreateMdev(kMdev).ok());
    VAP_CHECK(host.vfio().Attach(kMdev, &guest).ok());
  }
  ManualClock clock;
  driver::HostDrivers host;
  kvm::Guest guest;
};

std::vector<std::string_view> Pieces(std::string_view input) {
  std::vector<std::string_view> out;
  while (!input.empty()) {
    const size_t len = static_cast<uint8_t>(input[0]);
    input.remove_prefix(1);
    const size_t n = len == 0 ? input.size() : std::min(len, input.size());
    out.push_back(input.substr(0, n));
    input.remove_prefix(n);
  }
  return out;
}

void Resume(Destination& d, const std::vector<std::string_view>& pieces) {
  driver::VfioAp& vfio = d.host.vfio();
  VAP_CHECK(vfio.ResetDevice(kMdev).ok());
  VAP_CHECK(vfio.StoreApConfig(kMdev, "0,0,0").ok());
  const ApMatrix before = vfio.Mdev(kMdev)->matrix;
  const ApMatrix shadow_before = vfio.Mdev(kMdev)->shadow_apcb;
  const ApMatrix crycb_before = d.guest.Apcb();
  Result<std::unique_ptr<driver::MigrationFile>> f =
      vfio.SetMigrationState(kMdev, driver::MigState::kResuming);
  VAP_CHECK(f.ok() && *f != nullptr);
  size_t written = 0;
  bool applied = false;
  for (std::string_view piece : pieces) {
    Result<size_t> n = (*f)->Write(piece);
    if (!n.ok()) {
      const int e = n.status().errno_value();
      VAP_CHECK(e == EINVAL || e == EIO || e == ENODEV || e == EADDRINUSE ||
                e == EADDRNOTAVAIL);
      continue;
    }
    VAP_CHECK(*n == piece.size());
    written += piece.size();
    if (written >= driver::kMigHeaderSize &&
        vfio.SetMigrationState(kMdev, driver::MigState::kStop).ok()) {
      applied = true;
      break;
    }
  }
  if (!applied) {
    VAP_CHECK(vfio.Mdev(kMdev)->matrix == before);
    VAP_CHECK(vfio.Mdev(kMdev)->shadow_apcb == shadow_before);
    VAP_CHECK(d.guest.Apcb() == crycb_before);
  }
  vfio.CheckInvariants();
}

void Load(const std::vector<std::string_view>& pieces) {
  vm::StreamLoader loader;
  size_t total = 0;
  for (std::string_view piece : pieces) {
    const Status s = loader.Feed(piece, [&total](std::string_view data) {
      VAP_CHECK(data.size() <= vm::kVfioMigBufferSize);
      total += data.size();
      return Status::Ok();
    });
    if (!s.ok()) VAP_CHECK(s.errno_value() == EINVAL);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Destination* d = new Destination();
  const std::vector<std::string_view> pieces =
      Pieces(std::string_view(reinterpret_cast<const char*>(data), size));
  Resume(*d, pieces);
  Load(pieces);
  return 0;
}
