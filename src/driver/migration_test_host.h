// Two vfio_ap hosts for the migration tests: each a HostDrivers of its own
// profile on one auto-advancing clock, with the queues of adapters 5 and 6
// given to vfio_ap and an mdev that a guest holds open, and the steps QEMU
// takes on each side of a migration (vm/qemu_migration.h is the model
// that takes them for real).
#ifndef VAP_DRIVER_MIGRATION_TEST_HOST_H_
#define VAP_DRIVER_MIGRATION_TEST_HOST_H_

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "ap/profile.h"
#include "driver/host_drivers.h"
#include "driver/migration.h"
#include "driver/vfio_ap.h"
#include "kvm/guest.h"

namespace vap::driver {

inline const Uuid kSrcMdev = *Uuid::Parse("62177883-f1bb-47f0-914d-32a22e3a8804");
inline const Uuid kDstMdev = *Uuid::Parse("4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2");

// A profile with adapters 5 and 6 (`card5`, `card6`: the adapter objects'
// bodies after the id) and domains 4, 0x47, 0xab, 0xff, all control
// domains unless `cdoms` says otherwise.
inline ap::HostProfile MigProfile(std::string_view card5 = R"("type": "CEX8C")",
                                  std::string_view card6 = R"("type": "CEX8C")",
                                  std::string_view cdoms = "[4, 71, 171, 255]",
                                  bool se_guest = false) {
  const std::string json =
      std::string(R"({"adapters": [{"id": 5, )") + std::string(card5) +
      R"(}, {"id": 6, )" + std::string(card6) +
      R"(}], "usage_domains": [4, 71, 171, 255], "control_domains": )" +
      std::string(cdoms) + (se_guest ? R"(, "se_guest": true})" : "}");
  Result<ap::HostProfile> p = ap::ParseHostProfile(json);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : ap::HostProfile{};
}

class MigHost {
 public:
  MigHost(ManualClock& clock, const ap::HostProfile& profile,
          const Uuid& mdev)
      : clock_(clock), drivers_(clock, profile), mdev_(mdev), guest_({"V"}) {
    bus().Scan();
    EXPECT_TRUE(bus().WriteApmask("-5,-6").ok());
    EXPECT_TRUE(bus().WriteAqmask("-4,-0x47,-0xab,-0xff").ok());
    clock_.Advance(ap::Firmware::kResetDuration);
    EXPECT_TRUE(vfio().CreateMdev(mdev_).ok());
  }
  ~MigHost() {
    Close();
    vfio().CheckInvariants();
  }

  // Assigns adapters, domains and control domains to the mdev.
  void Configure(std::initializer_list<unsigned> apids,
                 std::initializer_list<unsigned> apqis,
                 std::initializer_list<unsigned> cdoms) {
    for (unsigned id : apids) {
      ASSERT_TRUE(vfio().AssignAdapter(mdev_, std::to_string(id)).ok());
    }
    for (unsigned id : apqis) {
      ASSERT_TRUE(vfio().AssignDomain(mdev_, std::to_string(id)).ok());
    }
    for (unsigned id : cdoms) {
      ASSERT_TRUE(vfio().AssignControlDomain(mdev_, std::to_string(id)).ok());
    }
  }
  void Open() { ASSERT_TRUE(vfio().Attach(mdev_, &guest_).ok()); }
  void Close() { vfio().Detach(mdev_); }

  Result<std::unique_ptr<MigrationFile>> Set(MigState s) {
    return vfio().SetMigrationState(mdev_, s);
  }
  MigState State() { return *vfio().MigrationState(mdev_); }
  MdevInfo Info() { return *vfio().Mdev(mdev_); }

  ap::Firmware& firmware() { return drivers_.firmware(); }
  apbus::ApBus& bus() { return drivers_.bus(); }
  VfioAp& vfio() { return drivers_.vfio(); }
  Logger& log() { return drivers_.log(); }
  kvm::Guest& guest() { return guest_; }
  const Uuid& mdev() const { return mdev_; }

  // The lines logged since `after` that contain `text`.
  int Logged(std::string_view text, uint64_t after = 0) {
    int n = 0;
    for (const LogLine& line : drivers_.log().Read(after)) {
      if (line.text.find(text) != std::string::npos) ++n;
    }
    return n;
  }

 private:
  ManualClock& clock_;
  HostDrivers drivers_;
  const Uuid mdev_;
  kvm::Guest guest_;
};

// Reads a save file to its end, `chunk` bytes at a time.
std::string ReadAll(MigrationFile& f, size_t chunk = 1 << 20);
// Writes `blob` in pieces: the header's first 12 bytes in `head` pieces,
// the rest in `body` pieces; the first failure's status.
Status WriteAll(MigrationFile& f, std::string_view blob, size_t head = 1 << 20,
                size_t body = 1 << 20);

}  // namespace vap::driver

#endif  // VAP_DRIVER_MIGRATION_TEST_HOST_H_
