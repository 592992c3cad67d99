#include "connectors/file/inbox.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fb::connectors::file {
namespace fs = std::filesystem;

void check_folders(const Spec& spec) {
    std::error_code ec;
    if (spec.create_inbox) fs::create_directories(spec.inbox, ec);
    if (!fs::is_directory(spec.inbox, ec))
        throw std::runtime_error("file source: the inbox " + spec.inbox + " is not a folder");
    if (::access(spec.inbox.c_str(), R_OK | W_OK | X_OK) != 0)
        throw std::runtime_error("file source: no read, write and search permission on the inbox " +
                                 spec.inbox + " for this user (" + std::strerror(errno) +
                                 "); files are claimed by renaming them out of it");
    struct stat inbox {};
    ::stat(spec.inbox.c_str(), &inbox);
    for (const auto& dir : {spec.processing, spec.done, spec.failed}) {
        fs::create_directories(dir, ec);
        struct stat st {};
        if (ec || ::stat(dir.c_str(), &st) != 0 || ::access(dir.c_str(), R_OK | W_OK | X_OK) != 0)
            throw std::runtime_error("file source: cannot create or write the folder " + dir +
                                     (ec ? ": " + ec.message() : ""));
        if (st.st_dev != inbox.st_dev)
            throw std::runtime_error("file source: " + dir + " is on another file system than the inbox " +
                                     spec.inbox + "; a claim must be an atomic rename");
    }
}

namespace {

// rename(2) that fails with EEXIST instead of replacing `to`. File systems without
// RENAME_NOREPLACE (EINVAL: some network ones) get link + unlink, which fails the same way.
int rename_noreplace(const char* from, const char* to) {
    if (::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    if (::link(from, to) != 0) return -1;
    ::unlink(from);
    return 0;
}

}  // namespace

bool read_at_most(const fs::path& path, std::size_t limit, std::string& bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    bytes.clear();
    char chunk[64 * 1024];  // in chunks: a 10-byte file under a 4 GiB limit allocates 10 bytes
    while (bytes.size() < limit && in) {
        in.read(chunk, static_cast<std::streamsize>(std::min(sizeof chunk, limit - bytes.size())));
        bytes.append(chunk, static_cast<std::size_t>(in.gcount()));
    }
    return !in.bad();
}

fs::path move_into(const fs::path& from, const fs::path& dir, const std::string& name, std::error_code& ec) {
    for (int i = 0; i < 100000; ++i) {
        auto to = dir / (i == 0 ? name : name + "." + std::to_string(i));
        if (rename_noreplace(from.c_str(), to.c_str()) == 0) {
            ec.clear();
            return to;
        }
        if (errno != EEXIST) {
            ec = std::error_code(errno, std::generic_category());
            return {};
        }
    }
    ec = std::make_error_code(std::errc::file_exists);
    return {};
}

Inbox::Inbox(const Spec& spec) : spec_(spec) {
    inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_ < 0) throw std::runtime_error(std::string("inotify: ") + std::strerror(errno));
    if (::inotify_add_watch(inotify_, spec.inbox.c_str(),
                            IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_ATTRIB) < 0)
        throw std::runtime_error("inotify on " + spec.inbox + ": " + std::strerror(errno));
}

Inbox::~Inbox() {
    if (inotify_ >= 0) ::close(inotify_);
}

bool Inbox::wanted(const std::string& name) const {
    if (name.empty() || name.front() == '.') return false;  // dotfiles: editors' and uploaders' temporaries
    if (name.ends_with(".tmp") || name.ends_with(".part") || name.ends_with(".error.txt")) return false;
    if (spec_.complete == Spec::Complete::marker && name.ends_with(spec_.marker)) return false;
    return std::any_of(spec_.patterns.begin(), spec_.patterns.end(), [&](const std::string& p) {
        return ::fnmatch(p.c_str(), name.c_str(), FNM_PERIOD) == 0;
    });
}

std::vector<std::string> Inbox::complete_files() {
    struct Candidate {
        std::string name;
        std::int64_t mtime_ns;
    };
    std::vector<Candidate> ready;
    std::map<std::string, Seen> still;
    auto now = std::chrono::steady_clock::now();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(spec_.inbox, ec)) {
        auto name = entry.path().filename().string();
        if (!wanted(name)) continue;
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        std::int64_t mtime = std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
        bool complete = false;
        switch (spec_.complete) {
            case Spec::Complete::rename: complete = true; break;
            case Spec::Complete::marker:
                complete = fs::exists(entry.path().string() + spec_.marker, ec);
                break;
            case Spec::Complete::stable: {
                auto it = settling_.find(name);
                Seen seen{std::uintmax_t(st.st_size), mtime, now};
                if (it != settling_.end() && it->second.size == seen.size && it->second.mtime_ns == mtime)
                    seen.since = it->second.since;
                complete = now - seen.since >= spec_.stable_for;
                if (!complete) still[name] = seen;
                break;
            }
        }
        if (complete) ready.push_back({name, mtime});
    }
    settling_ = std::move(still);
    std::sort(ready.begin(), ready.end(), [](const Candidate& a, const Candidate& b) {
        return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.name < b.name;
    });
    std::vector<std::string> names;
    for (auto& c : ready) names.push_back(std::move(c.name));
    return names;
}

bool Inbox::wait(std::chrono::milliseconds limit) {
    // A settling file is looked at again soon, whether or not it changes.
    if (!settling_.empty()) limit = std::min(limit, std::max(spec_.stable_for / 4, std::chrono::milliseconds(50)));
    pollfd p{inotify_, POLLIN, 0};
    bool changed = ::poll(&p, 1, static_cast<int>(std::max<long long>(limit.count(), 0))) > 0;
    if (changed) {
        alignas(inotify_event) char buffer[16 * 1024];
        while (::read(inotify_, buffer, sizeof buffer) > 0) {
        }  // the events only say "look": the scan reads the folder itself
    }
    return changed || !settling_.empty();
}

}  // namespace fb::connectors::file
