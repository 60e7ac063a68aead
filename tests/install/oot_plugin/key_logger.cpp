// Out-of-tree test plugin: writes each event's key and type to a file.
#include <fstream>

#include <fanout/fanout.hpp>

namespace oot {
namespace {

constexpr fanout::OptionSpec k_options[] = {{"path", fanout::OptionType::string, nullptr, "output file"}};

class KeyLogger final : public fanout::EventPlugin {
public:
    explicit KeyLogger(const fanout::Options& o) : out_(o.get_string("path"), std::ios::app) {}
    fanout::Outcome on_event(const fanout::Event& e) override {
        out_ << e.key() << ' ' << e.type() << '\n';
        out_.flush();
        return fanout::Outcome::done();
    }

private:
    std::ofstream out_;
};

std::unique_ptr<fanout::Plugin> create(const fanout::Options& o, fanout::Context&) { return std::make_unique<KeyLogger>(o); }

}  // namespace

extern const fanout::PluginDescriptor descriptor;
const fanout::PluginDescriptor descriptor{fanout::k_descriptor_magic, fanout::k_abi_version, "key_logger", "1.0",
                                          "writes keys", k_options, 1, &create};
}  // namespace oot

FANOUT_EXPORT_PLUGIN(oot::descriptor)
