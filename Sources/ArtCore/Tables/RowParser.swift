/// The table formats `diff --rows` reads.
public enum TableFormat: String, Sendable, CaseIterable, Encodable {
  case csv, tsv, jsonl

  /// The format a path's extension names, or nil.
  public init?(path: String) {
    let lower = path.lowercased()
    if lower.hasSuffix(".csv") {
      self = .csv
    } else if lower.hasSuffix(".tsv") {
      self = .tsv
    } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
      self = .jsonl
    } else {
      return nil
    }
  }
}

/// A push parser of delimited text: RFC 4180 for CSV.
///
/// Fields are separated by the delimiter, records ended by LF or CRLF, and
/// fields in double quotes may hold delimiters, quotes (doubled) and line
/// breaks. TSV has no quoting.
/// JSON Lines are split into lines only (one record per non-empty line).
///
/// Bytes go in through ``feed(_:)`` in pieces of any size, ``finish()``
/// ends the input; each complete record is handed to the callback with the
/// line it starts on (1-based), its fields as byte ranges of one buffer.
/// Memory is one record at a time, whatever the file size.
public struct RowParser {
  /// A record: `fields[i]` is a range of `bytes`.
  public struct Record {
    /// The unquoted bytes of every field, back to back.
    public var bytes: [UInt8] = []
    /// Where each field lies in `bytes`.
    public var fields: [Range<Int>] = []
    /// The line the record starts on.
    public var line = 0
    /// Why the record is malformed, if it is.
    public var problem: String?

    /// Field `i`'s bytes.
    public func field(_ i: Int) -> ArraySlice<UInt8> { bytes[fields[i]] }
  }

  private enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterCR }

  private let format: TableFormat
  private let delimiter: UInt8
  private var record = Record()
  private var state = State.fieldStart
  private var fieldStart = 0
  private var line = 1
  private var recordLine = 1
  private var pendingCR = false
  private let emit: (inout Record) throws -> Void

  /// A parser for `format` calling `emit` with each record (which it may
  /// change: the parser clears it afterwards).
  public init(format: TableFormat, emit: @escaping (inout Record) throws -> Void) {
    self.format = format
    delimiter = format == .tsv ? 0x09 : 0x2C
    self.emit = emit
  }

  /// Parses the next piece of input.
  public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
    for byte in bytes { try take(byte) }
  }

  /// Ends the input: a last record without a line break is emitted; an
  /// open quoted field makes it malformed.
  public mutating func finish() throws {
    if format == .jsonl {
      if record.bytes.last == 0x0D { record.bytes.removeLast() }
      if !record.bytes.isEmpty {
        record.fields = [0..<record.bytes.count]
        record.line = line
        try emit(&record)
      }
      return
    }
    if state == .quoted {
      record.problem = "a quoted field is not closed before the end of the file"
      endField()
      try endRecord()
    } else if state != .fieldStart || !record.fields.isEmpty || record.bytes.count > 0 {
      endField()
      try endRecord()
    }
  }

  private mutating func take(_ byte: UInt8) throws {
    if format == .jsonl {
      if byte == 0x0A {
        if !record.bytes.isEmpty, record.bytes.last == 0x0D { record.bytes.removeLast() }
        if !record.bytes.isEmpty {
          record.fields = [0..<record.bytes.count]
          record.line = line
          try emit(&record)
        }
        record = Record()
        line += 1
      } else {
        record.bytes.append(byte)
      }
      return
    }
    switch state {
    case .fieldStart:
      if record.fields.isEmpty && record.bytes.isEmpty { recordLine = line }
      if byte == 0x22 && format == .csv {
        state = .quoted
      } else if byte == delimiter {
        endField()
      } else if byte == 0x0A {
        line += 1
        try endLine()
      } else if byte == 0x0D {
        state = .afterCR
      } else {
        record.bytes.append(byte)
        state = .unquoted
      }
    case .unquoted:
      if byte == delimiter {
        endField()
        state = .fieldStart
      } else if byte == 0x0A {
        line += 1
        try endLine()
      } else if byte == 0x0D {
        state = .afterCR
      } else {
        record.bytes.append(byte)  // a stray quote here is taken as it is
      }
    case .quoted:
      if byte == 0x22 {
        state = .quoteInQuoted
      } else {
        if byte == 0x0A { line += 1 }
        record.bytes.append(byte)
      }
    case .quoteInQuoted:
      if byte == 0x22 {
        record.bytes.append(0x22)
        state = .quoted
      } else if byte == delimiter {
        endField()
        state = .fieldStart
      } else if byte == 0x0A {
        line += 1
        try endLine()
      } else if byte == 0x0D {
        state = .afterCR
      } else {
        if record.problem == nil {
          record.problem = "text after the closing quote of field \(record.fields.count + 1)"
        }
        record.bytes.append(byte)
        state = .unquoted
      }
    case .afterCR:
      if byte == 0x0A {
        line += 1
        try endLine()
      } else {
        // A lone CR ends the record too (old Mac files).
        try endLine()
        try take(byte)
      }
    }
  }

  private mutating func endField() {
    record.fields.append(fieldStart..<record.bytes.count)
    fieldStart = record.bytes.count
  }

  /// A line break outside quotes: the record ends (a blank line is skipped).
  private mutating func endLine() throws {
    if record.fields.isEmpty && record.bytes.isEmpty && state == .fieldStart {
      state = .fieldStart
      return
    }
    endField()
    try endRecord()
  }

  private mutating func endRecord() throws {
    record.line = recordLine
    try emit(&record)
    record.bytes.removeAll(keepingCapacity: true)
    record.fields.removeAll(keepingCapacity: true)
    record.problem = nil
    fieldStart = 0
    state = .fieldStart
  }
}
