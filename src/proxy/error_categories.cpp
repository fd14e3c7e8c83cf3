#include "proxy/error_categories.hpp"

#include <array>
#include <system_error>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/system/error_code.hpp>

namespace sr::proxy {

void prime_error_categories() {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  const std::array<const boost::system::error_category*, 10> boost_categories = {
      &boost::system::system_category(),
      &boost::system::generic_category(),
      &asio::error::get_misc_category(),
      &asio::error::get_netdb_category(),
      &asio::error::get_addrinfo_category(),
      &asio::error::get_ssl_category(),
      &asio::ssl::error::get_stream_category(),
      &beast::http::make_error_code(beast::http::error::end_of_stream).category(),
      &beast::websocket::make_error_code(beast::websocket::error::closed).category(),
      &beast::make_error_code(beast::error::timeout).category(),
  };
  // failed() is what `if (ec)` calls for every category but system and
  // generic; message() is what the logs call. One member call per object
  // is what UBSan checks and caches.
  for (const auto* category : boost_categories) {
    (void)category->failed(1);
    (void)category->message(1);
  }
  for (const auto* category : {&std::system_category(), &std::generic_category()})
    (void)category->message(1);
}

}  // namespace sr::proxy
