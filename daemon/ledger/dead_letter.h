// The dead-letter queue as operators use it: list what failed and why, replay it through the
// current mapping once the mapping (or the ERP document) is fixed.
#pragma once

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

// Inserts one entry (and its message for the dead-letter topic) in the caller's transaction;
// returns its id. For failures outside the ledger: status events, writebacks.
std::int64_t add_dead_letter(store::Database& db, const config::Topics& topics,
                             const std::string& flow, const std::string& stage,
                             const std::string& document_id, const std::string& reason,
                             const std::string& input);

// The dead-letter topic's message for an entry. The input is cut to the first
// kDeadLetterMessageInput bytes when longer ("input_truncated": true, "input_bytes": its length),
// so a huge bad document still makes a message Kafka takes; the state file keeps all of it.
constexpr std::size_t kDeadLetterMessageInput = 64 << 10;
std::string dead_letter_message(std::int64_t id, const std::string& flow, const std::string& stage,
                                const std::string& document_id, const std::string& reason,
                                const std::string& input, const std::string& now);

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
