// `fieldbridge dead-letter replay` for the loop's entries: a status event that named an unknown
// work order is applied again (it may be known now); a writeback is re-mapped and queued again.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "store/database.h"

namespace fb::status {

// Inside the caller's transaction. Empty when replayed, else why it still fails.
std::string replay_entry(store::Database& db, const config::Config& config, std::int64_t id,
                         const std::string& stage, const std::string& input);

}  // namespace fb::status
