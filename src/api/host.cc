// vap::Host: creation, the tree and the mdevs (include/vap/host.h). The
// guests, explain and the grid are in host_guests.cc.
#include <fmt/format.h>

#include <cerrno>
#include <utility>

#include "ap/profile.h"
#include "api/host_impl.h"
#include "driver/vfio_ap.h"
#include "sysfs/tree.h"

namespace vap {

namespace {

// A profile given as JSON text, or as "builtin:NAME" or a file's path.
Result<ap::HostProfile> Profile(const std::string& spec) {
  if (spec.starts_with('{')) return ap::ParseHostProfile(spec);
  return ap::LoadHostProfile(spec);
}

std::vector<unsigned> Ids(const ApMask& mask) { return mask.Ids(); }

}  // namespace

Result<Uuid> api::ParseUuid(std::string_view uuid) {
  Result<Uuid> u = Uuid::Parse(uuid);
  if (u.ok()) return u;
  return Status::Error(EINVAL, fmt::format("'{}' is {}", uuid,
                                           u.status().message()));
}

Result<std::unique_ptr<Host>> Host::Create(const HostOptions& options) {
  auto impl = std::make_unique<Impl>();
  SystemOptions o;
  VAP_ASSIGN_OR_RETURN(o.profile, Profile(options.profile));
  o.time_scale = options.time_scale;
  o.periodic_scans = options.periodic_scans;
  o.guest_kernels = options.guest_kernels;
  if (options.virtual_time) {
    impl->virtual_clock = std::make_unique<ManualClock>(/*auto_advance=*/true);
    o.clock = impl->virtual_clock.get();
  }
  if (options.log_sink) {
    o.log_sink = [sink = options.log_sink](const LogLine& line) {
      sink(static_cast<int>(line.level), line.text);
    };
  }
  VAP_ASSIGN_OR_RETURN(impl->system, System::Create(o));
  return std::unique_ptr<Host>(new Host(std::move(impl)));
}

Host::Host(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

// The system (and its guests) go before the clock they run on.
Host::~Host() { impl_->system.reset(); }

// --- The tree -------------------------------------------------------------

Result<std::string> Host::Read(std::string_view path) const {
  return impl_->system->tree().Read(path);
}

Status Host::Write(std::string_view path, std::string_view value) {
  VAP_ASSIGN_OR_RETURN(size_t written, impl_->system->tree().Write(path, value));
  (void)written;  // a store consumes all it is given (sysfs::StoreFn)
  return Status::Ok();
}

Result<std::vector<std::string>> Host::List(std::string_view path) const {
  VAP_ASSIGN_OR_RETURN(std::vector<sysfs::DirEntry> entries,
                       impl_->system->tree().List(path));
  std::vector<std::string> names;
  for (sysfs::DirEntry& e : entries) names.push_back(std::move(e.name));
  return names;
}

Result<std::string> Host::ReadLink(std::string_view path) const {
  return impl_->system->tree().ReadLink(path);
}

// --- Mdevs -----------------------------------------------------------------

Status Host::CreateMdev(std::string_view uuid) {
  VAP_ASSIGN_OR_RETURN(Uuid u, api::ParseUuid(uuid));
  return impl_->system->vfio().CreateMdev(u);
}

Status Host::RemoveMdev(std::string_view uuid) {
  VAP_ASSIGN_OR_RETURN(Uuid u, api::ParseUuid(uuid));
  return impl_->system->vfio().RemoveMdev(u);
}

std::vector<std::string> Host::Mdevs() const {
  std::vector<std::string> out;
  for (const Uuid& u : impl_->system->vfio().Mdevs())
    out.push_back(u.ToString());
  return out;
}

Result<MdevReport> Host::Mdev(std::string_view uuid) const {
  VAP_ASSIGN_OR_RETURN(Uuid u, api::ParseUuid(uuid));
  VAP_ASSIGN_OR_RETURN(driver::MdevInfo info, impl_->system->vfio().Mdev(u));
  MdevReport r;
  r.uuid = u.ToString();
  r.adapters = Ids(info.matrix.apm());
  r.domains = Ids(info.matrix.aqm());
  r.control_domains = Ids(info.matrix.adm());
  r.guest = info.guest;
  if (!info.guest.empty()) {
    r.guest_adapters = Ids(info.shadow_apcb.apm());
    r.guest_domains = Ids(info.shadow_apcb.aqm());
    r.guest_control_domains = Ids(info.shadow_apcb.adm());
  }
  return r;
}

namespace {

using Store = Status (driver::VfioAp::*)(const Uuid&, std::string_view);

// An assignment store given the ID as the kernel's parser reads it.
Status AssignStore(System& s, Store store, std::string_view uuid,
                   unsigned id) {
  VAP_ASSIGN_OR_RETURN(Uuid u, api::ParseUuid(uuid));
  return (s.vfio().*store)(u, fmt::format("{}", id));
}

}  // namespace

Status Host::AssignAdapter(std::string_view uuid, unsigned id) {
  return AssignStore(*impl_->system, &driver::VfioAp::AssignAdapter, uuid, id);
}
Status Host::UnassignAdapter(std::string_view uuid, unsigned id) {
  return AssignStore(*impl_->system, &driver::VfioAp::UnassignAdapter, uuid,
                     id);
}
Status Host::AssignDomain(std::string_view uuid, unsigned id) {
  return AssignStore(*impl_->system, &driver::VfioAp::AssignDomain, uuid, id);
}
Status Host::UnassignDomain(std::string_view uuid, unsigned id) {
  return AssignStore(*impl_->system, &driver::VfioAp::UnassignDomain, uuid,
                     id);
}
Status Host::AssignControlDomain(std::string_view uuid, unsigned id) {
  return AssignStore(*impl_->system, &driver::VfioAp::AssignControlDomain,
                     uuid, id);
}
Status Host::UnassignControlDomain(std::string_view uuid, unsigned id) {
  return AssignStore(*impl_->system, &driver::VfioAp::UnassignControlDomain,
                     uuid, id);
}

Result<std::string> Host::ApConfig(std::string_view uuid) const {
  VAP_ASSIGN_OR_RETURN(Uuid u, api::ParseUuid(uuid));
  return impl_->system->vfio().ShowApConfig(u);
}

Status Host::SetApConfig(std::string_view uuid, std::string_view config) {
  VAP_ASSIGN_OR_RETURN(Uuid u, api::ParseUuid(uuid));
  return impl_->system->vfio().StoreApConfig(u, config);
}

}  // namespace vap
