#include "fhir/definitions.h"

#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "fhir/codec.h"

namespace onedoor::fhir {
namespace {

constexpr std::string_view kMagic = "onedoor-definitions 2";

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string str(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

std::string cacheKey(const std::vector<std::filesystem::path>& dirs) {
  std::string key;
  for (const auto& d : dirs) {
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(d, ec);
    key += d.string() + "@" + std::to_string(mtime.time_since_epoch().count()) + ";";
  }
  return key;
}

}  // namespace

core::Result<std::shared_ptr<const DefinitionIndex>> DefinitionIndex::load(
    ModelPtr model, const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& cache_dir) {
  auto index = std::make_shared<DefinitionIndex>();
  index->model_ = std::move(model);
  std::string key = cacheKey(dirs);
  std::filesystem::path cache_file = cache_dir / "definitions-index.txt";
  {
    std::ifstream in(cache_file);
    std::string line;
    if (in && std::getline(in, line) && line == kMagic && std::getline(in, line) && line == key) {
      while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::size_t start = 0;
        while (true) {
          auto tab = line.find('\t', start);
          f.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
          if (tab == std::string::npos) break;
          start = tab + 1;
        }
        if (f.size() != 6) break;
        index->by_url_.emplace(f[2], Entry{f[0], f[1], f[2], f[3], f[4], f[5]});
      }
      if (!index->by_url_.empty()) return std::shared_ptr<const DefinitionIndex>(index);
    }
  }
  for (const auto& dir : dirs) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".json" && e.path().filename() != "package.json" &&
          e.path().filename().string()[0] != '.') {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string text = readFile(f);
      rapidjson::Document doc;
      doc.Parse(text.c_str(), text.size());
      if (doc.HasParseError() || !doc.IsObject()) continue;
      std::string url = str(doc, "url");
      if (url.empty()) continue;
      index->by_url_.emplace(url, Entry{str(doc, "resourceType"), str(doc, "id"), url, str(doc, "version"), f,
                                        str(doc, "baseDefinition")});
    }
  }
  {
    std::error_code ec;
    std::filesystem::create_directories(cache_dir, ec);
  }
  std::filesystem::path tmp = cache_file;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << kMagic << '\n' << key << '\n';
    for (const auto& [url, e] : index->by_url_) {
      out << e.type << '\t' << e.id << '\t' << e.url << '\t' << e.version << '\t' << e.file.string() << '\t'
          << e.base << '\n';
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, cache_file, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return std::shared_ptr<const DefinitionIndex>(index);
}

std::shared_ptr<DefinitionIndex> DefinitionIndex::layer(std::shared_ptr<const DefinitionIndex> base) {
  auto index = std::make_shared<DefinitionIndex>();
  index->model_ = base->model_;
  index->base_ = std::move(base);
  return index;
}

const DefinitionIndex::Entry* DefinitionIndex::find(std::string_view url) const {
  const Entry* own = findOwn(url);
  if (own == nullptr && base_ != nullptr) return base_->find(url);
  return own;
}

const DefinitionIndex::Entry* DefinitionIndex::findOwn(std::string_view url) const {
  if (auto bar = url.find('|'); bar != std::string_view::npos) {
    // url|version: that version, or (as for semantic versions) the latest whose version
    // starts with "version." ("|0.2" finds 0.2.1).
    std::string_view base = url.substr(0, bar), version = url.substr(bar + 1);
    auto it = by_url_.find(base);
    if (it == by_url_.end()) return nullptr;
    if (it->second.version.empty() || it->second.version == version) return &it->second;
    auto all = versions_.find(base);
    if (all == versions_.end()) return nullptr;
    const Entry* best = nullptr;
    for (const auto& e : all->second) {
      if (e.version == version) return &e;
      if (e.version.size() > version.size() && e.version.compare(0, version.size(), version) == 0 &&
          e.version[version.size()] == '.') {
        best = &e;
      }
    }
    return best;
  }
  auto it = by_url_.find(url);
  return it == by_url_.end() ? nullptr : &it->second;
}

std::vector<const DefinitionIndex::Entry*> DefinitionIndex::ofType(std::string_view type, bool own_only) const {
  std::vector<const Entry*> out;
  for (const auto& [url, e] : by_url_) {
    if (e.type == type) out.push_back(&e);
  }
  if (base_ != nullptr && !own_only) {
    for (const Entry* e : base_->ofType(type)) {
      if (by_url_.find(e->url) == by_url_.end()) out.push_back(e);
    }
  }
  return out;
}

core::Result<std::shared_ptr<const Node>> DefinitionIndex::resource(std::string_view url) const {
  const Entry* e = findOwn(url);
  if (e == nullptr && base_ != nullptr) return base_->resource(url);
  if (e == nullptr) return core::Status(core::Code::kNotFound, "no definition with URL " + std::string(url));
  {
    std::lock_guard lock(mu_);
    if (auto it = parsed_.find(e->url + "|" + e->version); it != parsed_.end()) return it->second;
  }
  std::string text = readFile(e->file);
  ReadResult r = readJson(*model_, text, {});
  if (!r.ok()) {
    return core::internal("definition " + e->file.string() + " does not parse: " + r.issues.front().message);
  }
  auto node = std::make_shared<const Node>(std::move(r.resource));
  std::lock_guard lock(mu_);
  parsed_.emplace(e->url + "|" + e->version, node);
  return node;
}

void DefinitionIndex::add(const Entry& entry, std::shared_ptr<const Node> resource) {
  by_url_[entry.url] = entry;
  auto& versions = versions_[entry.url];
  versions.push_back(entry);
  std::lock_guard lock(mu_);
  parsed_[entry.url + "|" + entry.version] = std::move(resource);
}

void DefinitionIndex::add(Node resource, const std::filesystem::path& file) {
  if (resource.type == nullptr) return;
  if (resource.type->name == "Bundle") {
    for (const Node* entry : resource.childrenNamed("entry")) {
      if (const Node* r = entry->child("resource"); r != nullptr && r->type != nullptr) {
        Node root = *r;
        root.name = r->type->name;
        root.def = nullptr;
        add(std::move(root), file);
      }
    }
    return;
  }
  std::string url(resource.childValue("url"));
  if (url.empty()) return;
  Entry entry{resource.type->name, std::string(resource.childValue("id")), url,
              std::string(resource.childValue("version")), file, std::string(resource.childValue("baseDefinition"))};
  add(entry, std::make_shared<const Node>(std::move(resource)));
}

core::Status DefinitionIndex::addFile(const std::filesystem::path& file, std::uint32_t* line,
                                      std::uint32_t* column) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return core::Status(core::Code::kNotFound, "cannot read the file");
  std::string text = readFile(file);
  ReadResult r = read(*model_, sniffFormat(text), text, {});
  if (!r.ok()) {
    const core::Issue& i = r.issues.front();
    if (line != nullptr) *line = i.line;
    if (column != nullptr) *column = i.column;
    return core::invalid(i.message + (i.expression.empty() ? "" : " at " + i.expression));
  }
  add(std::move(r.resource), file);
  return core::Status::ok();
}

}  // namespace onedoor::fhir
