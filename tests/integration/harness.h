// Test harness: a daemon in this process (or a child), plain HTTP over loopback, a real Kafka
// consumer against the embedded cluster.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/value.hpp>

#include "app/app.h"
#include "config/config.h"
#include "support/temp_folder.h"

namespace fb::testing {

std::string read_file(const std::string& path);
std::string sample(const std::string& relative);  // tests/fixtures/samples/<relative>

struct HttpReply {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
    boost::json::value json() const;
};

HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {});

struct Message {
    std::string key;
    std::string value;
    int partition;
    long long offset;
    std::map<std::string, std::string> headers;
};

// Every message on `topic` up to its high watermarks at the time of the call.
std::vector<Message> consume_all(const std::string& bootstrap, const std::string& topic);
// Waits until at least `count` messages are on the topic (or the timeout), then returns them.
std::vector<Message> consume_at_least(const std::string& bootstrap, const std::string& topic,
                                      std::size_t count, int timeout_ms = 60000);

// Reads `topic` from its beginning on a background thread for as long as it lives: what a consumer
// has seen so far, for tests that act the moment something reaches Kafka.
class TopicWatcher {
public:
    TopicWatcher(const std::string& bootstrap, const std::string& topic);
    ~TopicWatcher();
    std::set<std::string> event_ids() const;  // the ce_id header of every message seen

private:
    struct State;
    std::unique_ptr<State> state_;
    std::thread thread_;
};

// A mapping whose documents are at `documents` in the body ($.data[*]), keyed by `No`: for
// tests of a body the path does not fit (dead-lettered, then replayed after the fix).
std::string page_mapping(const std::string& documents);

// A config for tests: port 0, the given state file and brokers, one webhook flow per mapping.
config::Config test_config(const std::string& state_path, const std::string& brokers,
                           const std::string& extra_yaml = "");

// The daemon running on a background thread for the lifetime of this object.
class RunningApp {
public:
    explicit RunningApp(config::Config config);
    ~RunningApp();
    app::App& app() { return *app_; }
    unsigned short port() const { return app_->http_port(); }

private:
    std::unique_ptr<app::App> app_;
    std::thread thread_;
};

}  // namespace fb::testing
