import Testing

@testable import ArtUI

@Suite("Lineage layout")
struct LineageLayoutTests {
  typealias Edge = LineageLayout.Edge

  func layout(_ center: String, _ edges: [(String, String)]) -> LineageLayout {
    LineageLayout(
      center: center, edges: edges.map { Edge(from: $0.0, to: $0.1, label: "") }, label: { $0 })
  }

  @Test func aVersionAloneIsOneNode() {
    let result = layout("c", [])
    #expect(result.nodes.map(\.key) == ["c"])
    #expect(result.nodes[0].column == 0)
    #expect(result.width == 2 * LineageLayout.margin + LineageLayout.nodeWidth)
  }

  @Test func inputsGoLeftAndProductsRightOneColumnPerStep() {
    // a -> b -> c -> d -> e, centred on c.
    let result = layout("c", [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")])
    let columns = Dictionary(uniqueKeysWithValues: result.nodes.map { ($0.key, $0.column) })
    #expect(columns == ["a": -2, "b": -1, "c": 0, "d": 1, "e": 2])
    let xs = ["a", "b", "c", "d", "e"].compactMap { result.node($0)?.x }
    #expect(xs == xs.sorted() && Set(xs).count == 5)
  }

  @Test func noTwoNodesOverlapAndAllFitInside() {
    // Two inputs with inputs of their own, three products, one shared.
    let edges = [
      ("i1", "c"), ("i2", "c"), ("j1", "i1"), ("j2", "i2"), ("j3", "i2"),
      ("c", "p1"), ("c", "p2"), ("c", "p3"), ("p1", "q"), ("p3", "q"),
    ]
    let result = layout("c", edges)
    #expect(result.nodes.count == 10)
    for (index, a) in result.nodes.enumerated() {
      #expect(a.x >= 0 && a.y >= 0)
      #expect(a.x + LineageLayout.nodeWidth <= result.width)
      #expect(a.y + LineageLayout.nodeHeight <= result.height)
      for b in result.nodes[(index + 1)...] {
        let apart =
          a.x + LineageLayout.nodeWidth <= b.x || b.x + LineageLayout.nodeWidth <= a.x
          || a.y + LineageLayout.nodeHeight <= b.y || b.y + LineageLayout.nodeHeight <= a.y
        #expect(apart, "\(a.key) overlaps \(b.key)")
      }
    }
  }

  @Test func aColumnFollowsTheRowsOfItsNeighboursSoEdgesDoNotCross() {
    // c's inputs are b (row 0) and a (row 1) by label order a, b; each has
    // one input of its own: those must sit in the same order.
    let result = layout("c", [("a", "c"), ("b", "c"), ("x", "b"), ("y", "a")])
    #expect(result.node("a")?.row == 0)
    #expect(result.node("b")?.row == 1)
    // y feeds a (row 0), x feeds b (row 1): by barycentre, not by label.
    #expect(result.node("y")?.row == 0)
    #expect(result.node("x")?.row == 1)
  }

  @Test func theSameGraphGivesTheSameLayout() {
    let edges = [("a", "c"), ("b", "c"), ("c", "d"), ("c", "e"), ("z", "a")]
    #expect(layout("c", edges).nodes == layout("c", edges.reversed()).nodes)
  }

  @Test func aCentreWithManyInputsIsCentredOnTheTallestColumn() {
    let result = layout("c", (0..<5).map { ("i\($0)", "c") })
    let centre = result.node("c")!
    let inputs = result.nodes.filter { $0.column == -1 }.map(\.y)
    #expect(inputs.count == 5)
    let middle = (inputs.min()! + inputs.max()!) / 2
    #expect(abs(centre.y - middle) < 0.001)
  }
}
