// Files a test makes live in one folder per test process, removed when the process exits, whether
// the test passed or failed (Catch returns normally from a failed test): nothing is left in /tmp.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace fb::testing {

inline const std::filesystem::path& temp_folder() {
    struct Folder {
        std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("fieldbridge-test-" + std::to_string(::getpid()));
        Folder() { std::filesystem::create_directories(path); }
        ~Folder() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static Folder folder;
    return folder.path;
}

// A fresh path in the test's folder; an older file of that name (and its WAL) is removed first.
inline std::string temp_path(const std::string& name) {
    auto p = temp_folder() / name;
    std::error_code ec;
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix, ec);
    return p.string();
}

}  // namespace fb::testing
