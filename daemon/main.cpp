// fieldbridge: ERP documents in, work orders out on Kafka. Arguments, config, run, drain.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

#include "app/app.h"
#include "config/config.h"
#include "mapping/tools.h"
#include "publish/kafka.h"

namespace {

int run(const std::string& config_path) {
    auto config = fb::config::load(config_path);
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    fb::app::App app(std::move(config));
    app.install_signals();
    app.run();
    spdlog::info("stopped accepting; flushing Kafka and closing the state file");
    return 0;
}

// Validates the config and every mapping it names, and runs the mappings' fixtures. No side
// effects: no state file is opened, nothing is listened on or sent.
int check(const std::string& config_path) {
    auto config = fb::config::load(config_path);
    auto flows = fb::app::load_flows(config, nullptr);
    int failures = 0;
    for (const auto& f : config.flows) {
        auto dirs = fb::mapping::fixture_dirs_for(f.mapping);
        if (!dirs.empty()) failures += fb::mapping::test_command(dirs, std::cout) != 0;
    }
    std::cout << config_path << ": " << flows.size() << " flow(s), config and mappings valid"
              << (failures ? ", but fixtures fail" : "") << "\n";
    return failures ? 1 : 0;
}

// A standalone development Kafka: the embedded cluster alone, until SIGINT/SIGTERM.
int kafka_dev(int brokers, int partitions, const std::vector<std::string>& topics) {
    fb::publish::EmbeddedCluster cluster(brokers, partitions, topics);
    std::cout << cluster.bootstrap() << std::endl;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    int sig = 0;
    sigwait(&set, &sig);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"fieldbridge: ERP documents to field-service work orders over Kafka"};
    cli.require_subcommand(1);
    std::string config_path;

    auto* run_cmd = cli.add_subcommand("run", "Run the daemon");
    run_cmd->add_option("-c,--config", config_path, "Config file")->required()->check(CLI::ExistingFile);
    auto* check_cmd = cli.add_subcommand("check", "Validate a config and its mappings, run their fixtures");
    check_cmd->add_option("-c,--config", config_path, "Config file")->required()->check(CLI::ExistingFile);
    auto* version_cmd = cli.add_subcommand("version", "Print the version");

    std::string mapping_path, format, charset = "UTF-8";
    std::vector<std::string> docs;
    auto* map_cmd = cli.add_subcommand("map", "Map documents offline and print the work orders");
    map_cmd->add_option("-m,--mapping", mapping_path, "Mapping file")->required()->check(CLI::ExistingFile);
    map_cmd->add_option("-f,--format", format, "json, ndjson, xml or csv (default: by extension)");
    map_cmd->add_option("--charset", charset, "Charset of CSV/XML input, e.g. GBK");
    map_cmd->add_option("documents", docs, "Document files")->required();

    std::vector<std::string> test_paths;
    auto* test_cmd = cli.add_subcommand("test", "Run mapping fixture tests");
    test_cmd->add_option("paths", test_paths, "Fixture folders or files")->required();

    int brokers = 3, partitions = 6;
    std::vector<std::string> topics{"fsm.work-orders", "fsm.work-order-status", "fsm.dead-letter"};
    auto* kafka_cmd = cli.add_subcommand("kafka-dev", "Run only an embedded Kafka for development; prints its bootstrap address");
    kafka_cmd->add_option("--brokers", brokers, "Broker count")->check(CLI::Range(1, 9));
    kafka_cmd->add_option("--partitions", partitions, "Partitions per topic")->check(CLI::Range(1, 64));
    kafka_cmd->add_option("--topic", topics, "Topics to create");

    CLI11_PARSE(cli, argc, argv);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
    try {
        if (*version_cmd) {
            std::cout << "fieldbridge " << FIELDBRIDGE_VERSION << "\n";
            return 0;
        }
        if (*run_cmd) return run(config_path);
        if (*check_cmd) return check(config_path);
        if (*map_cmd) return fb::mapping::map_command(mapping_path, docs, format, charset, std::cout, std::cerr);
        if (*test_cmd) return fb::mapping::test_command(test_paths, std::cout);
        if (*kafka_cmd) return kafka_dev(brokers, partitions, topics);
    } catch (const std::exception& e) {
        std::cerr << "fieldbridge: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
