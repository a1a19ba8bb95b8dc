// A libFuzzer entry point, compiled only into the standalone fuzzer (never into the tests):
//
//   swiftc -O -sanitize=fuzzer,address -parse-as-library -D MTS_LIBFUZZER -module-name MTSProtocolFuzz \
//     $(find Sources/MTSProtocol -name '*.swift') Tests/MTSProtocolTests/LibFuzzerEntry.swift -o /tmp/mts-fuzz
//   mkdir -p /tmp/mts-corpus && cp Tests/MTSProtocolTests/Fixtures/*.json /tmp/mts-corpus/
//   /tmp/mts-fuzz /tmp/mts-corpus -max_total_time=300
//
// Every decoder must return without trapping, and every result must be either a valid message or
// at least one violation; a trap or a sanitizer report is a finding.
#if MTS_LIBFUZZER
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        let reply = MTSReply.decode(bytes)
        precondition((reply.reply != nil) != !reply.violations.isEmpty)
        let request = MTSRequest.decode(bytes)
        precondition((request.request != nil) != !request.violations.isEmpty)
        let jackpotRequest = JackpotTicketRequest.decode(bytes)
        precondition((jackpotRequest.value != nil) != !jackpotRequest.violations.isEmpty)
        let jackpotTicket = JackpotTicket.decode(bytes)
        precondition((jackpotTicket.value != nil) != !jackpotTicket.violations.isEmpty)
        _ = MessageReport.check(bytes, as: .auto)
        return 0
    }
#endif
