// The state volume: its free space, file sizes, and the reserve file that keeps room for the
// writes the daemon must always be able to make (a checkpoint, the marks of what it has sent).
#pragma once

#include <cstdint>
#include <string>

namespace fb::store {

// Bytes an unprivileged process may still write on the filesystem holding `path`'s folder;
// -1 when it cannot be read.
std::int64_t free_bytes(const std::string& path);
// Size of a file, 0 when it does not exist.
std::int64_t file_bytes(const std::string& path);
// The folder a state file lives in ("." for a bare name).
std::string folder_of(const std::string& path);

// A file of `bytes` allocated blocks (posix_fallocate, so they are really taken). Released when
// the disk fills, which frees that much room at once; taken again when space is back.
class Reserve {
public:
    Reserve(std::string path, std::int64_t bytes) : path_(std::move(path)), bytes_(bytes) {}
    // Allocates the file (keeps it when already there); false, with no file left, when the
    // volume has no room for it. Always true for a reserve of 0 bytes.
    bool take();
    void release();  // deletes the file
    bool held() const { return held_; }
    const std::string& path() const { return path_; }
    std::int64_t bytes() const { return bytes_; }

private:
    std::string path_;
    std::int64_t bytes_;
    bool held_ = false;
};

}  // namespace fb::store
