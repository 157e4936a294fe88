import Atomics
import PluginABI
import XCTest
@testable import RouterCore

final class MediaBufferTests: XCTestCase {
    private var api: mr_host_api { HostAPITable.table.pointee }

    func testCopySliceShareStorageWithoutCopying() throws {
        let bytes: [UInt8] = Array(0..<100)
        let b = try XCTUnwrap(bytes.withUnsafeBytes { api.buf_copy($0.baseAddress, $0.count) })
        XCTAssertEqual(api.buf_len(b), 100)
        let s = try XCTUnwrap(api.buf_slice(b, 10, 20))
        XCTAssertEqual(api.buf_len(s), 20)
        // Same storage: the slice's first byte is the parent's byte 10, at the same address.
        XCTAssertEqual(api.buf_data(s), api.buf_data(b)! + 10)
        XCTAssertEqual(api.buf_data(s)!.pointee, 10)
        api.buf_release(b)
        // The slice keeps the storage alive after the parent's last reference is gone.
        XCTAssertEqual(Array(UnsafeBufferPointer(start: api.buf_data(s), count: 20)), Array(10..<30))
        api.buf_release(s)
    }

    func testStorageIsTheRequestedSizeNotThePowerOfTwoAbove() {
        // Ring frames never grow; NIO's rounding would hold 16 KiB for a 9 KiB frame.
        for n in [1, 1000, 9000, 70_000] {
            let b = MediaBuffer(capacity: n)
            XCTAssertEqual(b.byteBuffer.readableBytes, n)
            XCTAssertEqual(b.byteBuffer.capacity, n)
        }
    }

    func testSliceOutOfRangeIsRefused() throws {
        let b = try XCTUnwrap(api.buf_alloc(16))
        XCTAssertNil(api.buf_slice(b, 10, 7))
        XCTAssertNil(api.buf_slice(b, 17, 0))
        XCTAssertNotNil(api.buf_slice(b, 16, 0).map { api.buf_release($0); return $0 })
        api.buf_release(b)
    }

    func testZeroLengthBufferHasValidPointer() throws {
        let b = try XCTUnwrap(api.buf_alloc(0))
        XCTAssertNotNil(api.buf_data(b))
        XCTAssertEqual(api.buf_len(b), 0)
        api.buf_release(b)
    }

    func testWrappedMemoryIsFreedOnceAfterLastReference() throws {
        let freed = ManagedAtomic<Int>(0)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 1)
        memory.initializeMemory(as: UInt8.self, repeating: 7, count: 64)
        let counter = Unmanaged.passRetained(freed).toOpaque()
        let b = try XCTUnwrap(api.buf_wrap(memory, 64, { user, data in
            let c = Unmanaged<ManagedAtomic<Int>>.fromOpaque(user!).takeRetainedValue()
            c.wrappingIncrement(ordering: .relaxed)
            data?.deallocate()
        }, counter))
        XCTAssertEqual(api.buf_data(b), UnsafePointer(memory.assumingMemoryBound(to: UInt8.self)), "wrap must not copy")
        api.buf_retain(b)
        let slice = try XCTUnwrap(api.buf_slice(b, 4, 8))
        api.buf_release(b)
        api.buf_release(b)
        XCTAssertEqual(freed.load(ordering: .relaxed), 0, "the slice still holds the memory")
        XCTAssertEqual(api.buf_data(slice)!.pointee, 7)
        // Sending materialises a ByteBuffer once; the bytes are the same.
        XCTAssertEqual(Unmanaged<MediaBuffer>.fromOpaque(UnsafeRawPointer(slice)).takeUnretainedValue().byteBuffer.readableBytes, 8)
        api.buf_release(slice)
        XCTAssertEqual(freed.load(ordering: .relaxed), 1)
    }

    func testMutableBytesAreVisibleThroughData() throws {
        let b = try XCTUnwrap(api.buf_alloc(4))
        let m = try XCTUnwrap(api.buf_mutable(b))
        m[0] = 0xDE; m[1] = 0xAD; m[2] = 0xBE; m[3] = 0xEF
        XCTAssertEqual(Array(UnsafeBufferPointer(start: api.buf_data(b), count: 4)), [0xDE, 0xAD, 0xBE, 0xEF])
        let mb = Unmanaged<MediaBuffer>.fromOpaque(UnsafeRawPointer(b)).takeUnretainedValue()
        XCTAssertEqual(mb.byteBuffer.getBytes(at: mb.byteBuffer.readerIndex, length: 4), [0xDE, 0xAD, 0xBE, 0xEF])
        api.buf_release(b)
    }
}
