// The admin API and the operator's page. GET /ui is the page itself (no data in it); everything
// under /api/ answers only with the admin token (Authorization: Bearer, compared in constant
// time): the overview, the dead-letter list and its replay, a document's trace, pausing and
// resuming a flow.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <string_view>

#include "config/config.h"
#include "http/server.h"
#include "operator/pauses.h"
#include "store/database.h"

namespace fb::operator_page {

class AdminApi {
public:
    struct Hooks {
        std::function<boost::json::object()> readiness;  // what /readyz answers
        std::function<void()> replayed;  // entries were replayed: new outbox rows, pending writebacks
    };
    AdminApi(const config::Config& config, boost::asio::thread_pool& pool, Pauses& pauses, Hooks hooks);
    ~AdminApi();

    bool owns(std::string_view target) const;  // /ui… or /api/…
    boost::asio::awaitable<http::Response> handle(const http::Request& req, std::string_view target);

private:
    http::Response page(const http::Request& req, std::string_view target) const;
    http::Response overview(const http::Request& req);
    http::Response dead_letters(const http::Request& req);
    http::Response trace(const http::Request& req);
    boost::asio::awaitable<http::Response> replay(const http::Request& req);
    boost::asio::awaitable<http::Response> pause(const http::Request& req, std::string_view path);
    store::Database& reader();

    const config::Config& config_;
    boost::asio::thread_pool& pool_;
    Pauses& pauses_;
    Hooks hooks_;
    std::unique_ptr<store::Database> reader_;  // read-only, io thread only
};

// The page's files, built into the binary (daemon/operator/page/): empty when there is none.
std::string_view page_file(std::string_view name);

}  // namespace fb::operator_page
