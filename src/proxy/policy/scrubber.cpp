#include "proxy/policy/scrubber.hpp"

#include <algorithm>

namespace sr::proxy {

ScrubRules::ScrubRules(std::vector<Replacement> replacements) {
  for (auto& r : replacements)
    if (!r.from.empty()) rules_.push_back(std::move(r));
  // Longest first: at one position the longest value wins (a value that is
  // a prefix of another must not leave the other's tail behind).
  std::stable_sort(rules_.begin(), rules_.end(),
                   [](const Replacement& a, const Replacement& b) { return a.from.size() > b.from.size(); });
  longest_ = rules_.empty() ? 0 : rules_.front().from.size();
}

std::size_t ScrubRules::scrub_prefix(std::string_view buf, std::size_t limit, std::string& out,
                                     std::size_t& count, ScrubTally* tally) const {
  if (tally && tally->size() < rules_.size()) tally->resize(rules_.size());
  // next[i]: where rule i next matches at or after `pos` (npos: nowhere).
  // Cached so each rule scans the buffer once overall, not once per match.
  constexpr std::size_t kUnknown = std::string_view::npos - 1;
  std::vector<std::size_t> next(rules_.size(), kUnknown);
  std::size_t pos = 0;
  while (pos < limit) {
    // The earliest full match starting before `limit`; at equal starts the
    // first rule wins, which is the longest (rules_ is sorted).
    std::size_t best = std::string_view::npos;
    const Replacement* rule = nullptr;
    std::size_t rule_index = 0;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (next[i] == kUnknown || (next[i] != std::string_view::npos && next[i] < pos))
        next[i] = buf.find(rules_[i].from, pos);
      if (next[i] < best) {
        best = next[i];
        rule = &rules_[i];
        rule_index = i;
      }
    }
    if (rule == nullptr || best >= limit) break;
    out.append(buf.substr(pos, best - pos));
    out.append(rule->to);
    ++count;
    if (tally) ++(*tally)[rule_index];
    pos = best + rule->from.size();
  }
  if (pos < limit) {
    out.append(buf.substr(pos, limit - pos));
    pos = limit;
  }
  return pos;
}

std::size_t ScrubRules::undecided_from(std::string_view buf) const {
  std::size_t from = buf.size() >= longest_ ? buf.size() - longest_ + 1 : 0;
  for (std::size_t p = from; p < buf.size(); ++p) {
    std::string_view tail = buf.substr(p);
    for (const auto& r : rules_)
      if (r.from.size() > tail.size() && std::string_view(r.from).starts_with(tail)) return p;
  }
  return buf.size();
}

std::string ScrubRules::scrub(std::string_view text, std::size_t* count, ScrubTally* tally) const {
  if (rules_.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t n = 0;
  scrub_prefix(text, text.size(), out, n, tally);
  if (count) *count += n;
  return out;
}

StreamScrubber::StreamScrubber(std::shared_ptr<const ScrubRules> rules) : rules_(std::move(rules)) {}

std::string StreamScrubber::feed(std::string_view chunk) {
  if (!rules_ || rules_->empty()) return std::string(chunk);
  // Decisions are taken only at positions where no value can still start
  // (undecided_from), so any chunking gives the same result as the one-shot
  // form; the undecided tail (< longest() bytes, usually none: a server-sent
  // event is not held back) waits for the next chunk.
  std::string buf = std::move(carry_);
  buf.append(chunk);
  std::size_t limit = rules_->undecided_from(buf);
  std::string out;
  out.reserve(limit);
  std::size_t done = rules_->scrub_prefix(buf, limit, out, count_, &tally_);
  carry_.assign(buf, done, std::string::npos);
  return out;
}

std::string StreamScrubber::finish() {
  std::string out;
  if (!rules_ || carry_.empty()) return out;
  rules_->scrub_prefix(carry_, carry_.size(), out, count_, &tally_);
  carry_.clear();
  return out;
}

MessageScrubber::MessageScrubber(std::shared_ptr<const ScrubRules> rules)
    : rules_(std::move(rules)) {}

void MessageScrubber::feed(std::string_view payload, std::vector<Piece>& out) {
  if (!rules_ || rules_->empty()) {
    if (!payload.empty()) out.push_back(Piece{std::string(payload), false});
    return;
  }
  carry_.append(payload);
  release(out, false);
}

bool MessageScrubber::end_message(std::vector<Piece>& out) {
  if (!rules_ || rules_->empty()) {
    out.push_back(Piece{{}, true});
    return true;
  }
  if (ends_.size() >= kMaxHeld) return false;
  ends_.push_back(carry_.size());
  release(out, false);
  return true;
}

void MessageScrubber::finish(std::vector<Piece>& out) {
  if (rules_ && !rules_->empty()) release(out, true);
}

void MessageScrubber::release(std::vector<Piece>& out, bool all) {
  // Positions before `decided` have their outcome fixed (no value can start
  // there and run past the end of carry_), so scrubbing them now gives what
  // scrubbing the whole stream at once would. Held message ends up to
  // there are released in order; then the rest up to there goes out as a
  // piece of the oldest message still open.
  std::size_t decided = all ? carry_.size() : rules_->undecided_from(carry_);
  std::size_t pos = 0, released = 0;
  auto scrub_to = [&](std::size_t limit, bool ends) {
    Piece piece{{}, ends};
    if (pos < limit) pos = rules_->scrub_prefix(std::string_view(carry_).substr(pos), limit - pos,
                                                piece.data, count_, &tally_) + pos;
    if (ends || !piece.data.empty()) out.push_back(std::move(piece));
  };
  for (;;) {
    // A value replaced across an end (pos past it) leaves that message empty.
    if (released < ends_.size() && ends_[released] <= std::max(decided, pos)) {
      scrub_to(ends_[released++], true);
      continue;
    }
    if (pos >= decided) break;
    scrub_to(decided, false);
  }
  ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(released));
  for (auto& e : ends_) e = e > pos ? e - pos : 0;
  carry_.erase(0, pos);
}

}  // namespace sr::proxy
