// A program outside vap, built against the installed package alone: it
// reserves adapter 5 and domain 0x47 for vfio_ap, makes an mdev with
// 05.0047 through the typed API, starts a guest on it and prints what the
// guest sees, how the tree shows the mdev's matrix, and the mdev's first
// uevent:
//   guest g1: 05.0047
//   matrix: 05.0047
//   event: add /devices/vfio_ap/matrix/62177883-f1bb-47f0-914d-32a22e3a8804
#include <vap/vap.h>

#include <cstdio>
#include <string>

namespace {

int Fail(const vap::Status& s) {
  std::fprintf(stderr, "consumer: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main() {
  vap::HostOptions options;
  options.periodic_scans = false;
  options.virtual_time = true;
  vap::Result<std::unique_ptr<vap::Host>> made = vap::Host::Create(options);
  if (!made.ok()) return Fail(made.status());
  vap::Host& host = **made;
  const std::string uuid = "62177883-f1bb-47f0-914d-32a22e3a8804";
  std::unique_ptr<vap::EventSubscription> events = host.SubscribeEvents();
  for (vap::Status s : {host.Write("bus/ap/apmask", "-5\n"),
                        host.Write("bus/ap/aqmask", "-0x47\n"),
                        host.CreateMdev(uuid), host.AssignAdapter(uuid, 5),
                        host.AssignDomain(uuid, 0x47),
                        host.StartGuest("g1", uuid, 1)}) {
    if (!s.ok()) return Fail(s);
  }
  vap::Result<vap::GuestReport> guest = host.Guest("g1");
  if (!guest.ok()) return Fail(guest.status());
  for (const vap::QueueId& q : guest->queues)
    std::printf("guest %s: %02x.%04x\n", guest->name.c_str(), q.adapter,
                q.domain);
  vap::Result<std::string> matrix =
      host.Read("devices/vfio_ap/matrix/" + uuid + "/matrix");
  if (!matrix.ok()) return Fail(matrix.status());
  std::printf("matrix: %s", matrix->c_str());
  for (;;) {  // after the masks' events, the mdev's
    std::optional<vap::KernelEvent> e =
        events->Next(std::chrono::milliseconds(1000));
    if (!e) return 1;
    if (e->subsystem != "mdev") continue;
    std::printf("event: %s %s\n", e->action.c_str(), e->devpath.c_str());
    return 0;
  }
}
