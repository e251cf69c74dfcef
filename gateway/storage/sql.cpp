#include "storage/sql.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include "storage/statement_cache.h"

namespace onedoor::storage {

using Poco::Data::Keywords::bind;
using Poco::Data::Keywords::use;

std::int64_t asInt(const SqlValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

std::string asString(const SqlValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  return {};
}

bool isNull(const SqlValue& v) { return std::holds_alternative<std::nullptr_t>(v); }

namespace {

void bindAll(Poco::Data::Statement& st, const SqlParams& params) {
  for (const auto& p : params) {
    if (const auto* i = std::get_if<std::int64_t>(&p)) {
      st, bind(static_cast<Poco::Int64>(*i));
    } else if (const auto* d = std::get_if<double>(&p)) {
      st, bind(*d);
    } else if (const auto* s = std::get_if<std::string>(&p)) {
      st, bind(*s);
    } else {
      st, use(Poco::Data::Keywords::null);
    }
  }
}

core::Status fromException(const Poco::Exception& e) {
  std::string text = e.displayText();
  bool busy = text.find("locked") != std::string::npos || text.find("busy") != std::string::npos;
  return core::Status(busy ? core::Code::kUnavailable : core::Code::kInternal,
                      "storage error: " + text);
}

}  // namespace

std::string Sql::text(std::string_view sql) const {
  if (dialect_ != Dialect::kPostgres) return std::string(sql);
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

core::Status Sql::exec(std::string_view sql, const SqlParams& params) {
  auto r = update(sql, params);
  return r.status();
}

core::Result<std::size_t> Sql::update(std::string_view sql, const SqlParams& params) {
  if (cache_ != nullptr) {
    auto r = cache_->run(sql, params, nullptr);
    if (r.isOk() || r.status().code() != core::Code::kNotImplemented) return r;
  }
  try {
    Poco::Data::Statement st(session_);
    st << text(sql);
    bindAll(st, params);
    return st.execute();
  } catch (const Poco::Exception& e) {
    return fromException(e);
  } catch (const std::exception& e) {
    return core::internal(std::string("storage error: ") + e.what());
  }
}

core::Result<std::vector<SqlRow>> Sql::query(std::string_view sql, const SqlParams& params) {
  if (cache_ != nullptr) {
    std::vector<SqlRow> rows;
    auto r = cache_->run(sql, params, &rows);
    if (r.isOk()) return rows;
    if (r.status().code() != core::Code::kNotImplemented) return r.status();
  }
  try {
    Poco::Data::Statement st(session_);
    st << text(sql);
    bindAll(st, params);
    st.execute();
    Poco::Data::RecordSet rs(st);
    std::vector<SqlRow> rows;
    std::size_t cols = rs.columnCount();
    std::size_t n = rs.rowCount();
    rows.reserve(n);
    for (std::size_t r = 0; r < n; ++r) {
      SqlRow row;
      row.reserve(cols);
      for (std::size_t c = 0; c < cols; ++c) {
        const Poco::Dynamic::Var& v = rs.value(c, r);
        if (v.isEmpty()) {
          row.emplace_back(nullptr);
        } else if (v.isInteger()) {
          row.emplace_back(static_cast<std::int64_t>(v.convert<Poco::Int64>()));
        } else if (v.isNumeric()) {
          row.emplace_back(v.convert<double>());
        } else {
          row.emplace_back(v.convert<std::string>());
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  } catch (const Poco::Exception& e) {
    return fromException(e);
  } catch (const std::exception& e) {
    return core::internal(std::string("storage error: ") + e.what());
  }
}

}  // namespace onedoor::storage
