// Runs a blocking function on a thread pool from a coroutine, and resumes the coroutine on its own
// executor with the result: the io thread keeps answering while the pool maps or writes.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>
#include <type_traits>
#include <utility>

namespace fb::support {

// An exception thrown by `fn` is rethrown in the coroutine.
template <class F, class Token>
auto async_run(boost::asio::thread_pool& pool, F fn, Token&& token) {
    namespace asio = boost::asio;
    using R = std::invoke_result_t<F&>;
    return asio::async_initiate<Token, void(std::exception_ptr, R)>(
        [&pool](auto handler, F fn) {
            asio::post(pool, [handler = std::move(handler), fn = std::move(fn)]() mutable {
                std::exception_ptr error;
                R result{};
                try {
                    result = fn();
                } catch (...) {
                    error = std::current_exception();
                }
                auto ex = asio::get_associated_executor(handler);
                asio::post(ex, [handler = std::move(handler), error, r = std::move(result)]() mutable {
                    handler(error, std::move(r));
                });
            });
        },
        token, std::move(fn));
}

}  // namespace fb::support
