// Sanitizer defaults of the libFuzzer binaries (linked into each one in the
// fuzz build), so running a target by hand behaves as under tools/fuzz.sh.
extern "C" const char* __ubsan_default_options() {
    // Every report stops the run; ubsan.supp only lists reports in
    // third-party headers that are not bugs of ours.
    return "halt_on_error=1:print_stacktrace=1:suppressions=" FANOUT_FUZZ_UBSAN_SUPPRESSIONS;
}
