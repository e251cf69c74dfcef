#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>
#include <thread>

#include "storage/sql_store.h"
#include "support/test_support.h"

using namespace onedoor;
using storage::ResourceRecord;

namespace {

ResourceRecord rec(const std::string& id, std::int64_t version, const std::string& body) {
  ResourceRecord r;
  r.type = "Patient";
  r.id = id;
  r.version = version;
  r.last_updated = "2026-01-01T00:00:00.000Z";
  r.last_updated_ms = 1767225600000 + version;
  r.method = version == 1 ? "POST" : "PUT";
  r.json = body;
  return r;
}

struct StoreFixture {
  testing::TempDir dir;
  std::unique_ptr<storage::Store> store;
  StoreFixture() {
    auto s = storage::openSqliteStore((dir.path() / "t.db").string(), {});
    BOOST_REQUIRE_MESSAGE(s.isOk(), s.status().toString());
    store = std::move(s).value();
  }
  // 16 threads write 20 Patients each at once (so that units share group commits); every fifth
  // unit fails before it writes. How many succeeded, and how many failed with their own error.
  std::pair<int, int> sixteenWriters(const std::string& prefix, storage::WriteMode mode) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    std::atomic<int> own_error{0};
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 20; ++i) {
          std::string id = prefix + std::to_string(t) + "-" + std::to_string(i);
          auto st = store->write(
              [&](storage::WriteTx& tx) {
                if (i % 5 == 4) return core::invalid("planned failure");
                auto r = rec(id, 1, "{}");
                return tx.put(r, {});
              },
              mode);
          if (st.isOk()) ++ok;
          if (st.code() == core::Code::kInvalid) ++own_error;
        }
      });
    }
    for (auto& th : threads) th.join();
    return {ok.load(), own_error.load()};
  }
  // Patient versions in the store.
  std::int64_t patients() {
    storage::HistoryQuery q;
    q.type = "Patient";
    q.count = 1000;
    auto page = store->history(q);
    BOOST_REQUIRE(page.isOk());
    return page->total;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(SqlStore, StoreFixture)

BOOST_AUTO_TEST_CASE(keeps_every_version_and_reads_the_current_one) {
  for (int v = 1; v <= 3; ++v) {
    auto st = store->write([&](storage::WriteTx& tx) {
      auto r = rec("a", v, "{\"v\":" + std::to_string(v) + "}");
      return tx.put(r, {});
    });
    BOOST_REQUIRE(st.isOk());
  }
  auto cur = store->read("Patient", "a");
  BOOST_REQUIRE(cur.isOk() && cur->has_value());
  BOOST_CHECK_EQUAL((*cur)->version, 3);
  BOOST_CHECK_EQUAL((*cur)->json, "{\"v\":3}");
  auto v2 = store->vread("Patient", "a", 2);
  BOOST_REQUIRE(v2.isOk() && v2->has_value());
  BOOST_CHECK_EQUAL((*v2)->json, "{\"v\":2}");
  BOOST_CHECK(!store->vread("Patient", "a", 9)->has_value());
  BOOST_CHECK(!store->read("Patient", "zz")->has_value());
}

BOOST_AUTO_TEST_CASE(refuses_a_version_that_skips_or_repeats) {
  BOOST_REQUIRE(store->write([&](storage::WriteTx& tx) { auto r = rec("b", 1, "{}"); return tx.put(r, {}); }).isOk());
  auto st = store->write([&](storage::WriteTx& tx) { auto r = rec("b", 1, "{}"); return tx.put(r, {}); });
  BOOST_CHECK(st.code() == core::Code::kConflict);
}

BOOST_AUTO_TEST_CASE(a_failing_unit_leaves_nothing_behind) {
  auto st = store->write([&](storage::WriteTx& tx) {
    auto r = rec("c", 1, "{}");
    GW_RETURN_IF_ERROR(tx.put(r, {}));
    return core::invalid("second step failed");
  });
  BOOST_CHECK(!st.isOk());
  BOOST_CHECK(!store->read("Patient", "c")->has_value());
}

BOOST_AUTO_TEST_CASE(concurrent_units_commit_independently) {
  auto [ok, failed] = sixteenWriters("t", storage::WriteMode::kAnyTime);
  BOOST_CHECK_EQUAL(ok, 16 * 16);
  BOOST_CHECK_EQUAL(failed, 16 * 4);
  BOOST_CHECK_EQUAL(patients(), 16 * 16);
}

BOOST_AUTO_TEST_CASE(checks_first_units_that_fail_before_writing_leave_the_others_alone) {
  auto [ok, failed] = sixteenWriters("k", storage::WriteMode::kChecksFirst);
  BOOST_CHECK_EQUAL(ok, 16 * 16);
  BOOST_CHECK_EQUAL(failed, 16 * 4);
  BOOST_CHECK_EQUAL(patients(), 16 * 16);
}

BOOST_AUTO_TEST_CASE(a_checks_first_unit_failing_after_writing_takes_its_group_commit_back) {
  // The first unit holds the writer while the next two queue up: they share the next commit.
  std::atomic<bool> queued{false};
  std::thread first([&] {
    auto st = store->write([&](storage::WriteTx& tx) {
      auto r = rec("held", 1, "{}");
      GW_RETURN_IF_ERROR(tx.put(r, {}));
      for (int i = 0; i < 200 && !queued.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return core::Status::ok();
    });
    BOOST_CHECK(st.isOk());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  core::Status broken, bystander;
  std::thread second([&] {
    broken = store->write(
        [&](storage::WriteTx& tx) {
          auto r = rec("half", 1, "{}");
          GW_RETURN_IF_ERROR(tx.put(r, {}));
          return core::internal("failed after writing");
        },
        storage::WriteMode::kChecksFirst);
  });
  std::thread third([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    queued = true;
    bystander = store->write([&](storage::WriteTx& tx) {
      auto r = rec("bystander", 1, "{}");
      return tx.put(r, {});
    });
  });
  first.join();
  second.join();
  third.join();
  BOOST_CHECK(broken.code() == core::Code::kInternal);
  BOOST_CHECK_MESSAGE(bystander.code() == core::Code::kUnavailable, bystander.toString());
  BOOST_CHECK(store->read("Patient", "held")->has_value());
  BOOST_CHECK(!store->read("Patient", "half")->has_value());
  BOOST_CHECK(!store->read("Patient", "bystander")->has_value());
  // The writer goes on as before.
  BOOST_CHECK(store->write([&](storage::WriteTx& tx) { auto r = rec("after", 1, "{}"); return tx.put(r, {}); }).isOk());
}

BOOST_AUTO_TEST_CASE(the_write_ahead_log_is_copied_back_into_the_database) {
  // ~8 MB of versions: the WAL passes the checkpoint threshold several times over; the
  // checkpoints copy it back into the database file.
  const std::string body = "{\"text\":\"" + std::string(2000, 'x') + "\"}";
  for (int batch = 0; batch < 40; ++batch) {
    BOOST_REQUIRE(store->write([&](storage::WriteTx& tx) -> core::Status {
      for (int i = 0; i < 100; ++i) {
        auto r = rec("w" + std::to_string(batch) + "-" + std::to_string(i), 1, body);
        GW_RETURN_IF_ERROR(tx.put(r, {}));
      }
      return core::Status::ok();
    }).isOk());
  }
  auto db = dir.path() / "t.db";
  std::uintmax_t size = 0;
  for (int i = 0; i < 100 && size < 4'000'000; ++i) {
    size = std::filesystem::file_size(db);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BOOST_CHECK_MESSAGE(size >= 4'000'000, "database file " << size << " bytes: the WAL was not checkpointed");
}

// The value indexes hold only rows with a value there (migration 009); search conditions on a
// value still use them.
BOOST_AUTO_TEST_CASE(value_conditions_use_the_partial_value_indexes) {
  auto planOf = [&](const std::string& condition, const storage::SqlParams& params) {
    auto rows = store->query("EXPLAIN QUERY PLAN SELECT res FROM search_index i WHERE i.rtype = 'Observation' AND "
                             "i.param = 'p' AND " + condition,
                             params);
    BOOST_REQUIRE(rows.isOk());
    std::string text;
    for (const auto& row : *rows) text += storage::asString(row.back()) + "\n";
    return text;
  };
  std::string code = planOf("i.s2 = ?", {std::string("8867-4")});
  BOOST_CHECK_MESSAGE(code.find("search_index_s2") != std::string::npos, code);
  std::string date = planOf("i.i1 <= ? AND i.i2 >= ?", {std::int64_t{5}, std::int64_t{1}});
  BOOST_CHECK_MESSAGE(date.find("search_index_i1") != std::string::npos, date);
  std::string number = planOf("i.n1 > ?", {100.0});
  BOOST_CHECK_MESSAGE(number.find("search_index_n1") != std::string::npos, number);
}

BOOST_AUTO_TEST_CASE(history_pages_by_cursor_newest_first) {
  for (int i = 0; i < 5; ++i) {
    BOOST_REQUIRE(store->write([&](storage::WriteTx& tx) { auto r = rec("h" + std::to_string(i), 1, "{}"); return tx.put(r, {}); }).isOk());
  }
  storage::HistoryQuery q;
  q.count = 2;
  auto p1 = store->history(q);
  BOOST_REQUIRE(p1.isOk());
  BOOST_CHECK_EQUAL(p1->records.size(), 2u);
  BOOST_CHECK(p1->more);
  BOOST_CHECK_EQUAL(p1->records[0].id, "h4");
  q.before_seq = p1->records.back().seq;
  auto p2 = store->history(q);
  BOOST_CHECK_EQUAL(p2->records[0].id, "h2");
  BOOST_CHECK_EQUAL(p2->total, 5);
}

BOOST_AUTO_TEST_CASE(data_survives_reopening) {
  BOOST_REQUIRE(store->write([&](storage::WriteTx& tx) { auto r = rec("d", 1, "{\"x\":1}"); return tx.put(r, {}); }).isOk());
  store.reset();
  auto again = storage::openSqliteStore((dir.path() / "t.db").string(), {});
  BOOST_REQUIRE(again.isOk());
  auto cur = (*again)->read("Patient", "d");
  BOOST_REQUIRE(cur.isOk() && cur->has_value());
  BOOST_CHECK_EQUAL((*cur)->json, "{\"x\":1}");
}

BOOST_AUTO_TEST_SUITE_END()

#include "storage/store_resolver.h"

BOOST_FIXTURE_TEST_SUITE(StoreResolver, StoreFixture)

BOOST_AUTO_TEST_CASE(resolve_reaches_current_versions_in_the_store) {
  std::shared_ptr<storage::Store> shared = std::move(store);
  BOOST_REQUIRE(shared->write([&](storage::WriteTx& tx) {
    auto r = rec("r1", 1, R"({"resourceType":"Patient","id":"r1","gender":"female"})");
    return tx.put(r, {});
  }).isOk());
  auto resolve = storage::storeResolver(shared, testing::modelPtr());
  auto hit = resolve("Patient/r1");
  BOOST_REQUIRE(hit.has_value());
  BOOST_CHECK_EQUAL(hit->childValue("gender"), "female");
  BOOST_CHECK(resolve("http://elsewhere/fhir/Patient/r1").has_value());
  BOOST_CHECK(!resolve("Patient/none").has_value());
  BOOST_CHECK(!resolve("not a reference").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(Ids)

BOOST_AUTO_TEST_CASE(new_ids_are_version_7_uuids_in_time_order) {
  auto env = core::Env::real();
  std::set<std::string> seen;
  std::string previous_ms;
  for (int i = 0; i < 20000; ++i) {
    std::string id = env->uuid();
    BOOST_REQUIRE_EQUAL(id.size(), 36u);
    BOOST_CHECK_EQUAL(id[14], '7');                            // version
    BOOST_CHECK(std::string("89ab").find(id[19]) != std::string::npos);  // RFC 9562 variant
    BOOST_CHECK(seen.insert(id).second);                       // never twice
    // The first 48 bits are the Unix milliseconds: they never go back.
    std::string ms = id.substr(0, 8) + id.substr(9, 4);
    BOOST_CHECK(ms >= previous_ms);
    previous_ms = ms;
  }
  auto now_ms = core::epochMillis(env->now());
  auto id_ms = static_cast<std::int64_t>(std::stoull(previous_ms, nullptr, 16));
  BOOST_CHECK(id_ms <= now_ms && id_ms > now_ms - 60'000);
}

// Instants and HTTP dates are formatted by calendar arithmetic: the same text as the C library's
// gmtime_r and strftime, over leap days, year ends and the years up to 9999 (instants up to 2262,
// the end of the system clock's nanoseconds).
BOOST_AUTO_TEST_CASE(instants_and_http_dates_match_the_c_library) {
  std::vector<std::int64_t> samples = {0, 951782400123, 951868799999, 1709164800001, 1798761599999, 4107542400000,
                                       253402300799999};
  for (std::int64_t ms = 0; ms < 253402300799999; ms += 86'399'937'123LL / 7) samples.push_back(ms);
  for (std::int64_t ms : samples) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char date[64], http[64], expected[80];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(expected, sizeof expected, "%s.%03dZ", date, static_cast<int>(ms % 1000));
    std::strftime(http, sizeof http, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (ms < 9'000'000'000'000) {
      auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
      BOOST_CHECK_EQUAL(core::formatInstant(t), expected);
    }
    BOOST_CHECK_EQUAL(core::formatHttpDate(ms), http);
  }
}

BOOST_AUTO_TEST_SUITE_END()
