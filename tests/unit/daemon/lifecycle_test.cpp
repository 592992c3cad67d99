#include <catch2/catch.hpp>

#include "config/config.h"
#include "status/lifecycle.h"

using fb::status::Decision;
using fb::status::Lifecycle;
using Kind = Decision::Kind;

TEST_CASE("the default life moves forward and absorbs in its terminal states") {
    fb::config::LifecycleConfig config;
    Lifecycle life(config);
    CHECK(life.decide("created", "accepted").kind == Kind::applied);
    CHECK(life.decide("accepted", "en_route").kind == Kind::applied);
    CHECK(life.decide("en_route", "arrived").kind == Kind::applied);
    CHECK(life.decide("arrived", "completed").kind == Kind::applied);
    CHECK(life.decide("arrived", "failed").kind == Kind::applied);
    // A platform that skips a step still moves the work order on.
    CHECK(life.decide("accepted", "completed").kind == Kind::applied);
    // Cancelled from any open state.
    for (auto from : {"created", "accepted", "en_route", "arrived"})
        CHECK(life.decide(from, "cancelled").kind == Kind::applied);
}

TEST_CASE("a late event after completion changes nothing and says why") {
    Lifecycle life{fb::config::LifecycleConfig{}};
    auto late = life.decide("completed", "en_route");
    CHECK(late.kind == Kind::late);
    CHECK_THAT(late.reason, Catch::Contains("en_route") && Catch::Contains("stays `completed`"));
    CHECK(life.decide("arrived", "arrived").kind == Kind::late);  // a repeat under a new id
}

TEST_CASE("terminal states refuse what would follow them, and unknown statuses are refused") {
    Lifecycle life{fb::config::LifecycleConfig{}};
    auto after = life.decide("completed", "cancelled");
    CHECK(after.kind == Kind::rejected);
    CHECK_THAT(after.reason, Catch::Contains("`completed` is terminal"));
    CHECK(life.decide("completed", "failed").kind == Kind::rejected);
    auto unknown = life.decide("accepted", "teleported");
    CHECK(unknown.kind == Kind::rejected);
    CHECK_THAT(unknown.reason, Catch::Contains("unknown status `teleported`") &&
                                   Catch::Contains("en_route"));
}

TEST_CASE("a flow's declared transitions are the only ones allowed") {
    auto config = fb::config::parse(R"(
flows:
  - name: install
    source: { type: webhook }
    mapping: x.yaml
    lifecycle:
      states: [created, scheduled, on_site, done, cancelled]
      terminal: [done, cancelled]
      transitions:
        created: [scheduled]
        scheduled: [on_site]
        on_site: [done]
        "*": [cancelled]
)", "t.yaml");
    Lifecycle life(config.flows.front().lifecycle);
    CHECK(life.decide("created", "scheduled").kind == Kind::applied);
    auto skip = life.decide("created", "done");
    CHECK(skip.kind == Kind::rejected);
    CHECK_THAT(skip.reason, Catch::Contains("`created` → `done` is not a transition"));
    CHECK(life.decide("on_site", "cancelled").kind == Kind::applied);
    CHECK(life.decide("done", "cancelled").kind == Kind::rejected);
}

TEST_CASE("lifecycle and writeback mistakes in the config name file, line and column") {
    auto bad = [](const std::string& flow_tail) {
        return "flows:\n  - name: d\n    source: { type: webhook }\n    mapping: x.yaml\n" + flow_tail;
    };
    CHECK_THROWS_WITH(fb::config::parse(bad("    lifecycle: { transitions: { created: [flying] } }\n"), "t.yaml"),
                      Catch::Contains("t.yaml:5") && Catch::Contains("unknown state `flying`"));
    CHECK_THROWS_WITH(fb::config::parse(bad("    writeback: { mapping: w.yaml, sink: { type: fax } }\n"), "t.yaml"),
                      Catch::Contains("unknown writeback sink type `fax`"));
    CHECK_THROWS_WITH(fb::config::parse(bad("    writeback: { mapping: w.yaml, on: [done], sink: { type: file_export, folder: out } }\n"), "t.yaml"),
                      Catch::Contains("writeback.on names unknown state `done`"));
    CHECK_THROWS_WITH(fb::config::parse(bad("    writeback: { mapping: w.yaml, sink: { type: file_export } }\n"), "t.yaml"),
                      Catch::Contains("missing required field `folder`"));
    CHECK_THROWS_WITH(fb::config::parse(bad("    writeback: { mapping: w.yaml, sink: { type: file_export, folder: o, charset: KLINGON-8 } }\n"), "t.yaml"),
                      Catch::Contains("charset `KLINGON-8` is not known"));
    auto ok = fb::config::parse(bad("    writeback:\n      mapping: [a.yaml, b.yaml]\n      sink: { type: file_export, folder: out, format: csv, charset: GBK }\n      retry: { initial: 2s, max: 1m, max_age: 2h }\n"), "t.yaml", "/etc/fb");
    const auto& w = ok.flows.front().writeback;
    CHECK(w.mappings == std::vector<std::string>{"/etc/fb/a.yaml", "/etc/fb/b.yaml"});
    CHECK(w.sink.folder == "/etc/fb/out");
    CHECK(w.backoff_initial == std::chrono::seconds(2));
    CHECK(w.max_age == std::chrono::hours(2));
    CHECK(w.on == std::vector<std::string>{"completed", "failed"});
}
