// The journal beside the state file (docs/state.md "Journal"): FILE.journal
// holds, after a header naming the snapshot it follows, one record per
// change committed since that snapshot was written. A commit appends its
// records and fdatasyncs, so its cost follows the change, not the state.
#ifndef VAP_STATE_JOURNAL_H_
#define VAP_STATE_JOURNAL_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "state/system_state.h"

namespace vap::state {

std::string JournalPath(const std::string& state_path);

// Applies `journal` to `state`, read from the snapshot whose file text
// has CRC `snapshot_crc`. A journal that follows another snapshot (a
// crash between writing a new snapshot and its journal) is ignored: the
// snapshot has all of it. A torn last line (a crash while appending; its
// commit was never acknowledged) is ignored. EINVAL for any other bad
// line.
Status ReplayJournal(std::string_view journal, const std::string& snapshot_crc,
                     SystemState* state);

class JournalFile {
 public:
  // Writes a new journal holding only its header, in place of any old
  // one, durably (temporary file, fsync, rename, directory fsync).
  static Result<std::unique_ptr<JournalFile>> Create(
      const std::string& path, const std::string& snapshot_crc);
  ~JournalFile();
  JournalFile(const JournalFile&) = delete;
  JournalFile& operator=(const JournalFile&) = delete;

  // Appends `records` and fdatasyncs. On failure the journal is cut back
  // to where it was, so no torn record stays in the middle.
  Status Append(std::string_view records);
  // False once the file was removed or replaced under vapd (its appends
  // would reach no reader): the caller writes a new snapshot.
  bool StillThere() const;
  uint64_t bytes() const { return bytes_; }

 private:
  JournalFile(int fd, std::string path, uint64_t bytes, ino_t ino,
              dev_t dev);

  const int fd_;
  const std::string path_;
  uint64_t bytes_;
  const ino_t ino_;
  const dev_t dev_;
};

}  // namespace vap::state

#endif  // VAP_STATE_JOURNAL_H_
