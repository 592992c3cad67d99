#include "core/ids.h"

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace fb::core {

std::string work_order_id(std::string_view flow, std::string_view document_id) {
    std::string id;
    id.reserve(4 + flow.size() + document_id.size());
    id.append("WO-").append(flow).append("-").append(document_id);
    return id;
}

std::string event_id(std::string_view work_order_id, std::string_view version,
                     std::string_view event_type) {
    // A fixed namespace for fieldbridge events: never change it, ids would change with it.
    static const boost::uuids::uuid ns = {{0x6b, 0x2e, 0x1f, 0x6a, 0x93, 0x4c, 0x4d, 0x1e, 0x9a,
                                           0x51, 0x0f, 0x1e, 0x1d, 0xb2, 0x1d, 0x6e}};
    std::string name;
    name.append(work_order_id).append("\n").append(version).append("\n").append(event_type);
    return boost::uuids::to_string(boost::uuids::name_generator_sha1(ns)(name));
}

// FNV-1a. Its values are stored in every state file's ledger (content and per-field hashes):
// changing the function would make every known document look changed once, with new event ids.
std::string content_hash(std::string_view bytes) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
}

std::string now_rfc3339() {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return out;
}

std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace fb::core
