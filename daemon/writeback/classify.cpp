#include "writeback/classify.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <algorithm>
#include <cctype>

#include "support/utf8_cut.h"

namespace fb::writeback {
namespace json = boost::json;

const char* to_string(Verdict::Kind kind) {
    switch (kind) {
        case Verdict::Kind::success: return "success";
        case Verdict::Kind::retry: return "retry";
        case Verdict::Kind::conflict: return "conflict";
        case Verdict::Kind::permanent: return "permanent";
    }
    return "retry";
}

namespace {

// Seconds only; an HTTP date is rare from ERPs and then the backoff decides.
// The sink's own wait (a login backing off) when it is longer.
std::chrono::milliseconds retry_after(const core::ErpAnswer& a) {
    const std::chrono::milliseconds own(a.retry_after_ms);
    auto it = a.headers.find("retry-after");
    if (it == a.headers.end() || it->second.empty() || it->second.size() > 9) return own;
    for (char c : it->second)
        if (!std::isdigit(static_cast<unsigned char>(c))) return own;
    return std::max<std::chrono::milliseconds>(own, std::chrono::seconds(std::stoll(it->second)));
}

}  // namespace

json::object response_json(const core::ErpAnswer& a) {
    json::object headers;
    for (const auto& [k, v] : a.headers) headers[k] = v;
    json::parse_options limits;
    limits.max_depth = 64;  // the ERP's answer is untrusted too
    boost::system::error_code ec;
    auto body = json::parse(a.body, ec, {}, limits);
    return {{"status", a.status}, {"headers", std::move(headers)},
            {"body", ec ? json::value(a.body) : std::move(body)}};
}

std::string answer_summary(const core::ErpAnswer& a, std::size_t limit) {
    std::string out;
    if (a.transport == core::ErpAnswer::Transport::timeout) out = "timeout: " + a.error;
    else if (a.transport == core::ErpAnswer::Transport::connection_error) out = "connection error: " + a.error;
    else if (a.status == 0 && a.refusal != core::ErpAnswer::Refusal::none) out = a.refusal_reason;  // the sink refused or gave up before an answer
    else if (a.body_over_limit) out = "HTTP " + std::to_string(a.status) + " (its body is over the sink's max_body_bytes: not read)";
    else out = "HTTP " + std::to_string(a.status) + (a.body.empty() ? "" : " " + a.body);
    return support::utf8_cut(out, limit);
}

Verdict classify(const core::ErpAnswer& a, const mapping::Mapping* rules,
                 const json::object& context) {
    using K = Verdict::Kind;
    if (a.transport != core::ErpAnswer::Transport::answered)
        return {K::retry, std::chrono::milliseconds(a.retry_after_ms), answer_summary(a, 300)};
    Verdict v{K::retry, retry_after(a), answer_summary(a, 300)};
    auto refused = [&] {  // the sink read the answer's protocol, or a step before it failed
        v.kind = a.refusal == core::ErpAnswer::Refusal::retry ? K::retry : K::permanent;
        // The ERP wrote the refusal (a JSON-RPC error's message): a multi-MB one must not
        // reach the trace, the dead-letter queue and its Kafka message.
        auto why = support::utf8_cut(a.refusal_reason, 1000);
        v.reason = a.status == 0 ? why : why + "; " + v.reason;
        return v;
    };
    if (a.refusal != core::ErpAnswer::Refusal::none && !a.refusal_of_answer) return refused();
    int s = a.status;
    json::object with;
    if (rules && (rules->has_classify_rules() || (s >= 200 && s < 300 && rules->has_success_rule()))) {
        with = context;
        with["response"] = response_json(a);
    }
    if (rules && rules->has_classify_rules()) {
        // The ERP's own codes first: Frappe's 417 TimestampMismatchError is a conflict, a
        // 200 with `error` is permanent, a 404 on an already-deleted entity a success.
        std::string error;
        if (auto verdict = rules->classify(with, error)) {
            if (*verdict == "success") return {K::success, v.retry_after, ""};
            v.kind = *verdict == "retry" ? K::retry : *verdict == "conflict" ? K::conflict : K::permanent;
            v.reason = "classify: " + *verdict + "; " + v.reason;
            return v;
        }
        if (!error.empty()) v.reason = error + v.reason;
    }
    // The sink's reading (a JSON-RPC error by its name) comes after the ERP's own codes, so a
    // `classify:` rule decides the same way whichever sink sent the request.
    if (a.refusal != core::ErpAnswer::Refusal::none) return refused();
    if (s >= 200 && s < 300) {
        if (!rules || !rules->has_success_rule()) return {K::success, v.retry_after, ""};
        if (a.body_over_limit) {  // the rule cannot be checked; the write was most likely applied
            v.kind = K::permanent;
            v.reason = "the success rule cannot read an answer over max_body_bytes: raise the sink's max_body_bytes, "
                       "then replay (a write may be applied already: the replay sends the same idempotency key); " + v.reason;
            return v;
        }
        std::string error;
        auto ok = rules->success(with, error);
        if (ok.value_or(true)) return {K::success, v.retry_after, ""};
        v.kind = K::permanent;
        v.reason = (error.empty() ? "the mapping's success rule says no: " : error + "; ") + v.reason;
        return v;
    }
    if (s == 409 || s == 412 || s == 428) v.kind = K::conflict;  // optimistic locking: re-read
    else if (s == 408 || s == 425 || s == 429 || s >= 500) v.kind = K::retry;
    else v.kind = K::permanent;  // other 4xx (and anything unexpected): a person must look
    if (s >= 300 && s < 400) {  // never followed (the credentials would go along): say where it led
        auto at = a.headers.find("location");
        v.reason = "redirect to " + (at == a.headers.end() ? std::string("(no Location)") : support::utf8_cut(at->second, 300)) +
                   " not followed: point the sink's base_url (or the mapping's url) at it; " + v.reason;
    }
    return v;
}

}  // namespace fb::writeback
