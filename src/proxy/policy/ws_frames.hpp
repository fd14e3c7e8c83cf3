// WebSocket frames from an upstream, re-framed with every echoed real secret
// replaced by its proxy token (the scrubber's semantics, across fragments).
//
// After a WebSocket upgrade towards a host that has secrets mapped, the
// engine relays the upstream-to-sandbox direction through this instead of
// raw. The payloads of all data messages (text, binary, and their
// continuations) go through one MessageScrubber (scrubber.hpp), so a value
// split across frames, reads or messages is still caught; the payload is
// passed on as it arrives, as fragments of the same message (RFC 6455 §5.4
// lets an intermediary re-fragment when no extension is in use; the engine
// removes Sec-WebSocket-Extensions from the upgrade request and refuses a
// 101 that names one). A message whose tail could be the start of a secret
// is held back until the next data decides, and control frames that arrive
// meanwhile go first (§5.4 allows them between fragments); a close frame,
// or the end of the connection (finish()), first releases what is held.
// Control frames (close, ping, pong: at most 125 bytes) are scrubbed whole
// and cut to 125 bytes.
//
// Server frames are unmasked (§5.1); a masked frame, a reserved bit or
// opcode, a fragmented or oversized control frame, or a continuation without
// a message is a protocol violation: feed() returns false and the relay ends
// the connection. Memory: one frame header, one control payload, and the
// scrubber's carry.
//
// The other direction (from the sandbox, built with a TokenWatch): frames
// must be masked; their payloads are unmasked and go through the watch (data
// messages as one stream, held back by less than a token's length; control
// payloads whole), and are re-framed with a fresh random mask. A token that
// must not go to the host ends the connection before any byte of it leaves
// (feed() false, reason() says which secret). A watch built to swap replaces
// the host's own tokens by their real values on the way (a control payload
// grown past 125 bytes is cut, as in the other direction).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proxy/policy/scrubber.hpp"
#include "proxy/policy/secrets.hpp"

namespace sr::proxy {

class WsFrameScrubber {
 public:
  // Upstream to sandbox: echoed secrets scrubbed.
  explicit WsFrameScrubber(std::shared_ptr<const ScrubRules> rules);
  // Sandbox to upstream: refused tokens stop the stream.
  explicit WsFrameScrubber(const TokenWatch& watch);

  // Consumes `in` (any chunking of the stream) and appends the frames to
  // send to `out`. False on a protocol violation (what came before it has
  // been appended; nothing after it is).
  bool feed(std::string_view in, std::string& out);
  // The stream ended without a close frame: appends what is still held back
  // (from the upstream; nothing from the sandbox).
  void finish(std::string& out);

  // Replacements per rule so far (indexed like ScrubRules::rule_name());
  // always empty from the sandbox.
  [[nodiscard]] ScrubTally tally() const;
  // Why feed() returned false: a protocol violation, or the watch's reason.
  [[nodiscard]] const std::string& reason() const { return reason_; }
  // feed() returned false because the watch refused a token (not for a
  // protocol violation).
  [[nodiscard]] bool refused() const { return refused_; }
  // A close frame has been passed on (no other may follow it, §5.5.1).
  [[nodiscard]] bool passed_close() const { return passed_close_; }
  // From the sandbox, with a watch that swaps: the env var names whose
  // tokens were replaced by their real values in the frames so far.
  [[nodiscard]] std::vector<std::string> swapped() const;

 private:
  // What each direction does to payloads; the framing around them (header
  // parsing, the checks, re-framing) is shared. Each returns false when the
  // payload may not pass (reason() then says why).
  struct Scrub {  // from the upstream: echoed real values become tokens
    std::shared_ptr<const ScrubRules> rules;
    MessageScrubber messages;         // every data message, one stream
    std::deque<unsigned> open;        // opcodes of the messages not ended in the output
    bool started = false;             // a fragment of open.front() has been sent
    // Data of open.front() not framed yet: framed with the message's end
    // when that comes in the same feed() (one frame in, one frame out),
    // else as a fragment when feed() returns or a control frame is sent.
    std::string unframed;
  };
  struct Watch {  // from the sandbox: tokens not for this host stop it
    TokenWatch message;  // data messages, one stream
    TokenWatch control;  // control payloads, one at a time
  };
  [[nodiscard]] bool from_sandbox() const { return std::holds_alternative<Watch>(mode_); }
  void begin_message();
  bool message_piece(std::string_view payload, std::string& out);
  bool end_message(std::string& out);
  bool emit_pieces(const std::vector<MessageScrubber::Piece>& pieces, std::string& out);
  bool flush_unframed(std::string& out);
  bool feed_frames(std::string_view in, std::string& out);
  bool control_payload(std::string& payload);  // in place
  bool refuse(const TokenWatch& watch);

  bool parse_header(std::string& out);
  bool end_frame(std::string& out);
  bool emit_data(std::string_view piece, bool final, std::string& out);
  bool fail(std::string why);
  bool frame(std::string& out, bool fin, unsigned opcode, std::string_view payload);

  std::variant<Scrub, Watch> mode_;
  ScrubTally tally_;  // control payloads
  std::string head_;  // header bytes gathered so far
  bool in_payload_ = false;
  std::uint64_t remaining_ = 0;
  bool fin_ = false;
  unsigned opcode_ = 0;
  std::string control_;         // the control frame's payload
  unsigned message_opcode_ = 0;  // of the data message in progress (0: none)
  bool message_started_ = false;  // a fragment of it has been sent
  unsigned char mask_[4] = {};    // the current frame's key (from the sandbox)
  std::uint64_t mask_at_ = 0;     // payload offset within the frame
  std::string unmasked_;
  std::string watch_unframed_;  // from the sandbox: data not framed yet
  std::string reason_;
  bool refused_ = false;
  bool passed_close_ = false;
};

// One frame: unmasked as a server sends it, or masked with `mask` (4 bytes)
// as a client does; FIN as given.
void append_ws_frame(std::string& out, bool fin, unsigned opcode, std::string_view payload,
                     const unsigned char* mask = nullptr);

// Close status codes (RFC 6455 §7.4.1) the engine sends when it ends a
// relayed WebSocket itself.
inline constexpr std::uint16_t kWsCloseProtocolError = 1002;
inline constexpr std::uint16_t kWsClosePolicyViolation = 1008;

// A close frame as a server sends it (unmasked): the status code, then
// `reason` cut to the 123 bytes a control frame leaves for it, at a UTF-8
// character boundary.
std::string ws_close_frame(std::uint16_t code, std::string_view reason);

}  // namespace sr::proxy
