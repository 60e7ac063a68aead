#pragma once
// Counter and Gauge (fanout/context.hpp) as lock-free atomics: what fanoutd
// hands plugins, and what fanout::testing::FakeContext records into.
#include <atomic>
#include <cstdint>

#include "fanout/context.hpp"

namespace fanout::support {

class AtomicCounter final : public Counter {
public:
    void add(std::uint64_t n = 1) override { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const override { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class AtomicGauge final : public Gauge {
public:
    void set(double v) override { value_.store(v, std::memory_order_relaxed); }
    double value() const override { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

}  // namespace fanout::support
