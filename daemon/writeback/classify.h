// An ERP's answer, classified rather than trusted: success, retry, conflict (re-read and retry)
// or permanent (dead-letter with the answer). In order: a failed step before the request, the
// mapping's `classify:` rules, the sink's reading of its protocol (JSON-RPC errors), the
// `success:` rule on a 2xx (Kingdee's IsSuccess:false, OData error bodies), the status table.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>

#include "core/sink.h"
#include "mapping/mapping.h"

namespace fb::writeback {

struct Verdict {
    enum class Kind { success, retry, conflict, permanent };
    Kind kind = Kind::retry;
    std::chrono::milliseconds retry_after{-1};  // the ERP's Retry-After, when it gave one
    std::string reason;                         // for all but success: what the ERP said
};

const char* to_string(Verdict::Kind kind);

// `rules` may be null (no success rule); `context` is the writeback context, to which the
// answer is added as `response` for the rule.
Verdict classify(const core::ErpAnswer& answer, const mapping::Mapping* rules,
                 const boost::json::object& context);

// The answer as `$.response` for mapping rules: {status, headers, body (JSON when it parses)}.
boost::json::object response_json(const core::ErpAnswer& answer);

// An answer cut to `limit` bytes for the trace and the dead-letter queue.
std::string answer_summary(const core::ErpAnswer& answer, std::size_t limit = 4096);

}  // namespace fb::writeback
