// A fresh folder under the system's temp folder, removed with everything in it when the test
// ends, passed or failed.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace fb::test {

class TempDir {
public:
    explicit TempDir(const std::string& name) {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                ("fieldbridge-" + name + "-" + std::to_string(rd()));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string str(const std::string& child = "") const {
        return child.empty() ? path_.string() : (path_ / child).string();
    }

private:
    std::filesystem::path path_;
};

}  // namespace fb::test
