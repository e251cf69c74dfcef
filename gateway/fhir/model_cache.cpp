// The pre-parsed model cache: one line per type ("T ...") and one per element ("E ...", after
// its type). Reading it takes a few milliseconds where rebuilding from the package takes ~0.5 s.
#include <unistd.h>

#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

#include "fhir/model_builder.h"

namespace onedoor::fhir {
namespace {

constexpr std::string_view kMagic = "onedoor-model 3";

char kindChar(TypeKind k) {
  switch (k) {
    case TypeKind::kPrimitive: return 'P';
    case TypeKind::kComplex: return 'C';
    case TypeKind::kResource: return 'R';
    case TypeKind::kBackbone: return 'B';
  }
  return 'C';
}

// Splits `line` at `sep` into at most N fields without allocating; returns the field count
// (N + 1 when there were more).
template <std::size_t N>
std::size_t fields(std::string_view line, char sep, std::array<std::string_view, N>& out) {
  std::size_t n = 0;
  std::size_t start = 0;
  while (true) {
    auto pos = line.find(sep, start);
    if (n == N) return N + 1;
    out[n++] = line.substr(start, pos == std::string_view::npos ? pos : pos - start);
    if (pos == std::string_view::npos) return n;
    start = pos + 1;
  }
}

// The next line of `text` from `pos`, advancing `pos`; false at the end.
bool nextLine(std::string_view text, std::size_t& pos, std::string_view& line) {
  if (pos >= text.size()) return false;
  auto eol = text.find('\n', pos);
  if (eol == std::string_view::npos) eol = text.size();
  line = text.substr(pos, eol - pos);
  pos = eol + 1;
  return true;
}

std::string orDash(const std::string& s) { return s.empty() ? "-" : s; }
std::string unDash(std::string_view s) { return s == "-" ? std::string{} : std::string(s); }

std::string cacheKey(const std::filesystem::path& package_dir, const PackageRef& ref) {
  std::error_code ec;
  auto size = std::filesystem::file_size(package_dir / "package.json", ec);
  auto mtime = std::filesystem::last_write_time(package_dir, ec);
  return ref.id() + "|" + std::to_string(size) + "|" +
         std::to_string(mtime.time_since_epoch().count()) + "|" + package_dir.string();
}

core::Status corrupt() { return core::Status(core::Code::kNotFound, "model cache is corrupt"); }

}  // namespace

std::string writeModelCache(const Model& model, const std::string& key) {
  std::ostringstream out;
  out << kMagic << '\n' << key << '\n';
  for (const TypeInfo& t : model.allTypes()) {
    out << "T " << t.name << ' ' << kindChar(t.kind) << ' '
        << (t.json_kind == JsonKind::kBoolean ? 'B' : t.json_kind == JsonKind::kNumber ? 'N' : 'S')
        << ' ' << (t.abstract ? 1 : 0) << ' ' << (t.base ? t.base->name : "-") << ' '
        << orDash(t.system_type) << ' ' << orDash(t.url) << '\n';
  }
  for (const TypeInfo& t : model.allTypes()) {
    out << "O " << t.name << '\n';
    for (const ElementDef& e : t.elements) {
      std::string flags;
      if (e.choice) flags += 'c';
      if (e.xml_attr) flags += 'a';
      if (e.summary) flags += 's';
      if (e.modifier) flags += 'm';
      out << "E " << e.name << ' ' << e.min << ' '
          << (e.max == kUnbounded ? std::string("*") : std::to_string(e.max)) << ' '
          << orDash(flags) << ' ';
      for (std::size_t i = 0; i < e.types.size(); ++i) out << (i ? "," : "") << e.types[i]->name;
      if (e.types.empty()) out << '-';
      out << '\n';
    }
  }
  return out.str();
}

core::Result<std::unique_ptr<Model>> readModelCache(std::string_view text,
                                                    const std::string& key) {
  std::size_t pos = 0;
  std::string_view magic, stored_key, line;
  if (!nextLine(text, pos, magic) || !nextLine(text, pos, stored_key) || magic != kMagic ||
      stored_key != key) {
    return core::Status(core::Code::kNotFound, "model cache is stale");
  }
  auto model = std::make_unique<Model>();
  std::vector<std::pair<TypeInfo*, std::string>> bases;
  std::array<std::string_view, 8> f;
  std::size_t after_types = pos;
  while (nextLine(text, pos, line) && line.substr(0, 2) == "T ") {
    after_types = pos;
    if (fields(line, ' ', f) != 8) return corrupt();
    TypeInfo& t = model->add(std::string(f[1]));
    t.kind = f[2] == "P" ? TypeKind::kPrimitive
             : f[2] == "R" ? TypeKind::kResource
             : f[2] == "B" ? TypeKind::kBackbone
                           : TypeKind::kComplex;
    t.json_kind = f[3] == "B" ? JsonKind::kBoolean : f[3] == "N" ? JsonKind::kNumber
                                                                 : JsonKind::kString;
    t.abstract = f[4] == "1";
    bases.emplace_back(&t, unDash(f[5]));
    t.system_type = unDash(f[6]);
    t.url = unDash(f[7]);
  }
  for (auto& [t, base] : bases) {
    if (!base.empty() && (t->base = model->type(base)) == nullptr) return corrupt();
  }
  TypeInfo* owner = nullptr;
  pos = after_types;
  std::array<std::string_view, 6> e;
  while (nextLine(text, pos, line)) {
    if (line.empty()) continue;
    if (line.substr(0, 2) == "O ") {
      owner = model->mutableType(line.substr(2));
      if (owner == nullptr) return corrupt();
      continue;
    }
    if (fields(line, ' ', e) != 6 || e[0] != "E" || owner == nullptr) return corrupt();
    const auto& f = e;
    ElementDef def;
    def.name = std::string(f[1]);
    auto number = [](std::string_view t, std::uint32_t& out) {
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
      return ec == std::errc() && p == t.data() + t.size();
    };
    if (!number(f[2], def.min)) return corrupt();
    if (f[3] == "*") {
      def.max = kUnbounded;
    } else if (!number(f[3], def.max)) {
      return corrupt();
    }
    def.choice = f[4].find('c') != std::string_view::npos;
    def.xml_attr = f[4].find('a') != std::string_view::npos;
    def.summary = f[4].find('s') != std::string_view::npos;
    def.modifier = f[4].find('m') != std::string_view::npos;
    def.order = static_cast<std::uint16_t>(owner->elements.size());
    if (f[5] != "-") {
      std::string_view list = f[5];
      while (!list.empty()) {
        auto comma = list.find(',');
        const TypeInfo* t = model->type(list.substr(0, comma));
        if (t == nullptr) return corrupt();
        def.types.push_back(t);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    }
    owner->elements.push_back(std::move(def));
  }
  return model;
}

core::Result<ModelPtr> loadModel(const PackageCache& packages, const PackageRef& ref,
                                 const std::filesystem::path& cache_dir) {
  GW_ASSIGN_OR_RETURN(std::filesystem::path dir, packages.locate(ref));
  std::string key = cacheKey(dir, ref);
  std::filesystem::path cache_file = cache_dir / ("model-" + ref.id() + ".txt");
  {
    std::ifstream in(cache_file, std::ios::binary);
    if (in) {
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto cached = readModelCache(text, key);
      if (cached.isOk()) {
        cached.value()->setPackageId(ref.id());
        return ModelPtr(std::move(cached).value());
      }
    }
  }
  GW_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, buildModel(dir));
  model->setPackageId(ref.id());
  std::error_code ec;
  std::filesystem::create_directories(cache_dir, ec);
  std::filesystem::path tmp = cache_file;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << writeModelCache(*model, key);
  }
  std::filesystem::rename(tmp, cache_file, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return ModelPtr(std::move(model));
}

}  // namespace onedoor::fhir
