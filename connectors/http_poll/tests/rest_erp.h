// A plain REST ERP on loopback, as a poll source meets it: shipments filtered by change time
// (>= updated_since, <= until), sorted by (ModifyTime, DocNo), pages with next links, a bearer
// token or a login session that can expire, and injected failures (500s, answers that never come).
#pragma once

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <optional>

#include "connectors/http_poll/cursor.h"
#include "support/loopback_server.h"
#include "support/source_dir.h"

namespace fb::test {

class RestErp {
public:
    explicit RestErp(std::string token = "erp-token-7f3a") : token_(std::move(token)), server_([this](const Request& r) { return handle(r); }) {}

    std::string base() const { return server_.url("").substr(0, server_.url("").size()); }

    // A shipment from the sample with this number and change time (RFC 3339).
    void put(const std::string& doc_no, const std::string& modify_time, const std::string& street = "望京西路48号院") {
        std::lock_guard lock(mutex_);
        auto doc = sample_;
        doc["DocNo"] = doc_no;
        doc["ModifyTime"] = modify_time;
        doc["Street"] = street;
        std::erase_if(rows_, [&](const auto& r) { return r.at("DocNo") == doc_no.c_str(); });
        rows_.push_back(doc);
    }
    // The shipment's customer phone replaced by one no mapping can read (a record that fails).
    void break_phone(const std::string& doc_no) {
        std::lock_guard lock(mutex_);
        for (auto& r : rows_)
            if (r.at("DocNo") == doc_no.c_str()) r["Customer"].as_object()["Mobile"] = "12";
    }
    void fail_next(int n, int status = 500) {
        std::lock_guard lock(mutex_);
        fail_ = n;
        fail_status_ = status;
    }
    void hang_next(int n) {
        std::lock_guard lock(mutex_);
        hang_ = n;
    }
    // Requests with an offset at or past `offset` fail with 500 until allowed again.
    void block_from_offset(long offset) {
        std::lock_guard lock(mutex_);
        block_from_ = offset;
    }
    // The next `n` queries are answered by a login page, as a proxy in front of the ERP does.
    void html_next(int n) {
        std::lock_guard lock(mutex_);
        html_ = n;
    }
    // An ERP that answers every hit on one page, whatever `limit` asked for.
    void ignore_limit(bool on) {
        std::lock_guard lock(mutex_);
        ignore_limit_ = on;
    }
    // An empty page without its list at all (QuickBooks: `{"QueryResponse":{}}`).
    void omit_empty_list(bool on) {
        std::lock_guard lock(mutex_);
        omit_empty_ = on;
    }
    void expire_session() {
        std::lock_guard lock(mutex_);
        token_ = "expired";
    }
    void use_logins(bool on) {
        std::lock_guard lock(mutex_);
        logins_on_ = on;
    }
    int logins() const { std::lock_guard lock(mutex_); return logins_; }
    int queries() const { std::lock_guard lock(mutex_); return queries_; }
    int failures_sent() const { std::lock_guard lock(mutex_); return failures_sent_; }
    std::size_t size() const { std::lock_guard lock(mutex_); return rows_.size(); }

private:
    std::optional<Response> handle(const Request& req) {
        std::lock_guard lock(mutex_);
        const std::string target_text(req.target());  // the view below points into it
        auto target = boost::urls::parse_origin_form(target_text);
        if (!target) return reply(400, R"({"error":"bad target"})");
        auto path = std::string(target->path());
        if (path == "/api/login") {
            auto body = boost::json::parse(req.body());
            if (body.at("password") != "s3cret-pw") return reply(403, R"({"error":"wrong password"})");
            token_ = "session-" + std::to_string(++logins_);
            return reply(200, R"({"token":")" + token_ + R"("})");
        }
        if (path != "/api/shipments") return reply(404, R"({"error":"no such endpoint"})");
        if (std::string(req[boost::beast::http::field::authorization]) != "Bearer " + token_)
            return reply(401, R"({"error":"invalid or expired token"})");
        std::string since, until;
        long limit = 50, offset = 0;
        for (auto p : target->params()) {
            if (p.key == "updated_since") since = p.value;
            if (p.key == "until") until = p.value;
            if (p.key == "limit" && !ignore_limit_) limit = std::stol(std::string(p.value));
            if (p.key == "offset") offset = std::stol(std::string(p.value));
        }
        ++queries_;
        if (html_ > 0) {
            --html_;
            ++failures_sent_;
            return reply(200, "<html><head><title>Sign in</title></head><body>Session timed out</body></html>",
                         "text/html; charset=utf-8");
        }
        if (hang_ > 0) {
            --hang_;
            ++failures_sent_;
            return std::nullopt;
        }
        if (fail_ > 0 || (block_from_ >= 0 && offset >= block_from_)) {
            ++failures_sent_;
            auto res = reply(fail_status_, R"({"error":"internal error"})");
            // Counted failures say when to come back; a blocked page leaves it to the backoff.
            if (fail_ > 0) --fail_, res.set(boost::beast::http::field::retry_after, "0");
            return res;
        }
        auto ms = [](const boost::json::value& v) {
            return connectors::http_poll::parse_time(v, 0).value_or(0);
        };
        auto from = ms(boost::json::value(since)), to = ms(boost::json::value(until));
        std::vector<boost::json::object> hits;
        for (const auto& r : rows_) {
            auto t = ms(r.at("ModifyTime"));
            if (t >= from && t <= to) hits.push_back(r);
        }
        std::sort(hits.begin(), hits.end(), [&](const auto& a, const auto& b) {
            auto ta = ms(a.at("ModifyTime")), tb = ms(b.at("ModifyTime"));
            return ta != tb ? ta < tb : std::string_view(a.at("DocNo").as_string()) < std::string_view(b.at("DocNo").as_string());
        });
        boost::json::array data;
        for (long i = offset; i < std::min<long>(offset + limit, hits.size()); ++i) data.push_back(hits[i]);
        boost::json::object answer{{"data", data}, {"next", nullptr}};
        if (data.empty() && omit_empty_) answer.erase("data");
        if (offset + limit < static_cast<long>(hits.size()))
            answer["next"] = server_.url("/api/shipments?updated_since=" + since + "&until=" + until +
                                         "&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset + limit));
        return reply(200, boost::json::serialize(answer));
    }

    mutable std::mutex mutex_;
    boost::json::object sample_ = boost::json::parse(
        [] {
            std::ifstream in(std::string(FB_SOURCE_DIR) + "/tests/fixtures/samples/generic-rest/shipment-CK20261120-0042.json");
            return std::string(std::istreambuf_iterator<char>(in), {});
        }()).as_object();
    std::vector<boost::json::object> rows_;
    std::string token_;
    bool logins_on_ = false;
    bool ignore_limit_ = false;
    bool omit_empty_ = false;
    int html_ = 0;
    int logins_ = 0, queries_ = 0, fail_ = 0, fail_status_ = 500, hang_ = 0, failures_sent_ = 0;
    long block_from_ = -1;
    LoopbackServer server_;  // last: stops before the state above goes away
};

}  // namespace fb::test
