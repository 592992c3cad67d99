#include "support/loopback_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace fb::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

Response reply(int status, std::string body, std::string content_type) {
    Response res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, content_type);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

struct LoopbackServer::Impl {
    Handler handler;
    asio::io_context io;
    std::optional<asio::ssl::context> tls;
    tcp::acceptor acceptor{io};
    asio::steady_timer forever{io, asio::steady_timer::time_point::max()};
    std::atomic<int> requests{0};
    std::thread thread;

    template <class Stream>
    asio::awaitable<void> serve(Stream& stream) {
        beast::flat_buffer buffer;
        for (;;) {
            Request req;
            auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            ++requests;
            auto res = handler(req);
            if (!res) {  // hold the connection until the server stops
                co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
                co_return;
            }
            res->keep_alive(req.keep_alive());
            auto [wec, w] = co_await bhttp::async_write(stream, *res, asio::as_tuple(asio::use_awaitable));
            if (wec || !res->keep_alive()) co_return;
        }
    }

    asio::awaitable<void> session(tcp::socket socket) {
        if (!tls) {
            beast::tcp_stream stream(std::move(socket));
            co_await serve(stream);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
        auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                    asio::as_tuple(asio::use_awaitable));
        if (!ec) co_await serve(stream);
    }

    asio::awaitable<void> accept() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            asio::co_spawn(io, session(std::move(socket)), asio::detached);
        }
    }
};

LoopbackServer::LoopbackServer(Handler handler, std::optional<TlsFiles> tls, unsigned short port)
    : impl_(std::make_unique<Impl>()) {
    impl_->handler = std::move(handler);
    if (tls) {
        impl_->tls.emplace(asio::ssl::context::tls_server);
        impl_->tls->use_certificate_chain_file(tls->cert);
        impl_->tls->use_private_key_file(tls->key, asio::ssl::context::pem);
    }
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen();
    asio::co_spawn(impl_->io, impl_->accept(), asio::detached);
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

LoopbackServer::~LoopbackServer() {
    impl_->io.stop();
    impl_->thread.join();
}

unsigned short LoopbackServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string LoopbackServer::url(const std::string& path) const {
    return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) + path;
}

int LoopbackServer::requests() const { return impl_->requests; }

TlsFiles make_self_signed(const std::string& dir, const std::string& san) {
    TlsFiles f{dir + "/cert.pem", dir + "/key.pem"};
    auto cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
               "-addext subjectAltName=" + san + " -keyout " + f.key + " -out " +
               f.cert + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl could not make a test certificate");
    return f;
}

}  // namespace fb::test
