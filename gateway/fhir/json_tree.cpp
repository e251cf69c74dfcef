#include "fhir/json_tree.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstring>

namespace onedoor::fhir {

// SAX handler that appends Items and links them; aborts (returns false) past the depth limit.
class JsonTreeBuilder {
 public:
  using Ch = char;
  JsonTreeBuilder(JsonTree& tree, rapidjson::InsituStringStream& stream, std::uint32_t depth)
      : tree_(tree), stream_(stream), max_depth_(depth) {}

  bool Null() { return add(JsonTree::Kind::kNull, {}); }
  bool Bool(bool b) { return add(b ? JsonTree::Kind::kTrue : JsonTree::Kind::kFalse, {}); }
  bool Int(int) { return false; }  // unreachable: numbers arrive as RawNumber
  bool Uint(unsigned) { return false; }
  bool Int64(std::int64_t) { return false; }
  bool Uint64(std::uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return add(JsonTree::Kind::kNumber, {s, n});
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return add(JsonTree::Kind::kString, {s, n});
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    pending_key_ = {s, n};
    pending_key_offset_ = static_cast<std::uint32_t>(stream_.Tell());
    return true;
  }
  bool StartObject() { return open(JsonTree::Kind::kObject); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(JsonTree::Kind::kArray); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  bool depthExceeded() const { return depth_exceeded_; }

 private:
  struct Frame {
    std::uint32_t index;  // index + 1 of the container
    std::uint32_t last;   // index + 1 of its last child
  };

  bool add(JsonTree::Kind kind, std::string_view text) {
    JsonTree::Item item;
    item.kind = kind;
    item.text = text;
    item.offset = static_cast<std::uint32_t>(stream_.Tell());
    auto& items = tree_.items_;
    items.push_back(item);
    auto idx = static_cast<std::uint32_t>(items.size());
    if (!stack_.empty()) {
      Frame& f = stack_.back();
      JsonTree::Item& parent = items[f.index - 1];
      if (parent.kind == JsonTree::Kind::kObject) {
        items[idx - 1].key = pending_key_;
        items[idx - 1].key_offset = pending_key_offset_;
      }
      if (f.last == 0) {
        parent.first = idx;
      } else {
        items[f.last - 1].next = idx;
      }
      f.last = idx;
      ++parent.count;
    }
    return true;
  }
  bool open(JsonTree::Kind kind) {
    if (stack_.size() >= max_depth_) {
      depth_exceeded_ = true;
      return false;
    }
    add(kind, {});
    stack_.push_back({static_cast<std::uint32_t>(tree_.items_.size()), 0});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  JsonTree& tree_;
  rapidjson::InsituStringStream& stream_;
  std::uint32_t max_depth_;
  std::vector<Frame> stack_;
  std::string_view pending_key_;
  std::uint32_t pending_key_offset_ = 0;
  bool depth_exceeded_ = false;
};

core::Result<JsonTree> JsonTree::parse(std::string_view text, const JsonLimits& limits) {
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    return core::invalid("malformed JSON: NUL byte in the document", "offset " + std::to_string(nul));
  }
  // Offsets are 32-bit; larger documents are refused (request limits are far below this).
  constexpr std::size_t kMaxBytes = std::size_t{1} << 30;
  if (text.size() >= kMaxBytes) return core::Status(core::Code::kTooLarge, "JSON document too large");
  const std::size_t size = text.size() & (kMaxBytes - 1);
  JsonTree tree;
  tree.source_.assign(text);
  tree.buffer_ = std::make_unique<char[]>(size + 1);
  if (size > 0) std::memcpy(tree.buffer_.get(), text.data(), size);
  tree.buffer_[size] = '\0';
  tree.items_.reserve(text.size() / 16 + 4);
  rapidjson::InsituStringStream stream(tree.buffer_.get());
  JsonTreeBuilder builder(tree, stream, limits.max_depth);
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseIterativeFlag;
  rapidjson::ParseResult ok = reader.Parse<kFlags>(stream, builder);
  if (!ok || tree.items_.empty()) {
    std::uint32_t line = 0;
    std::uint32_t col = 0;
    tree.position(static_cast<std::uint32_t>(ok.Offset()), line, col);
    std::string where = std::to_string(line) + ":" + std::to_string(col);
    if (builder.depthExceeded()) {
      return core::invalid("JSON nesting is deeper than the limit of " +
                               std::to_string(limits.max_depth) + " levels",
                           where);
    }
    std::string msg = tree.items_.empty() && ok ? "empty JSON document"
                                                : rapidjson::GetParseError_En(ok.Code());
    return core::invalid("malformed JSON: " + msg, where);
  }
  return tree;
}

std::vector<const JsonTree::Item*> JsonTree::children(const Item& item) const {
  std::vector<const Item*> out;
  out.reserve(item.count);
  for (std::uint32_t i = item.first; i != 0; i = items_[i - 1].next) out.push_back(&items_[i - 1]);
  return out;
}

const JsonTree::Item* JsonTree::member(const Item& object, std::string_view key) const {
  for (std::uint32_t i = object.first; i != 0; i = items_[i - 1].next) {
    if (items_[i - 1].key == key) return &items_[i - 1];
  }
  return nullptr;
}

void JsonTree::position(std::uint32_t offset, std::uint32_t& line, std::uint32_t& column) const {
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < source_.size(); ++i) {
      if (source_[i] == '\n') line_starts_.push_back(static_cast<std::uint32_t>(i + 1));
    }
  }
  // Readers ask in nearly ascending order: walk on from the last answer, search otherwise.
  std::size_t index = last_line_;
  if (offset >= line_starts_[index]) {
    std::size_t steps = 0;
    while (index + 1 < line_starts_.size() && line_starts_[index + 1] <= offset && ++steps < 16) ++index;
    if (index + 1 < line_starts_.size() && line_starts_[index + 1] <= offset) {
      index = static_cast<std::size_t>(std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) -
                                       line_starts_.begin()) - 1;
    }
  } else {
    index = static_cast<std::size_t>(std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) -
                                     line_starts_.begin()) - 1;
  }
  last_line_ = index;
  line = static_cast<std::uint32_t>(index + 1);
  column = offset - line_starts_[index] + 1;
}

}  // namespace onedoor::fhir
