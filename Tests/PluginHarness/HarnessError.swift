/// Why a harness could not be set up or a fake could not do what the test asked.
public struct HarnessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}
