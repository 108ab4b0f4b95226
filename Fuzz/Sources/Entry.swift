// The libFuzzer entry shared by every target: each target's file defines `fuzzOne(_:)`.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    fuzzOne(bytes)
    return 0
}

/// Stops the run with a message libFuzzer reports as a crash, keeping the input.
func violated(_ property: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) -> Never {
    fatalError("property violated: \(property())", file: file, line: line)
}
