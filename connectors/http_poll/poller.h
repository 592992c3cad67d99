// One poll of an HTTP ERP, page by page: builds each request from the request mapping (or the
// ERP's next link), sends it with the auth and the session, recognises errors (transport, HTTP
// status, an error in an HTTP 200), and finds the records and the next page. No commit here:
// the source commits each page (http_poll.cpp); the dry run prints it (dry_run.cpp).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/http_poll/cursor.h"
#include "connectors/http_poll/spec.h"
#include "http/client.h"
#include "http/session.h"

namespace fb::connectors::http_poll {

// Where a poll is in its pages.
struct PageState {
    std::size_t number = 1;  // page_number paging, from 1
    std::size_t offset = 0;  // offset paging
    std::string token;       // token paging
    std::string next_url;    // next_link paging: the ERP's next link
    // offset paging with boundary_check: the page before's last record, asked again as the first
    std::optional<boost::json::value> boundary;
};

// One request and its answer, checked: transport, HTTP status, JSON, the `error:` rule.
struct Exchange {
    enum class Error { none, transport, status, error_answer, login, request, decode };
    Error error = Error::none;
    std::string reason;                  // for an error: what happened (secrets masked)
    bool retryable = true;               // worth trying again later
    std::chrono::milliseconds retry_after{-1};
    http::ClientRequest sent;            // the request (for the dry run, masked there)
    boost::json::value body;             // the decoded answer
    http::Headers headers;               // the answer's headers (Link paging)
    bool empty_answer = false;           // the answer matched `empty_answer:`: no records, the last page
};
const char* to_string(Exchange::Error e);

// A next link as an absolute URL: it may be relative to the request it answers (OData v4 allows
// both) or written as text, not a URL (SAP B1's "DeliveryNotes?$filter=UpdateDate ge '…'").
std::string resolve_link(const std::string& base, const std::string& raw);
// Empty when `link` (resolved) goes where `request_url` went (scheme, host and port); otherwise
// why it is not followed: the auth, the session and the API key would go to another host.
std::string foreign_link(const std::string& request_url, const std::string& link);

struct Page : Exchange {
    boost::json::array records;          // at spec.records, with the details merged in
    std::optional<PageState> next;       // absent: this was the last page
    std::vector<http::ClientRequest> detail_requests;  // the detail fetches sent, in order
    // Detail answers that matched the detail's `empty_answer:` (a deleted thirdparty's 404),
    // read as no value: one line each, `detail `thirdparty`: HTTP 404 … read as none`.
    std::vector<std::string> details_none;
    // offset paging: the page before's last record did not come back first (the ERP's rows
    // moved between the requests); nothing of this page counts, the poll starts again.
    bool shifted = false;
};

class Poller {
public:
    explicit Poller(const Spec& spec);
    // Once true, no further request of the page (nor of its details) is sent, and the one in
    // flight is abandoned: a shutdown does not wait for a hung ERP. Set before the first fetch.
    void stop_when(std::function<bool()> stopping) {
        stopping_ = stopping;
        client_.abandon_when(std::move(stopping));
    }
    bool stopped() const { return stopping_ && stopping_(); }
    // Fetches the page `state` of a poll that started at `cursor`, then its details: a detail
    // that fails fails the page (nothing of it is committed).
    Page fetch(const Cursor& cursor, const PageState& state, std::int64_t now_ms);
    std::uint64_t logins() const { return session_ ? session_->logins() : 0; }
    // Every secret a request may carry: auth, the session value.
    std::vector<std::string> secrets() const;

    // Builds a request from `mapping` over `context` (+ session, auth), sends it with the session,
    // and checks the answer against `error_rule`. `what` names the request in reasons. A `url`
    // (an answer's next link, resolved) replaces the mapped one: a GET of it, with its headers.
    Exchange exchange(const mapping::Mapping& mapping, boost::json::object context, const BodyRule& error_rule,
                      const std::string& what, const EmptyAnswer* empty = nullptr, const std::string& url = {});

private:
    void fetch_details(const Cursor& cursor, Page& page);  // details.cpp
    bool detail(const Spec::Detail& d, boost::json::object context, Page& page, boost::json::value& answer);
    // Sends `build(session)` (with the session when there is one) and checks the answer.
    // `empty`: a non-2xx answer that means no records (the page's or a detail's `empty_answer:`).
    Exchange send_checked(const std::function<bool(const http::Session::Value&, http::ClientRequest&, std::string&)>& build,
                          const BodyRule& error_rule, const std::string& what, const EmptyAnswer* empty = nullptr);
    bool build(const Cursor& cursor, const PageState& state, std::int64_t now_ms,
               const http::Session::Value& session, http::ClientRequest& out, std::string& error) const;

    const Spec& spec_;
    http::Client client_;
    std::unique_ptr<http::Session> session_;
    std::function<bool()> stopping_;
};

}  // namespace fb::connectors::http_poll
