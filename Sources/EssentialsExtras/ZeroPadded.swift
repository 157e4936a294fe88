extension BinaryInteger {
    /// printf's `%0<width>d` (or `%0<width>X` with radix 16 and upper case), which String(format:) wrote
    /// before the server dropped Foundation.
    public func zeroPadded(_ width: Int, radix: Int = 10, uppercase: Bool = false) -> String {
        let digits = String(self.magnitude, radix: radix, uppercase: uppercase)
        let sign = self < 0 ? "-" : ""
        return sign + String(repeating: "0", count: max(0, width - sign.count - digits.count)) + digits
    }
}
