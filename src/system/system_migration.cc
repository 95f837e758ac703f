// System: a guest's live migration on each of the two hosts, QEMU's steps
// (vm::Qemu's migration calls) with what libvirt does around them: the
// source's guest goes once the destination runs; a destination whose
// load failed is torn down, as its QEMU exits.
#include <cerrno>

#include "system/system.h"

namespace vap {

Result<std::string> System::MigrateOutBegin(std::string_view name) {
  std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return Status::Error(ENOENT, "no such guest");
  VAP_ASSIGN_OR_RETURN(std::string setup, vm->vm().MigrationSaveSetup());
  const Status stopped = vm->vm().MigrationVmStop();
  if (!stopped.ok()) {
    vm->vm().MigrationSaveCleanup(/*succeeded=*/false);
    return stopped;
  }
  return setup;
}

Result<std::string> System::MigrateOutRead(std::string_view name, size_t max) {
  std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return Status::Error(ENOENT, "no such guest");
  return vm->vm().MigrationSaveNext(max);
}

Status System::MigrateOutEnd(std::string_view name, bool succeeded) {
  std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return Status::Error(ENOENT, "no such guest");
  vm->vm().MigrationSaveCleanup(succeeded);
  if (succeeded) return StopGuest(name);
  return Status::Ok();
}

Status System::MigrateInBegin(std::string_view name, const Uuid& mdev,
                              int vcpus, const kvm::CpuModel& cpu) {
  VAP_RETURN_IF_ERROR(AddGuest(name, mdev, vcpus, cpu, /*incoming=*/true));
  std::shared_ptr<RunningGuest> vm = FindGuest(name);
  const Status s = vm == nullptr ? Status::Error(ENOENT, "no such guest")
                                 : vm->vm().MigrationLoadSetup();
  if (!s.ok()) (void)StopGuest(name);
  return s;
}

Status System::MigrateInWrite(std::string_view name, std::string_view bytes) {
  std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return Status::Error(ENOENT, "no such guest");
  const Status s = vm->vm().MigrationLoad(bytes);
  if (!s.ok()) (void)StopGuest(name);
  return s;
}

Status System::MigrateInEnd(std::string_view name) {
  std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return Status::Error(ENOENT, "no such guest");
  const Status s = vm->vm().MigrationLoadFinish();
  if (!s.ok()) {
    (void)StopGuest(name);
    return s;
  }
  vm->Resume();
  return Status::Ok();
}

Status System::MigrateInAbort(std::string_view name) {
  std::shared_ptr<RunningGuest> vm = FindGuest(name);
  if (vm == nullptr) return Status::Error(ENOENT, "no such guest");
  if (!vm->incoming()) return Status::Ok();
  return StopGuest(name);
}

}  // namespace vap
