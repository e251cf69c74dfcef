// The outbox on a real SQLite store, without workers: which messages a claim takes, and when.
#include <boost/test/unit_test.hpp>

#include "stages/deliver/outbox.h"
#include "storage/sql_store.h"
#include "support/test_support.h"

using namespace onedoor;
using stages::deliver::Outbox;
using stages::deliver::OutboxEntry;

namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;

struct OutboxFixture {
  testing::TempDir dir;
  std::shared_ptr<storage::Store> store;
  std::unique_ptr<Outbox> outbox;
  OutboxFixture() {
    auto s = storage::openSqliteStore((dir.path() / "o.db").string(), {});
    BOOST_REQUIRE_MESSAGE(s.isOk(), s.status().toString());
    store = std::shared_ptr<storage::Store>(std::move(s).value());
    outbox = std::make_unique<Outbox>(store);
  }
  // A message to partner "ward" about `patient`, due at `due`.
  static OutboxEntry entry(const std::string& message_id, const std::string& patient, std::int64_t due) {
    OutboxEntry e;
    e.destination = "ward";
    e.ordering_key = patient;
    e.message_id = message_id;
    e.event = "test";
    e.source = "gp|" + message_id;
    e.content_type = "application/fhir+json";
    e.body = "{}";
    e.next_attempt_ms = due;
    e.created_ms = due;
    return e;
  }
  std::int64_t add(const std::string& message_id, const std::string& patient, std::int64_t due) {
    OutboxEntry e = entry(message_id, patient, due);
    BOOST_REQUIRE(store->write([&](storage::WriteTx& tx) { return stages::deliver::enqueue(tx, e).status(); }).isOk());
    auto rows = outbox->list("pending", "ward", 100);
    BOOST_REQUIRE(rows.isOk());
    for (const auto& r : *rows) {
      if (r.message_id == message_id) return r.id;
    }
    BOOST_FAIL("not enqueued: " + message_id);
    return 0;
  }
  OutboxEntry get(std::int64_t id) {
    auto e = outbox->get(id);
    BOOST_REQUIRE(e.isOk() && e->has_value());
    return **e;
  }
  std::vector<std::string> claim(std::int64_t now) {
    auto c = outbox->claim("test", now, 60'000, 100);
    BOOST_REQUIRE(c.isOk());
    std::vector<std::string> ids;
    for (const auto& e : *c) ids.push_back(e.message_id);
    return ids;
  }
};

using Outcome = Outbox::Outcome;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(OutboxClaims, OutboxFixture)

// A message that failed waits for its back-off; the ones behind it for the same patient are held
// until it has gone (not due before it), so claims meanwhile walk neither; another patient's go on.
BOOST_AUTO_TEST_CASE(messages_behind_a_failing_one_wait_for_it) {
  using stages::deliver::kHeldBehind;
  std::int64_t a = add("a", "Patient/1", kNow);
  BOOST_REQUIRE(claim(kNow) == std::vector<std::string>{"a"});
  const std::int64_t retry_at = kNow + 60'000;
  BOOST_REQUIRE(outbox->settle({{a, Outcome::Kind::kRetry, 1, retry_at, "HTTP 503"}}).isOk());
  std::int64_t b = add("b", "Patient/1", kNow + 10);       // behind a
  std::int64_t b2 = add("b2", "Patient/1", kNow + 11);     // behind b
  std::int64_t c = add("c", "Patient/2", kNow + 10);       // someone else
  BOOST_CHECK_EQUAL(get(b).next_attempt_ms, kHeldBehind);
  BOOST_CHECK_EQUAL(get(c).next_attempt_ms, kNow + 10);
  BOOST_CHECK(claim(kNow + 20) == std::vector<std::string>{"c"});
  // A message behind one in flight is held too; it stays held when that one fails.
  std::int64_t d = add("d", "Patient/2", kNow + 30);
  BOOST_CHECK_EQUAL(get(d).next_attempt_ms, kHeldBehind);
  BOOST_REQUIRE(outbox->settle({{c, Outcome::Kind::kRetry, 1, kNow + 90'000, "timeout"}}).isOk());
  BOOST_CHECK_EQUAL(get(d).next_attempt_ms, kHeldBehind);
  // When a is due again, a goes first (b still waits for it); once a is delivered b is due, and
  // b2 still waits for b.
  BOOST_CHECK(claim(retry_at) == std::vector<std::string>{"a"});
  BOOST_REQUIRE(outbox->settle({{a, Outcome::Kind::kDelivered, 2, retry_at + 5, ""}}).isOk());
  BOOST_CHECK_EQUAL(get(b).next_attempt_ms, retry_at + 5);
  BOOST_CHECK_EQUAL(get(b2).next_attempt_ms, kHeldBehind);
  BOOST_CHECK(claim(retry_at + 10) == std::vector<std::string>{"b"});
  // A dead letter lets the one behind it go.
  BOOST_REQUIRE(outbox->settle({{b, Outcome::Kind::kDead, 5, retry_at + 20, "HTTP 400"}}).isOk());
  BOOST_CHECK(claim(retry_at + 30) == std::vector<std::string>{"b2"});
}

// A patient's long queue costs a claim nothing: the messages behind the first are not due, and
// the claim reads only due messages (a_claim_reads_only_due_messages); each goes when the one
// ahead of it has been delivered, in order.
BOOST_AUTO_TEST_CASE(a_long_queue_for_one_patient_goes_one_by_one_in_order) {
  for (int i = 0; i < 200; ++i) add("q" + std::to_string(i), "Patient/7", kNow);
  auto due = store->query("SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND next_attempt_ms <= ?", {kNow});
  BOOST_REQUIRE(due.isOk());
  BOOST_CHECK_EQUAL(storage::asInt(due->front()[0]), 1);
  for (int i = 0; i < 200; ++i) {
    auto c = outbox->claim("test", kNow + i, 60'000, 100);
    BOOST_REQUIRE(c.isOk());
    BOOST_REQUIRE_EQUAL(c->size(), 1u);
    BOOST_REQUIRE_EQUAL(c->front().message_id, "q" + std::to_string(i));
    BOOST_REQUIRE(outbox->settle({{c->front().id, Outcome::Kind::kDelivered, 1, kNow + i, ""}}).isOk());
  }
  BOOST_CHECK(claim(kNow + 1000).empty());
}

// An operator who discards the failing message lets the ones behind it go at once.
BOOST_AUTO_TEST_CASE(discarding_a_failing_message_releases_the_ones_behind_it) {
  std::int64_t a = add("a", "Patient/1", kNow);
  BOOST_REQUIRE(claim(kNow).size() == 1);
  BOOST_REQUIRE(outbox->settle({{a, Outcome::Kind::kRetry, 3, kNow + 600'000, "HTTP 500"}}).isOk());
  std::int64_t b = add("b", "Patient/1", kNow + 10);
  BOOST_CHECK(claim(kNow + 20).empty());
  BOOST_REQUIRE(outbox->discard(a, kNow + 30).isOk());
  BOOST_CHECK_EQUAL(get(b).next_attempt_ms, kNow + 30);
  BOOST_CHECK(claim(kNow + 40) == std::vector<std::string>{"b"});
  BOOST_CHECK_EQUAL(get(a).state, "discarded");
}

// A dead letter replayed while a later message for the same patient is being sent waits for that
// one to go (never two of a patient's messages in flight at once), then goes before the messages
// still waiting behind; replayed when nothing is in flight, it is due at once.
BOOST_AUTO_TEST_CASE(a_replayed_dead_letter_waits_for_the_message_in_flight_then_goes_first) {
  using stages::deliver::kHeldBehind;
  std::int64_t a = add("a", "Patient/1", kNow);
  std::int64_t b = add("b", "Patient/1", kNow);
  std::int64_t c = add("c", "Patient/1", kNow);
  BOOST_REQUIRE(claim(kNow) == std::vector<std::string>{"a"});
  BOOST_REQUIRE(outbox->settle({{a, Outcome::Kind::kDead, 5, kNow + 10, "HTTP 400"}}).isOk());
  BOOST_REQUIRE(claim(kNow + 20) == std::vector<std::string>{"b"});  // b in flight, leased for a minute
  BOOST_REQUIRE(outbox->replay(a, kNow + 30).isOk());
  BOOST_CHECK_EQUAL(get(a).next_attempt_ms, kNow + 20 + 60'000);
  BOOST_CHECK(claim(kNow + 40).empty());  // not a (b is in flight), not c (behind b)
  BOOST_REQUIRE(outbox->settle({{b, Outcome::Kind::kDelivered, 1, kNow + 50, ""}}).isOk());
  BOOST_CHECK_EQUAL(get(a).next_attempt_ms, kNow + 50);
  BOOST_CHECK_EQUAL(get(c).next_attempt_ms, kHeldBehind);
  BOOST_CHECK(claim(kNow + 60) == std::vector<std::string>{"a"});
  BOOST_REQUIRE(outbox->settle({{a, Outcome::Kind::kDelivered, 1, kNow + 70, ""}}).isOk());
  BOOST_CHECK(claim(kNow + 80) == std::vector<std::string>{"c"});
  // Nothing in flight: due at once.
  BOOST_REQUIRE(outbox->settle({{c, Outcome::Kind::kDead, 5, kNow + 90, "HTTP 400"}}).isOk());
  BOOST_REQUIRE(outbox->replay(c, kNow + 100).isOk());
  BOOST_CHECK_EQUAL(get(c).next_attempt_ms, kNow + 100);
  BOOST_CHECK(claim(kNow + 100) == std::vector<std::string>{"c"});
  BOOST_CHECK(!outbox->replay(b, kNow + 110).isOk());  // delivered: nothing to replay
}

// A message accepted here goes straight to this gateway's senders when it is first in its queue:
// enqueued under their lease (no claim takes it meanwhile); one behind it is left for a claim.
BOOST_AUTO_TEST_CASE(a_message_first_in_its_queue_is_leased_as_it_is_enqueued) {
  auto enqueue = [&](const std::string& message_id, const std::string& patient, const stages::deliver::Lease* lease) {
    OutboxEntry e = entry(message_id, patient, kNow);
    std::optional<OutboxEntry> taken;
    BOOST_REQUIRE(store->write([&](storage::WriteTx& tx) -> core::Status {
      GW_ASSIGN_OR_RETURN(taken, stages::deliver::enqueue(tx, e, lease));
      return core::Status::ok();
    }).isOk());
    return taken;
  };
  stages::deliver::Lease lease{"here#claim", kNow + 60'000};
  auto first = enqueue("a", "Patient/1", &lease);
  BOOST_REQUIRE(first);
  BOOST_CHECK_GT(first->id, 0);
  BOOST_CHECK_EQUAL(first->message_id, "a");
  BOOST_CHECK(!enqueue("b", "Patient/1", &lease));  // behind a: waits for a claim
  auto other = enqueue("c", "Patient/2", &lease);
  BOOST_CHECK(other);
  BOOST_CHECK(!enqueue("d", "Patient/3", nullptr));  // no lease: a claim takes it
  // Another gateway's claim takes neither leased message nor the one behind a.
  BOOST_CHECK(claim(kNow + 10) == std::vector<std::string>{"d"});
  BOOST_REQUIRE(outbox->settle({{first->id, Outcome::Kind::kDelivered, 1, kNow + 20, ""}}).isOk());
  BOOST_CHECK(claim(kNow + 30) == std::vector<std::string>{"b"});
}

// Gateways sharing the outbox: one that has stopped saying it is alive loses its leases to the
// others at the next heartbeat past its silence; one still alive keeps them; one that stops
// cleanly gives its leases back as it goes.
BOOST_AUTO_TEST_CASE(a_silent_gateways_leases_are_released_and_a_live_ones_kept) {
  const std::int64_t silent_ms = 1'000;
  BOOST_REQUIRE(outbox->heartbeat("gone", kNow, kNow, silent_ms).isOk());
  BOOST_REQUIRE(outbox->heartbeat("alive", kNow, kNow, silent_ms).isOk());
  add("a", "Patient/1", kNow);
  add("b", "Patient/2", kNow);
  add("c", "Patient/3", kNow);
  auto take = [&](const std::string& gateway, std::size_t n) {
    auto c = outbox->claim(Outbox::leaseOwner(gateway), kNow, 3'600'000, n);
    BOOST_REQUIRE(c.isOk());
    BOOST_REQUIRE_EQUAL(c->size(), n);
  };
  take("gone", 1);
  take("alive", 1);
  take("leaving", 1);
  // A gateway not yet beating for long enough to judge (silent_ms < 0) releases nothing.
  auto unjudged = outbox->heartbeat("alive", kNow, kNow + 1'500, -1);
  BOOST_REQUIRE(unjudged.isOk());
  BOOST_CHECK_EQUAL(*unjudged, 0u);
  BOOST_CHECK(claim(kNow + 1'500).empty());
  // "alive" beats on, "gone" is silent; before its silence is long enough nothing changes.
  auto early = outbox->heartbeat("alive", kNow, kNow + 900, silent_ms);
  BOOST_REQUIRE(early.isOk());
  BOOST_CHECK_EQUAL(*early, 0u);
  BOOST_CHECK(claim(kNow + 900).empty());
  auto late = outbox->heartbeat("alive", kNow, kNow + 1'500, silent_ms);
  BOOST_REQUIRE(late.isOk());
  BOOST_CHECK_EQUAL(*late, 1u);
  BOOST_CHECK(claim(kNow + 1'500) == std::vector<std::string>{"a"});
  // Stopping cleanly: its leases go back at once.
  BOOST_REQUIRE(outbox->leave("leaving").isOk());
  BOOST_CHECK(claim(kNow + 1'600) == std::vector<std::string>{"c"});
  auto gone = store->query("SELECT owner FROM gateway_instance ORDER BY owner");
  BOOST_REQUIRE(gone.isOk());
  BOOST_REQUIRE_EQUAL(gone->size(), 1u);  // "gone" forgotten; "leaving" left
  BOOST_CHECK_EQUAL(storage::asString(gone->front()[0]), "alive");
}

// The claim reads the index of due messages: a range up to now, not every pending row.
BOOST_AUTO_TEST_CASE(a_claim_reads_only_due_messages) {
  auto plan = store->query(
      "EXPLAIN QUERY PLAN SELECT id FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_ms <= ? AND "
      "o.lease_until_ms <= ? ORDER BY o.next_attempt_ms, o.id LIMIT 16",
      {kNow, kNow});
  BOOST_REQUIRE(plan.isOk());
  std::string text;
  for (const auto& row : *plan) text += storage::asString(row.back()) + "\n";
  BOOST_CHECK_MESSAGE(text.find("outbox_due (next_attempt_ms<?)") != std::string::npos, text);
  BOOST_CHECK_MESSAGE(text.find("TEMP B-TREE") == std::string::npos, "sorts: " + text);
}

BOOST_AUTO_TEST_SUITE_END()
