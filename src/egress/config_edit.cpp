#include "egress/config_edit.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <sstream>

#include "egress/config.hpp"
#include "util/atomic_file.hpp"
#include "util/secure_dir.hpp"

namespace sr::egress {
namespace {

std::unexpected<util::Error> refuse(const std::string& source, int line, const std::string& what) {
  return util::fail(util::ErrorKind::invalid_argument,
                    source + ":" + std::to_string(line + 1) + ": " + what +
                        ": this edit cannot keep it; change the file by hand");
}

// The file as lines, with the line break it uses (CRLF files stay CRLF).
struct Lines {
  std::vector<std::string> at;
  std::string eol = "\n";

  static Lines split(const std::string& text) {
    Lines l;
    std::string cur;
    for (char ch : text) {
      if (ch != '\n') {
        cur += ch;
        continue;
      }
      if (!cur.empty() && cur.back() == '\r') {
        cur.pop_back();
        l.eol = "\r\n";
      }
      l.at.push_back(std::move(cur));
      cur.clear();
    }
    if (!cur.empty()) l.at.push_back(std::move(cur));
    return l;
  }
  std::string join() const {
    std::string out;
    for (const auto& s : at) out += s + eol;
    return out;
  }
  int size() const { return static_cast<int>(at.size()); }
};

int indent_of(const std::string& line) {
  auto n = line.find_first_not_of(' ');
  return n == std::string::npos ? -1 : static_cast<int>(n);
}
bool blank(const std::string& line) { return line.find_first_not_of(" \t") == std::string::npos; }
bool comment_only(const std::string& line) {
  auto n = line.find_first_not_of(" \t");
  return n != std::string::npos && line[n] == '#';
}

// Where a trailing comment starts (the blanks before '#'), scanning from
// `from` and skipping quoted scalars; npos when there is none, or when a
// quoted scalar does not close on this line.
std::size_t comment_start(const std::string& line, std::size_t from) {
  for (std::size_t i = from; i < line.size(); ++i) {
    const char ch = line[i];
    const bool token_start = i == from || std::string_view(" \t[{,:").find(line[i - 1]) != std::string_view::npos;
    if ((ch == '"' || ch == '\'') && token_start) {
      std::size_t j = i + 1;
      for (; j < line.size(); ++j) {
        if (ch == '"' && line[j] == '\\') ++j;
        else if (line[j] == ch && ch == '\'' && j + 1 < line.size() && line[j + 1] == '\'') ++j;
        else if (line[j] == ch) break;
      }
      if (j >= line.size()) return std::string::npos;
      i = j;
    } else if (ch == '#' && i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.find_last_not_of(" \t", i - 1) + 1;
    }
  }
  return std::string::npos;
}

// Refuses the features whose meaning lives outside the lines an edit keeps:
// tags, anchors and aliases (an alias may point into an edited key), and a
// second document (YAML::Load reads only the first; an appended key would
// land in the last).
class FeatureScan : public YAML::EventHandler {
 public:
  std::optional<std::pair<int, std::string>> found;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { props(m, "", a); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m, "an alias ('*')"); }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a, const std::string&) override {
    props(m, tag, a);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                       YAML::EmitterStyle::value) override {
    props(m, tag, a);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                  YAML::EmitterStyle::value) override {
    props(m, tag, a);
  }
  void OnMapEnd() override {}
  void OnAnchor(const YAML::Mark& m, const std::string& name) override {
    note(m, "an anchor ('&" + name + "')");
  }

 private:
  void note(const YAML::Mark& m, std::string what) {
    if (!found) found.emplace(m.line, std::move(what));
  }
  void props(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a) {
    if (a != YAML::NullAnchor) note(m, "an anchor ('&')");  // when OnAnchor did not name it
    if (!tag.empty() && tag != "?" && tag != "!") note(m, "a tag ('" + tag + "')");
  }
};

util::Result<void> scan_features(const std::string& text, const Lines& lines, const std::string& source) {
  for (int i = 0; i < lines.size(); ++i)
    if (lines.at[i].rfind("...", 0) == 0 && blank(lines.at[i].substr(3)))
      return refuse(source, i, "a document end marker ('...')");
  std::istringstream in(text);
  YAML::Parser parser(in);
  FeatureScan scan;
  int docs = 0;
  int last_marker = 0;
  for (int i = 0; i < lines.size(); ++i)
    if (lines.at[i].rfind("---", 0) == 0) last_marker = i;
  try {
    while (parser.HandleNextDocument(scan)) {
      if (++docs > 1) return refuse(source, last_marker, "more than one document ('---')");
      if (scan.found) return refuse(source, scan.found->first, scan.found->second);
    }
  } catch (const YAML::Exception& e) {
    return util::fail(util::ErrorKind::invalid_argument, source + ": " + e.msg);
  }
  return {};
}

// A key of a block mapping and where it is in the file.
struct Entry {
  std::string key;
  int line = 0;
  int col = 0;
  YAML::Node value;
};

// The entries of a mapping an edit works in: a block mapping whose keys each
// start their line (no `? key`, no property before the key).
util::Result<std::vector<Entry>> entries_of(const YAML::Node& map, const Lines& lines,
                                            const std::string& source, const std::string& name) {
  if (map.Style() == YAML::EmitterStyle::Flow && map.size() > 0)
    return refuse(source, map.Mark().line, "a flow mapping ('{...}') as " + name);
  std::vector<Entry> out;
  for (const auto& kv : map) {
    const auto m = kv.first.Mark();
    // An explicit `?` with an empty key has its mark past the last line.
    if (!kv.first.IsScalar() || m.line < 0 || m.line >= lines.size() ||
        indent_of(lines.at[static_cast<std::size_t>(m.line)]) != m.column)
      return refuse(source, std::min(m.line, lines.size() - 1),
                    "an explicit key ('?') or a property before a key in " + name);
    out.push_back({kv.first.Scalar(), m.line, m.column, kv.second});
  }
  return out;
}

// The end of the lines that belong to an entry starting at `start`: up to
// `limit`, less the blank lines and the comments at or left of the key's
// column at its end (those introduce what follows).
int entry_end(const Lines& lines, int start, int limit, int key_col) {
  int end = limit;
  while (end - 1 > start) {
    const auto& l = lines.at[static_cast<std::size_t>(end - 1)];
    if (blank(l) || (comment_only(l) && indent_of(l) <= key_col)) --end;
    else break;
  }
  return end;
}

std::vector<std::string> render(const std::string& key, const YAML::Node& value, int indent,
                                const std::string& comment) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  const bool nested = (value.IsSequence() || value.IsMap()) && value.size() > 0;
  YAML::Emitter e;
  e << YAML::BeginMap << YAML::Key << key << YAML::Value;
  if (!nested) e << YAML::Flow;
  e << value << YAML::EndMap;
  std::vector<std::string> out;
  std::istringstream in(e.c_str());
  for (std::string line; std::getline(in, line);) out.push_back(pad + line);
  if (!comment.empty() && !out.empty()) out.front() += comment;
  return out;
}

std::string trailing_comment(const std::string& line, int from) {
  auto at = comment_start(line, static_cast<std::size_t>(from));
  return at == std::string::npos ? "" : line.substr(at);
}

// Sets or removes `key` among `entries`, whose lines run up to `limit`; new
// keys go after the last entry (or at `insert_at` when there is none).
void set_entry(Lines& lines, const std::vector<Entry>& entries, int limit, int insert_at, int indent,
               const std::string& key, const std::optional<YAML::Node>& value) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  std::vector<std::string> fresh;
  auto& at = lines.at;
  if (it != entries.end()) {
    const int next = it + 1 == entries.end() ? limit : (it + 1)->line;
    const int end = entry_end(lines, it->line, next, it->col);
    if (value) fresh = render(key, *value, it->col, trailing_comment(at[static_cast<std::size_t>(it->line)], it->col));
    at.erase(at.begin() + it->line, at.begin() + end);
    at.insert(at.begin() + it->line, fresh.begin(), fresh.end());
    return;
  }
  if (!value) return;
  if (!entries.empty()) insert_at = entry_end(lines, entries.back().line, limit, entries.back().col);
  fresh = render(key, *value, indent, "");
  at.insert(at.begin() + insert_at, fresh.begin(), fresh.end());
}

bool same(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (!a.IsSequence() && !a.IsMap()) return true;
  if (a.size() != b.size()) return false;
  auto ia = a.begin();
  auto ib = b.begin();
  for (; ia != a.end(); ++ia, ++ib) {
    if (a.IsSequence() ? !same(*ia, *ib) : !same(ia->first, ib->first) || !same(ia->second, ib->second))
      return false;
  }
  return true;
}

// What the file must read as after `edit`: the tree before it with the one
// key changed (a new key last in its mapping, as the edit writes it).
YAML::Node expected_tree(const YAML::Node& before, const ConfigEdit& edit) {
  // (yaml-cpp's Node::operator= rebinds the node it refers to, so each
  // mapping is reached by a fresh handle rather than by reassigning one.)
  YAML::Node root = before.IsMap() ? YAML::Clone(before) : YAML::Node(YAML::NodeType::Map);
  const std::string& key = edit.path.back();
  if (edit.path.size() == 1) {
    if (edit.value) root[key] = *edit.value;
    else root.remove(key);
    return root;
  }
  const std::string& name = edit.path[0];
  if (!root[name].IsMap() || root[name].size() == 0) {
    if (!edit.value) return root;
    root[name] = YAML::Node(YAML::NodeType::Map);
  }
  YAML::Node section = root[name];
  if (edit.value) section[key] = *edit.value;
  else section.remove(key);
  return root;
}

bool plain_name(const std::string& s) {
  return !s.empty() && (std::isalnum(static_cast<unsigned char>(s[0])) || s[0] == '_') &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
         });
}

util::Result<YAML::Node> load_tree(const std::string& text, const std::string& source) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return util::fail(util::ErrorKind::invalid_argument, source + ": " + e.msg);
  }
}

util::Result<std::string> apply(const std::string& text, const std::string& source, const ConfigEdit& asked) {
  if (asked.path.empty() || asked.path.size() > 2 || !std::all_of(asked.path.begin(), asked.path.end(), plain_name))
    return util::fail(util::ErrorKind::invalid_argument, "config key: expected NAME or SECTION.NAME");
  SR_TRY(parse_config(text, source));
  Lines lines = Lines::split(text);
  SR_TRY(scan_features(text, lines, source));
  SR_ASSIGN(YAML::Node root, load_tree(text, source));
  // Removing a section's last key removes the section: an empty `name:`
  // would read back as null, not as the empty mapping asked for.
  ConfigEdit edit = asked;
  // (A const lookup of a missing key is an invalid node: only its bool is safe.)
  const YAML::Node& tree = root;
  if (!edit.value && edit.path.size() == 2 && tree.IsMap())
    if (const YAML::Node section = tree[edit.path[0]]; section && section.IsMap() && section.size() == 1 &&
                                                       section[edit.path[1]])
      edit.path.pop_back();
  const int n = lines.size();
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  SR_ASSIGN(auto top, entries_of(root, lines, source, "the top-level mapping"));
  const int top_indent = top.empty() ? 0 : top.front().col;
  if (edit.path.size() == 1) {
    set_entry(lines, top, n, n, top_indent, edit.path[0], edit.value);
  } else {
    auto sec = std::find_if(top.begin(), top.end(), [&](const Entry& e) { return e.key == edit.path[0]; });
    if (sec == top.end()) {
      if (!edit.value) return text;
      YAML::Node section(YAML::NodeType::Map);
      section[edit.path[1]] = *edit.value;
      set_entry(lines, top, n, n, top_indent, edit.path[0], section);
    } else if (sec->value.IsNull() || (sec->value.IsMap() && sec->value.size() == 0 &&
                                       sec->value.Mark().line == sec->line)) {
      if (!edit.value) return text;
      auto& head = lines.at[static_cast<std::size_t>(sec->line)];
      head = std::string(static_cast<std::size_t>(sec->col), ' ') + edit.path[0] + ":" +
             trailing_comment(head, sec->col);
      auto child = render(edit.path[1], *edit.value, sec->col + 2, "");
      lines.at.insert(lines.at.begin() + sec->line + 1, child.begin(), child.end());
    } else if (!sec->value.IsMap()) {
      return refuse(source, sec->line, "'" + edit.path[0] + "' is not a mapping");
    } else {
      const int limit = sec + 1 == top.end() ? n : (sec + 1)->line;
      const int end = entry_end(lines, sec->line, limit, sec->col);
      SR_ASSIGN(auto children, entries_of(sec->value, lines, source, "'" + edit.path[0] + "'"));
      set_entry(lines, children, end, end, children.front().col, edit.path[1], edit.value);
    }
  }
  std::string out = lines.join();
  auto loads = parse_config(out, source);
  if (!loads)
    return util::fail(util::ErrorKind::invalid_argument,
                      "editing " + source + " would make it fail to load (" + loads.error().message +
                          "); the file is left as it is: change it by hand");
  SR_ASSIGN(YAML::Node after, load_tree(out, source));
  if (!same(after, expected_tree(root, edit)))
    return util::fail(util::ErrorKind::invalid_argument,
                      "editing " + source + " would change more than the edited key; the file is left "
                      "as it is: change it by hand");
  return out;
}

}  // namespace

util::Result<std::string> edit_config_text(const std::string& text, const std::string& source,
                                           std::span<const ConfigEdit> edits) {
  std::string out = text;
  for (const auto& e : edits) {
    SR_ASSIGN(out, apply(out, source, e));
  }
  return out;
}

util::Result<void> edit_config_file(const std::filesystem::path& path, std::span<const ConfigEdit> edits) {
  std::string text;
  if (auto read = util::read_file_nofollow(path); read) text = std::move(*read);
  else if (read.error().kind != util::ErrorKind::not_found)
    return std::unexpected(std::move(read.error()).context("reading config"));
  SR_ASSIGN(std::string out, edit_config_text(text, path.string(), edits));
  if (out == text && util::path_exists_nofollow(path)) return {};
  SR_TRY(util::ensure_dir(path.parent_path()));
  return util::with_context(util::write_file_atomic(path, out, 0600), "saving config");
}

}  // namespace sr::egress
