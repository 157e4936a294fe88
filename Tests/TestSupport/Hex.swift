/// Bytes from hex text, skipping anything that is not a hex digit (spaces, line breaks), so captured
/// vectors can be pasted in readable groups. A trailing odd digit is dropped.
public func hexBytes(_ s: String) -> [UInt8] {
    let digits = s.compactMap { $0.hexDigitValue }
    return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(digits[$0] << 4 | digits[$0 + 1]) }
}
