// The inbox folder: which files in it are complete (stable size, a marker file, or a final name
// after a rename) and may be claimed. inotify says when to look; a periodic rescan is the safety
// net for what inotify misses (network file systems, an overflowed queue).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <system_error>
#include <string>
#include <vector>

#include "connectors/file/spec.h"

namespace fb::connectors::file {

class Inbox {
public:
    explicit Inbox(const Spec& spec);  // throws when the inbox cannot be watched
    ~Inbox();
    Inbox(const Inbox&) = delete;
    Inbox& operator=(const Inbox&) = delete;

    // The names of the files complete now, oldest first.
    std::vector<std::string> complete_files();
    // Waits for a change in the folder, at most `limit` (shorter while a file is settling); true
    // when the folder should be looked at now.
    bool wait(std::chrono::milliseconds limit);
    // True when `name` is one the source takes (pattern, not a marker or a temporary name).
    bool wanted(const std::string& name) const;

private:
    struct Seen {
        std::uintmax_t size;
        std::int64_t mtime_ns;
        std::chrono::steady_clock::time_point since;  // unchanged since
    };
    const Spec& spec_;
    int inotify_ = -1;
    std::map<std::string, Seen> settling_;
};

// Checks that `spec`'s folders exist (creating processing/done/failed), that this process may
// read, write and enter the inbox, and that all four share one file system (rename is atomic
// only there). Throws std::runtime_error naming the folder and the fix.
void check_folders(const Spec& spec);

// Moves `from` into `dir` as `name`, or `name.1`, `name.2`… when that name is taken (an ERP
// that reuses a daily export.csv), never over a file, even one another flow or instance moves
// there at the same moment (renameat2 RENAME_NOREPLACE). The new path; empty with `ec` set when
// it could not be moved (ENOENT: the file is gone, another instance took it).
// The first `limit` bytes of the file at `path` into `bytes` (all of it when shorter); false
// when it cannot be read.
bool read_at_most(const std::filesystem::path& path, std::size_t limit, std::string& bytes);

std::filesystem::path move_into(const std::filesystem::path& from, const std::filesystem::path& dir,
                                const std::string& name, std::error_code& ec);

}  // namespace fb::connectors::file
