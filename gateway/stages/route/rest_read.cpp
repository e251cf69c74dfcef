// read, vread and history (https://hl7.org/fhir/R4/http.html#read).
#include <cctype>
#include <charconv>

#include "stages/route/bundle_builder.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {
namespace {

core::Status goneOrMissing(const std::optional<storage::ResourceRecord>& rec,
                           const std::string& what) {
  if (!rec) return core::Status(core::Code::kNotFound, what + " is not known");
  if (rec->deleted) return core::Status(core::Code::kGone, what + " has been deleted");
  return core::Status::ok();
}

// _since: a FHIR instant (full date, time and zone) as epoch milliseconds.
core::Result<std::int64_t> parseInstant(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char tz[16] = {};
  if (s.size() < 20 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) {
    return core::invalid("_since must be an instant such as 2026-01-31T09:00:00Z");
  }
  std::size_t pos = 19;
  double frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    std::size_t end = pos + 1;
    while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
    frac = std::atof(("0" + s.substr(pos, end - pos)).c_str());
    pos = end;
  }
  std::string zone = s.substr(pos);
  int offset_min = 0;
  if (zone == "Z") {
    offset_min = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' &&
             std::isdigit(static_cast<unsigned char>(zone[1])) && std::isdigit(static_cast<unsigned char>(zone[2])) &&
             std::isdigit(static_cast<unsigned char>(zone[4])) && std::isdigit(static_cast<unsigned char>(zone[5]))) {
    offset_min = std::stoi(zone.substr(1, 2)) * 60 + std::stoi(zone.substr(4, 2));
    if (zone[0] == '-') offset_min = -offset_min;
  } else {
    return core::invalid("_since needs a time zone (Z or +hh:mm)");
  }
  (void)tz;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::int64_t secs = static_cast<std::int64_t>(timegm(&tm)) - offset_min * 60;
  return secs * 1000 + static_cast<std::int64_t>(frac * 1000);
}

core::Result<std::uint32_t> parseCount(const std::optional<std::string>& v, const RestConfig& cfg) {
  if (!v) return cfg.default_count;
  std::uint32_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size()) {
    return core::invalid("_count must be a non-negative integer");
  }
  return std::min(n, cfg.max_count);
}

}  // namespace

void RestEngine::read(core::Exchange& ex) const {
  auto rec = store_->read(ex.fhir.type, ex.fhir.id);
  if (!rec.isOk()) return ex.fail(rec.status());
  core::Status st = goneOrMissing(*rec, ex.fhir.type + "/" + ex.fhir.id);
  if (!st.isOk()) return ex.fail(st);
  if (auto inm = ex.request.headers.get("if-none-match")) {
    if (versionFromEtag(*inm) == (*rec)->version) {
      ex.response.status = 304;
      ex.response.headers.set("ETag", etagFor((*rec)->version));
      return;
    }
  }
  respondWithRecord(ex, **rec);
  // A Patient merged into another says where it went: its link, and a Link header to follow.
  if (ex.fhir.type == "Patient" && identity::mayBeReplaced((*rec)->json)) {
    auto node = parseStored(*model_, (*rec)->json);
    if (node.isOk()) {
      std::string to = identity::replacedBy(*node);
      if (!to.empty()) ex.response.headers.set("Link", "<" + config_.base_url + "/Patient/" + to + ">; rel=\"replaced-by\"");
    }
  }
}

void RestEngine::vread(core::Exchange& ex) const {
  std::int64_t version = 0;
  auto [p, ec] = std::from_chars(ex.fhir.vid.data(), ex.fhir.vid.data() + ex.fhir.vid.size(), version);
  if (ec != std::errc() || p != ex.fhir.vid.data() + ex.fhir.vid.size()) {
    return ex.fail(core::Status(core::Code::kNotFound, "version ids on this server are numbers"));
  }
  auto rec = store_->vread(ex.fhir.type, ex.fhir.id, version);
  if (!rec.isOk()) return ex.fail(rec.status());
  core::Status st = goneOrMissing(*rec, ex.fhir.type + "/" + ex.fhir.id + " version " + ex.fhir.vid);
  if (!st.isOk()) return ex.fail(st);
  respondWithRecord(ex, **rec);
}

void RestEngine::history(core::Exchange& ex) const {
  storage::HistoryQuery q;
  q.type = ex.fhir.type;
  q.id = ex.fhir.id;
  if (auto since = ex.request.param("_since")) {
    auto ms = parseInstant(*since);
    if (!ms.isOk()) return ex.fail(ms.status());
    q.since_ms = *ms;
  }
  auto count = parseCount(ex.request.param("_count"), config_);
  if (!count.isOk()) return ex.fail(count.status());
  q.count = *count;
  if (auto cursor = ex.request.param("_cursor")) {
    auto [p, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), q.before_seq);
    if (ec != std::errc() || p != cursor->data() + cursor->size() || q.before_seq <= 0) {
      return ex.fail(core::invalid("_cursor is not a cursor this server gave out"));
    }
  }
  for (const auto& [k, v] : ex.request.query) {
    if (k != "_since" && k != "_count" && k != "_cursor" && k != "_format" && k != "_pretty" &&
        k != "_summary" && k != "_elements") {
      return ex.fail(core::invalid("unknown parameter '" + k + "' for history"));
    }
  }
  if (!q.id.empty()) {
    auto cur = store_->read(q.type, q.id);
    if (!cur.isOk()) return ex.fail(cur.status());
    if (!*cur) return ex.fail(core::Status(core::Code::kNotFound, q.type + "/" + q.id + " is not known"));
  }
  auto page = store_->history(q);
  if (!page.isOk()) return ex.fail(page.status());

  std::string path = config_.base_url;
  if (!q.type.empty()) path += "/" + q.type;
  if (!q.id.empty()) path += "/" + q.id;
  path += "/_history";
  std::string common = "_count=" + std::to_string(q.count);
  if (auto since = ex.request.param("_since")) common += "&_since=" + urlEncode(*since);
  BundleBuilder b(*model_, "history");
  b.total(page->total);
  b.link("self", path + "?" + common + (q.before_seq > 0 ? "&_cursor=" + std::to_string(q.before_seq) : ""));
  if (page->more && !page->records.empty()) {
    b.link("next", path + "?" + common + "&_cursor=" + std::to_string(page->records.back().seq));
  }
  for (const auto& rec : page->records) {
    core::Status st = b.historyEntry(rec, config_.base_url);
    if (!st.isOk()) return ex.fail(st);
  }
  ex.response.status = 200;
  ex.response.resource = b.take();
}

}  // namespace onedoor::stages::route
