import ArgumentParser
import ArtCLI

@main
struct Entrypoint {
  static func main() async {
    await ArtCommand.main()
  }
}
