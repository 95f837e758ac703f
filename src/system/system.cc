#include "system/system.h"

#include <fmt/format.h>

#include <cerrno>
#include <exception>

#include "base/check.h"

namespace vap {

namespace {

constexpr int kMaxVcpus = 64;

Status NoGuest(std::string_view name) {
  return Status::Error(ENOENT, "no guest named '" + std::string(name) + "'");
}

// A guest name is what a VM name may be: 1-64 of [A-Za-z0-9._-].
bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<System>> System::Create(const SystemOptions& options) {
  if (!(options.time_scale > 0))
    return Status::Error(EINVAL, "the time scale must be positive");
  ap::HostProfile profile;
  if (options.profile) {
    profile = *options.profile;
  } else {
    VAP_ASSIGN_OR_RETURN(profile, ap::LoadHostProfile(options.host));
  }
  std::unique_ptr<System> system(new System(options, std::move(profile)));
  return system;
}

System::System(const SystemOptions& options, ap::HostProfile profile)
    : profile_(std::move(profile)),
      vcpu_pause_(options.vcpu_pause),
      guest_kernel_(options.guest_kernels
                        ? std::optional<guest::GuestKernelOptions>(
                              guest::GuestKernelOptions{
                                  .useirq = true,
                                  .periodic_scans = options.periodic_scans})
                        : std::nullopt),
      own_clock_(options.clock != nullptr
                     ? nullptr
                     : std::make_unique<RealClock>(options.time_scale)),
      clock_(options.clock != nullptr ? *options.clock : *own_clock_),
      host_(clock_, profile_, options.log_sink) {
  // The queues' state machines always run, as the kernel's poll tasklet
  // does; periodic scans only if asked for.
  bus().StartQueuePoller();
  if (options.periodic_scans) bus().StartScanWorker();
}

System::~System() { StopAllGuests(); }

ap::HostProfile System::CurrentHost() const {
  ap::HostProfile host = profile_;
  host.cards.clear();
  const ap::Firmware& firmware = host_.drivers().firmware();
  for (const ap::CardState& c : firmware.Cards()) {
    host.cards.push_back(c.spec);
    host.cards.back().configured = c.configured;
  }
  if (const std::optional<ap::QciInfo> qci = firmware.Qci()) {
    host.usage_domains = qci->aqm;
    host.control_domains = qci->adm;
  }
  return host;
}

std::optional<uint64_t> System::QuietChanges() const {
  const driver::HostDrivers& d = host_.drivers();
  return ChangeCount::Quiet(
      {&d.firmware().changes(), &d.bus().changes(), &d.zcrypt().changes()});
}

Status System::StartGuest(std::string_view name, const Uuid& mdev, int vcpus,
                          const kvm::CpuModel& cpu) {
  return AddGuest(name, mdev, vcpus, cpu, /*incoming=*/false);
}

Status System::AddGuest(std::string_view name, const Uuid& mdev, int vcpus,
                        const kvm::CpuModel& cpu, bool incoming) {
  if (!ValidName(name))
    return Status::Error(EINVAL, "a guest name is 1-64 of A-Z a-z 0-9 . _ -");
  if (vcpus < 1 || vcpus > kMaxVcpus)
    return Status::Error(EINVAL, "vcpus must be 1-64");
  {
    MutexLock lock(guests_mu_);
    if (guests_.count(name) != 0)
      return Status::Error(EEXIST,
                           "a guest named '" + std::string(name) + "' exists");
    guests_.emplace(std::string(name), nullptr);  // reserved
  }
  vm::VmOptions options;
  options.guest.name = std::string(name);
  options.guest.host_apxa = profile_.apxa;
  options.guest.firmware = &firmware();
  options.guest.vcpu_pause = vcpu_pause_;
  kvm::ApplyCpuModel(cpu, &options.guest);
  options.vcpus = vcpus;
  std::shared_ptr<RunningGuest> vm;
  Status opened;
  try {
    vm = std::make_shared<RunningGuest>(vfio(), firmware(), clock_, options,
                                        guest_kernel_);
    opened = incoming ? vm->StartIncoming(mdev) : vm->Start(mdev);
  } catch (const std::exception& e) {
    // No memory or no thread (a limit): the name is given back, and the
    // VM, if made, closes its device as it goes.
    opened = Status::Error(
        EAGAIN, fmt::format("cannot start guest '{}': {}", name, e.what()));
    vm.reset();
  }
  // The registry's lock is a leaf: a VM is never started, stopped or
  // destroyed under it.
  {
    MutexLock lock(guests_mu_);
    auto it = guests_.find(name);
    if (opened.ok()) {
      it->second = vm;
      return Status::Ok();
    }
    guests_.erase(it);
  }
  return opened;
}

Status System::StopGuest(std::string_view name) {
  std::shared_ptr<RunningGuest> vm;
  {
    MutexLock lock(guests_mu_);
    auto it = guests_.find(name);
    if (it == guests_.end() || it->second == nullptr) return NoGuest(name);
    vm = std::move(it->second);
    guests_.erase(it);
  }
  vm->Stop();
  return Status::Ok();
}

void System::StopAllGuests() {
  for (const std::string& name : GuestNames()) (void)StopGuest(name);
}

std::vector<std::string> System::GuestNames() const {
  MutexLock lock(guests_mu_);
  std::vector<std::string> names;
  for (const auto& [name, vm] : guests_) {
    if (vm != nullptr) names.push_back(name);
  }
  return names;
}

std::shared_ptr<RunningGuest> System::FindGuest(std::string_view name) const {
  MutexLock lock(guests_mu_);
  auto it = guests_.find(name);
  return it != guests_.end() ? it->second : nullptr;
}

Result<GuestInfo> System::ShowGuest(std::string_view name) const {
  const std::shared_ptr<RunningGuest> running = FindGuest(name);
  if (running == nullptr) return NoGuest(name);
  const vm::Qemu* vm = &running->vm();
  const kvm::Guest& g = vm->guest();
  GuestInfo info;
  info.name = g.name();
  if (const std::optional<Uuid> dev = vm->device()) info.mdev = dev->ToString();
  info.format = static_cast<int>(g.format());
  info.cpu.ap = g.options().apie;
  info.cpu.apqci = g.options().facility12;
  info.cpu.apft = g.options().facility15;
  info.cpu.apqi = g.options().facility65;
  info.apcb = g.Apcb();
  info.vcpus = vm->vcpus();
  info.cfg_chg_count = vm->cfg_chg_count();
  info.req_count = vm->req_count();
  info.ap_rescans = vm->guest_ap_rescans();
  info.publications = g.publications();
  info.torn_reads = g.observations().torn.load();
  for (const Apqn& q : info.apcb.Apqns()) {
    info.queues.push_back(
        GuestQueue{q, host_.drivers().firmware().IrqEnabled(q)});
  }
  return info;
}

Result<kvm::PqapResult> System::GuestPqap(std::string_view name,
                                          const kvm::PqapRegs& regs) {
  const std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return NoGuest(name);
  return vm->vm().guest().Pqap(/*problem_state=*/false, regs);
}

Status System::GuestReset(std::string_view name) {
  const std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return NoGuest(name);
  return vm->Reboot();
}

Result<std::shared_ptr<guest::GuestKernel>> System::GuestKernelOf(
    std::string_view name) const {
  const std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return NoGuest(name);
  std::shared_ptr<guest::GuestKernel> kernel = vm->kernel();
  if (kernel == nullptr)
    return Status::Error(ENODEV, "guest '" + std::string(name) + "' runs no guest kernel");
  return kernel;
}

Status System::SetGuestEventHandling(std::string_view name, bool on) {
  const std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return NoGuest(name);
  vm->vm().SetGuestHandlesCrws(on);
  return Status::Ok();
}

}  // namespace vap
