// onedoor outbox list|show|replay|discard --config FILE: the operator's view of deliveries.
#include <ctime>
#include <iomanip>
#include <iostream>

#include "app/cli_audit.h"
#include "app/cli_options.h"
#include "app/command.h"
#include "app/gateway.h"
#include "stages/deliver/outbox.h"

namespace onedoor::app {
namespace {

std::string when(std::int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Replaying or discarding a message is recorded in the audit log, as the operator's action.
core::Status recordOperatorAction(storage::AuditStore& audit, const std::string& action,
                                  const stages::deliver::OutboxEntry& m) {
  CliAction a{"delivery", "POST", "/outbox/" + std::to_string(m.id) + "/" + action, "outbox-" + action, {},
              {"urn:onedoor:outbox:" + std::to_string(m.id)}, "onedoor outbox (command line)"};
  if (m.ordering_key.rfind("Patient/", 0) == 0) a.patients.push_back(m.ordering_key);
  return recordCliAction(audit, a);
}

}  // namespace

int outboxCommand(const std::vector<std::string>& args) {
  CliOptions opts("outbox", "list|show ID|replay ID|discard ID --config FILE [--state S] [--destination P]",
                  "The messages the gateway has accepted for delivery to partners. 'list' shows them, newest first "
                  "(--state pending|delivered|dead|discarded, --destination PARTNER, --count N); 'show ID' prints "
                  "one with its body and last error; 'replay ID' sends a dead (or discarded) message again from its "
                  "first attempt; 'discard ID' stops a pending or dead one. Replays and discards are recorded in the "
                  "audit log. Works on a running gateway's store.");
  opts.value("config", "gateway configuration (JSON)", "FILE", true);
  opts.value("state", "only messages in this state", "STATE");
  opts.value("destination", "only messages to this partner", "PARTNER");
  opts.value("count", "at most this many (default 50)", "N");
  if (!opts.parse(args)) return opts.exitCode();
  const auto& pos = opts.positional();
  std::string what = pos.empty() ? "" : pos.front();
  bool needs_id = what == "show" || what == "replay" || what == "discard";
  if (!(what == "list" && pos.size() == 1) && !(needs_id && pos.size() == 2)) {
    std::cerr << "onedoor outbox: give list, or show|replay|discard with a message id\n";
    return 2;
  }
  std::int64_t id = 0;
  if (needs_id) {
    try {
      id = std::stoll(pos[1]);
    } catch (const std::exception&) {
      std::cerr << "onedoor outbox: '" << pos[1] << "' is not a message id\n";
      return 2;
    }
  }
  config::Diagnostics diags;
  auto cfg = config::loadGatewayConfig(opts.get("config"), diags);
  std::cerr << diags.toString();
  if (!cfg) return 1;
  auto store = openStore(*cfg);
  if (!store.isOk()) {
    std::cerr << "onedoor outbox: " << store.status().message() << "\n";
    return 1;
  }
  stages::deliver::Outbox outbox(std::shared_ptr<storage::Store>(std::move(store).value()));
  if (what == "list") {
    std::size_t count = 50;
    if (opts.has("count")) count = static_cast<std::size_t>(std::max(1, std::atoi(opts.get("count").c_str())));
    auto rows = outbox.list(opts.get("state"), opts.get("destination"), count);
    if (!rows.isOk()) {
      std::cerr << "onedoor outbox: " << rows.status().message() << "\n";
      return 1;
    }
    std::cout << std::left << std::setw(8) << "ID" << std::setw(11) << "STATE" << std::setw(22) << "DESTINATION"
              << std::setw(9) << "ATTEMPTS" << std::setw(22) << "CREATED" << "LAST ERROR\n";
    for (const auto& m : *rows) {
      std::cout << std::left << std::setw(8) << m.id << std::setw(11) << m.state << std::setw(22) << m.destination
                << std::setw(9) << m.attempts << std::setw(22) << when(m.created_ms) << m.last_error.substr(0, 80) << "\n";
    }
    return 0;
  }
  auto found = outbox.get(id);
  if (!found.isOk()) {
    std::cerr << "onedoor outbox: " << found.status().message() << "\n";
    return 1;
  }
  if (!*found) {
    std::cerr << "onedoor outbox: no message " << id << "\n";
    return 1;
  }
  const auto& m = **found;
  if (what == "show") {
    std::cout << "id: " << m.id << "\nstate: " << m.state << "\ndestination: " << m.destination
              << "\nmessage id: " << m.message_id << "\ncorrelation id: " << m.correlation_id << "\nevent: " << m.event << "\nfrom: " << m.source
              << "\nordering key: " << m.ordering_key << "\nattempts: " << m.attempts << "\ncreated: " << when(m.created_ms)
              << "\nnext attempt: "
              << (m.state == "pending" && m.next_attempt_ms >= stages::deliver::kHeldBehind
                      ? "after the message ahead of it (same destination and patient)"
                      : when(m.next_attempt_ms))
              << "\ndelivered: " << when(m.delivered_ms)
              << "\nlast error: " << m.last_error << "\ncontent type: " << m.content_type << "\n\n" << m.body << "\n";
    return 0;
  }
  std::int64_t now = core::epochMillis(std::chrono::system_clock::now());
  auto st = what == "replay" ? outbox.replay(id, now) : outbox.discard(id, now);
  if (!st.isOk()) {
    std::cerr << "onedoor outbox: " << st.message() << " (it is " << m.state << ")\n";
    return 1;
  }
  auto audit = openAuditStore(*cfg);
  if (!audit.isOk() || !recordOperatorAction(**audit, what, m).isOk()) {
    std::cerr << "onedoor outbox: done, but the audit log could not record it\n";
    return 1;
  }
  std::cout << (what == "replay" ? "replayed " : "discarded ") << id << " (to " << m.destination << ")\n";
  return 0;
}

}  // namespace onedoor::app
