// The audit store: appends are chained and searchable; verify() walks the chain and the signed
// checkpoints, and names the first record that was altered, removed or inserted when someone
// with write access to the file drops the triggers and edits it.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <boost/test/unit_test.hpp>

#include <thread>

#include "stages/authenticate/keys.h"
#include "storage/audit_store.h"
#include "support/test_support.h"

using namespace onedoor;
using storage::AuditStore;
using Poco::Data::Keywords::now;

namespace {

struct AuditFixture {
  testing::TempDir dir;
  std::string path = (dir.path() / "audit.db").string();
  stages::authenticate::JwtKeyPtr key = *stages::authenticate::JwtKey::generateEc();

  storage::AuditStoreOptions options(std::uint32_t checkpoint_every = 10) {
    storage::AuditStoreOptions o;
    o.checkpoint_every = checkpoint_every;
    auto k = key;
    o.sign = [k](const std::string& bytes) { return k->signBytes(bytes); };
    o.verify = [k](const std::string& bytes, const std::string& sig) { return k->verifyBytes(bytes, sig); };
    return o;
  }

  std::unique_ptr<AuditStore> open(std::uint32_t checkpoint_every = 10) {
    auto s = AuditStore::openSqlite(path, options(checkpoint_every));
    BOOST_REQUIRE_MESSAGE(s.isOk(), s.status().toString());
    return std::move(s).value();
  }

  // Writes `n` records (patients p0..p4 in turn) and closes the store.
  void fill(int n, std::uint32_t checkpoint_every = 10) {
    auto s = open(checkpoint_every);
    for (int i = 1; i <= n; ++i) {
      storage::AuditFacts f;
      f.recorded_ms = 1'790'000'000'000 + i;
      f.partner = i % 2 ? "gp-riverside" : "council-adults";
      f.action = "R";
      f.outcome = "0";
      f.purpose = "TREAT";
      f.patients = {"Patient/p" + std::to_string(i % 5)};
      f.entities = {"CarePlan/cp" + std::to_string(i)};
      if (i % 3 == 0) f.labels = {"PSY"};
      auto seq = s->append(R"({"resourceType":"AuditEvent","id":"a)" + std::to_string(i) + R"("})", f);
      BOOST_REQUIRE(seq.isOk());
      BOOST_REQUIRE_EQUAL(*seq, i);
    }
  }

  // Runs SQL on the file as an attacker with write access would, triggers dropped first.
  void tamper(const std::string& sql) { testing::tamperSqlite(path, sql); }

  storage::AuditVerification verify() {
    auto s = open();
    auto v = s->verify();
    BOOST_REQUIRE(v.isOk());
    return *v;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(AuditStoreChain, AuditFixture)

BOOST_AUTO_TEST_CASE(an_untouched_log_verifies_with_signed_checkpoints) {
  fill(25);
  auto v = verify();
  BOOST_CHECK(v.ok);
  BOOST_CHECK_EQUAL(v.records, 25);
  BOOST_CHECK_GE(v.checkpoints, 3);  // at 10, 20 and on close (25)
}

BOOST_AUTO_TEST_CASE(the_store_refuses_updates_and_deletes) {
  fill(3);
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session s("SQLite", path);
  BOOST_CHECK_THROW((s << "UPDATE audit_event SET body = '{}' WHERE seq = 1", now), Poco::Exception);
  BOOST_CHECK_THROW((s << "DELETE FROM audit_event WHERE seq = 2", now), Poco::Exception);
  BOOST_CHECK(verify().ok);
}

BOOST_AUTO_TEST_CASE(an_altered_record_is_named) {
  fill(25);
  tamper("UPDATE audit_event SET body = replace(body, 'a7', 'a8') WHERE seq = 7");
  auto v = verify();
  BOOST_CHECK(!v.ok);
  BOOST_CHECK_EQUAL(v.first_bad_seq, 7);
  BOOST_CHECK(v.problem.find("altered") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_altered_record_with_a_recomputed_hash_is_caught_by_the_chain) {
  fill(25);
  std::string forged = R"({"resourceType":"AuditEvent","id":"a7x"})";
  // The attacker recomputes record 7's hash; record 8 still names the old one.
  Poco::Data::SQLite::Connector::registerConnector();
  std::string prev;
  {
    Poco::Data::Session s("SQLite", path);
    s << "SELECT prev_hash FROM audit_event WHERE seq = 7", Poco::Data::Keywords::into(prev), now;
  }
  tamper("UPDATE audit_event SET body = '" + forged + "', hash = '" + storage::auditHash(prev, 7, forged) +
         "' WHERE seq = 7");
  auto v = verify();
  BOOST_CHECK(!v.ok);
  BOOST_CHECK_EQUAL(v.first_bad_seq, 8);
  BOOST_CHECK(v.problem.find("does not chain") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_removed_record_is_named) {
  fill(25);
  tamper("DELETE FROM audit_event WHERE seq = 12");
  auto v = verify();
  BOOST_CHECK(!v.ok);
  BOOST_CHECK_EQUAL(v.first_bad_seq, 12);
  BOOST_CHECK(v.problem.find("removed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_inserted_record_is_named) {
  fill(25);
  // Make room after record 4 and insert a record that chains to it perfectly.
  Poco::Data::SQLite::Connector::registerConnector();
  std::string h4;
  {
    Poco::Data::Session s("SQLite", path);
    s << "SELECT hash FROM audit_event WHERE seq = 4", Poco::Data::Keywords::into(h4), now;
  }
  tamper("UPDATE audit_event SET seq = seq + 1000 WHERE seq > 4");
  tamper("UPDATE audit_event SET seq = seq - 999 WHERE seq > 1000");
  std::string body = R"({"resourceType":"AuditEvent","id":"forged"})";
  tamper("INSERT INTO audit_event (seq, recorded_ms, partner, action, outcome, purpose, break_glass, body, prev_hash, "
         "hash) VALUES (5, 0, 'x', 'R', '0', 'TREAT', 0, '" + body + "', '" + h4 + "', '" +
         storage::auditHash(h4, 5, body) + "')");
  auto v = verify();
  BOOST_CHECK(!v.ok);
  BOOST_CHECK_EQUAL(v.first_bad_seq, 6);  // the first record that no longer chains: right after the insert
  BOOST_TEST_MESSAGE(v.problem);
}

BOOST_AUTO_TEST_CASE(truncating_the_tail_is_caught_by_a_checkpoint) {
  fill(25);
  tamper("DELETE FROM audit_event WHERE seq > 22");
  auto v = verify();
  BOOST_CHECK(!v.ok);
  BOOST_CHECK_EQUAL(v.first_bad_seq, 23);
  BOOST_CHECK(v.problem.find("removed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_forged_checkpoint_signature_is_caught) {
  fill(25);
  tamper("UPDATE audit_checkpoint SET signature = 'AAAA' WHERE seq = 20");
  auto v = verify();
  BOOST_CHECK(!v.ok);
  BOOST_CHECK_EQUAL(v.first_bad_seq, 20);
  BOOST_CHECK(v.problem.find("signature") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(search_filters_by_patient_agent_entity_label_and_pages) {
  fill(25);
  auto s = open();
  storage::AuditQuery q;
  q.patient = "Patient/p1";
  auto r = s->search(q);
  BOOST_REQUIRE(r.isOk());
  BOOST_CHECK_EQUAL(r->size(), 5u);  // 1, 6, 11, 16, 21
  q.agent = "gp-riverside";
  BOOST_CHECK_EQUAL(s->search(q)->size(), 3u);  // the odd ones
  storage::AuditQuery psy;
  psy.label = "PSY";
  BOOST_CHECK_EQUAL(s->search(psy)->size(), 8u);
  storage::AuditQuery entity;
  entity.entity = "CarePlan/cp9";
  BOOST_REQUIRE_EQUAL(s->search(entity)->size(), 1u);
  BOOST_CHECK_EQUAL(s->search(entity)->front().seq, 9);
  storage::AuditQuery page;
  page.limit = 10;
  page.after_seq = 20;
  BOOST_CHECK_EQUAL(s->search(page)->size(), 5u);
}

BOOST_AUTO_TEST_CASE(concurrent_appends_are_all_durable_and_chained) {
  {
    auto s = open(1000);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&s, t] {
        for (int i = 0; i < 50; ++i) {
          storage::AuditFacts f;
          f.partner = "p" + std::to_string(t);
          f.action = "R";
          f.outcome = "0";
          BOOST_REQUIRE(s->append(R"({"t":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}", f).isOk());
        }
      });
    }
    for (auto& th : threads) th.join();
    BOOST_CHECK_EQUAL(s->head().first, 400);
  }
  auto v = verify();
  BOOST_CHECK(v.ok);
  BOOST_CHECK_EQUAL(v.records, 400);
}

BOOST_AUTO_TEST_SUITE_END()
