// vap::Host: guests, explain and the grid (include/vap/host.h).
#include <cerrno>
#include <utility>

#include "api/host_impl.h"
#include "driver/explain.h"
#include "kvm/pqap.h"
#include "sysfs/grid.h"

namespace vap {

Status Host::StartGuest(std::string_view name, std::string_view mdev_uuid,
                        int vcpus) {
  VAP_ASSIGN_OR_RETURN(Uuid u, api::ParseUuid(mdev_uuid));
  return impl_->system->StartGuest(name, u, vcpus);
}

Status Host::StopGuest(std::string_view name) {
  return impl_->system->StopGuest(name);
}

std::vector<std::string> Host::Guests() const {
  return impl_->system->GuestNames();
}

Result<GuestReport> Host::Guest(std::string_view name) const {
  VAP_ASSIGN_OR_RETURN(GuestInfo info, impl_->system->ShowGuest(name));
  GuestReport r;
  r.name = info.name;
  r.mdev = info.mdev;
  r.vcpus = info.vcpus;
  r.adapters = info.apcb.apm().Ids();
  r.domains = info.apcb.aqm().Ids();
  r.control_domains = info.apcb.adm().Ids();
  for (const GuestQueue& q : info.queues) {
    r.queues.push_back(QueueId{q.apqn.apid, q.apqn.apqi});
    r.interrupts.push_back(q.interrupts);
  }
  r.config_changes = info.cfg_chg_count;
  r.device_requests = info.req_count;
  r.ap_rescans = info.ap_rescans;
  return r;
}

Result<PqapReply> Host::Pqap(std::string_view guest, const PqapCall& call) {
  if (call.queue.adapter > 255 || call.queue.domain > 255)
    return Status::Error(EINVAL, "an adapter or domain is 0-255");
  if (call.isc > 7) return Status::Error(EINVAL, "an ISC is 0-7");
  static constexpr kvm::PqapCall kCalls[] = {
      kvm::PqapCall::kTapq, kvm::PqapCall::kZapq, kvm::PqapCall::kAqicEnable,
      kvm::PqapCall::kAqicDisable};
  const kvm::PqapRegs regs = kvm::MakePqapRegs(
      kCalls[static_cast<int>(call.function)],
      Apqn(static_cast<uint8_t>(call.queue.adapter),
           static_cast<uint8_t>(call.queue.domain)),
      static_cast<uint8_t>(call.isc), call.nib);
  VAP_ASSIGN_OR_RETURN(kvm::PqapResult res,
                       impl_->system->GuestPqap(guest, regs));
  PqapReply r;
  r.outcome = kvm::PqapOutcomeName(res.outcome);
  r.cc = res.cc;
  r.status_word = static_cast<uint32_t>(res.regs.gr1);
  r.response_code = (r.status_word >> 16) & 0xff;
  return r;
}

Status Host::ResetGuest(std::string_view guest) {
  return impl_->system->GuestReset(guest);
}

Result<std::string> Host::Explain(std::string_view uuid) const {
  VAP_ASSIGN_OR_RETURN(Uuid u, api::ParseUuid(uuid));
  System& s = *impl_->system;
  VAP_ASSIGN_OR_RETURN(driver::Explanation e,
                       driver::Explain(s.vfio(), s.bus(), u));
  return driver::ExplanationText(e);
}

Result<std::string> Host::Grid() const {
  System& s = *impl_->system;
  sysfs::GridHost host;
  for (const ap::CardState& c : s.firmware().Cards())
    host.adapters.push_back({c.spec.apid, c.spec.type.Name()});
  if (const std::optional<ap::QciInfo> qci = s.firmware().Qci())
    host.usage_domains = qci->aqm.Ids();
  sysfs::DirectReader reader(s.tree());
  return sysfs::DrawGrid(reader, host, /*colour=*/false);
}

}  // namespace vap
