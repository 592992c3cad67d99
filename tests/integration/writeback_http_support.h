// Shared by the HTTP writeback tests: a daemon config with one flow writing back to an ERP
// simulator, the attempts of a writeback from the state file, and a state file's bytes.
#pragma once

#include <boost/json.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "erp_simulator.h"
#include "harness.h"
#include "loop_support.h"
#include "support/source_dir.h"

namespace fb::testing {

struct FlowYaml {
    std::string name = "delivery";
    std::string mapping = "mappings/generic-rest/shipment-to-delivery.yaml";
    std::string writeback = "mappings/generic-rest/delivery-completion.yaml";
    std::string verify;
    std::string sink;  // the body of `sink: { … }` after its type
    std::string type = "http";
    std::string extra;  // more writeback keys, each line indented by six spaces
    std::string text() const {
        return "  - name: " + name + "\n"
               "    source: { type: webhook }\n"
               "    mapping: " + mapping + "\n"
               "    writeback:\n"
               "      mapping: " + writeback + "\n" +
               (verify.empty() ? "" : "      verify: " + verify + "\n") +
               "      sink: { type: " + type + ", " + sink + " }\n"
               "      retry: { initial: 50ms, max: 400ms }\n" + extra;
    }
};

inline config::Config http_loop_config(const std::string& state, const std::vector<FlowYaml>& flows) {
    std::string text = "state: { path: " + state + ", synchronous: normal }\n"
                       "kafka: { brokers: embedded, embedded_brokers: 1, embedded_partitions: 3 }\n"
                       "http: { listen: 127.0.0.1:0 }\n"
                       "flows:\n";
    for (const auto& f : flows) text += f.text();
    return config::parse(text, "writeback-http.yaml", FB_SOURCE_DIR);
}

inline std::string shipment_doc(const std::string& doc_no, std::int64_t odoo_id = 0) {
    auto v = boost::json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    v["DocNo"] = doc_no;
    if (odoo_id) v["id"] = odoo_id;  // an Odoo picking's id, for the Odoo writeback mappings
    return boost::json::serialize(v);
}

inline long long writebacks_in(const std::string& state, const std::string& st) {
    return query_int(state, "SELECT count(*) FROM writebacks WHERE state = '" + st + "'");
}

// The results of the writeback's requests, not of the sink's own steps before them.
inline std::vector<std::string> attempt_results(const std::string& state, const std::string& flow,
                                                const std::string& doc) {
    std::vector<std::string> out;
    auto t = trace(state, flow, doc);
    for (const auto& a : t.at("writebacks").at(0).at("attempts").as_array())
        if (a.at("step").is_null()) out.emplace_back(a.at("result").as_string());
    return out;
}

// Every row of the writeback's attempts, as "<step>: <result>" ("request" for the request itself).
inline std::vector<std::string> attempt_steps(const std::string& state, const std::string& flow,
                                              const std::string& doc) {
    std::vector<std::string> out;
    auto t = trace(state, flow, doc);
    for (const auto& a : t.at("writebacks").at(0).at("attempts").as_array())
        out.push_back(std::string(a.at("step").is_null() ? "request" : a.at("step").as_string().c_str()) +
                      ": " + std::string(a.at("result").as_string()));
    return out;
}

// The state file and its WAL, as bytes: what a secret must never be found in.
inline std::string state_bytes(const std::string& state) {
    std::string out;
    for (auto suffix : {"", "-wal"}) {
        std::ifstream in(state + suffix, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        out += s.str();
    }
    return out;
}

inline std::set<std::string> keys_of(const std::vector<Received>& requests) {
    std::set<std::string> keys;
    for (const auto& r : requests) keys.insert(r.header("idempotency-key"));
    return keys;
}

}  // namespace fb::testing
