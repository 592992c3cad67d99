// Deterministic identities: the same ERP document always yields the same work order id, and the
// same document version the same event id, so a re-send after a crash repeats and never invents.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fb::core {

// "WO-<flow>-<document id>", readable by the operator who searches for SO-1234 at 3 a.m.
std::string work_order_id(std::string_view flow, std::string_view document_id);

// A name-based UUID (version 5) of the work order id, the document version and the event type.
std::string event_id(std::string_view work_order_id, std::string_view version,
                     std::string_view event_type);

// A stable 64-bit content hash (FNV-1a), as 16 hex digits.
std::string content_hash(std::string_view bytes);

// Now, as RFC 3339 UTC with milliseconds; and as unix milliseconds.
std::string now_rfc3339();
std::int64_t now_unix_ms();

}  // namespace fb::core
