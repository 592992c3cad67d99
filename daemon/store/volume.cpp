#include "store/volume.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>

namespace fb::store {

std::string folder_of(const std::string& path) {
    auto parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? "." : parent.string();
}

std::int64_t free_bytes(const std::string& path) {
    struct statvfs s {};
    if (::statvfs(folder_of(path).c_str(), &s) != 0) return -1;
    return static_cast<std::int64_t>(s.f_bavail) * static_cast<std::int64_t>(s.f_frsize);
}

std::int64_t file_bytes(const std::string& path) {
    struct stat s {};
    return ::stat(path.c_str(), &s) == 0 ? static_cast<std::int64_t>(s.st_size) : 0;
}

bool Reserve::take() {
    if (bytes_ <= 0) return held_ = true;
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return held_ = false;
    // posix_fallocate returns the error instead of setting errno; on a filesystem without
    // fallocate glibc writes the blocks, which takes them just the same.
    bool ok = ::posix_fallocate(fd, 0, bytes_) == 0 && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) ::unlink(path_.c_str());  // a partial reserve would only hide how full the disk is
    return held_ = ok;
}

void Reserve::release() {
    if (bytes_ > 0) ::unlink(path_.c_str());
    held_ = false;
}

}  // namespace fb::store
