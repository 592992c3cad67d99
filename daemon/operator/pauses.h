// The operator's pauses: a flow's intake (its source takes nothing in) and its writeback (its
// worker sends nothing) can each be held. Kept in the state file, so a flow paused at 3 a.m.
// stays paused across a restart until someone resumes it.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"

namespace fb::operator_page {

struct Pause {
    bool intake = false;
    bool writeback = false;
    std::string reason;  // what the operator said, as given
    std::string since;   // RFC 3339, when the flow was first paused
    bool any() const { return intake || writeback; }
};

class Pauses {
public:
    // Reads the pauses recorded in the state file (the store must be open and migrated).
    explicit Pauses(const config::Config& config);

    Pause get(const std::string& flow) const;
    std::map<std::string, Pause> snapshot() const;  // paused flows only

    // Pauses (`on`) or resumes the parts named, records it in the state file, then tells the
    // listeners. Throws (and changes nothing) when the state file cannot be written.
    Pause change(const std::string& flow, bool on, bool intake, bool writeback, const std::string& reason);

    using Listener = std::function<void(const std::string& flow, const Pause&)>;
    void on_change(Listener listener);

private:
    const config::Config& config_;
    mutable std::mutex mutex_;
    std::map<std::string, Pause> pauses_;
    std::vector<Listener> listeners_;
};

}  // namespace fb::operator_page
