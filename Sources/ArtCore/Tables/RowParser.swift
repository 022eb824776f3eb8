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
public struct RowParser<Sink: RowSink> {
  /// A record: `fields[i]` is a range of `bytes`.
  public typealias Record = ParsedRecord

  /// Where records go.
  public var sink: Sink

  private enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterCR }

  private let format: TableFormat
  private let delimiter: UInt8
  private var record = Record()
  private var state = State.fieldStart
  private var fieldStart = 0
  private var line = 1
  private var recordLine = 1
  /// Bytes fed before the current piece.
  private var consumed: UInt64 = 0
  private var recordOffset: UInt64 = 0
  /// A parser for `format` handing each record to `sink` (which may
  /// change it: the parser clears it afterwards).
  public init(format: TableFormat, sink: Sink, startingAt line: Int = 1, offset: UInt64 = 0) {
    self.format = format
    delimiter = format == .tsv ? 0x09 : 0x2C
    self.sink = sink
    self.line = line
    recordLine = line
    consumed = offset
    recordOffset = offset
  }

  /// Parses the next piece of input.
  ///
  /// Runs of ordinary bytes inside a field are found by a tight loop and
  /// copied at once; only delimiters, quotes and line breaks go through
  /// the state machine byte by byte.
  public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    let count = bytes.count
    var index = 0
    while index < count {
      var start = index
      switch state {
      case .fieldStart
      where format != .jsonl && base[index] != 0x22 && base[index] != 0x0A && base[index] != 0x0D,
        .unquoted where format != .jsonl:
        if state == .fieldStart {
          if record.fields.isEmpty && record.bytes.isEmpty {
            recordLine = line
            recordOffset = consumed + UInt64(index)
          }
          state = .unquoted
        }
        while index < count {
          let byte = base[index]
          if byte == delimiter || byte == 0x0A || byte == 0x0D { break }
          index += 1
        }
        if index > start {
          record.bytes.append(
            contentsOf: UnsafeBufferPointer(start: base + start, count: index - start))
          start = index
        }
        guard index < count else { continue }
        if base[index] == delimiter {
          endField()
          state = .fieldStart
          index += 1
          continue
        }
        if base[index] == 0x0A {
          line += 1
          try endLine()
          index += 1
          continue
        }
      case .quoted:
        while index < count {
          let byte = base[index]
          if byte == 0x22 || byte == 0x0A { break }
          index += 1
        }
      case .fieldStart where format == .jsonl:
        if record.bytes.isEmpty { recordOffset = consumed + UInt64(index) }
        while index < count, base[index] != 0x0A { index += 1 }
      default:
        break
      }
      if index > start {
        record.bytes.append(
          contentsOf: UnsafeBufferPointer(start: base + start, count: index - start))
      }
      if index < count {
        if state == .fieldStart, record.fields.isEmpty, record.bytes.isEmpty {
          recordOffset = consumed + UInt64(index)
        }
        try take(base[index])
        index += 1
      }
    }
    consumed += UInt64(count)
  }

  /// Ends the input: a last record without a line break is emitted; an
  /// open quoted field makes it malformed.
  public mutating func finish() throws {
    if format == .jsonl {
      if record.bytes.last == 0x0D { record.bytes.removeLast() }
      if !record.bytes.isEmpty {
        record.fields = [0..<record.bytes.count]
        record.line = line
        record.offset = recordOffset
        try sink.row(&record)
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
          record.offset = recordOffset
          try sink.row(&record)
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
      } else if try !endsField(byte) {
        record.bytes.append(byte)
        state = .unquoted
      }
    case .unquoted:
      if try !endsField(byte) {
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
      } else if try endsField(byte) {
        return
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

  /// Handles `byte` if it ends a field (delimiter, LF, CR) outside quotes.
  private mutating func endsField(_ byte: UInt8) throws -> Bool {
    if byte == delimiter {
      endField()
      state = .fieldStart
    } else if byte == 0x0A {
      line += 1
      try endLine()
    } else if byte == 0x0D {
      state = .afterCR
    } else {
      return false
    }
    return true
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
    record.offset = recordOffset
    try sink.row(&record)
    record.bytes.removeAll(keepingCapacity: true)
    record.fields.removeAll(keepingCapacity: true)
    record.problem = nil
    fieldStart = 0
    state = .fieldStart
  }
}

/// One record of a ``RowParser``: `fields[i]` is a range of `bytes`.
public struct ParsedRecord {
  /// The unquoted bytes of every field, back to back.
  public var bytes: [UInt8] = []
  /// Where each field lies in `bytes`.
  public var fields: [Range<Int>] = []
  /// The line the record starts on.
  public var line = 0
  /// The byte offset it starts at.
  public var offset: UInt64 = 0
  /// Why the record is malformed, if it is.
  public var problem: String?

  /// Field `i`'s bytes.
  public func field(_ i: Int) -> ArraySlice<UInt8> { bytes[fields[i]] }

  /// The fields as the column names of a header record: text, a UTF-8
  /// byte order mark dropped.
  public var headerNames: [String] {
    var names = (0..<fields.count).map { String(decoding: field($0), as: UTF8.self) }
    if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0] = String(first.dropFirst()) }
    return names
  }
}

/// Receives the records of a ``RowParser``.
public protocol RowSink {
  /// Takes one record (the parser reuses it afterwards).
  mutating func row(_ record: inout ParsedRecord) throws
}

/// A sink calling a closure.
public struct ClosureSink: RowSink {
  let body: (inout ParsedRecord) throws -> Void

  public mutating func row(_ record: inout ParsedRecord) throws { try body(&record) }
}

extension RowParser where Sink == ClosureSink {
  /// A parser calling `emit` with each record.
  public init(
    format: TableFormat, startingAt line: Int = 1, offset: UInt64 = 0,
    emit: @escaping (inout ParsedRecord) throws -> Void
  ) {
    self.init(format: format, sink: ClosureSink(body: emit), startingAt: line, offset: offset)
  }
}
