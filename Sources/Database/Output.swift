#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered writes to standard output and error (what `FileHandle.standardOutput.write` did,
/// without full Foundation): each line is out as soon as it is written, even into a pipe, and
/// in one `write(2)` when it fits, so lines of concurrent requests never interleave.
public enum Output {
    public static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    public static func standardOutput(_ text: String) { write(text, to: STDOUT_FILENO) }
    public static func standardError(_ text: String) { write(text, to: STDERR_FILENO) }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#else
private let systemWrite = Darwin.write
#endif
