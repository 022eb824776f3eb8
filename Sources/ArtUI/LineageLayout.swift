/// Places the lineage graph around one version in columns: the version in
/// the middle, what it was made from to the left (one column per step),
/// what was made from it to the right.
///
/// Within a column, nodes are ordered by the mean row of their neighbours
/// in the column nearer the middle (the barycentre heuristic), then by
/// label, so edges cross little and the layout is the same every time.
struct LineageLayout: Equatable, Sendable {
  struct Node: Equatable, Sendable {
    var key: String
    var label: String
    /// Steps from the middle: negative upstream, positive downstream.
    var column: Int
    var row: Int
    var x: Double
    var y: Double
  }

  struct Edge: Equatable, Sendable {
    var from: String
    var to: String
    var label: String
  }

  static let nodeWidth = 180.0
  static let nodeHeight = 34.0
  static let columnGap = 70.0
  static let rowGap = 18.0
  static let margin = 12.0

  private(set) var nodes: [Node] = []
  private(set) var edges: [Edge] = []
  private(set) var width = 0.0
  private(set) var height = 0.0

  /// The layout of `center` and `edges` (from an input to what was made
  /// from it); `label` names each node.
  init(center: String, edges: [Edge], label: (String) -> String) {
    self.edges = edges
    var inputs: [String: [String]] = [:]
    var outputs: [String: [String]] = [:]
    for edge in edges {
      inputs[edge.to, default: []].append(edge.from)
      outputs[edge.from, default: []].append(edge.to)
    }
    // Columns: breadth first from the middle, upstream along edges
    // backwards, downstream forwards.
    var column: [String: Int] = [center: 0]
    var frontier = [center]
    while !frontier.isEmpty {
      var next: [String] = []
      for key in frontier {
        let here = column[key] ?? 0
        if here <= 0 {
          for input in inputs[key] ?? [] where column[input] == nil {
            column[input] = here - 1
            next.append(input)
          }
        }
        if here >= 0 {
          for output in outputs[key] ?? [] where column[output] == nil {
            column[output] = here + 1
            next.append(output)
          }
        }
      }
      frontier = next
    }
    let columns = Set(column.values)
    let lowest = columns.min() ?? 0
    let highest = columns.max() ?? 0
    var rows: [String: Int] = [center: 0]
    var order: [Int: [String]] = [0: [center]]
    // Outwards from the middle, each column ordered by its neighbours'
    // rows in the column before.
    for step in 1...max(1, max(-lowest, highest)) {
      for side in [-step, step] where columns.contains(side) {
        let inner = side < 0 ? side + 1 : side - 1
        let members = column.filter { $0.value == side }.map(\.key)
        func weight(_ key: String) -> Double {
          let neighbours = ((inputs[key] ?? []) + (outputs[key] ?? [])).compactMap {
            column[$0] == inner ? rows[$0] : nil
          }
          return neighbours.isEmpty
            ? Double.infinity : Double(neighbours.reduce(0, +)) / Double(neighbours.count)
        }
        let sorted = members.map { ($0, weight($0), label($0)) }.sorted {
          $0.1 != $1.1 ? $0.1 < $1.1 : ($0.2, $0.0) < ($1.2, $1.0)
        }.map(\.0)
        for (index, key) in sorted.enumerated() { rows[key] = index }
        order[side] = sorted
      }
    }
    let tallest = order.values.map(\.count).max() ?? 1
    let columnHeight = Double(tallest) * (Self.nodeHeight + Self.rowGap) - Self.rowGap
    for side in lowest...highest {
      let members = order[side] ?? []
      let ownHeight = Double(members.count) * (Self.nodeHeight + Self.rowGap) - Self.rowGap
      let top = Self.margin + (columnHeight - ownHeight) / 2
      for (index, key) in members.enumerated() {
        nodes.append(
          Node(
            key: key, label: label(key), column: side, row: index,
            x: Self.margin + Double(side - lowest) * (Self.nodeWidth + Self.columnGap),
            y: top + Double(index) * (Self.nodeHeight + Self.rowGap)))
      }
    }
    width =
      2 * Self.margin + Double(highest - lowest + 1) * (Self.nodeWidth + Self.columnGap)
      - Self.columnGap
    height = 2 * Self.margin + columnHeight
  }

  /// The node called `key`.
  func node(_ key: String) -> Node? { nodes.first { $0.key == key } }
}
