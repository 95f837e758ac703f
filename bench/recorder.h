// What every benchmark run measured, by name: the mean time per
// iteration and the user counters, for the targets in main.cc.
#ifndef VAP_BENCH_RECORDER_H_
#define VAP_BENCH_RECORDER_H_

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

namespace vap::bench {

class Recorder : public benchmark::ConsoleReporter {
 public:
  Recorder()
      : ConsoleReporter(isatty(STDOUT_FILENO) != 0 ? OO_ColorTabular
                                                   : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || r.iterations == 0) continue;
      const std::string name = r.benchmark_name();
      ns_[name] = r.GetAdjustedRealTime() *
                  benchmark::GetTimeUnitMultiplier(benchmark::kNanosecond) /
                  benchmark::GetTimeUnitMultiplier(r.time_unit);
      for (const auto& [key, counter] : r.counters)
        counters_[name][key] = counter.value;
    }
  }
  // 0 if the benchmark did not run (filtered out, or skipped).
  double ns(const std::string& name) const {
    auto it = ns_.find(name);
    return it == ns_.end() ? 0 : it->second;
  }
  double counter(const std::string& name, const std::string& key) const {
    auto it = counters_.find(name);
    if (it == counters_.end()) return 0;
    auto c = it->second.find(key);
    return c == it->second.end() ? 0 : c->second;
  }

 private:
  std::map<std::string, double> ns_;
  std::map<std::string, std::map<std::string, double>> counters_;
};

}  // namespace vap::bench

#endif  // VAP_BENCH_RECORDER_H_
