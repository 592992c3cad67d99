// One poll of an HTTP ERP, page by page: builds each request from the request mapping (or the
// ERP's next link), sends it with the auth and the session, recognises errors (transport, HTTP
// status, an error in an HTTP 200), and finds the records and the next page. No commit here:
// the source commits each page (http_poll.cpp); the dry run prints it (dry_run.cpp).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

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
};

struct Page {
    enum class Error { none, transport, status, error_answer, login, request, decode };
    Error error = Error::none;
    std::string reason;                  // for an error: what happened (secrets masked)
    bool retryable = true;               // worth trying again later
    std::chrono::milliseconds retry_after{-1};
    http::ClientRequest sent;            // the request (for the dry run, masked there)
    boost::json::value body;             // the decoded answer
    boost::json::array records;          // at spec.records
    std::optional<PageState> next;       // absent: this was the last page
};
const char* to_string(Page::Error e);

class Poller {
public:
    explicit Poller(const Spec& spec);
    // Fetches the page `state` of a poll that started at `cursor`.
    Page fetch(const Cursor& cursor, const PageState& state, std::int64_t now_ms);
    std::uint64_t logins() const { return session_ ? session_->logins() : 0; }
    // Every secret a request may carry: auth, the session value.
    std::vector<std::string> secrets() const;

private:
    bool build(const Cursor& cursor, const PageState& state, std::int64_t now_ms,
               const std::string& session, http::ClientRequest& out, std::string& error) const;

    const Spec& spec_;
    http::Client client_;
    std::unique_ptr<http::Session> session_;
};

}  // namespace fb::connectors::http_poll
