#include "status/event.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <cmath>

#include "schema/validator.h"

namespace fb::status {
namespace json = boost::json;

namespace {

// Where a number too large for a double is (`11e308` parses as infinity): such a body would be
// stored as text that no JSON reader takes back. Empty when there is none.
std::string non_finite_at(const json::value& v, const std::string& path) {
    if (v.is_double() && !std::isfinite(v.get_double())) return path.empty() ? "/" : path;
    if (const auto* o = v.if_object())
        for (const auto& kv : *o)
            if (auto at = non_finite_at(kv.value(), path + "/" + std::string(kv.key()).substr(0, 64)); !at.empty())
                return at;
    if (const auto* a = v.if_array())
        for (std::size_t i = 0; i < a->size(); ++i)
            if (auto at = non_finite_at((*a)[i], path + "/" + std::to_string(i)); !at.empty()) return at;
    return "";
}

}  // namespace

bool parse_status_event(std::string_view payload, const config::StatusConfig& limits,
                        StatusEvent& event, std::string& reason) {
    if (payload.size() > limits.max_event_bytes) {
        reason = "status event of " + std::to_string(payload.size()) + " bytes is over the limit of " +
                 std::to_string(limits.max_event_bytes) + " (status.max_event_bytes)";
        return false;
    }
    json::parse_options options;
    options.max_depth = static_cast<std::size_t>(limits.max_depth);
    boost::system::error_code ec;
    auto value = json::parse(payload, ec, {}, options);
    if (ec) {
        reason = "status event is not valid JSON: " + ec.message() +
                 (ec == json::error::too_deep
                      ? " (nested deeper than " + std::to_string(limits.max_depth) + ")"
                      : "");
        return false;
    }
    if (auto at = non_finite_at(value, ""); !at.empty()) {
        reason = "status event has a number out of range at " + at + " (beyond a double's 1.8e308)";
        return false;
    }
    // No date-time is over 64 bytes: refused before the schema check (which refuses it too). A
    // 50,000-character occurred_at once overflowed the stack in valijson's date-time regex.
    if (const auto* o = value.if_object())
        if (const auto* at = o->if_contains("occurred_at"); at && at->is_string() && at->get_string().size() > 64) {
            reason = "status event breaks status_event.schema.json: /occurred_at: " +
                     std::to_string(at->get_string().size()) + " bytes, no date-time is over 64";
            return false;
        }
    auto problems = schema::Validator::status_event().check(value);
    if (!problems.empty()) {
        reason = "status event breaks status_event.schema.json: " + problems.front();
        if (problems.size() > 1) reason += " (and " + std::to_string(problems.size() - 1) + " more)";
        return false;
    }
    auto& o = value.as_object();
    event.event_id = o.at("event_id").as_string();
    event.work_order_id = o.at("work_order_id").as_string();
    event.status = o.at("status").as_string();
    event.occurred_at = o.at("occurred_at").as_string();
    event.body = std::move(o);
    return true;
}

}  // namespace fb::status
