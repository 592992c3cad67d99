#include "http/client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <ctime>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace fb::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

std::string_view find_header(const Headers& headers, std::string_view name) {
    for (const auto& [k, v] : headers)
        if (beast::iequals(k, name)) return v;
    return {};
}

const char* to_string(TransportError error) {
    switch (error) {
        case TransportError::none: return "none";
        case TransportError::bad_url: return "bad_url";
        case TransportError::resolve: return "resolve";
        case TransportError::connect: return "connect";
        case TransportError::tls: return "tls";
        case TransportError::timeout: return "timeout";
        case TransportError::too_large: return "too_large";
        case TransportError::protocol: return "protocol";
    }
    return "protocol";
}

bool retryable(TransportError error) {
    return error == TransportError::resolve || error == TransportError::connect ||
           error == TransportError::timeout || error == TransportError::protocol;
}

struct Client::Tls {
    ssl::context context{ssl::context::tls_client};
};

Client::Client(ClientOptions options) : options_(std::move(options)), tls_(std::make_unique<Tls>()) {
    boost::system::error_code ec;
    if (!options_.verify_peer) {
        tls_->context.set_verify_mode(ssl::verify_none);
        return;
    }
    tls_->context.set_verify_mode(ssl::verify_peer);
    if (!options_.ca_file.empty()) tls_->context.load_verify_file(options_.ca_file, ec);
    else tls_->context.set_default_verify_paths(ec);
    if (ec)
        throw std::runtime_error("cannot load the CA certificates " +
                                 (options_.ca_file.empty() ? std::string("of the system")
                                                           : "from " + options_.ca_file) +
                                 ": " + ec.message());
}

Client::~Client() = default;

namespace {

struct Target {
    bool tls = false;
    std::string host;  // without brackets, for resolving and certificate checks
    std::string port;
    std::string host_header;
    std::string target;  // path and query
};

bool parse_target(const std::string& url, Target& t, std::string& why) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) {
        why = "not a URL: " + parsed.error().message();
        return false;
    }
    auto u = *parsed;
    auto scheme = u.scheme();
    if (scheme != "http" && scheme != "https") {
        why = "scheme `" + std::string(scheme) + "` (only http and https)";
        return false;
    }
    t.tls = scheme == "https";
    t.host = std::string(u.host_address());
    if (t.host.empty()) {
        why = "no host";
        return false;
    }
    t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
    t.host_header = std::string(u.encoded_host_and_port());
    t.target = std::string(u.encoded_target());
    if (t.target.empty()) t.target = "/";
    return true;
}

// Classifies one failed step; `step` names it for the message.
void fail(ClientResult& out, const Target& t, const char* step, const boost::system::error_code& ec,
          TransportError kind) {
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted)
        kind = TransportError::timeout;
    if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit ||
        ec == bhttp::error::buffer_overflow)
        kind = TransportError::too_large;
    out.error = kind;
    out.message = std::string(step) + " " + t.host + ":" + t.port + ": " + ec.message();
}

template <class Stream>
asio::awaitable<void> exchange(Stream& stream, const Target& t, const ClientRequest& request,
                               const ClientOptions& options, ClientResult& out) {
    auto& socket = beast::get_lowest_layer(stream);
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    // The resolver has no timeout of its own: a timer cancels it.
    asio::steady_timer guard(ex, options.timeout);
    guard.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) resolver.cancel();
    });
    auto [rec, endpoints] =
        co_await resolver.async_resolve(t.host, t.port, asio::as_tuple(asio::use_awaitable));
    guard.cancel();
    if (rec) co_return fail(out, t, "resolve", rec, TransportError::resolve);

    socket.expires_after(options.timeout);
    auto [cec, _] = co_await socket.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    if (cec) co_return fail(out, t, "connect", cec, TransportError::connect);

    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
        boost::system::error_code not_ip;
        asio::ip::make_address(t.host, not_ip);
        // Server name indication takes host names only, never addresses (RFC 6066).
        if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str())) {
            out.error = TransportError::tls;
            out.message = "tls " + t.host + ": cannot set the server name";
            co_return;
        }
        if (options.verify_peer) stream.set_verify_callback(ssl::host_name_verification(t.host));
        socket.expires_after(options.timeout);
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::client,
                                                     asio::as_tuple(asio::use_awaitable));
        if (hec) co_return fail(out, t, "tls handshake with", hec, TransportError::tls);
    }

    bhttp::request<bhttp::string_body> req;
    req.version(11);
    req.target(t.target);
    req.method_string(request.method);
    req.set(bhttp::field::host, t.host_header);
    req.set(bhttp::field::user_agent, options.user_agent);
    for (const auto& [k, v] : request.headers) req.set(k, v);
    req.body() = request.body;
    req.prepare_payload();
    socket.expires_after(options.timeout);
    auto [wec, w] = co_await bhttp::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
    if (wec) co_return fail(out, t, "send to", wec, TransportError::protocol);

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    if (request.method == "HEAD") parser.skip(true);
    // One deadline for the whole answer: a peer trickling bytes cannot hold us longer.
    socket.expires_after(options.timeout);
    auto [rdec, r] = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (rdec) {
        if (rdec == bhttp::error::body_limit && parser.is_header_done()) {
            out.response.status = static_cast<int>(parser.get().result_int());
            for (const auto& h : parser.get()) out.response.headers.emplace_back(h.name_string(), h.value());
        }
        co_return fail(out, t, "read the answer of", rdec, TransportError::protocol);
    }
    auto res = parser.release();
    out.response.status = static_cast<int>(res.result_int());
    for (const auto& h : res) out.response.headers.emplace_back(h.name_string(), h.value());
    out.response.body = std::move(res.body());
    boost::system::error_code ignored;
    socket.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

ClientResult Client::send(const ClientRequest& request) const {
    ClientResult out;
    Target t;
    if (!parse_target(request.url, t, out.message)) {
        out.error = TransportError::bad_url;
        out.message = "bad URL `" + request.url.substr(0, 200) + "`: " + out.message;
        return out;
    }
    asio::io_context io;
    auto done = [&](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            out.error = TransportError::protocol;
            out.message = t.host + ":" + t.port + ": " + ex.what();
        }
    };
    bool abandoned = false;
    // Runs the exchange; with abandon_when, closing the connection once asked (the pending
    // operations then end at once, aborted) instead of waiting out the timeout.
    auto run = [&](beast::tcp_stream& lowest) {
        if (!stopping_) return void(io.run());
        while (!io.stopped()) {
            io.run_for(std::chrono::milliseconds(100));
            if (!abandoned && !io.stopped() && stopping_()) {
                abandoned = true;
                lowest.close();
            }
        }
    };
    if (t.tls) {
        auto stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, tls_->context);
        asio::co_spawn(io, exchange(*stream, t, request, options_, out), done);
        run(beast::get_lowest_layer(*stream));
    } else {
        beast::tcp_stream stream(io);
        asio::co_spawn(io, exchange(stream, t, request, options_, out), done);
        run(stream);
    }
    if (abandoned && !out.ok()) {
        out.error = TransportError::timeout;
        out.message = t.host + ":" + t.port + ": abandoned: fieldbridge is stopping";
    }
    return out;
}

std::chrono::milliseconds retry_after(const ClientResponse& response) {
    auto text = std::string(response.header("Retry-After"));
    if (text.empty()) return std::chrono::milliseconds(-1);
    if (text.find_first_not_of("0123456789") == std::string::npos && text.size() < 9)
        return std::chrono::seconds(std::stoll(text));
    std::tm tm{};
    std::istringstream in(text);
    in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
    if (in.fail()) return std::chrono::milliseconds(-1);
    // In seconds: system_clock's nanoseconds overflow past the year 2262 (a date from a hostile ERP).
    auto at = std::chrono::sys_seconds(std::chrono::seconds(timegm(&tm)));
    auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
    return std::max(delay, std::chrono::milliseconds(0));
}

}  // namespace fb::http
