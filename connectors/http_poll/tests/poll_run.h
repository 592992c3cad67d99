// What the tests of the ERPs-nobody-here-has-seen share: a state file and an embedded Kafka in a
// temp dir, a config written from the integrator's YAML, and waits on the committed cursor, the
// poll count and the work orders published (by document id), all by condition, never by time.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <string>

#include "harness.h"
#include "publish/kafka.h"
#include "store/database.h"
#include "support/eventually.h"
#include "support/state_query.h"
#include "support/temp_dir.h"
#include "support/source_dir.h"

namespace fb::testing {

struct PollRun {
    explicit PollRun(const std::string& name) : dir(name) {}
    fb::test::TempDir dir;
    fb::publish::EmbeddedCluster kafka{1, 1, {"fsm.work-orders", "fsm.dead-letter"}};
    std::string state = dir.str("state.db");

    // `flows` is the YAML under `flows:` (indented two spaces), as an integrator writes it.
    fb::config::Config config(const std::string& flows) const {
        auto yaml = "state: { path: " + state + ", synchronous: normal }\n"
                    "kafka: { brokers: \"" + kafka.bootstrap() + "\" }\n"
                    "http: { listen: 127.0.0.1:0 }\n"
                    "flows:\n" + flows;
        return fb::config::parse(yaml, "erp.yaml", FB_SOURCE_DIR);
    }
    // The committed cursor's `field` (id, time), "" before the first commit.
    std::string cursor(const std::string& field = "id") const { return fb::test::committed_cursor(state, field); }
    static std::int64_t metric(RunningApp& app, const std::string& series) {
        auto text = http_request(app.port(), "GET", "/metrics").body;
        auto at = text.find(series);
        if (at == std::string::npos) return 0;
        return std::stoll(text.substr(text.find(' ', at + series.size()) + 1));
    }
    // Once the cursor reached `last` and two more polls ran (re-reading the overlap): the work
    // orders published, counted by document id, and the last one of each.
    std::map<std::string, int> work_orders(RunningApp& app, const std::string& flow, const std::string& last,
                                           std::size_t expected, std::map<std::string, boost::json::value>* latest = nullptr) {
        REQUIRE(eventually([&] { return cursor() == last; }));
        const std::string polls = "fieldbridge_source_polls_total{flow=\"" + flow + "\"";
        auto p = metric(app, polls);
        REQUIRE(eventually([&] { return metric(app, polls) >= p + 2; }));
        std::map<std::string, int> out;
        for (const auto& m : consume_at_least(kafka.bootstrap(), "fsm.work-orders", expected)) {
            auto v = boost::json::parse(m.value);
            std::string id(v.at("source").at("document_id").as_string());
            ++out[id];
            if (latest) (*latest)[id] = v;
        }
        return out;
    }
};

}  // namespace fb::testing
