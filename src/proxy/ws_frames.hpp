// WebSocket frames from an upstream, re-framed with every echoed real secret
// replaced by its proxy token (the scrubber's semantics, across fragments).
//
// After a WebSocket upgrade towards a host that has secrets mapped, the
// engine relays the upstream-to-sandbox direction through this instead of
// raw. Data messages (text, binary, and their continuations) go through one
// StreamScrubber per message, so a value split across frames or reads is
// still caught; the payload is passed on as it arrives, as fragments of the
// same message (RFC 6455 §5.4 lets an intermediary re-fragment when no
// extension is in use; the engine removes Sec-WebSocket-Extensions from the
// upgrade request and refuses a 101 that names one). Control frames (close,
// ping, pong: at most 125 bytes) are scrubbed whole and cut to 125 bytes.
//
// Server frames are unmasked (§5.1); a masked frame, a reserved bit or
// opcode, a fragmented or oversized control frame, or a continuation without
// a message is a protocol violation: feed() returns false and the relay ends
// the connection. Memory: one frame header, one control payload, and the
// scrubber's carry.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/scrubber.hpp"

namespace sr::proxy {

class WsFrameScrubber {
 public:
  explicit WsFrameScrubber(std::shared_ptr<const ScrubRules> rules);

  // Consumes `in` (any chunking of the stream) and appends the frames to
  // send to `out`. False on a protocol violation (what came before it has
  // been appended; nothing after it is).
  bool feed(std::string_view in, std::string& out);

  // Replacements per rule so far (indexed like ScrubRules::rule_name()).
  [[nodiscard]] const ScrubTally& tally() const { return tally_; }

 private:
  bool parse_header(std::string& out);
  void end_frame(std::string& out);
  void emit_data(std::string_view piece, bool final, std::string& out);

  std::shared_ptr<const ScrubRules> rules_;
  ScrubTally tally_;
  std::string head_;  // header bytes gathered so far
  bool in_payload_ = false;
  std::uint64_t remaining_ = 0;
  bool fin_ = false;
  unsigned opcode_ = 0;
  std::string control_;                     // the control frame's payload
  std::optional<StreamScrubber> message_;   // the data message in progress
  unsigned message_opcode_ = 0;
  bool message_started_ = false;            // a fragment of it has been sent
};

// One frame as sent by a server: unmasked, FIN as given.
void append_ws_frame(std::string& out, bool fin, unsigned opcode, std::string_view payload);

}  // namespace sr::proxy
