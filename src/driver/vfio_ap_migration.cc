// VfioAp: live migration of a guest's mdev, as the 2026 vfio-ap series'
// drivers/s390/crypto/vfio_ap_migration.c behaves in its latest revision,
// with the review findings still open there fixed (docs/fidelity.md "Live
// migration" lists each decision and fix). Every entry takes mdevs_lock
// alone, except the TAPQs (no lock) and the overlay (ap_attr_mutex and the
// update locks, as the ap_config store); docs/locking.md D7.
#include <fmt/format.h>

#include <cerrno>
#include <limits>
#include <utility>

#include "base/check.h"
#include "driver/update_locks.h"
#include "driver/vfio_ap.h"

namespace vap::driver {

namespace {

constexpr std::string_view kStateNames[] = {
    "error", "stop", "running", "stop_copy", "resuming",
    "running_p2p", "pre_copy", "pre_copy_p2p"};

Status NoTty() {
  return Status::Error(ENOTTY, "no migration on a Secure Execution host");
}

// The states a STOP_COPY-only device supports (vfio_mig_get_next_state()).
bool Supported(MigState s) {
  return s == MigState::kStop || s == MigState::kRunning ||
         s == MigState::kStopCopy || s == MigState::kResuming;
}

}  // namespace

std::string_view MigStateName(MigState state) {
  const auto i = static_cast<size_t>(state);
  return i < std::size(kStateNames) ? kStateNames[i] : "?";
}

Result<MigState> ParseMigState(std::string_view text) {
  for (size_t i = 0; i < std::size(kStateNames); ++i) {
    if (text == kStateNames[i] || text == std::to_string(i)) {
      return static_cast<MigState>(i);
    }
  }
  return Status::Error(EINVAL, fmt::format("unknown migration state '{}'", text));
}

// --- Files ----------------------------------------------------------------

MigrationFile::~MigrationFile() { driver_.MigFileClosed(uuid_); }

Result<std::string> MigrationFile::Read(size_t len, bool positional) {
  if (!save_) return Status::Error(EBADF, "not open for reading");
  if (positional) return Status::Error(ESPIPE, "a stream has no position");
  return driver_.MigRead(*this, len);
}

Result<size_t> MigrationFile::Write(std::string_view data, bool positional) {
  if (save_) return Status::Error(EBADF, "not open for writing");
  if (positional) return Status::Error(ESPIPE, "a stream has no position");
  return driver_.MigWrite(*this, data);
}

void VfioAp::MigFileClosed(const Uuid& uuid) {
  MutexLock lock(mdevs_mu_);
  MdevState* m = FindMdevLocked(uuid);
  VAP_CHECK_MSG(m != nullptr && m->mig_files > 0,
                "a migration file outlived its mdev");
  --m->mig_files;
  detached_.SignalAll();
}

// --- Device features ------------------------------------------------------

void VfioAp::set_secure_execution_guest(bool on) {
  MutexLock lock(mdevs_mu_);
  se_guest_ = on;
}

void VfioAp::set_migration_hook(std::function<void()> hook) {
  MutexLock lock(mdevs_mu_);
  migration_hook_ = std::move(hook);
}

Result<uint32_t> VfioAp::MigrationFlags(const Uuid& uuid) const {
  MutexLock lock(mdevs_mu_);
  if (FindMdevLocked(uuid) == nullptr) return NoMdev();
  if (se_guest_) return NoTty();
  return kVfioMigrationStopCopy;
}

Result<uint64_t> VfioAp::MigrationDataSize(const Uuid& uuid) const {
  MutexLock lock(mdevs_mu_);
  const MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return NoMdev();
  if (se_guest_) return NoTty();
  return MigBlobSize(size_t{m->shadow_apcb.apm().Count()} *
                     m->shadow_apcb.aqm().Count());
}

Result<MigState> VfioAp::MigrationState(const Uuid& uuid) const {
  MutexLock lock(mdevs_mu_);
  const MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return NoMdev();
  if (se_guest_) return NoTty();
  return m->mig == nullptr ? MigState::kRunning : m->mig->state;
}

Result<std::unique_ptr<MigrationFile>> VfioAp::SetMigrationState(
    const Uuid& uuid, MigState target) {
  std::unique_ptr<MigrationFile> file, dropped;
  Status result = Status::Ok();
  {
    MutexLock lock(mdevs_mu_);
    MdevState* m = FindMdevLocked(uuid);
    if (m == nullptr) return NoMdev();
    if (se_guest_) return NoTty();
    if (!Supported(target)) {
      return Status::Error(EINVAL, fmt::format("state {} is not supported",
                                               MigStateName(target)));
    }
    if (m->mig == nullptr) {
      if (target == MigState::kRunning) return file;
      return Status::Error(ENODEV, "the device is not open");
    }
    // One arc at a time: with STOP_COPY alone every path passes STOP.
    while (m->mig->state != target) {
      const MigState next =
          m->mig->state == MigState::kStop ? target : MigState::kStop;
      Result<std::unique_ptr<MigrationFile>> arc = MigArcLocked(*m, next);
      if (!arc.ok()) {
        result = arc.status();
        break;
      }
      m->mig->state = next;
      if (*arc != nullptr && next != target) {
        dropped = std::move(*arc);  // closed below, outside the lock
        result = Status::Error(EINVAL, "a data fd on an intermediate arc");
        break;
      }
      if (*arc != nullptr) file = std::move(*arc);
    }
  }
  if (!result.ok()) return result;
  return file;
}

Result<std::unique_ptr<MigrationFile>> VfioAp::MigArcLocked(MdevState& m,
                                                            MigState next) {
  MigrationData& mig = *m.mig;
  const MigState from = mig.state;
  std::unique_ptr<MigrationFile> file;
  if (from == MigState::kStop &&
      (next == MigState::kStopCopy || next == MigState::kResuming)) {
    const bool save = next == MigState::kStopCopy;
    const uint64_t session = ++next_mig_session_;
    file.reset(new MigrationFile(*this, m.uuid, session, save));
    ++m.mig_files;
    if (save) {
      mig.save_session = session;
      mig.snapshot.reset();
    } else {
      // A new resume session starts empty (the series kept the last
      // session's header and busy flag).
      mig.resume_session = session;
      mig.header.clear();
      mig.blob.clear();
      mig.writing = false;
      mig.applied = false;
    }
    return file;
  }
  if (from == MigState::kStopCopy && next == MigState::kStop) {
    // The session ends: its file reads no more, and the next STOP_COPY
    // takes a fresh snapshot.
    mig.save_session = 0;
    mig.snapshot.reset();
    return file;
  }
  if (from == MigState::kResuming && next == MigState::kStop) {
    // Leaving RESUMING asks the device to have taken the whole state
    // (include/uapi/linux/vfio.h): refused unless a blob was applied.
    if (!mig.applied || mig.writing) {
      return Status::Error(EINVAL, "no complete migration data was applied");
    }
    mig.resume_session = 0;
    return file;
  }
  if ((from == MigState::kRunning && next == MigState::kStop) ||
      (from == MigState::kStop && next == MigState::kRunning)) {
    return file;  // the vCPUs are QEMU's to stop; AP traffic goes on
  }
  return Status::Error(EINVAL, "no such arc");
}

void VfioAp::ResetMigrationLocked(MdevState& m) {
  if (m.mig == nullptr) return;
  const uint64_t generation = m.mig->generation;
  m.mig = std::make_unique<MigrationData>(generation);
}

// --- STOP_COPY: the save side ----------------------------------------------

Result<uint64_t> VfioAp::HwInfoOf(const Uuid& uuid, Apqn apqn) {
  const ap::TapqResult r = bus_.firmware().Tapq(apqn);
  const uint8_t rc = r.status.response_code;
  const bool usable = rc == ap::kRcNormal || rc == ap::kRcResetInProgress ||
                      rc == ap::kRcDeconfigured || rc == ap::kRcCheckstopped ||
                      rc == ap::kRcBusy ||
                      (rc != ap::kRcQueueNotAvailable && r.status.async);
  if (usable) return ap::EncodeTapqGr2(r.info);
  const std::string line = fmt::format(
      "vfio_ap_mdev {}: Failed to get hwinfo for queue {}: TAPQ rc={}",
      uuid.ToString(), apqn.ToString(), rc);
  {
    MutexLock lock(mdevs_mu_);
    if (hwinfo_notices_.Allow(clock_.Now())) log_.Log(LogLevel::kErr, line);
  }
  return Status::Error(rc == ap::kRcQueueNotAvailable ? ENODEV : EIO, line);
}

Status VfioAp::BuildSnapshot(const Uuid& uuid, uint64_t session) {
  MigBlob blob;
  std::function<void()> hook;
  {
    MutexLock lock(mdevs_mu_);
    const MdevState* m = FindMdevLocked(uuid);
    if (m == nullptr || m->mig == nullptr) return NoMdev();
    hook = migration_hook_;
    blob.adm = m->shadow_apcb.adm();
    for (unsigned apid : m->shadow_apcb.apm().Ids()) {
      for (unsigned apqi : m->shadow_apcb.aqm().Ids()) {
        blob.records.push_back({0, Apqn(static_cast<uint8_t>(apid),
                                        static_cast<uint8_t>(apqi))});
      }
    }
  }
  if (hook) hook();
  for (MigRecord& r : blob.records) {
    VAP_ASSIGN_OR_RETURN(r.hwinfo, HwInfoOf(uuid, r.apqn));
  }
  std::string bytes = EncodeMigBlob(blob);
  MutexLock lock(mdevs_mu_);
  MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr || m->mig == nullptr) {
    return Status::Error(ENODEV, "the device was closed");
  }
  // The session may have ended while the TAPQs ran (STOP_COPY -> STOP, a
  // reset, a close and open) and a new one begun: its blob is its own.
  if (m->mig->save_session != session) {
    return Status::Error(EINVAL, "not the current save session");
  }
  // Two first reads may both have built one: the first stored stays.
  if (!m->mig->snapshot) m->mig->snapshot = std::move(bytes);
  return Status::Ok();
}

Result<std::string> VfioAp::MigRead(MigrationFile& f, size_t len) {
  for (bool built = false;; built = true) {
    {
      MutexLock lock(mdevs_mu_);
      if (f.pos_ > std::numeric_limits<uint64_t>::max() - len) {
        return Status::Error(EIO, "position overflows");
      }
      MdevState* m = FindMdevLocked(f.uuid_);
      if (m == nullptr || m->mig == nullptr) return NoMdev();
      MigrationData& mig = *m->mig;
      if (mig.save_session != f.session_) {
        return Status::Error(EINVAL, "not the current save session");
      }
      if (mig.snapshot) {
        const std::string& blob = *mig.snapshot;
        if (f.pos_ >= blob.size() || len == 0) return std::string();
        const size_t n = std::min<size_t>(len, blob.size() - f.pos_);
        std::string out = blob.substr(f.pos_, n);
        f.pos_ += n;
        return out;
      }
      VAP_CHECK_MSG(!built, "a snapshot built went missing");
    }
    VAP_RETURN_IF_ERROR(BuildSnapshot(f.uuid_, f.session_));
  }
}

// --- RESUMING: the target side ----------------------------------------------

Status VfioAp::TakeResumeBytesLocked(MigrationData& mig, MigrationFile& f,
                                     std::string_view data, bool* complete) {
  *complete = false;
  size_t used = 0;
  if (mig.blob.empty()) {
    // Gather the header's prefix; size the blob once it is whole. Nothing
    // is kept from a write that fails.
    const size_t take = std::min(kMigHeaderPrefix - mig.header.size(), data.size());
    std::string header = mig.header + std::string(data.substr(0, take));
    if (header.size() < kMigHeaderPrefix) {
      mig.header = std::move(header);
      f.pos_ += data.size();
      return Status::Ok();
    }
    const MigHeaderPrefix h = DecodeMigHeaderPrefix(header);
    VAP_RETURN_IF_ERROR(CheckMigHeaderPrefix(h));
    const size_t size = MigBlobSize(h.queues);
    if (f.pos_ + data.size() > size) {
      return Status::Error(EIO, "more bytes than the blob holds");
    }
    mig.header = std::move(header);
    mig.blob.assign(size, '\0');
    mig.blob.replace(0, kMigHeaderPrefix, mig.header);
    used = take;
    f.pos_ += take;
  } else if (f.pos_ + data.size() > mig.blob.size()) {
    return Status::Error(EIO, "more bytes than the blob holds");
  }
  const std::string_view rest = data.substr(used);
  mig.blob.replace(f.pos_, rest.size(), rest);
  f.pos_ += rest.size();
  *complete = f.pos_ == mig.blob.size();
  return Status::Ok();
}

Result<size_t> VfioAp::MigWrite(MigrationFile& f, std::string_view data) {
  std::string blob;
  uint64_t generation;
  {
    MutexLock lock(mdevs_mu_);
    if (data.empty()) return Status::Error(EINVAL, "nothing to write");
    if (f.pos_ > std::numeric_limits<uint64_t>::max() - data.size()) {
      return Status::Error(ERANGE, "position overflows");
    }
    MdevState* m = FindMdevLocked(f.uuid_);
    if (m == nullptr || m->mig == nullptr) return NoMdev();
    MigrationData& mig = *m->mig;
    if (mig.resume_session != f.session_) {
      return Status::Error(ENXIO, "not the current resume session");
    }
    if (mig.writing) return Status::Error(EBUSY, "a write is in progress");
    bool complete;
    VAP_RETURN_IF_ERROR(TakeResumeBytesLocked(mig, f, data, &complete));
    if (!complete) return data.size();
    mig.writing = true;
    blob = mig.blob;
    generation = mig.generation;
  }
  Status s = Status::Ok();
  Result<MigBlob> decoded = DecodeMigBlob(blob);
  if (!decoded.ok()) {
    s = decoded.status();
  } else {
    s = ValidateResumeBlob(f.uuid_, *decoded);
    if (s.ok()) s = ApplyResumeBlob(f.uuid_, generation, f.session_, *decoded);
  }
  MutexLock lock(mdevs_mu_);
  MdevState* m = FindMdevLocked(f.uuid_);
  if (m != nullptr && m->mig != nullptr && m->mig->resume_session == f.session_) {
    m->mig->writing = false;
    m->mig->applied = s.ok();
  }
  if (!s.ok()) return s;
  return data.size();
}

Status VfioAp::ValidateResumeBlob(const Uuid& uuid, const MigBlob& blob) {
  std::function<void()> hook;
  ap::QciInfo qci;
  std::vector<Apqn> missing;
  {
    MutexLock lock(mdevs_mu_);
    hook = migration_hook_;
    for (const MigRecord& r : blob.records) {
      if (queues_.count(r.apqn.qid()) == 0) missing.push_back(r.apqn);
    }
  }
  if (hook) hook();
  const std::string id = uuid.ToString();
  // (a) Every queue is there and bound to vfio_ap.
  for (const Apqn q : missing) {
    log_.Log(LogLevel::kErr,
             fmt::format("vfio_ap_mdev {}: Queue {} not available to vfio_ap "
                         "driver on target host",
                         id, q.ToString()));
  }
  if (!missing.empty()) {
    return Status::Error(ENODEV, "a queue is not available to vfio_ap");
  }
  // (b) Every control domain is in the host's configuration.
  qci = bus_.firmware().QueryConfig().value_or(ap::QciInfo{});
  const ApMask absent = blob.adm.AndNot(qci.adm);
  for (unsigned d : absent.Ids()) {
    log_.Log(LogLevel::kErr,
             fmt::format("vfio_ap_mdev: {}: Control domain {:04x} not "
                         "available on the destination host",
                         id, d));
  }
  if (absent.Any()) {
    return Status::Error(ENODEV, "a control domain is not configured");
  }
  // (c) Each queue's hardware is what the source's was, or compatible.
  Status last = Status::Ok();
  for (const MigRecord& r : blob.records) {
    Result<uint64_t> target = HwInfoOf(uuid, r.apqn);
    if (!target.ok()) {
      last = target.status();
      continue;
    }
    const std::vector<std::string> lines =
        IncompatibilityLines(r.hwinfo, *target, r.apqn);
    for (const std::string& line : lines) {
      log_.Log(LogLevel::kErr, fmt::format("vfio_ap_mdev {}: {}", id, line));
    }
    if (!lines.empty()) last = Status::Error(EINVAL, lines.front());
  }
  return last;
}

Status VfioAp::ApplyResumeBlob(const Uuid& uuid, uint64_t generation,
                               uint64_t session, const MigBlob& blob) {
  ApConfigMasks masks;
  for (const MigRecord& r : blob.records) {
    masks.apm.Set(r.apqn.apid);
    masks.aqm.Set(r.apqn.apqi);
  }
  masks.adm = blob.adm;
  MutexLock attr(bus_.attr_mu());
  MdevUpdateLocks locks(*this, uuid);
  MdevState* m = locks.mdev();
  if (m == nullptr || m->mig == nullptr || m->mig->generation != generation) {
    return Status::Error(ENODEV, "the device was closed");
  }
  if (m->mig->resume_session != session) {
    return Status::Error(ENXIO, "the session was reset");
  }
  return SetNewGuestConfigLocked(*m, masks);
}

}  // namespace vap::driver
