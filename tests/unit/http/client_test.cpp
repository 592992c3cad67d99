// The shared HTTP client against a real Beast server on loopback: plain and TLS, timeouts,
// limits, redirects, transport errors.
#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/field.hpp>

#include "http/client.h"
#include "support/loopback_server.h"
#include "support/temp_dir.h"

using namespace fb::http;
using fb::test::LoopbackServer;
using fb::test::reply;
namespace bhttp = boost::beast::http;

namespace {

// Answers with what it received: method, target, a header, the body.
std::optional<fb::test::Response> echo(const fb::test::Request& req) {
    auto res = reply(200, std::string(req.method_string()) + " " + std::string(req.target()) + " " +
                              std::string(req["X-Test"]) + " " + req.body());
    res.set("X-Seen-Host", std::string(req[bhttp::field::host]));
    return res;
}

}  // namespace

TEST_CASE("a request reaches the server with its method, target, headers and body") {
    LoopbackServer server(echo);
    Client client;
    auto r = client.send({"POST", server.url("/api/orders?since=2026-11-20T00%3A00"),
                          {{"X-Test", "yes"}, {"Content-Type", "text/plain"}}, "hello"});
    REQUIRE(r.ok());
    CHECK(r.response.status == 200);
    CHECK(r.response.body == "POST /api/orders?since=2026-11-20T00%3A00 yes hello");
    CHECK(r.response.header("x-seen-host") == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(r.response.header("content-type") == "application/json");
}

TEST_CASE("an error status is an answer, not a transport error") {
    LoopbackServer server([](const auto&) { return reply(503, R"({"error":"busy"})"); });
    auto r = Client().send({"GET", server.url("/x")});
    REQUIRE(r.ok());
    CHECK(r.response.status == 503);
    CHECK(r.response.body == R"({"error":"busy"})");
}

TEST_CASE("a server that never answers is a timeout, bounded by the configured time") {
    LoopbackServer server([](const auto&) { return std::optional<fb::test::Response>(); });
    ClientOptions o;
    o.timeout = std::chrono::milliseconds(300);
    auto r = Client(o).send({"GET", server.url("/slow")});
    CHECK(r.error == TransportError::timeout);
    CHECK(retryable(r.error));
    CHECK(r.message.find("127.0.0.1") != std::string::npos);
}

TEST_CASE("a body over the limit is refused as too large") {
    LoopbackServer server([](const auto&) { return reply(200, std::string(5000, 'x')); });
    ClientOptions o;
    o.max_body_bytes = 4096;
    auto r = Client(o).send({"GET", server.url()});
    CHECK(r.error == TransportError::too_large);
    CHECK_FALSE(retryable(r.error));
    o.max_body_bytes = 8192;
    CHECK(Client(o).send({"GET", server.url()}).response.body.size() == 5000);
}

TEST_CASE("a header over the limit is refused as too large") {
    LoopbackServer server([](const auto&) {
        auto res = reply(200, "{}");
        res.set("X-Huge", std::string(20000, 'h'));
        return res;
    });
    ClientOptions o;
    o.max_header_bytes = 8192;
    CHECK(Client(o).send({"GET", server.url()}).error == TransportError::too_large);
}

TEST_CASE("a redirect is handed back, not followed") {
    LoopbackServer server([](const fb::test::Request& req) {
        auto res = reply(302, "");
        res.set(bhttp::field::location, "/elsewhere");
        return res;
    });
    auto r = Client().send({"GET", server.url("/old")});
    REQUIRE(r.ok());
    CHECK(r.redirected());
    CHECK(r.response.header("Location") == "/elsewhere");
    CHECK(server.requests() == 1);
}

TEST_CASE("a refused connection and a bad URL are classified") {
    unsigned short closed_port;
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        closed_port = a.local_endpoint().port();
    }
    auto r = Client().send({"GET", "http://127.0.0.1:" + std::to_string(closed_port) + "/"});
    CHECK(r.error == TransportError::connect);
    CHECK(retryable(r.error));
    auto bad = Client().send({"GET", "ftp://erp.example.com/x"});
    CHECK(bad.error == TransportError::bad_url);
    CHECK_FALSE(retryable(bad.error));
    CHECK(Client().send({"GET", "not a url"}).error == TransportError::bad_url);
}

TEST_CASE("HTTPS: a trusted certificate is accepted, an unknown one refused, verification is the default") {
    fb::test::TempDir dir("tls");
    auto files = fb::test::make_self_signed(dir.str());
    LoopbackServer server(echo, files);
    REQUIRE(server.url().starts_with("https://"));

    ClientOptions trusted;
    trusted.ca_file = files.cert;
    auto ok = Client(trusted).send({"GET", server.url("/secure"), {{"X-Test", "tls"}}});
    REQUIRE(ok.ok());
    CHECK(ok.response.body == "GET /secure tls ");

    auto refused = Client().send({"GET", server.url("/secure")});  // the system's trust store
    CHECK(refused.error == TransportError::tls);
    CHECK_FALSE(retryable(refused.error));

    ClientOptions insecure;
    insecure.verify_peer = false;
    CHECK(Client(insecure).send({"GET", server.url("/secure")}).ok());
}

TEST_CASE("HTTPS: a certificate for another host name is refused") {
    fb::test::TempDir dir("tls-name");
    auto files = fb::test::make_self_signed(dir.str(), "DNS:erp.example.com");
    LoopbackServer server(echo, files);
    ClientOptions trusted;
    trusted.ca_file = files.cert;
    auto r = Client(trusted).send({"GET", server.url("/")});
    CHECK(r.error == TransportError::tls);
}

TEST_CASE("a CA file that cannot be read fails at construction, naming it") {
    ClientOptions o;
    o.ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_WITH(Client(o), Catch::Contains("/nonexistent/ca.pem"));
}

TEST_CASE("Retry-After is read as seconds or as an HTTP date") {
    ClientResponse r;
    CHECK(retry_after(r).count() < 0);
    r.headers = {{"Retry-After", "120"}};
    CHECK(retry_after(r) == std::chrono::seconds(120));
    r.headers = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}};  // in the past: now
    CHECK(retry_after(r) == std::chrono::milliseconds(0));
    r.headers = {{"Retry-After", "soon"}};
    CHECK(retry_after(r).count() < 0);
}
