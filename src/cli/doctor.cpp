#include "doctor.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dlrun/doctor/checks.hpp"

namespace dlrun::cli {
namespace {

constexpr const char* kDoctorHelp = R"(Examples:
  dlrun doctor                          check this host
  dlrun doctor --output json            the same for scripts
  DOCKER_HOST=tcp://gpu-box:2375 dlrun doctor --driver-version 550.54.14 --gpu-arch sm_90

Checks, each ok / warn / fail with a fix: the engine is reachable and its API version; the
daemon accepts GPU requests (a probe container that is started, never runs, and is removed);
it grants dlrun's training defaults (unlimited memlock, a 64 MB stack, an init process: a
second such probe; what it refuses, train leaves to the daemon, and doctor says how to fix it);
rootless Docker; free disk under the daemon's data root; containers left behind by a dlrun
that was killed (dlrun clean removes them); the host's NVIDIA driver (NVML,
else /proc/driver/nvidia/version) and its GPUs with their compute capability; the GPUs' health
through NVML (a lost GPU, uncorrectable ECC errors, a failed row remap: fail; pages or rows
pending repair, memory held by other processes: warn; train refuses or warns alike for the
GPUs a job asks for); the setup that takes running jobs' GPUs away (the systemd cgroup driver
with the legacy hook and no /dev/char links: "gpu loss"); the newest
PyTorch, TensorFlow, JAX and plain CUDA image that runs on them (as dlrun resolve would
choose it, with --catalog FILE, $DLRUN_CATALOG or ~/.config/dlrun/catalog.json added).

Exit codes: 0 no check failed (warnings allowed); 1 a check failed; 2 bad command line.)";

}  // namespace

void add_doctor_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<DoctorOptions>();
  CLI::App* doctor = app.add_subcommand(
      "doctor", "Check that this host can run GPU training jobs, and say what to fix");
  add_output_option(*doctor, options->output, "{ok, checks: [{name, status, detail, fix}]}");
  doctor->add_option("--catalog", options->catalog,
                     "A catalog file extending the built-in one, as for dlrun resolve");
  add_host_fact_options(*doctor, options->host);
  doctor->footer(kDoctorHelp);
  doctor->callback([options, &global, &exit_status] {
    auto result = run_doctor(*options, global);
    exit_status = result ? *result : report(result.error());
  });
}

Result<int> run_doctor(const DoctorOptions& options, const GlobalOptions& global) {
  auto surroundings = surroundings_for(global);
  if (!surroundings) return std::unexpected(surroundings.error());
  auto catalog = resolve::load_catalog(options.catalog, surroundings->env);
  if (!catalog) return std::unexpected(catalog.error());
  const doctor::Report report = doctor::examine(*surroundings, options.host, *catalog);
  if (options.output == "json") {
    nlohmann::ordered_json out = {{"ok", !report.failed()},
                                  {"checks", nlohmann::ordered_json::array()}};
    for (const auto& check : report.checks) {
      out["checks"].push_back({{"name", check.name},
                               {"status", doctor::status_name(check.status)},
                               {"detail", check.detail},
                               {"fix", check.fix}});
    }
    std::printf("%s\n", json_text(out).c_str());
  } else {
    for (const auto& check : report.checks) {
      std::printf("%-5s %-22s %s\n", std::string(doctor::status_name(check.status)).c_str(),
                  check.name.c_str(), check.detail.c_str());
      if (check.status != doctor::CheckStatus::ok && !check.fix.empty()) {
        std::printf("%-28s fix: %s\n", "", check.fix.c_str());
      }
    }
  }
  return report.failed() ? 1 : exit_code::ok;
}

}  // namespace dlrun::cli
