// The dead-letter queue as operators use it: list what failed and why, replay it through the
// current mapping once the mapping (or the ERP document) is fixed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "mapping/mapping.h"
#include "store/database.h"

namespace fb::ledger {

struct DeadLetterEntry {
    std::int64_t id;
    std::string flow, stage, document_id, reason, created_at, replayed_at;
    int repeats = 0;           // the same input failing the same way again, after the first
    std::string last_seen_at;  // the last of those arrivals
};

// The dead-letter queue's writer, in the caller's transaction. The same failure of the same input
// while its entry is open (an ERP retrying on 422, a poll re-reading its overlap window, a status
// event read again after a crash) counts an arrival on that entry; a new entry also gets one
// message on the dead-letter topic.
class DeadLetters {
public:
    DeadLetters(store::Database& db, std::string topic);
    struct Added {
        std::int64_t id = 0;
        bool fresh = false;  // a new entry (and its message), not an arrival on an open one
    };
    Added add(const std::string& flow, const std::string& stage, const std::string& document_id,
              const std::string& reason, const std::string& input, const std::string& now);

private:
    store::Database& db_;
    std::string topic_;
    store::Statement find_, repeat_, insert_, outbox_, payload_;
};

// One entry added through DeadLetters, for failures outside the ledger (status events,
// writebacks); returns its id.
std::int64_t add_dead_letter(store::Database& db, const config::Topics& topics,
                             const std::string& flow, const std::string& stage,
                             const std::string& document_id, const std::string& reason,
                             const std::string& input);

// The dead-letter topic's message carries at most this much of the input: one over it is cut
// (between characters) and marked "input_truncated": true, "input_bytes": its length, so a huge
// bad document still makes a message Kafka takes. The entry in the state file keeps all of it.
constexpr std::size_t kDeadLetterMessageInput = 64 << 10;

std::vector<DeadLetterEntry> list_dead_letters(store::Database& db, bool include_replayed);

struct ReplayReport {
    int replayed = 0;     // now recorded by the ledger (published, or unchanged/filtered)
    int still_failing = 0;
    std::vector<std::string> lines;  // one per entry: "#12 CK-1: created" / "#13 CK-2: <reason>"
};

// Runs the given entries (all unreplayed ones when `ids` is empty) through the current mappings,
// by flow name, in one transaction. An entry that fails again keeps its place with the new reason.
ReplayReport replay_dead_letters(
    store::Database& db, const config::Config& config,
    const std::map<std::string, std::shared_ptr<const mapping::Mapping>>& mappings,
    const std::vector<std::int64_t>& ids);

}  // namespace fb::ledger
