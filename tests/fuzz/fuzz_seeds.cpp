// Writes the seed corpora of every fuzz target into OUT/<target>/, from the repository's sample
// documents (tests/fixtures/samples) and mappings (mappings/): generated, so that the seeds follow
// the samples and nothing is committed twice. Hand-written seeds are in tests/fuzz/seeds/.
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/webhook/signature.h"
#include "decode/decode.h"
#include "mapping/fixtures.h"
#include "mapping/mapping.h"
#include "mapping/tools.h"
#include "sample_mappings.h"

namespace fs = std::filesystem;

namespace {

fs::path out_dir;
int written = 0;

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void seed(const std::string& target, const std::string& name, const std::string& bytes) {
    fs::create_directories(out_dir / target);
    std::ofstream(out_dir / target / name, std::ios::binary) << bytes;
    ++written;
}

std::vector<fs::path> files_under(const std::string& relative) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(fb::fuzz::source_path(relative)))
        if (e.is_regular_file() && e.path().extension() != ".md") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string http_post(const std::string& body, const std::string& type, bool sign, bool chunked) {
    std::string req =
        "POST /webhooks/shipments HTTP/1.1\r\nHost: fieldbridge\r\nContent-Type: " + type + "\r\n";
    if (sign)
        req += "X-Signature: sha256=" + fb::connectors::webhook::hmac_sha256_hex("fuzz-secret", body) + "\r\n";
    if (!chunked) return req + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    req += "Transfer-Encoding: chunked\r\n\r\n";
    for (std::size_t at = 0; at < body.size(); at += 700) {
        auto part = body.substr(at, 700);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", part.size());
        req += size + part + "\r\n";
    }
    return req + "0\r\n\r\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_seeds OUT_DIR\n");
        return 2;
    }
    out_dir = argv[1];
    auto samples = files_under("tests/fixtures/samples");
    auto fixtures = files_under("mappings");

    for (const auto& p : samples) {
        std::string bytes = read(p), name = p.filename().string(), ext = p.extension().string();
        bool gbk = name.find(".gbk.") != std::string::npos;
        if (ext == ".json") seed("json", name, bytes);
        if (ext == ".xml") seed("xml", name, bytes);
        if (ext == ".csv") seed("csv", name, std::string(1, gbk ? '\x01' : '\x00') + bytes);
        // fuzz_charset: 0 is UTF-8, 3 GBK, 11 ISO-8859-1 (its list)
        seed("charset", name, std::string(1, gbk ? '\x03' : '\x00') + bytes);
        if (name == "not-utf8.json") seed("charset", "latin1-" + name, "\x0b" + bytes);
        if (ext == ".json" && bytes.size() < 4096) {
            seed("http", "post-" + name,
                 "\x80" + http_post(bytes, "application/json", true, false));
            seed("http", "chunked-" + name,
                 "\x07" + http_post(bytes, "application/json", true, true));
        }
    }
    for (const auto& p : fixtures) {
        std::string bytes = read(p), ext = p.extension().string();
        if (ext == ".json") seed("json", "fixture-" + p.filename().string(), bytes);
        if (ext == ".xml") seed("xml", "fixture-" + p.filename().string(), bytes);
        if (ext == ".ndjson") {
            seed("http", "batch-" + p.filename().string(),
                 "\x80" + http_post(bytes, "application/x-ndjson", true, false));
            seed("http", "pipelined-" + p.filename().string(),
                 "\x80GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
                     http_post(bytes, "application/x-ndjson", true, false));
        }
    }

    // Mappings: their YAML for the compiler; their fixture inputs, decoded as each mapping reads
    // them, as JSON behind the mapping's index for the evaluator.
    auto mappings = fb::fuzz::sample_mapping_paths();
    for (std::size_t i = 0; i < mappings.size(); ++i) {
        fs::path path = mappings[i];
        seed("mapping_compile", path.filename().string(), read(path));
        auto mapping = fb::mapping::Mapping::load(path.string());
        for (const auto& dir : fb::mapping::fixture_dirs_for(path.string()))
            for (const auto& e : fs::directory_iterator(dir)) {
                std::string name = e.path().filename().string();
                if (name.find(".input.") == std::string::npos) continue;
                std::string error;
                auto docs = fb::mapping::read_documents(e.path().string(), *mapping, "", "", error);
                if (!error.empty()) {
                    std::fprintf(stderr, "%s: %s\n", e.path().c_str(), error.c_str());
                    return 1;
                }
                for (std::size_t d = 0; d < docs.size(); ++d)
                    seed("mapping_eval", std::to_string(i) + "-" + std::to_string(d) + "-" + name,
                         std::string(1, char(i)) + boost::json::serialize(docs[d]));
            }
    }
    // Status events past what the fuzzer makes (-max_len): one occurred_at of 250,000 digits
    // once overflowed the stack in the schema's date-time regex.
    seed("status_event", "long-occurred-at",
         R"({"event_id":"e-1","work_order_id":"WO-1","status":"completed","occurred_at":")" +
             std::string(250'000, '1') + R"("})");
    std::printf("%d seeds in %s\n", written, out_dir.c_str());
    return 0;
}
