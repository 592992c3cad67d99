// fieldbridge: ERP documents in, work orders out on Kafka. Arguments, config, run, drain.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

#include "app/app.h"
#include "config/config.h"
#include "connectors/http_poll/http_poll.h"
#include "ledger/dead_letter.h"
#include "ledger/trace.h"
#include "status/send.h"
#include "status/work_orders.h"
#include "mapping/tools.h"
#include "operator/pause_command.h"
#include "publish/kafka.h"
#include "support/control_chars.h"
#include "support/escaping_sink.h"

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
    fb::status::load_lives(config);  // compiles the writeback mappings too
    int failures = 0;
    for (const auto& f : config.flows) {
        auto dirs = fb::mapping::fixture_dirs_for(f.mapping);
        for (const auto& m : f.writeback.mappings)
            for (auto& d : fb::mapping::fixture_dirs_for(m)) dirs.push_back(std::move(d));
        if (!dirs.empty()) failures += fb::mapping::test_command(dirs, std::cout) != 0;
    }
    std::cout << config_path << ": " << flows.size() << " flow(s), config and mappings valid"
              << (failures ? ", but fixtures fail" : "") << "\n";
    return failures ? 1 : 0;
}

int dead_letter_list(const std::string& config_path, bool all) {
    auto config = fb::config::load_state_only(config_path);  // reads the state file only: no secret needed
    fb::store::Database db(config.state.path, fb::store::Database::Mode::read_only);
    auto entries = fb::ledger::list_dead_letters(db, all);
    using fb::support::escape_control;  // ids and reasons quote the ERP: one entry, one line
    for (const auto& e : entries)
        std::cout << "#" << e.id << "  " << e.created_at << "  " << e.flow << "  " << e.stage
                  << "  " << (e.document_id.empty() ? "(no id)" : escape_control(e.document_id)) << "  "
                  << escape_control(e.reason)
                  << (e.repeats ? "  [arrived " + std::to_string(e.repeats + 1) + " times, last " + e.last_seen_at + "]" : "")
                  << (e.replayed_at.empty() ? "" : "  [replayed " + e.replayed_at + "]")
                  << "\n";
    std::cout << entries.size() << " dead-letter entr" << (entries.size() == 1 ? "y" : "ies") << "\n";
    return 0;
}

// Replays through the mappings as they are now; safe while the daemon runs (SQLite serialises
// the writers; the daemon's publisher picks the new outbox rows up within a second).
int dead_letter_replay(const std::string& config_path, const std::vector<std::int64_t>& ids) {
    auto config = fb::config::load(config_path);
    auto mappings = fb::app::load_mappings(config);
    fb::store::Database db(config.state.path, fb::store::Database::Mode::read_write,
                           config.state.synchronous);
    auto report = fb::ledger::replay_dead_letters(db, config, mappings, ids);
    for (const auto& line : report.lines) std::cout << line << "\n";
    std::cout << report.replayed << " replayed, " << report.still_failing << " still failing\n";
    return report.still_failing ? 1 : 0;
}

// A document's whole life, from the state file: versions, events, status history, writebacks.
int trace(const std::string& config_path, const std::string& flow, const std::string& document) {
    auto config = fb::config::load_state_only(config_path);  // reads the state file only: no secret needed
    fb::store::Database db(config.state.path, fb::store::Database::Mode::read_only);
    std::cout << fb::mapping::pretty_json(fb::ledger::trace_document(db, flow, document)) << "\n";
    return 0;
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
    bool explain = false;
    map_cmd->add_flag("--explain", explain, "Per document: key, version, when/cancelled, warnings, work order");
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

    auto* dl_cmd = cli.add_subcommand("dead-letter", "Inspect and replay the dead-letter queue");
    dl_cmd->require_subcommand(1);
    bool all = false;
    std::vector<std::int64_t> ids;
    auto* dl_list = dl_cmd->add_subcommand("list", "List dead-letter entries");
    dl_list->add_option("-c,--config", config_path, "Config file")->required()->check(CLI::ExistingFile);
    dl_list->add_flag("--all", all, "Include entries already replayed");
    auto* dl_replay = dl_cmd->add_subcommand("replay", "Run entries again through the current mapping");
    dl_replay->add_option("-c,--config", config_path, "Config file")->required()->check(CLI::ExistingFile);
    dl_replay->add_option("ids", ids, "Entry ids (default: every entry not yet replayed)");

    std::string trace_flow, trace_doc;
    auto* trace_cmd = cli.add_subcommand("trace", "A document's whole life: versions, events, status history, writebacks");
    trace_cmd->add_option("-c,--config", config_path, "Config file")->required()->check(CLI::ExistingFile);
    trace_cmd->add_option("flow", trace_flow, "Flow name")->required();
    trace_cmd->add_option("document", trace_doc, "ERP document id")->required();

    std::string brokers_arg;
    std::vector<std::string> event_files;
    auto* send_cmd = cli.add_subcommand("send-status", "Publish status events (JSON files) on the status topic, as the platform would");
    send_cmd->add_option("-c,--config", config_path, "Config file (its kafka section)")->required()->check(CLI::ExistingFile);
    send_cmd->add_option("-b,--brokers", brokers_arg, "Bootstrap address (needed for `brokers: embedded`: the one the daemon logged)");
    send_cmd->add_option("events", event_files, "Event files")->required()->check(CLI::ExistingFile);
    std::string poll_flow;
    int poll_pages = 1;
    bool dry = false;
    auto* poll_cmd = cli.add_subcommand("poll", "Fetch pages of an http_poll flow and show what they would become");
    poll_cmd->add_option("-c,--config", config_path, "Config file")->required()->check(CLI::ExistingFile);
    poll_cmd->add_option("--flow", poll_flow, "The flow")->required();
    poll_cmd->add_option("--pages", poll_pages, "Pages to fetch (default 1)")->check(CLI::Range(1, 1000));
    poll_cmd->add_flag("--dry-run", dry, "Commit nothing (required: the daemon does the real polling)")->required();

    fb::operator_page::PauseCommand pause;
    auto* pause_cmd = cli.add_subcommand("pause", "Hold a flow's intake and writeback (through the running daemon, else in the state file)");
    auto* resume_cmd = cli.add_subcommand("resume", "Let a paused flow run again");
    for (auto* cmd : {pause_cmd, resume_cmd}) {
        cmd->add_option("-c,--config", config_path, "Config file")->required()->check(CLI::ExistingFile);
        cmd->add_option("--flow", pause.flow, "The flow")->required();
        cmd->add_option("--only", pause.only, "One part only")->check(CLI::IsMember({"intake", "writeback"}));
        cmd->add_option("--url", pause.url, "The daemon's base URL (default: http://<http.listen> of the config)");
    }
    pause_cmd->add_option("--reason", pause.reason, "Why, shown on the page and in the log (up to 500 bytes)");

    CLI11_PARSE(cli, argc, argv);
    // stderr (stdout is for results), an ERP's text in it with its control characters written out
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "fieldbridge", std::make_shared<fb::support::EscapingSink>(std::make_shared<spdlog::sinks::stderr_color_sink_mt>())));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
    try {
        if (*version_cmd) {
            std::cout << "fieldbridge " << FIELDBRIDGE_VERSION << "\n";
            return 0;
        }
        if (*run_cmd) return run(config_path);
        if (*check_cmd) return check(config_path);
        if (*map_cmd) return fb::mapping::map_command(mapping_path, docs, format, charset, std::cout, std::cerr, explain);
        if (*test_cmd) return fb::mapping::test_command(test_paths, std::cout);
        if (*kafka_cmd) return kafka_dev(brokers, partitions, topics);
        if (*dl_list) return dead_letter_list(config_path, all);
        if (*dl_replay) return dead_letter_replay(config_path, ids);
        if (*trace_cmd) return trace(config_path, trace_flow, trace_doc);
        if (*send_cmd) return fb::status::send_status_events(fb::config::load(config_path), brokers_arg, event_files, std::cout);
        if (*pause_cmd || *resume_cmd) {
            pause.on = pause_cmd->parsed();
            return fb::operator_page::pause_command(fb::config::load(config_path), pause, std::cout, std::cerr);
        }
        if (*poll_cmd)
            return fb::connectors::http_poll::dry_run(fb::config::load(config_path), poll_flow, poll_pages, std::cout);
    } catch (const std::exception& e) {
        std::cerr << "fieldbridge: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
