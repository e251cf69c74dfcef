#include "core/pipeline.h"

namespace onedoor::core {

Status StageRegistry::add(const std::string& name, Factory factory) {
  if (!factories_.emplace(name, std::move(factory)).second) {
    return internal("stage '" + name + "' is registered twice");
  }
  return Status::ok();
}

Result<std::unique_ptr<Stage>> StageRegistry::make(const std::string& name) const {
  auto it = factories_.find(name);
  if (it == factories_.end()) return internal("no stage named '" + name + "'");
  return it->second();
}

Result<Pipeline> Pipeline::build(const StageRegistry& registry,
                                 const std::vector<std::string>& order) {
  std::vector<std::unique_ptr<Stage>> stages;
  for (const auto& name : order) {
    GW_ASSIGN_OR_RETURN(auto stage, registry.make(name));
    stages.push_back(std::move(stage));
  }
  return Pipeline(std::move(stages));
}

std::vector<std::string> Pipeline::names() const {
  std::vector<std::string> out;
  for (const auto& s : stages_) out.emplace_back(s->name());
  return out;
}

namespace {

template <typename F>
Status guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return internal(std::string("unexpected failure: ") + e.what());
  }
}

}  // namespace

void Pipeline::run(Exchange& exchange) const {
  std::size_t reached = 0;
  bool stopped = false;
  for (; reached < stages_.size(); ++reached) {
    Stage& stage = *stages_[reached];
    Flow flow = Flow::kContinue;
    Status st = guarded([&] {
      auto r = stage.run(exchange);
      if (!r.isOk()) return r.status();
      flow = *r;
      return Status::ok();
    });
    if (!st.isOk()) {
      exchange.fail(st);
      flow = Flow::kRespond;
    }
    if (flow == Flow::kContinue) continue;
    if (flow == Flow::kStop) stopped = true;
    ++reached;
    break;
  }
  if (!stopped) {
    for (std::size_t i = reached; i-- > 0;) {
      Status st = guarded([&] { return stages_[i]->respond(exchange); });
      if (!st.isOk()) exchange.fail(st);
    }
  }
  // Stages that always run and were skipped (audit after an early response).
  for (std::size_t i = reached; i < stages_.size(); ++i) {
    if (!stages_[i]->always()) continue;
    Status st = guarded([&] {
      auto r = stages_[i]->run(exchange);
      return r.status();
    });
    if (!st.isOk()) exchange.fail(st);
  }
  if (exchange.response.status == 0) {
    exchange.fail(internal("no stage produced a response"));
  }
}

}  // namespace onedoor::core
