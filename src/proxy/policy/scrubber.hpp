// Response scrubbing: if an upstream echoes a real secret value, it is
// replaced with its proxy token before the response reaches the sandbox.
//
// Semantics (identical for the one-shot and the streaming forms, whatever
// the chunking): scanning left to right, at each position the LONGEST value
// that matches there is replaced and scanning resumes after it; otherwise
// the byte is copied. Matching is exact (byte-for-byte): compressed or
// re-encoded bodies are not recognised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sr::proxy {

struct Replacement {
  std::string from;  // the real value (empty entries are dropped)
  std::string to;    // the proxy token
  std::string name = {};  // the secret's env var name (metrics label)
};

// Replacements made, per rule (indexed like ScrubRules::rule_name()).
using ScrubTally = std::vector<std::size_t>;

// An immutable rule set, built once per SecretSet and shared by all streams.
class ScrubRules {
 public:
  explicit ScrubRules(std::vector<Replacement> replacements);

  [[nodiscard]] bool empty() const { return rules_.empty(); }
  [[nodiscard]] std::size_t longest() const { return longest_; }
  [[nodiscard]] std::size_t size() const { return rules_.size(); }
  [[nodiscard]] const std::string& rule_name(std::size_t i) const { return rules_[i].name; }

  // One-shot replacement (header values, small buffers). `count`, when
  // given, is incremented by the number of replacements made; `tally`, when
  // given (sized to size() if smaller), by the number per rule.
  [[nodiscard]] std::string scrub(std::string_view text, std::size_t* count = nullptr,
                                  ScrubTally* tally = nullptr) const;

  // Replaces in buf[0, limit) and returns the position where the scan stopped:
  // every position before it has been decided. Matches starting at or after
  // `limit` are left alone. Used by StreamScrubber.
  std::size_t scrub_prefix(std::string_view buf, std::size_t limit, std::string& out,
                           std::size_t& count, ScrubTally* tally = nullptr) const;

  // The first position of `buf` at which a value could still start, given
  // more bytes: buf[p..] is a proper prefix of some value. buf.size() when
  // there is none. Every position before it can be decided now.
  [[nodiscard]] std::size_t undecided_from(std::string_view buf) const;

 private:
  std::vector<Replacement> rules_;  // longest `from` first
  std::size_t longest_ = 0;
};

// Streaming form for bodies: feed chunks, then finish. Holds back the tail
// that could still begin a value (at most longest()-1 bytes) between calls
// so a value split across chunks is still caught; memory is bounded by that carry plus the current chunk. One
// instance per response; not thread-safe (a response is one strand).
class StreamScrubber {
 public:
  explicit StreamScrubber(std::shared_ptr<const ScrubRules> rules);

  // Returns what can be sent now (possibly empty even for a non-empty chunk).
  [[nodiscard]] std::string feed(std::string_view chunk);
  // Returns the held-back tail; call once at the end of the body.
  [[nodiscard]] std::string finish();

  [[nodiscard]] std::size_t replacements() const { return count_; }
  // Replacements per rule so far (indexed like ScrubRules::rule_name()).
  [[nodiscard]] const ScrubTally& tally() const { return tally_; }
  // Bytes currently held back (for tests: never >= longest()).
  [[nodiscard]] std::size_t pending() const { return carry_.size(); }

 private:
  std::shared_ptr<const ScrubRules> rules_;
  std::string carry_;
  std::size_t count_ = 0;
  ScrubTally tally_;
};

// The scrubber over the data messages of one WebSocket direction. Their
// payloads are scrubbed as ONE stream, so a value split across messages (or
// across a message boundary with control frames between) is still caught,
// with the scrubber's semantics over the concatenated payloads. A value that
// spans a boundary is replaced where it starts: its token ends the earlier
// message and the later one starts after the value.
//
// Output is a sequence of pieces, each belonging to the oldest message not
// yet ended in the output; `ends_message` closes it. A message whose end
// falls inside a possible start of a value (its tail is a proper prefix of
// one) is held back, its last piece and the later messages with it, until
// the bytes that follow decide; otherwise nothing is held and a message
// ends in the output as soon as it ends in the input. Memory: less than
// longest() bytes and at most kMaxHeld message ends.
class MessageScrubber {
 public:
  struct Piece {
    std::string data;
    bool ends_message = false;
  };
  static constexpr std::size_t kMaxHeld = 64;

  explicit MessageScrubber(std::shared_ptr<const ScrubRules> rules);

  // Payload bytes of the current message; appends what may be sent now.
  void feed(std::string_view payload, std::vector<Piece>& out);
  // The current message ends. False (nothing appended) when that would hold
  // back more than kMaxHeld messages.
  [[nodiscard]] bool end_message(std::vector<Piece>& out);
  // No more data follows (a close frame, the end of the connection):
  // appends everything held back.
  void finish(std::vector<Piece>& out);

  [[nodiscard]] std::size_t held_messages() const { return ends_.size(); }
  [[nodiscard]] const ScrubTally& tally() const { return tally_; }

 private:
  void release(std::vector<Piece>& out, bool all);

  std::shared_ptr<const ScrubRules> rules_;
  std::string carry_;               // undecided payload bytes
  std::vector<std::size_t> ends_;   // where held messages end, offsets into carry_
  std::size_t count_ = 0;
  ScrubTally tally_;
};

}  // namespace sr::proxy
