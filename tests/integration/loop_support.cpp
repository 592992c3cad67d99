#include "loop_support.h"

#include <boost/json.hpp>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>

#include "harness.h"
#include "ledger/trace.h"
#include "publish/kafka.h"
#include "store/database.h"

namespace fb::testing {
namespace fs = std::filesystem;
namespace json = boost::json;

TempDir::TempDir(const std::string& name) : path(temp_folder() / name) {
    fs::remove_all(path);
    fs::create_directories(path);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
}

StateFile::StateFile(const std::string& name) : path(temp_path(name)) {}

StateFile::~StateFile() {
    std::error_code ec;
    for (auto suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix, ec);
}

void publish_status(const std::string& bootstrap, const std::string& topic,
                    const std::vector<std::string>& payloads) {
    std::atomic<int> failed{0};
    publish::Producer producer(bootstrap, {}, [&](const publish::Delivery& d) {
        if (d.error) ++failed;
    });
    for (const auto& p : payloads) {
        std::string key;
        boost::system::error_code ec;
        auto v = json::parse(p, ec);
        if (!ec && v.is_object() && v.as_object().contains("work_order_id") &&
            v.at("work_order_id").is_string())
            key = v.at("work_order_id").as_string();
        else
            key = "WO-delivery-CK20261120-0042";  // garbage travels the same partition
        auto err = rd_kafka_producev(producer.handle(), RD_KAFKA_V_TOPIC(topic.c_str()),
                                     RD_KAFKA_V_KEY(key.data(), key.size()),
                                     RD_KAFKA_V_VALUE(const_cast<char*>(p.data()), p.size()),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err) throw std::runtime_error(rd_kafka_err2str(err));
    }
    if (rd_kafka_flush(producer.handle(), 30000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("status events not flushed");
    producer.poll(0);
    if (failed) throw std::runtime_error("status events not delivered");
}

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

long long query_int(const std::string& state, const std::string& sql) {
    try {
        store::Database db(state, store::Database::Mode::read_only);
        store::Statement q(db.handle(), sql);
        if (!q.step()) return -1;
        auto v = q.integer(0);
        q.reset();
        return v;
    } catch (const std::exception&) {
        return -1;  // not created or migrated yet
    }
}

json::object trace(const std::string& state, const std::string& flow, const std::string& doc) {
    store::Database db(state, store::Database::Mode::read_only);
    return ledger::trace_document(db, flow, doc);
}

std::vector<std::string> files_in(const fs::path& folder) {
    std::vector<std::string> out;
    for (const auto& f : fs::directory_iterator(folder))
        if (!f.path().filename().string().starts_with(".")) out.push_back(f.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string status_event(const std::string& sample_file, const std::string& work_order_id,
                         const std::string& event_id) {
    auto v = json::parse(sample("status-events/" + sample_file)).as_object();
    v["work_order_id"] = work_order_id;
    if (!event_id.empty()) v["event_id"] = event_id;
    return json::serialize(v);
}

}  // namespace fb::testing
