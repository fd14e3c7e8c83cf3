#include "proxy/http1/exchange_impl.hpp"

namespace sr::proxy {

template awaitable<LoopEnd> request_loop(PlainStream&, beast::flat_buffer&, LoopContext&, ConnInfo&);
template awaitable<void> send_text(PlainStream&, unsigned, http::status, const std::string&, KeepAlive);

}  // namespace sr::proxy
