// Shared aliases for the engine's networking code (Boost.Asio + Beast +
// OpenSSL; TLS through the engine's own TlsStream, tls_stream.hpp). C++20
// coroutines (asio::awaitable) drive every connection; each event loop is
// single-threaded, so a connection's state is never touched by two threads.
#pragma once

// Boost 1.74's scheduler.ipp trips GCC 12's flow-based -Wnull-dereference
// after inlining (reported at the header line, so system-header suppression
// does not apply). Every file of the engine includes this header first.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <string_view>
#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "proxy/tls/tls_stream.hpp"

namespace sr::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

template <class T>
using awaitable = asio::awaitable<T>;

// Completion token that stores the error instead of throwing.
inline auto ec_token(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

using PlainStream = beast::tcp_stream;

// Boost 1.74's beast::string_view is boost::string_view.
inline std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }
inline beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

inline beast::tcp_stream& lowest(PlainStream& s) { return s; }
// TlsStream owns its socket and deadline itself.
inline TlsStream& lowest(TlsStream& s) { return s; }

}  // namespace sr::proxy
