// Test helpers for the loop: publish status events as the platform does, wait on the state file,
// a temporary folder that removes itself.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace fb::testing {

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& name);
    ~TempDir();
    std::string str() const { return path.string(); }
};

// Removes a state file and its -wal/-shm on destruction.
struct StateFile {
    std::string path;
    explicit StateFile(const std::string& name);
    ~StateFile();
};

// Produces each payload on `topic` keyed by its work_order_id, in order, and waits for acks.
void publish_status(const std::string& bootstrap, const std::string& topic,
                    const std::vector<std::string>& payloads);

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
bool wait_for(const std::function<bool()>& condition,
              std::chrono::milliseconds timeout = std::chrono::seconds(60));

// One value of a query on the state file (read-only), or -1 when it cannot be read yet.
long long query_int(const std::string& state, const std::string& sql);

// The trace of a document, read from the state file.
boost::json::object trace(const std::string& state, const std::string& flow, const std::string& doc);

std::vector<std::string> files_in(const std::filesystem::path& folder);

// The sample event with its work order id (and event id) rewritten.
std::string status_event(const std::string& sample_file, const std::string& work_order_id,
                         const std::string& event_id = "");

}  // namespace fb::testing
