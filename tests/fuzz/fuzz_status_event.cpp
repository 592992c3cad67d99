// Fuzz target: a status event as the platform's bytes arrive off the topic (parse_status_event),
// under the default limits and under small ones. It never throws; a refused event says why; an
// accepted one has what the contract requires (ids within their lengths, a status the lifecycle
// can name) and a body that reads back as JSON within the depth limit.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "status/event.h"

namespace {

[[noreturn]] void fail(const char* what, std::string_view payload, const std::string& detail) {
    std::fprintf(stderr, "%s: %s\n--- payload (%zu bytes) ---\n%.*s\n", what, detail.c_str(),
                 payload.size(), int(std::min<std::size_t>(payload.size(), 2000)), payload.data());
    std::abort();
}

// ^[a-z][a-z0-9_]{0,31}$ (schemas/status_event.schema.json)
bool status_name(const std::string& s) {
    if (s.empty() || s.size() > 32 || s[0] < 'a' || s[0] > 'z') return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

void check(std::string_view payload, const fb::config::StatusConfig& limits) {
    fb::status::StatusEvent event;
    std::string reason;
    bool ok = fb::status::parse_status_event(payload, limits, event, reason);
    if (!ok) {
        if (reason.rfind("status event", 0) != 0) fail("a refusal that does not say what", payload, reason);
        if (payload.size() > limits.max_event_bytes && reason.find("max_event_bytes") == std::string::npos)
            fail("an event over the size limit refused for another reason", payload, reason);
        return;
    }
    if (payload.size() > limits.max_event_bytes) fail("an event over the size limit accepted", payload, "");
    // maxLength counts characters: at most 4 bytes each in UTF-8.
    if (event.event_id.empty() || event.event_id.size() > 4 * 128)
        fail("event_id outside the contract", payload, event.event_id);
    if (event.work_order_id.empty() || event.work_order_id.size() > 4 * 256)
        fail("work_order_id outside the contract", payload, event.work_order_id);
    if (!status_name(event.status)) fail("a status the contract forbids", payload, event.status);
    if (event.occurred_at.empty()) fail("an empty occurred_at", payload, "");
    for (const char* key : {"event_id", "work_order_id", "status", "occurred_at"})
        if (!event.body.contains(key)) fail("the body lost a required field", payload, key);
    // The body is kept for writeback mappings and stored: it must read back within the limit.
    boost::json::parse_options options;
    options.max_depth = static_cast<std::size_t>(limits.max_depth);
    boost::system::error_code ec;
    auto text = boost::json::serialize(event.body);
    auto back = boost::json::parse(text, ec, {}, options);
    if (ec || back != boost::json::value(event.body)) fail("the body does not read back", payload, ec.message());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view payload(reinterpret_cast<const char*>(data), size);
    check(payload, fb::config::StatusConfig{});
    fb::config::StatusConfig small;
    small.max_event_bytes = 512;
    small.max_depth = 3;
    check(payload, small);
    return 0;
}
